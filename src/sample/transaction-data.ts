// Generators for the large transactional tables (ledger, customers, inventory, sales) that
// make up most of the bytes. Children find their parents by arithmetic on row numbers or by
// the same hash the parent used, so references and repeated values (customer names, item
// ids, journal dates) agree without any lookups during generation.

import { RECID_BASE, parentRecid, recid, type SqlRandom } from './sql-random.js';
import { ordinaryUser } from './platform-data.js';
import { insertSelect, series, tableLoad, type LoadContext, type TableLoad } from './sample-rows.js';

const CURRENCIES = ['USD', 'USD', 'USD', 'EUR', 'GBP', 'CAD'];
const LEDGER_TEXTS = ['Invoice posting', 'Customer payment', 'Vendor payment', 'Accrual', 'Depreciation', 'Payroll', 'Inventory adjustment', 'Bank fee', 'Intercompany charge', 'Revenue recognition'];
const COMPANY_WORDS = ['Adatum', 'Litware', 'Northwind', 'Tailspin', 'Woodgrove', 'Alpine', 'Proseware', 'Trey', 'Coho', 'Fourth', 'Lucerne', 'Margie'];
const COMPANY_KINDS = ['Traders', 'Industries', 'Supplies', 'Retail', 'Logistics', 'Foods', 'Systems', 'Motors'];
const ADJECTIVES = ['Standard', 'Premium', 'Compact', 'Heavy-duty', 'Portable', 'Wireless', 'Ergonomic', 'Industrial'];
const NOUNS = ['speaker', 'desk', 'chair', 'drill', 'monitor', 'cable', 'lamp', 'pump', 'valve', 'router', 'scanner', 'bracket'];
const CITIES = ['Seattle', 'Redmond', 'Chicago', 'Dallas', 'Atlanta', 'Denver', 'Boston', 'Phoenix', 'Munich', 'London'];
const TS = '2022-01-01 00:00:00';
/** Journal dates spread evenly over three years, in entry order like a real ledger. */
const LEDGER_DAYS = 1096;

const rate = (currency: string) => `CASE ${currency} WHEN 'EUR' THEN 1.08 WHEN 'GBP' THEN 1.27 WHEN 'CAD' THEN 0.74 ELSE 1 END`;
const padded = (prefix: string, n: string, width: number) => `'${prefix}' || lpad((${n})::text, ${width}, '0')`;

/** Customer `row`'s name, identical wherever that customer appears. */
const customerName = (r: SqlRandom, row: string) => `${r.pick(101, COMPANY_WORDS, row)} || ' ' || ${r.pick(102, COMPANY_KINDS, row)} || ' ' || (${row})`;
const itemName = (r: SqlRandom, row: string) => `${r.pick(103, ADJECTIVES, row)} || ' ' || ${r.pick(104, NOUNS, row)}`;
const dimensions = (r: SqlRandom, salt: number) =>
  `jsonb_build_object('BusinessUnit', lpad(${r.int(salt, 8)}::text, 3, '0'), 'Department', lpad(${r.int(salt + 1, 30)}::text, 3, '0'), 'CostCenter', lpad(${r.int(salt + 2, 60)}::text, 3, '0'))`;

