import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after its validation or preparation (see helpers/faults.ts).
describeFaults('prepare', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['prepare']!);
});
