// Generators for the financial reporting database, in foreign-key order (parents first).

import { lit, parentRecid, recid, type SqlRandom } from './sql-random.js';
import { insertSelect, series } from './sample-rows.js';
import type { ReportingTable } from './reporting-schema.js';

const COMPANIES = ['usmf', 'demf', 'gbsi', 'usrt'];
/** Units per reporting tree: one root and its children. */
const UNITS_PER_TREE = 8;
const TS = '2023-01-01 00:00:00 UTC';

export interface ReportingLoad {
  readonly table: ReportingTable;
  readonly rows: number;
  readonly sql: string;
}

export function reportingLoads(scale: number, r: SqlRandom): ReportingLoad[] {
  const n = (atScale1: number, minimum: number) => Math.max(minimum, Math.round(atScale1 * scale));
  const trees = n(20, 2);
  const rowDefinitions = n(50, 3);
  const columnDefinitions = n(30, 3);
  const reports = n(200, 5);
  const variant = lit(r.variant);
  const modified = `timestamptz '${TS}' + ${r.int(90, 365 * 86_400)} * interval '1 second'`;
  const loads: [ReportingTable, number, Record<string, string>][] = [
    ['company', COMPANIES.length, {
      recid: recid('g'),
      companyid: `(ARRAY[${COMPANIES.map(lit).join(',')}])[g]`,
      name: `(ARRAY['Contoso USA', 'Contoso Germany', 'Contoso UK', 'Contoso Retail USA'])[g]`,
      currencycode: `(ARRAY['USD', 'EUR', 'GBP', 'USD'])[g]`,
      datasource: `'Server=' || ${variant} || '-app;Database=axdb;Company=' || (ARRAY[${COMPANIES.map(lit).join(',')}])[g]`,
    }],
    ['reportingtree', trees, {
      recid: recid('g'),
      name: `'Tree ' || g || ' ' || ${r.pick(1, ['Legal entities', 'Regions', 'Departments', 'Cost centers'])}`,
      description: `'Reporting hierarchy ' || ${r.hex(2, 8)}`,
      modifieddatetime: modified,
    }],
    // The first unit of each tree is its root; the others hang below it.
    ['reportingtreeunit', trees * UNITS_PER_TREE, {
      recid: recid('g'),
      reportingtree: recid(`(g + ${UNITS_PER_TREE - 1}) / ${UNITS_PER_TREE}`),
      parentunit: `CASE WHEN (g - 1) % ${UNITS_PER_TREE} = 0 THEN NULL ELSE ${recid(`g - (g - 1) % ${UNITS_PER_TREE}`)} END`,
      company: parentRecid(r, 1, COMPANIES.length),
      name: `'Unit ' || g`,
      dimensionfilter: `'BusinessUnit = ' || lpad(${r.int(2, 8)}::text, 3, '0')`,
    }],
    ['rowdefinition', rowDefinitions, {
      recid: recid('g'),
      name: `${r.pick(1, ['Income statement', 'Balance sheet', 'Cash flow', 'Trial balance'])} || ' rows ' || g`,
      definition: `jsonb_build_object('rows', 20 + ${r.int(2, 80)}, 'formatting', ${r.pick(3, ['default', 'compact'])})`,
    }],
    ['columndefinition', columnDefinitions, {
      recid: recid('g'),
      name: `${r.pick(1, ['Periodic', 'Year to date', 'Budget vs actual'])} || ' columns ' || g`,
      definition: `jsonb_build_object('columns', 3 + ${r.int(2, 10)}, 'book', 'Actual')`,
    }],
    ['reportdefinition', reports, {
      recid: recid('g'),
      name: `${r.pick(1, ['Income statement', 'Balance sheet', 'Cash flow', 'Trial balance', 'Budget review'])} || ' ' || g`,
      description: `'Report for ' || ${variant}`,
      company: parentRecid(r, 2, COMPANIES.length),
      rowdefinition: parentRecid(r, 3, rowDefinitions),
      columndefinition: parentRecid(r, 4, columnDefinitions),
      reportingtree: `CASE WHEN ${r.int(5, 3)} = 0 THEN NULL ELSE ${parentRecid(r, 6, trees)} END`,
      settings: `jsonb_build_object('zeroBalanceRows', ${r.int(7, 2)} = 1, 'rounding', ${r.pick(8, ['none', 'thousands', 'millions'])})`,
      modifiedby: `'u' || lpad((5 + ${r.int(9, 100)})::text, 6, '0')`,
      modifieddatetime: modified,
    }],
  ];
  return loads.map(([table, rows, values]) => ({ table, rows, sql: insertSelect(table, values, series(1, rows)) }));
}
