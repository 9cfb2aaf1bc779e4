// Generators for the platform tables of DESIGN §6: partitions, users, batch framework,
// e-mail, print management, servers, sessions, attachments and integrations. Rows of the
// environment-specific tables name the variant (servers, relays, storage, secrets), so two
// environments' rows can always be told apart after a refresh.

import { RECID_BASE, lit, parentRecid, recid } from './sql-random.js';
import { insertSelect, series, SERVERS, tableLoad, type LoadContext, type TableLoad } from './sample-rows.js';

const FIRST = ['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kira', 'Liam', 'Mona', 'Nils', 'Olga', 'Pablo', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera', 'Wen', 'Yara', 'Zoe'];
const LAST = ['Adams', 'Berg', 'Chen', 'Diaz', 'Eriksen', 'Fischer', 'Garcia', 'Hansen', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Meyer', 'Novak', 'Okafor', 'Petrov', 'Rossi', 'Schmidt', 'Tanaka', 'Weber'];
const CUSTOMER_DOMAINS = ['adatum.com', 'litware.com', 'fabrikam.com', 'northwindtraders.com', 'tailspintoys.com', 'wideworldimporters.com', 'proseware.com', 'woodgrovebank.com', 'alpineskihouse.com', 'treyresearch.net'];
const BATCH_CAPTIONS = ['Post sales invoices', 'Master planning', 'Inventory recalculation', 'Export to data lake', 'Import bank statements', 'Settle vendor payments', 'Workflow message processing', 'Alerts processing', 'Cleanup of staging tables', 'Retail scheduler'];

/** Expressions for the users the generator creates: Admin, three service accounts, then u000005… */
const SERVICE_ACCOUNTS = ['RetailServiceAcc', 'FRServiceUser', 'DIXFServiceUser'];
const FIRST_ORDINARY_USER = 2 + SERVICE_ACCOUNTS.length;

/** Id of a pseudo-random ordinary user. */
export function ordinaryUser(c: LoadContext, salt: number): string {
  return `'u' || lpad((${FIRST_ORDINARY_USER} + ${c.random.int(salt, c.rows.userinfo - FIRST_ORDINARY_USER + 1)})::text, 6, '0')`;
}

/** Server id of server number `n` (1-based SQL expression) of this environment. */
function serverId(c: LoadContext, n: string): string {
  return `'Batch:' || upper(replace(${c.variant}, '-', '')) || '-AOS' || (${n})`;
}

/** Host name inside this environment, e.g. print01.contoso-prod.contoso.com. */
function host(c: LoadContext, name: string): string {
  return `${lit(name)} || '.' || ${c.variant} || '.' || ${c.tenant}`;
}

const TS = '2023-01-01 00:00:00';
const YEAR = 365 * 86_400;

export function platformLoads(c: LoadContext): TableLoad[] {
  const r = c.random;
  const rows = c.rows;
  return [
    tableLoad('partitions', (from, to) => insertSelect('partitions', {
      recid: recid('g'),
      partitionkey: `CASE WHEN g = 1 THEN 'initial' ELSE 'ps' || g END`,
      name: `CASE WHEN g = 1 THEN 'Initial partition' ELSE 'Partition ' || g || ' of ' || ${c.variant} END`,
      recversion: `1 + ${r.int(1, 1_000_000)}`,
    }, series(from, to))),

    tableLoad('userinfo', (from, to) => insertSelect('userinfo', {
      recid: recid('g'),
      id: `CASE WHEN g = 1 THEN 'Admin' WHEN g < ${FIRST_ORDINARY_USER} THEN (ARRAY[${SERVICE_ACCOUNTS.map(lit).join(',')}])[g - 1]
                ELSE 'u' || lpad(g::text, 6, '0') END`,
      name: `CASE WHEN g = 1 THEN 'Administrator' WHEN g < ${FIRST_ORDINARY_USER} THEN 'Service account ' || g
                  ELSE first || ' ' || last END`,
      enable: `CASE WHEN g < ${FIRST_ORDINARY_USER} OR ${r.int(3, 10)} < 7 THEN 1 ELSE 0 END`,
      networkalias: `CASE WHEN g = 1 THEN ${c.administrator ?? `'admin@' || ${c.tenant}`} WHEN g < ${FIRST_ORDINARY_USER} THEN 'svc' || g || '@' || ${c.tenant}
                          ELSE lower(first || '.' || last) || g || '@' || ${c.tenant} END`,
      networkdomain: `'https://sts.windows.net/'`,
      // Every tenth ordinary user lives in the second partition, so a partition reset shows.
      partition: `CASE WHEN g >= ${FIRST_ORDINARY_USER} AND g % 10 = 0 THEN ${RECID_BASE + 1} ELSE ${RECID_BASE} END`,
      isserviceaccount: `CASE WHEN g > 1 AND g < ${FIRST_ORDINARY_USER} THEN 1 ELSE 0 END`,
      company: r.pick(4, ['usmf', 'usmf', 'usmf', 'demf', 'gbsi']),
      language: r.pick(5, ['en-us', 'en-us', 'de', 'en-gb', 'fr']),
      createddatetime: r.timestamp(6, TS, YEAR),
    }, series(from, to, { first: r.pick(1, FIRST), last: r.pick(2, LAST) }))),

    tableLoad('batchjob', (from, to) => insertSelect('batchjob', {
      recid: recid('g'),
      caption: `${r.pick(1, BATCH_CAPTIONS)} || ' #' || g`,
      // The first six jobs cover every status; the rest are mostly waiting or finished.
      status: `CASE WHEN g <= 6 THEN g - 1 ELSE (ARRAY[1, 1, 1, 4, 4, 4, 0, 3, 5, 2])[1 + ${r.int(2, 10)}] END`,
      company: r.pick(3, ['usmf', 'usmf', 'demf']),
      batchgroupid: r.pick(4, ['', '', 'DIXF', 'MRP', 'POST', 'RETAIL']),
      recurrence: r.pick(5, ['none', 'every 5 minutes', 'hourly', 'daily at 02:00', 'weekly on Sunday']),
      origstartdatetime: r.timestamp(6, TS, YEAR),
      createdby: ordinaryUser(c, 7),
    }, series(from, to))),

    tableLoad('batchjobhistory', (from, to) => insertSelect('batchjobhistory', {
      recid: recid('g'),
      batchjobid: parentRecid(r, 11, rows.batchjob),
      caption: `${r.pick(1, BATCH_CAPTIONS)} || ' run ' || g`,
      status: `(ARRAY[4, 4, 4, 4, 4, 3])[1 + ${r.int(2, 6)}]`,
      serverid: serverId(c, `1 + ${r.int(3, SERVERS)}`),
      startdatetime: 'started',
      enddatetime: `started + ${r.int(4, 7_200)} * interval '1 second'`,
    }, series(from, to, { started: r.timestamp(5, TS, YEAR) }))),

    // A batch task's job is its job history's job: the same hash (salt 11) of the history row.
    tableLoad('batchhistory', (from, to) => insertSelect('batchhistory', {
      recid: recid('g'),
      batchjobid: parentRecid(r, 11, rows.batchjob, 'h'),
      batchjobhistoryid: recid('h'),
      classnumber: `10000 + ${r.int(1, 5_000)}`,
      caption: `${r.pick(2, ['Process', 'Post', 'Validate', 'Export', 'Import', 'Cleanup'])} || ' task ' || g`,
      status: `(ARRAY[4, 4, 4, 4, 3, 8])[1 + ${r.int(3, 6)}]`,
      serverid: serverId(c, `1 + ${r.int(4, SERVERS)}`),
      startdatetime: 'started',
      enddatetime: `started + ${r.int(5, 600)} * interval '1 second'`,
      info: `${r.pick(6, ['Completed.', 'Completed with warnings: 2 records skipped.', 'Error: deadlock detected, retrying.', 'Processed batch of records.', 'Infolog: number sequence exhausted for voucher series.'])} || ' Session ' || ${r.hex(7, 12)}`,
    }, series(from, to, { h: `1 + ${r.int(21, rows.batchjobhistory)}`, started: r.timestamp(8, TS, YEAR) }))),

    tableLoad('batchconstrainthistory', (from, to) => insertSelect('batchconstrainthistory', {
      recid: recid('g'),
      batchjobid: parentRecid(r, 11, rows.batchjob, 'h'),
      batchjobhistoryid: recid('h'),
      batchid: parentRecid(r, 1, rows.batchhistory),
      dependsonbatchid: parentRecid(r, 2, rows.batchhistory),
      expectedstatus: `(ARRAY[4, 4, 3])[1 + ${r.int(3, 3)}]`,
    }, series(from, to, { h: `1 + ${r.int(21, rows.batchjobhistory)}` }))),

    // Half the addresses are e-mail (type 2), the rest phone (1), URL (3) and fax (5).
    tableLoad('logisticselectronicaddress', (from, to) => insertSelect('logisticselectronicaddress', {
      recid: recid('g'),
      type: 'type',
      locator: `CASE type
        WHEN 2 THEN lower(${r.pick(1, FIRST)} || '.' || ${r.pick(2, LAST)}) || g || '@' || ${r.pick(3, CUSTOMER_DOMAINS)}
        WHEN 3 THEN 'https://www.' || ${r.pick(3, CUSTOMER_DOMAINS)} || '/contact'
        ELSE '+1 ' || lpad(${r.int(4, 1_000)}::text, 3, '0') || '-555-' || lpad(${r.int(5, 10_000)}::text, 4, '0') END`,
      description: r.pick(6, ['Primary', 'Invoice', 'Sales', 'Support', 'Accounts payable']),
      isprimary: `CASE WHEN ${r.int(7, 3)} = 0 THEN 1 ELSE 0 END`,
      location: `${RECID_BASE} + ${r.int(8, 1_000_000)}`,
    }, series(from, to, { type: '(ARRAY[2, 1, 2, 3, 2, 1, 2, 5, 2, 1])[1 + g % 10]' }))),

    tableLoad('sysemailparameters', (from, to) => insertSelect('sysemailparameters', {
      recid: recid('g'),
      smtprelayservername: host(c, 'smtp'),
      smtpportnumber: '587',
      smtpusername: `'noreply@' || ${c.variant} || '.' || ${c.tenant}`,
      smtpusessl: '1',
      maxemailattachmentsize: `10 + ${r.int(1, 20)}`,
    }, series(from, to))),

    tableLoad('sysemailsmtppassword', (from, to) => insertSelect('sysemailsmtppassword', {
      recid: recid('g'),
      password: `encode(sha256(convert_to(${c.variant} || ':smtp:' || g, 'UTF8')), 'base64')`,
    }, series(from, to))),

    tableLoad('printmgmtdocinstance', (from, to) => insertSelect('printmgmtdocinstance', {
      recid: recid('g'),
      name: `${r.pick(1, ['Sales order confirmation', 'Customer invoice', 'Packing slip', 'Purchase order', 'Free text invoice', 'Collection letter'])} || ' (' || ${c.variant} || ')'`,
      documenttype: r.int(2, 40),
      printtype: r.int(3, 3),
      suppress: `CASE WHEN ${r.int(4, 10)} = 0 THEN 1 ELSE 0 END`,
      company: r.pick(5, ['usmf', 'usmf', 'demf']),
    }, series(from, to))),

    tableLoad('printmgmtsettings', (from, to) => insertSelect('printmgmtsettings', {
      recid: recid('g'),
      parentid: parentRecid(r, 1, rows.printmgmtdocinstance),
      description: `'Print setting ' || g`,
      printername: 'printer',
      destination: r.int(2, 4),
      numberofcopies: `1 + ${r.int(3, 3)}`,
      printjobsettings: `jsonb_build_object('printer', printer, 'duplex', ${r.int(4, 2)} = 1, 'paper', ${r.pick(5, ['Letter', 'A4', 'Legal'])}, 'tray', ${r.int(6, 4)})`,
    }, series(from, to, {
      printer: `'\\\\' || ${host(c, 'print01')} || '\\' || ${r.pick(7, ['Finance-HP', 'Warehouse-Zebra', 'Sales-Canon', 'Reception-Brother'])}`,
    }))),

    tableLoad('sysserverconfig', (from, to) => insertSelect('sysserverconfig', {
      recid: recid('g'),
      serverid: serverId(c, 'g'),
      enablebatch: `CASE WHEN g <= ${SERVERS / 2} THEN 1 ELSE 0 END`,
      maxsessions: `50 + ${r.int(1, 100)}`,
      loadbalancegroup: `'LB-' || ${c.variant}`,
    }, series(from, to))),

    tableLoad('sysserversessions', (from, to) => insertSelect('sysserversessions', {
      recid: recid('g'),
      serverid: serverId(c, `1 + (g - 1) % ${SERVERS}`),
      instancename: `upper(${c.variant}) || '-' || g`,
      status: `(ARRAY[1, 1, 0])[1 + ${r.int(1, 3)}]`,
      processid: `1000 + ${r.int(2, 60_000)}`,
      logindatetime: 'login',
      lastupdatedatetime: `login + ${r.int(3, 86_400)} * interval '1 second'`,
    }, series(from, to, { login: r.timestamp(4, TS, YEAR) }))),

    tableLoad('syscorpnetprinters', (from, to) => insertSelect('syscorpnetprinters', {
      recid: recid('g'),
      name: 'printer',
      networkpath: `'\\\\' || ${host(c, 'print')} || '\\' || printer`,
      // Same salt and list length as the brand, so each printer gets its brand's driver.
      driver: r.pick(1, ['HP Universal Printing PCL 6', 'Zebra ZDesigner', 'Canon Generic Plus', 'Brother Mono Universal']),
      location: r.pick(3, ['Floor 1', 'Floor 2', 'Warehouse', 'Reception', 'Finance']),
      active: `CASE WHEN ${r.int(4, 5)} = 0 THEN 0 ELSE 1 END`,
    }, series(from, to, { printer: `${r.pick(1, ['HP', 'Zebra', 'Canon', 'Brother'])} || '-' || g` }))),

    tableLoad('sysclientsessions', (from, to) => insertSelect('sysclientsessions', {
      recid: recid('g'),
      sessionid: 'g',
      userid: ordinaryUser(c, 1),
      serverid: serverId(c, `1 + ${r.int(2, SERVERS)}`),
      status: `(ARRAY[1, 1, 0])[1 + ${r.int(3, 3)}]`,
      clienttype: `(ARRAY[1, 2, 3])[1 + ${r.int(4, 3)}]`,
      logindatetime: r.timestamp(5, TS, YEAR),
    }, series(from, to))),

    tableLoad('batchserverconfig', (from, to) => insertSelect('batchserverconfig', {
      recid: recid('g'),
      serverid: serverId(c, 'g'),
      maxbatchsessions: `8 + ${r.int(1, 8)}`,
      starttime: '0',
      endtime: '86399',
    }, series(from, to))),

    tableLoad('batchservergroup', (from, to) => insertSelect('batchservergroup', {
      recid: recid('g'),
      groupid: `(ARRAY['', 'DIXF', 'MRP'])[1 + (g - 1) / ${SERVERS}]`,
      serverid: serverId(c, `1 + (g - 1) % ${SERVERS}`),
      description: `'Batch group on ' || ${c.variant}`,
    }, series(from, to))),

    // The file bytes make the table ~10 kB per row of TOAST, like real attachments; hence
    // chunks of 1,000 rows (10 MB) rather than 100,000.
    tableLoad('docuvalue', (from, to) => insertSelect('docuvalue', {
      recid: recid('g'),
      filename: `${r.pick(1, ['Invoice', 'Contract', 'Delivery note', 'Quotation', 'Receipt'])} || ' ' || g`,
      fileextension: 'ext',
      originalfilename: `'scan_' || ${r.hex(2, 8)} || '.' || ext`,
      storageprovider: '1',
      accessinformation: `'https://st' || replace(${c.variant}, '-', '') || '.blob.core.windows.net/documents/' || ${r.hex(3, 32)} || '.' || ext`,
      filesize: '10240',
      file: r.bytes(4, 10_240),
      createddatetime: r.timestamp(5, TS, YEAR),
    }, series(from, to, { ext: r.pick(6, ['pdf', 'pdf', 'docx', 'xlsx', 'png', 'jpg']) })), 1_000),

    tableLoad('personnellintegrationconfiguration', (from, to) => insertSelect('personnellintegrationconfiguration', {
      recid: recid('g'),
      connectionstring: `'Server=tcp:' || ${host(c, 'hr')} || ',1433;Initial Catalog=hr;User ID=hrintegration;Password='
                         || substr(md5(${c.variant} || ':hr:' || g), 1, 20) || ';Encrypt=True'`,
      integrationenabled: '1',
      lastsyncdatetime: r.timestamp(1, TS, YEAR),
    }, series(from, to))),

    // Only production-like variants have active recurring integrations (with unprocessed
    // messages), so the demo refresh prod → uat passes preflight with a warning.
    tableLoad('dmfrecurringjob', (from, to) => insertSelect('dmfrecurringjob', {
      recid: recid('g'),
      name: `(ARRAY['Customers', 'Vendors', 'Sales orders', 'Released products', 'General journal', 'Exchange rates'])[g]
             || ' ' || direction || ' (' || ${c.variant} || ')'`,
      direction: 'direction',
      enabled: c.production ? 'CASE WHEN g <= 4 THEN 1 ELSE 0 END' : '0',
      pendingmessages: c.production ? `CASE WHEN g <= 4 THEN 1 + ${r.int(1, 50)} ELSE 0 END` : '0',
      entityname: `(ARRAY['CustCustomerV3Entity', 'VendVendorV2Entity', 'SalesOrderHeaderV2Entity', 'EcoResReleasedProductV2Entity', 'LedgerJournalEntity', 'ExchangeRateEntity'])[g]`,
      applicationid: `md5(${c.variant} || ':dmf:' || g)::uuid::text`,
      lastrundatetime: r.timestamp(3, TS, YEAR),
    }, series(from, to, { direction: `CASE WHEN g % 2 = 1 THEN 'import' ELSE 'export' END` }))),

    tableLoad('retailchanneldatabase', (from, to) => insertSelect('retailchanneldatabase', {
      recid: recid('g'),
      name: `CASE WHEN g = 1 THEN 'Default' ELSE 'Store database ' || g END`,
      scaleunit: `CASE WHEN g = 1 THEN 'cloud-' ELSE 'csu-east-' END || ${c.variant}`,
      connectioninfo: `'https://' || ${c.variant} || '-csu' || g || '.commerce.dynamics.com'`,
      datagroup: `'Default'`,
    }, series(from, to))),

    tableLoad('retailchannelprofileproperty', (from, to) => insertSelect('retailchannelprofileproperty', {
      recid: recid('g'),
      channelprofile: `'Default'`,
      propertykey: `(ARRAY['RetailServerUrl', 'CloudPosUrl', 'MediaServerBaseUrl'])[g]`,
      value: `'https://' || ${c.variant} || '.retail.commerce.dynamics.com/' || (ARRAY['RetailServer', 'POS', 'MediaServer'])[g]`,
    }, series(from, to))),
  ];
}
