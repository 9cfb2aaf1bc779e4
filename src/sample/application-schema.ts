// DDL of the sample ERP application database (DESIGN §6). Table names are the seed's in
// lower case. The DDL is split the way a bulk load wants it: tables are created bare, data
// goes in, then each table's primary key and indexes are built, then the foreign keys.
// Building keys after the data is several times faster than maintaining them per row.

export interface TableDdl {
  readonly name: string;
  /** CREATE TABLE without keys; NOT NULL is kept because it costs nothing per row. */
  readonly create: string;
  /** Primary key and secondary indexes, run in order after the data is in. */
  readonly indexes: readonly string[];
}

function table(name: string, columns: string, secondary: readonly string[] = []): TableDdl {
  return {
    name,
    create: `CREATE TABLE ${name} (\n  recid bigint NOT NULL,\n  ${columns.trim()}\n)`,
    indexes: [`ALTER TABLE ${name} ADD CONSTRAINT ${name}_pkey PRIMARY KEY (recid)`, ...secondary],
  };
}

export const APPLICATION_TABLES: readonly TableDdl[] = [
  // --- platform: partitions, users, batch framework -------------------------------------
  table('partitions', `
  partitionkey text NOT NULL,
  name text NOT NULL,
  recversion integer NOT NULL`),
  table('userinfo', `
  id text NOT NULL,
  name text NOT NULL,
  enable smallint NOT NULL,
  networkalias text NOT NULL,
  networkdomain text NOT NULL,
  partition bigint NOT NULL,
  isserviceaccount smallint NOT NULL,
  company text NOT NULL,
  language text NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE UNIQUE INDEX userinfo_id_idx ON userinfo (id)',
    'CREATE INDEX userinfo_networkalias_idx ON userinfo (networkalias)',
  ]),
  table('batchjob', `
  caption text NOT NULL,
  status integer NOT NULL,
  company text NOT NULL,
  batchgroupid text NOT NULL,
  recurrence text NOT NULL,
  origstartdatetime timestamptz NOT NULL,
  createdby text NOT NULL`, ['CREATE INDEX batchjob_status_idx ON batchjob (status)']),
  table('batchjobhistory', `
  batchjobid bigint NOT NULL,
  caption text NOT NULL,
  status integer NOT NULL,
  serverid text NOT NULL,
  startdatetime timestamptz NOT NULL,
  enddatetime timestamptz NOT NULL`, ['CREATE INDEX batchjobhistory_batchjobid_idx ON batchjobhistory (batchjobid)']),
  table('batchhistory', `
  batchjobid bigint NOT NULL,
  batchjobhistoryid bigint NOT NULL,
  classnumber integer NOT NULL,
  caption text NOT NULL,
  status integer NOT NULL,
  serverid text NOT NULL,
  startdatetime timestamptz NOT NULL,
  enddatetime timestamptz NOT NULL,
  info text NOT NULL`, ['CREATE INDEX batchhistory_batchjobhistoryid_idx ON batchhistory (batchjobhistoryid)']),
  table('batchconstrainthistory', `
  batchjobid bigint NOT NULL,
  batchjobhistoryid bigint NOT NULL,
  batchid bigint NOT NULL,
  dependsonbatchid bigint NOT NULL,
  expectedstatus integer NOT NULL`, ['CREATE INDEX batchconstrainthistory_batchjobid_idx ON batchconstrainthistory (batchjobid)']),
  // --- addresses and e-mail ----------------------------------------------------------------
  table('logisticselectronicaddress', `
  type integer NOT NULL,
  locator text NOT NULL,
  description text NOT NULL,
  isprimary smallint NOT NULL,
  location bigint NOT NULL`, ['CREATE INDEX logisticselectronicaddress_type_locator_idx ON logisticselectronicaddress (type, locator)']),
  table('sysemailparameters', `
  smtprelayservername text NOT NULL,
  smtpportnumber integer NOT NULL,
  smtpusername text NOT NULL,
  smtpusessl smallint NOT NULL,
  maxemailattachmentsize integer NOT NULL`),
  table('sysemailsmtppassword', `
  password text NOT NULL`),
  // --- print management ----------------------------------------------------------------------
  table('printmgmtdocinstance', `
  name text NOT NULL,
  documenttype integer NOT NULL,
  printtype integer NOT NULL,
  suppress smallint NOT NULL,
  company text NOT NULL`),
  table('printmgmtsettings', `
  parentid bigint NOT NULL,
  description text NOT NULL,
  printername text NOT NULL,
  destination integer NOT NULL,
  numberofcopies integer NOT NULL,
  printjobsettings jsonb NOT NULL`, ['CREATE INDEX printmgmtsettings_parentid_idx ON printmgmtsettings (parentid)']),
  // --- environment-specific servers, sessions, printers -------------------------------------
  table('sysserverconfig', `
  serverid text NOT NULL,
  enablebatch smallint NOT NULL,
  maxsessions integer NOT NULL,
  loadbalancegroup text NOT NULL`),
  table('sysserversessions', `
  serverid text NOT NULL,
  instancename text NOT NULL,
  status integer NOT NULL,
  processid integer NOT NULL,
  logindatetime timestamptz NOT NULL,
  lastupdatedatetime timestamptz NOT NULL`),
  table('syscorpnetprinters', `
  name text NOT NULL,
  networkpath text NOT NULL,
  driver text NOT NULL,
  location text NOT NULL,
  active smallint NOT NULL`),
  table('sysclientsessions', `
  sessionid integer NOT NULL,
  userid text NOT NULL,
  serverid text NOT NULL,
  status integer NOT NULL,
  clienttype integer NOT NULL,
  logindatetime timestamptz NOT NULL`, ['CREATE INDEX sysclientsessions_userid_idx ON sysclientsessions (userid)']),
  table('batchserverconfig', `
  serverid text NOT NULL,
  maxbatchsessions integer NOT NULL,
  starttime integer NOT NULL,
  endtime integer NOT NULL`),
  table('batchservergroup', `
  groupid text NOT NULL,
  serverid text NOT NULL,
  description text NOT NULL`),
  // --- attachments: metadata here, the file in the environment's document storage -----------
  table('docuvalue', `
  filename text NOT NULL,
  fileextension text NOT NULL,
  originalfilename text NOT NULL,
  storageprovider integer NOT NULL,
  accessinformation text NOT NULL,
  filesize integer NOT NULL,
  file bytea NOT NULL,
  createddatetime timestamptz NOT NULL`, ['CREATE INDEX docuvalue_filename_idx ON docuvalue (filename)']),
  // --- integrations ---------------------------------------------------------------------------
  table('personnellintegrationconfiguration', `
  connectionstring text NOT NULL,
  integrationenabled smallint NOT NULL,
  lastsyncdatetime timestamptz NOT NULL`),
  table('dmfrecurringjob', `
  name text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('import', 'export')),
  enabled smallint NOT NULL,
  pendingmessages integer NOT NULL,
  entityname text NOT NULL,
  applicationid text NOT NULL,
  lastrundatetime timestamptz NOT NULL`),
  table('retailchanneldatabase', `
  name text NOT NULL,
  scaleunit text NOT NULL,
  connectioninfo text NOT NULL,
  datagroup text NOT NULL`),
  // Where the retail channels find the environment's Commerce services: copied by a refresh
  // (it is business configuration), so it names the source until the Environment
  // Reprovisioning Tool points it at the target.
  table('retailchannelprofileproperty', `
  channelprofile text NOT NULL,
  propertykey text NOT NULL,
  value text NOT NULL`, ['CREATE UNIQUE INDEX retailchannelprofileproperty_key_idx ON retailchannelprofileproperty (channelprofile, propertykey)']),
  // --- transactional data: most of the bytes ------------------------------------------------
  table('mainaccount', `
  mainaccountid text NOT NULL,
  name text NOT NULL,
  type integer NOT NULL,
  closing smallint NOT NULL,
  ledgerchartofaccounts bigint NOT NULL,
  createddatetime timestamptz NOT NULL`, ['CREATE UNIQUE INDEX mainaccount_mainaccountid_idx ON mainaccount (mainaccountid)']),
  table('generaljournalentry', `
  journalnumber text NOT NULL,
  accountingdate date NOT NULL,
  documentdate date NOT NULL,
  documentnumber text NOT NULL,
  subledgervoucher text NOT NULL,
  journalcategory integer NOT NULL,
  postinglayer integer NOT NULL,
  ledger bigint NOT NULL,
  createdby text NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE UNIQUE INDEX generaljournalentry_journalnumber_idx ON generaljournalentry (journalnumber)',
    'CREATE INDEX generaljournalentry_accountingdate_idx ON generaljournalentry (accountingdate)',
  ]),
  table('generaljournalaccountentry', `
  generaljournalentry bigint NOT NULL,
  mainaccount bigint NOT NULL,
  accountingdate date NOT NULL,
  ledgerdimension bigint NOT NULL,
  ledgerdimensiondisplayvalue text NOT NULL,
  postingtype integer NOT NULL,
  transactioncurrencycode text NOT NULL,
  transactioncurrencyamount numeric(32,6) NOT NULL,
  accountingcurrencyamount numeric(32,6) NOT NULL,
  reportingcurrencyamount numeric(32,6) NOT NULL,
  quantity numeric(32,6) NOT NULL,
  iscredit smallint NOT NULL,
  text text NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE INDEX generaljournalaccountentry_generaljournalentry_idx ON generaljournalaccountentry (generaljournalentry)',
    'CREATE INDEX generaljournalaccountentry_mainaccount_date_idx ON generaljournalaccountentry (mainaccount, accountingdate)',
    'CREATE INDEX generaljournalaccountentry_ledgerdimension_idx ON generaljournalaccountentry (ledgerdimensiondisplayvalue)',
  ]),
  table('custtable', `
  accountnum text NOT NULL,
  name text NOT NULL,
  custgroup text NOT NULL,
  currency text NOT NULL,
  creditmax numeric(32,6) NOT NULL,
  paymtermid text NOT NULL,
  blocked smallint NOT NULL,
  address jsonb NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE UNIQUE INDEX custtable_accountnum_idx ON custtable (accountnum)',
    'CREATE INDEX custtable_custgroup_idx ON custtable (custgroup)',
  ]),
  table('custtrans', `
  custtable bigint NOT NULL,
  accountnum text NOT NULL,
  voucher text NOT NULL,
  invoice text NOT NULL,
  transdate date NOT NULL,
  duedate date NOT NULL,
  currencycode text NOT NULL,
  amountcur numeric(32,6) NOT NULL,
  amountmst numeric(32,6) NOT NULL,
  settleamountcur numeric(32,6) NOT NULL,
  txt text NOT NULL,
  generaljournalentry bigint NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE INDEX custtrans_custtable_transdate_idx ON custtrans (custtable, transdate)',
    'CREATE INDEX custtrans_voucher_idx ON custtrans (voucher)',
  ]),
  table('inventtable', `
  itemid text NOT NULL,
  name text NOT NULL,
  itemtype integer NOT NULL,
  unit text NOT NULL,
  price numeric(32,6) NOT NULL,
  cost numeric(32,6) NOT NULL,
  netweight numeric(32,6) NOT NULL,
  attributes jsonb NOT NULL,
  createddatetime timestamptz NOT NULL`, ['CREATE UNIQUE INDEX inventtable_itemid_idx ON inventtable (itemid)']),
  table('inventtrans', `
  inventtable bigint NOT NULL,
  itemid text NOT NULL,
  datephysical date NOT NULL,
  datefinancial date NOT NULL,
  qty numeric(32,6) NOT NULL,
  costamountposted numeric(32,6) NOT NULL,
  statusissue integer NOT NULL,
  statusreceipt integer NOT NULL,
  referencecategory integer NOT NULL,
  referenceid text NOT NULL,
  inventdim jsonb NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE INDEX inventtrans_inventtable_datephysical_idx ON inventtrans (inventtable, datephysical)',
    'CREATE INDEX inventtrans_referenceid_idx ON inventtrans (referenceid)',
  ]),
  table('salestable', `
  salesid text NOT NULL,
  custtable bigint NOT NULL,
  custaccount text NOT NULL,
  salesname text NOT NULL,
  salesstatus integer NOT NULL,
  currencycode text NOT NULL,
  deliverydate date NOT NULL,
  deliveryaddress jsonb NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE UNIQUE INDEX salestable_salesid_idx ON salestable (salesid)',
    'CREATE INDEX salestable_custtable_idx ON salestable (custtable)',
  ]),
  table('salesline', `
  salestable bigint NOT NULL,
  salesid text NOT NULL,
  linenum integer NOT NULL,
  inventtable bigint NOT NULL,
  itemid text NOT NULL,
  name text NOT NULL,
  salesqty numeric(32,6) NOT NULL,
  salesprice numeric(32,6) NOT NULL,
  linedisc numeric(32,6) NOT NULL,
  lineamount numeric(32,6) NOT NULL,
  salesstatus integer NOT NULL,
  confirmeddlv timestamptz NOT NULL,
  dimensions jsonb NOT NULL,
  createddatetime timestamptz NOT NULL`, [
    'CREATE INDEX salesline_salestable_idx ON salesline (salestable)',
    'CREATE UNIQUE INDEX salesline_salesid_linenum_idx ON salesline (salesid, linenum)',
    'CREATE INDEX salesline_inventtable_idx ON salesline (inventtable)',
  ]),
];

/** Validated foreign keys, added last (after VACUUM ANALYZE, which makes their checks cheap). */
export const APPLICATION_FOREIGN_KEYS: readonly { readonly table: string; readonly sql: string }[] = [
  ['userinfo', 'partition', 'partitions'],
  ['batchjobhistory', 'batchjobid', 'batchjob'],
  ['generaljournalaccountentry', 'generaljournalentry', 'generaljournalentry'],
  ['generaljournalaccountentry', 'mainaccount', 'mainaccount'],
  ['custtrans', 'custtable', 'custtable'],
  ['salestable', 'custtable', 'custtable'],
  ['salesline', 'salestable', 'salestable'],
  ['salesline', 'inventtable', 'inventtable'],
  ['inventtrans', 'inventtable', 'inventtable'],
].map(([from, column, to]) => ({
  table: from!,
  sql: `ALTER TABLE ${from} ADD CONSTRAINT ${from}_${column}_fkey FOREIGN KEY (${column}) REFERENCES ${to} (recid)`,
}));

/**
 * The next-RecId allocator. Its value is set from the loaded data (never from timing), so
 * a copy can be verified by comparing sequence values too.
 */
export const RECID_SEQUENCE = 'recid_seq';

/** Sequence, view and SQL function; they only need the tables to exist, not their keys. */
export const APPLICATION_OBJECTS: readonly string[] = [
  `CREATE SEQUENCE ${RECID_SEQUENCE} AS bigint START WITH 5637144576`,
  // Grouped by every selected column rather than by the primary key alone, so the view does
  // not depend on custtable_pkey (keys are built after the view exists).
  `CREATE VIEW custbalance AS
  SELECT c.accountnum, c.name, c.currency, count(t.recid) AS transactions,
         coalesce(sum(t.amountmst), 0) AS balance
    FROM custtable c LEFT JOIN custtrans t ON t.custtable = c.recid
   GROUP BY c.recid, c.accountnum, c.name, c.currency`,
  `CREATE FUNCTION mainaccount_balance(p_mainaccountid text, p_todate date) RETURNS numeric
  LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(e.accountingcurrencyamount), 0)
      FROM generaljournalaccountentry e JOIN mainaccount m ON m.recid = e.mainaccount
     WHERE m.mainaccountid = p_mainaccountid AND e.accountingdate <= p_todate
  $$`,
];
