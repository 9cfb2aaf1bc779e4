import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies around its cutover: before it, between its two renames, between
// its two databases, and after it (see helpers/faults.ts).
describeFaults('cutover', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['cutover']!);
});
