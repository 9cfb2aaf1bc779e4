// A tiny work queue: the sample loader keeps at most a fixed number of heavy statements in
// flight (one per core on the 2-core machines it is benchmarked on).

/**
 * Runs `tasks` in order with at most `concurrency` running at once. After the first failure
 * no new task starts; the failure is rethrown once the running ones have settled.
 */
export async function runParallel(tasks: ReadonlyArray<() => Promise<unknown>>, concurrency: number): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < tasks.length) {
      const task = tasks[next++]!;
      try {
        await task();
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
