// Loaded (--import) by scripts/run-tests.mjs into node's test runner, which passes it on to
// each test file's process: that process appends its file and how long it ran, start to
// exit, to the run's file-times.jsonl. Only in a test file's process (NODE_TEST_CONTEXT),
// not in the runner itself, and nothing without a run folder.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

const runDir = process.env.DATAALM_TEST_TMP;
const file = process.argv[1];
if (runDir && file && process.env.NODE_TEST_CONTEXT) {
  process.once('exit', (code) => {
    const ms = Math.round(performance.now());
    const entry = { file: path.relative(process.cwd(), file), ms, code };
    fs.appendFileSync(path.join(runDir, 'file-times.jsonl'), `${JSON.stringify(entry)}\n`);
  });
}
