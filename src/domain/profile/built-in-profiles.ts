import type { ProfileInput } from './profile-schema.js';

/** Copies everything as it is. */
const plain: ProfileInput = {
  name: 'plain',
  version: 1,
  description: 'Copy every table and column as it is.',
  rules: [],
};

/** Stops the sample application's recurring import/export jobs: on a refreshed copy, and on a sandbox when asked. */
const STOP_RECURRING_JOBS = 'UPDATE dmfrecurringjob SET enabled = 0 WHERE enabled <> 0';

const keepRows = (table: string, reason: string) => ({ action: 'keep-target' as const, table, reason });

/**
 * The seed's list of data elements that a refresh does not copy, exactly; then its
 * sanitisation: users disabled, batch jobs withheld, recurring data-management jobs stopped,
 * partitions reset, Admin reset.
 */
const financeOperations: ProfileInput = {
  name: 'finance-operations',
  version: 1,
  description: 'Dynamics-style ERP: the data elements the seed lists as not copied, and its post-refresh lock-down.',
  // Its environments carry the seed's release, platform update and financial reporting version.
  environmentVersions: 'finance-operations',
  rules: [
    {
      action: 'mask',
      table: 'logisticselectronicaddress',
      reason: 'E-mail addresses in the LogisticsElectronicAddress table.',
      columns: { locator: { transformer: 'email', when: { column: 'type', equals: 2 } } },
    },
    { action: 'clear', table: 'batchjobhistory', reason: 'Batch job history in the BatchJobHistory table.' },
    { action: 'clear', table: 'batchhistory', reason: 'Batch job history in the BatchHistory table.' },
    { action: 'clear', table: 'batchconstrainthistory', reason: 'Batch job history in the BatchConstraintHistory table.' },
    keepRows('sysemailsmtppassword', 'SMTP password in the SysEmailSMTPPassword table.'),
    {
      action: 'keep-target',
      table: 'sysemailparameters',
      columns: ['smtprelayservername'],
      otherwise: { transformer: 'constant', value: '' },
      reason: 'SMTP Relay server in the SysEmailParameters table.',
    },
    keepRows('printmgmtsettings', 'Print Management settings in the PrintMgmtSettings table.'),
    keepRows('printmgmtdocinstance', 'Print Management settings in the PrintMgmtDocInstance table.'),
    keepRows('sysserverconfig', 'Environment-specific records in the SysServerConfig table.'),
    {
      action: 'clear',
      table: 'sysserversessions',
      reason: 'Environment-specific records in the SysServerSessions table (server sessions are recreated by the target).',
    },
    keepRows('syscorpnetprinters', 'Environment-specific records in the SysCorpNetPrinters table.'),
    {
      action: 'clear',
      table: 'sysclientsessions',
      reason: 'Environment-specific records in the SysClientSessions table (user sessions end with a refresh).',
    },
    keepRows('batchserverconfig', 'Environment-specific records in the BatchServerConfig table.'),
    keepRows('batchservergroup', 'Environment-specific records in the BatchServerGroup table.'),
    keepRows('retailchanneldatabase', 'Retail Cloud Scale Unit channel database configuration records in the RetailChannelDatabase table (environment-specific).'),
    keepRows('docuvalue', "Document attachments in the DocuValue table (they match the target's document storage)."),
    {
      action: 'keep-target',
      table: 'personnellintegrationconfiguration',
      columns: ['connectionstring'],
      otherwise: { transformer: 'constant', value: '' },
      reason: 'Connection string in the PersonnellIntegrationConfiguration table.',
    },
  ],
  sanitize: [
    {
      name: 'disable-users',
      description: 'All users except Admin and service accounts are disabled.',
      sql: "UPDATE userinfo SET enable = 0 WHERE id <> 'Admin' AND isserviceaccount = 0",
      verify: "SELECT count(*) FROM userinfo WHERE enable <> 0 AND id <> 'Admin' AND isserviceaccount = 0",
    },
    {
      name: 'withhold-batch-jobs',
      description: 'All batch jobs are set to Withhold.',
      sql: 'UPDATE batchjob SET status = 0',
      verify: 'SELECT count(*) FROM batchjob WHERE status <> 0',
    },
    {
      // A copy of production's enabled import/export jobs would run production's
      // integrations from the sandbox, and would refuse the sandbox's next refresh
      // (RECURRING_JOBS_ACTIVE): they arrive stopped.
      name: 'stop-recurring-jobs',
      description: 'All recurring data-management (import/export) jobs are stopped.',
      sql: STOP_RECURRING_JOBS,
      verify: 'SELECT count(*) FROM dmfrecurringjob WHERE enabled <> 0',
    },
    {
      name: 'reset-partitions',
      description: "Every user's partition is reset to the initial partition's record id.",
      sql: "UPDATE userinfo SET partition = (SELECT recid FROM partitions WHERE partitionkey = 'initial')",
      verify: "SELECT count(*) FROM userinfo WHERE partition IS DISTINCT FROM (SELECT recid FROM partitions WHERE partitionkey = 'initial')",
    },
    {
      name: 'reset-admin',
      description: "Admin is reset to the target's configured administrator.",
      sql: "UPDATE userinfo SET networkalias = $1, networkdomain = split_part($1, '@', 2), enable = 1 WHERE id = 'Admin'",
      // Exactly one Admin, enabled, with the target's administrator as its identity.
      verify: "SELECT CASE WHEN count(*) = 1 AND bool_and(networkalias = $1 AND enable = 1) THEN 0 ELSE 1 END FROM userinfo WHERE id = 'Admin'",
    },
  ],
  previewWarnings: [
    'All users of {target} except Admin and service accounts are disabled, and every batch job is set to Withhold: the Admin must finish the post-refresh clean-up and re-enable them.',
  ],
  // The sample application has no user groups (no UserGroupList), so a policy names users.
  access: {
    enable: {
      description: 'The named users are enabled in UserInfo (Admin and service accounts already are).',
      sql: "UPDATE userinfo SET enable = 1 WHERE id = ANY($1::text[]) RETURNING id",
    },
  },
  recurringJobs: {
    active: 'SELECT name, pendingmessages AS pending FROM dmfrecurringjob WHERE enabled = 1 ORDER BY name',
    unprocessed: 'SELECT name, pendingmessages AS pending FROM dmfrecurringjob WHERE pendingmessages > 0 ORDER BY name',
    stop: STOP_RECURRING_JOBS,
  },
};

export const BUILT_IN_PROFILE_INPUTS: Readonly<Record<string, ProfileInput>> = {
  plain,
  'finance-operations': financeOperations,
};
