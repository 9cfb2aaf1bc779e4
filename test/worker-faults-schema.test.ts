import { FAULT_GROUPS, describeFaults, refreshCrashTests } from './helpers/faults.ts';

// A refresh whose worker dies before or after its schema step, before its data copy, or in
// the middle of a table's copy (see helpers/faults.ts).
describeFaults('schema', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['schema']!);
});
