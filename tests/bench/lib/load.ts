/**
 * Load shapes for the benchmarks: a closed loop (a fixed number in flight: saturation) and an open
 * loop (arrivals at a fixed rate whatever the answers: latency at a given load, without the
 * coordinated omission of a closed loop), and the CPU time a process has used (Linux /proc).
 */
import { readFileSync } from 'node:fs';

/** Runs `count` tasks with `concurrency` in flight; resolves with their results in order. */
export async function closedLoop<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(count, concurrency) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/**
 * Starts task i at `i / ratePerSec` seconds after the start, whether or not earlier ones have
 * finished. `startedAt` is the scheduled start (performance.now() time base), so a late event loop
 * counts against latency rather than hiding it.
 */
export async function openLoop<T>(count: number, ratePerSec: number, task: (i: number, startedAt: number) => Promise<T>): Promise<T[]> {
  const start = performance.now();
  const intervalMs = 1000 / ratePerSec;
  const running: Promise<T>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + i * intervalMs;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    running.push(task(i, due));
  }
  return Promise.all(running);
}

/** User + system CPU milliseconds a process has used so far (0 when it is gone). */
export function cpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    // Fields after the command name: state is 0, utime is 11, stime is 12 (clock ticks).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

/** Resident set size of a process in bytes (0 when it is gone). */
export function rssBytes(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS = 100;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function sortedNumbers(xs: readonly number[]): number[] {
  return [...xs].sort((a, b) => a - b);
}
