/**
 * A closed loop bounded by time instead of by count: the baselines run "as many as fit in a few
 * seconds", so that a slow machine still finishes on time and a fast one still gets a steady sample.
 */

export interface TimedLoopResult {
  /** Tasks finished inside the window. */
  count: number;
  /** The window actually measured (the last task may end a little after the deadline). */
  seconds: number;
  /** Per-task latency in ms, unsorted; empty unless asked for. */
  latenciesMs: number[];
}

/**
 * Keeps `concurrency` tasks in flight for `seconds`; each lane starts its next task as soon as its
 * previous one ends, and stops starting once the deadline has passed.
 */
export async function timedLoop(
  seconds: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
  opts: { latencies?: boolean } = {},
): Promise<TimedLoopResult> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await task(next++);
        if (opts.latencies) latenciesMs.push(performance.now() - t);
      }
    }),
  );
  return { count: next, seconds: (performance.now() - start) / 1000, latenciesMs };
}

/** The same, for synchronous work (a signature): checks the clock every `batch` calls, not every call. */
export function timedSyncLoop(seconds: number, task: (i: number) => void, batch = 64): { count: number; seconds: number } {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  while (performance.now() < deadline) {
    for (let n = 0; n < batch; n++) task(count++);
  }
  return { count, seconds: (performance.now() - start) / 1000 };
}
