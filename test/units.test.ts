import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESTIMATE_AFTER, estimateSecondsLeft, formatBytes, formatDuration, parseByteSize } from '../src/domain/units.ts';

// One set of rules for sizes, durations and the time-left estimate, used by the CLI, the logs
// and the web UI (web/src/format.ts re-exports these).

test('sizes are written in binary units, and read back', () => {
  assert.deepEqual([0, 800, 1024, 12.5 * 1024 ** 2, 1.5 * 1024 ** 3].map(formatBytes), ['0 B', '800 B', '1.0 KiB', '12.5 MiB', '1.5 GiB']);
  assert.deepEqual(['512MiB', '2 GiB', '1.5g', '64kB', '128MB', '1073741824'].map(parseByteSize), [512 * 1024 ** 2, 2 * 1024 ** 3, 1.5 * 1024 ** 3, 64 * 1024, 128 * 1024 ** 2, 1024 ** 3]);
  for (const wrong of ['', 'lots', '-1MiB', '0', '12 parsecs']) assert.equal(parseByteSize(wrong), undefined, wrong);
});

test('durations read as people say them', () => {
  assert.deepEqual([20, 999, 12_000, 185_000, 3_720_000].map(formatDuration), ['20 ms', '999 ms', '12 s', '3 min 5 s', '1 h 2 min']);
});

test('the time left is not guessed before enough of the work has run', () => {
  // The first quarter second of a small copy: a slow start says nothing of the pace.
  assert.equal(estimateSecondsLeft({ elapsedSeconds: 0.25, done: 1024, total: 200 * 1024 ** 2 }), null);
  // A 1 s copy is over before an estimate would be made.
  assert.equal(estimateSecondsLeft({ elapsedSeconds: 1, done: 150 * 1024 ** 2, total: 200 * 1024 ** 2 }), null);
  // Long enough, but too little of it done.
  assert.equal(estimateSecondsLeft({ elapsedSeconds: 10, done: 1, total: 100 }), null);
  assert.equal(estimateSecondsLeft({ elapsedSeconds: ESTIMATE_AFTER.seconds, done: 0, total: 100 }), null);
  // Enough: the rate so far, 10 units a second, for the 50 left.
  assert.equal(estimateSecondsLeft({ elapsedSeconds: 5, done: 50, total: 100 }), 5);
  // Done, or more than the estimate of the total: nothing left.
  assert.equal(estimateSecondsLeft({ elapsedSeconds: 5, done: 120, total: 100 }), 0);
});
