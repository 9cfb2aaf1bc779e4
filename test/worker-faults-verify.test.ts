import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after its synchronize command or its verification
// (see helpers/faults.ts).
describeFaults('verify', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['verify']!);
});
