import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies around its cutover (also between its two renames and between its
// two databases) and its post step (see helpers/faults.ts).
describeFaults('cutover', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['cutover']!);
});
