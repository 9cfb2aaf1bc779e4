import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after constraints and sanitising (see helpers/faults.ts).
describeFaults('after-copy', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['after-copy']!);
});
