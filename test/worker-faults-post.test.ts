import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after its post step (see helpers/faults.ts).
describeFaults('post', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['post']!);
});
