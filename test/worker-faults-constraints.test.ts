import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after its constraints or sanitize step (see helpers/faults.ts).
describeFaults('constraints', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['constraints']!);
});
