// DDL of the sample financial reporting database: report definitions built from row and
// column definitions, the companies they report on and reporting trees (organisation
// hierarchies). It is small, so keys are declared inline and the loader fills parents first.

export const REPORTING_TABLES = ['company', 'reportingtree', 'reportingtreeunit', 'rowdefinition', 'columndefinition', 'reportdefinition'] as const;

export type ReportingTable = (typeof REPORTING_TABLES)[number];

export const REPORTING_DDL: readonly string[] = [
  `CREATE TABLE company (
  recid bigint PRIMARY KEY,
  companyid text NOT NULL UNIQUE,
  name text NOT NULL,
  currencycode text NOT NULL,
  -- where the reporting engine reads this company's ledger: the environment's application database
  datasource text NOT NULL
)`,
  `CREATE TABLE reportingtree (
  recid bigint PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL,
  modifieddatetime timestamptz NOT NULL
)`,
  `CREATE TABLE reportingtreeunit (
  recid bigint PRIMARY KEY,
  reportingtree bigint NOT NULL REFERENCES reportingtree (recid),
  parentunit bigint REFERENCES reportingtreeunit (recid),
  company bigint NOT NULL REFERENCES company (recid),
  name text NOT NULL,
  dimensionfilter text NOT NULL
)`,
  'CREATE INDEX reportingtreeunit_reportingtree_idx ON reportingtreeunit (reportingtree)',
  `CREATE TABLE rowdefinition (
  recid bigint PRIMARY KEY,
  name text NOT NULL UNIQUE,
  definition jsonb NOT NULL
)`,
  `CREATE TABLE columndefinition (
  recid bigint PRIMARY KEY,
  name text NOT NULL UNIQUE,
  definition jsonb NOT NULL
)`,
  `CREATE TABLE reportdefinition (
  recid bigint PRIMARY KEY,
  name text NOT NULL UNIQUE,
  description text NOT NULL,
  company bigint NOT NULL REFERENCES company (recid),
  rowdefinition bigint NOT NULL REFERENCES rowdefinition (recid),
  columndefinition bigint NOT NULL REFERENCES columndefinition (recid),
  reportingtree bigint REFERENCES reportingtree (recid),
  settings jsonb NOT NULL,
  modifiedby text NOT NULL,
  modifieddatetime timestamptz NOT NULL
)`,
  'CREATE INDEX reportdefinition_company_idx ON reportdefinition (company)',
];