export function transactionLoads(c: LoadContext): TableLoad[] {
  const r = c.random;
  const rows = c.rows;
  const entry = '((g + 3) / 4)'; // journal entry of a journal line
  const order = '((g + 4) / 5)'; // sales order of a sales line
  const entryDay = (row: string) => `((${row} - 1) * ${LEDGER_DAYS} / ${rows.generaljournalentry})`;
  const entryCreated = (row: string) => `(timestamptz '${TS} UTC' + (${entryDay(row)} * 86400 + ${r.int(9, 86_400, row)}) * interval '1 second')`;
  return [
    tableLoad('mainaccount', (from, to) => insertSelect('mainaccount', {
      recid: recid('g'),
      mainaccountid: '(100000 + g * 10)::text',
      name: `${r.pick(1, ['Cash', 'Accounts receivable', 'Inventory', 'Revenue', 'Cost of goods sold', 'Salaries', 'Rent', 'Utilities', 'Travel', 'Bank'])} || ' ' || g`,
      type: r.int(2, 5),
      closing: '0',
      ledgerchartofaccounts: recid('1'),
      createddatetime: r.timestamp(3, TS, 86_400),
    }, series(from, to))),

    tableLoad('generaljournalentry', (from, to) => insertSelect('generaljournalentry', {
      recid: recid('g'),
      journalnumber: padded('GJ', 'g', 9),
      accountingdate: 'day',
      documentdate: `day - ${r.int(1, 5)}::integer`,
      documentnumber: `${r.pick(2, ['INV-', 'PAY-', 'ADJ-', 'DEP-'])} || lpad(${r.int(3, 1_000_000)}::text, 7, '0')`,
      subledgervoucher: padded('GNJL', 'g', 9),
      journalcategory: `(ARRAY[0, 3, 6, 8, 15, 20])[1 + ${r.int(4, 6)}]`,
      postinglayer: `CASE WHEN ${r.int(5, 50)} = 0 THEN 1 ELSE 0 END`,
      ledger: recid('1'),
      createdby: ordinaryUser(c, 6),
      createddatetime: entryCreated('g'),
    }, series(from, to, { day: `date '2022-01-01' + ${entryDay('g')}::integer` }))),

    // Lines come in debit/credit pairs of one amount and currency, so every entry balances.
    tableLoad('generaljournalaccountentry', (from, to) => insertSelect('generaljournalaccountentry', {
      recid: recid('g'),
      generaljournalentry: recid(entry),
      mainaccount: recid('m'),
      accountingdate: `date '2022-01-01' + ${entryDay(entry)}::integer`,
      // The combination's id encodes its segments, so equal display values share an id.
      ledgerdimension: `${RECID_BASE} + m * 100000 + bu * 10000 + dept * 100 + cc`,
      ledgerdimensiondisplayvalue: `(100000 + m * 10) || '-' || lpad(bu::text, 3, '0') || '-' || lpad(dept::text, 3, '0') || '-' || lpad(cc::text, 3, '0')`,
      postingtype: `(ARRAY[14, 20, 31, 41, 71, 121, 126])[1 + ${r.int(14, 7)}]`,
      transactioncurrencycode: 'cur',
      transactioncurrencyamount: 'amt',
      accountingcurrencyamount: `round(amt * ${rate('cur')}, 2)`,
      reportingcurrencyamount: `round(amt * ${rate('cur')} * 0.92, 2)`,
      quantity: `CASE WHEN ${r.int(15, 4)} = 0 THEN ${r.amount(16, 1, 500, 0)} ELSE 0 END`,
      iscredit: 'CASE WHEN g % 2 = 0 THEN 1 ELSE 0 END',
      text: `${r.pick(17, LEDGER_TEXTS, entry)} || ' ' || ${padded('GJ', entry, 9)}`,
      createddatetime: entryCreated(entry),
    }, series(from, to, {
      m: `1 + ${r.int(10, rows.mainaccount)}`,
      bu: r.int(11, 8),
      dept: r.int(12, 30),
      cc: r.int(13, 60),
      cur: r.pick(18, CURRENCIES, entry),
      amt: `CASE WHEN g % 2 = 1 THEN 1 ELSE -1 END * ${r.amount(19, 1, 50_000, 2, '((g + 1) / 2)')}`,
    }))),

    tableLoad('custtable', (from, to) => insertSelect('custtable', {
      recid: recid('g'),
      accountnum: padded('C', 'g', 6),
      name: customerName(r, 'g'),
      custgroup: r.pick(1, ['10', '20', '30', '40', '50']),
      currency: r.pick(2, CURRENCIES),
      creditmax: r.amount(3, 0, 500_000, 0),
      paymtermid: r.pick(4, ['Net10', 'Net30', 'Net30', 'Net45', 'COD']),
      blocked: `CASE WHEN ${r.int(5, 25)} = 0 THEN 1 ELSE 0 END`,
      address: `jsonb_build_object('street', (1 + ${r.int(6, 9_999)}) || ' ' || ${r.pick(7, ['Main St', 'Oak Ave', 'Pine Rd', 'Lake Blvd', 'Hill Way'])},
                                   'city', ${r.pick(8, CITIES)}, 'zip', lpad(${r.int(9, 100_000)}::text, 5, '0'), 'country', ${r.pick(10, ['US', 'US', 'US', 'DE', 'GB', 'CA'])})`,
      createddatetime: r.timestamp(11, TS, 3 * 365 * 86_400),
    }, series(from, to))),

    tableLoad('custtrans', (from, to) => insertSelect('custtrans', {
      recid: recid('g'),
      custtable: recid('cust'),
      accountnum: padded('C', 'cust', 6),
      voucher: padded('ARI', 'g', 9),
      invoice: `CASE WHEN amountcur > 0 THEN ${padded('CIV-', 'g', 9)} ELSE '' END`,
      transdate: 'day',
      duedate: 'day + 30',
      currencycode: 'cur',
      amountcur: 'amountcur',
      amountmst: `round(amountcur * ${rate('cur')}, 2)`,
      settleamountcur: `CASE WHEN ${r.int(3, 10)} < 7 THEN amountcur ELSE 0 END`,
      txt: `CASE WHEN amountcur > 0 THEN 'Invoice ' ELSE 'Payment ' END || ${r.hex(4, 10)}`,
      generaljournalentry: parentRecid(r, 5, rows.generaljournalentry),
      createddatetime: r.timestamp(6, TS, 3 * 365 * 86_400),
    }, series(from, to, {
      cust: `1 + ${r.int(1, rows.custtable)}`,
      cur: r.pick(2, CURRENCIES),
      day: r.date(7, '2022-01-01', LEDGER_DAYS),
      amountcur: r.amount(8, -5_000, 20_000),
    }))),

    tableLoad('inventtable', (from, to) => insertSelect('inventtable', {
      recid: recid('g'),
      itemid: padded('I', 'g', 6),
      name: itemName(r, 'g'),
      itemtype: `(ARRAY[0, 0, 0, 1, 2])[1 + ${r.int(1, 5)}]`,
      unit: r.pick(2, ['ea', 'pcs', 'kg', 'box', 'm']),
      price: 'price',
      cost: 'round(price * 0.62, 2)',
      netweight: r.amount(3, 0, 80, 3),
      attributes: `jsonb_build_object('color', ${r.pick(4, ['black', 'white', 'red', 'blue', 'silver'])}, 'size', ${r.pick(5, ['S', 'M', 'L', 'XL'])}, 'material', ${r.pick(6, ['steel', 'plastic', 'wood', 'aluminium'])})`,
      createddatetime: r.timestamp(7, TS, 365 * 86_400),
    }, series(from, to, { price: r.amount(8, 1, 2_000) }))),

    tableLoad('inventtrans', (from, to) => insertSelect('inventtrans', {
      recid: recid('g'),
      inventtable: recid('item'),
      itemid: padded('I', 'item', 6),
      datephysical: 'day',
      datefinancial: `day + ${r.int(2, 10)}::integer`,
      qty: 'qty',
      costamountposted: `round(qty * ${r.amount(3, 1, 1_200)}, 2)`,
      statusissue: `CASE WHEN qty < 0 THEN 1 + ${r.int(4, 6)} ELSE 0 END`,
      statusreceipt: `CASE WHEN qty >= 0 THEN 1 + ${r.int(4, 6)} ELSE 0 END`,
      referencecategory: `(ARRAY[0, 3, 4, 6, 8])[1 + ${r.int(5, 5)}]`,
      referenceid: padded('SO-', `1 + ${r.int(6, rows.salestable)}`, 7),
      inventdim: `jsonb_build_object('site', ${r.pick(7, ['1', '2', '3'])}, 'warehouse', ${r.pick(8, ['11', '12', '21', '31'])}, 'location', ${r.pick(9, ['BULK', 'PICK', 'RECV', 'SHIP'])} || '-' || ${r.int(10, 100)}, 'batch', '')`,
      createddatetime: r.timestamp(11, TS, 3 * 365 * 86_400),
    }, series(from, to, {
      item: `1 + ${r.int(1, rows.inventtable)}`,
      day: r.date(12, '2022-01-01', LEDGER_DAYS),
      qty: `${r.amount(13, -50, 50, 0)}`,
    }))),

    tableLoad('salestable', (from, to) => insertSelect('salestable', {
      recid: recid('g'),
      salesid: padded('SO-', 'g', 7),
      custtable: recid('cust'),
      custaccount: padded('C', 'cust', 6),
      salesname: customerName(r, 'cust'),
      salesstatus: `(ARRAY[1, 1, 2, 3, 3, 3, 4])[1 + ${r.int(2, 7)}]`,
      currencycode: r.pick(3, CURRENCIES),
      deliverydate: r.date(4, '2022-01-01', LEDGER_DAYS),
      deliveryaddress: `jsonb_build_object('city', ${r.pick(5, CITIES)}, 'zip', lpad(${r.int(6, 100_000)}::text, 5, '0'), 'attention', ${r.pick(7, ['Receiving', 'Warehouse', 'Front desk'])})`,
      createddatetime: r.timestamp(8, TS, 3 * 365 * 86_400),
    }, series(from, to, { cust: `1 + ${r.int(1, rows.custtable)}` }))),

    tableLoad('salesline', (from, to) => insertSelect('salesline', {
      recid: recid('g'),
      salestable: recid(order),
      salesid: padded('SO-', order, 7),
      linenum: '(g - 1) % 5 + 1',
      inventtable: recid('item'),
      itemid: padded('I', 'item', 6),
      name: itemName(r, 'item'),
      salesqty: 'qty',
      salesprice: 'price',
      linedisc: 'disc',
      lineamount: 'round(qty * price - disc, 2)',
      salesstatus: `(ARRAY[1, 1, 2, 3, 3, 3, 4])[1 + ${r.int(2, 7)}]`,
      confirmeddlv: r.timestamp(3, TS, 3 * 365 * 86_400),
      dimensions: dimensions(r, 4),
      createddatetime: r.timestamp(7, TS, 3 * 365 * 86_400),
    }, series(from, to, {
      item: `1 + ${r.int(1, rows.inventtable)}`,
      qty: r.amount(8, 1, 100, 0),
      price: r.amount(9, 1, 2_000),
      disc: `CASE WHEN ${r.int(10, 5)} = 0 THEN ${r.amount(11, 0, 50)} ELSE 0 END`,
    }))),
  ];
}
