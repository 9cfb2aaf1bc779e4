import { FAULT_GROUPS, applyCrashTests, countedPackage, describeFaults } from './helpers/faults.ts';

// An apply whose worker dies before or after its files or versions step: another worker
// finishes it, each step once (see helpers/faults.ts).
describeFaults('apply-files', (suite) => {
  applyCrashTests(suite, countedPackage(suite), FAULT_GROUPS['apply-files']!);
});
