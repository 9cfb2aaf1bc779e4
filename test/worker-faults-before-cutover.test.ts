import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after the synchronize command and verification (see helpers/faults.ts).
describeFaults('before-cutover', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['before-cutover']!);
});
