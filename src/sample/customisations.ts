/**
 * Small customisations of the sample application, applied by an environment's
 * synchronize command (the analogue of the ERP's database synchronization). Each is
 * idempotent, since synchronization runs again after every refresh.
 */
export const CUSTOMISATIONS: Readonly<Record<string, { description: string; statements: readonly string[] }>> = {
  'uat-notes': {
    description: 'a notes column on customers, with an index, that only the sandbox has',
    statements: [
      'ALTER TABLE custtable ADD COLUMN IF NOT EXISTS uatnote text',
      'CREATE INDEX IF NOT EXISTS custtable_uatnote_idx ON custtable (uatnote)',
    ],
  },
};
