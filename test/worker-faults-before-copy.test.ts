import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after validation, preparation and the schema (see helpers/faults.ts).
describeFaults('before-copy', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['before-copy']!);
});
