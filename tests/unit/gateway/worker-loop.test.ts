/**
 * The background worker loop (gateway/workers/loop.ts). Time is vitest's fake timers, so nothing
 * here waits on the wall clock: "promptly" means "before the interval has passed".
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../gateway/logger.js';
import { createWorkerLoop, type WorkerLoop } from '../../../gateway/workers/loop.js';

const INTERVAL_MS = 60_000;

/** A promise you resolve or reject from outside. */
function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function fakeLogger() {
  const error = vi.fn();
  return { logger: { error, warn: vi.fn(), info: vi.fn(), debug: vi.fn() } as unknown as Logger, error };
}

/** A tick whose every run waits for the test to finish it; counts runs and overlaps. */
function controlledTick() {
  const runs: ReturnType<typeof deferred<boolean>>[] = [];
  let active = 0;
  let maxActive = 0;
  const tick = async (): Promise<boolean> => {
    active++;
    maxActive = Math.max(maxActive, active);
    const d = deferred<boolean>();
    runs.push(d);
    try {
      return await d.promise;
    } finally {
      active--;
    }
  };
  return {
    tick,
    runs,
    get count() {
      return runs.length;
    },
    get maxActive() {
      return maxActive;
    },
    /** Finish the latest run. */
    finish(busy = false) {
      runs[runs.length - 1]!.resolve(busy);
    },
  };
}

/**
 * Lets due timers and the promise callbacks they start run. Node (and the fake clock) runs a
 * setTimeout(…, 0) after 1 ms, and a timer set by a callback of one that just fired waits for the
 * next round, so go a few 1 ms rounds: a few ms of fake time, far below the 60 s interval, so
 * whatever runs here ran "at once" and not because an interval passed.
 */
async function settle(rounds = 10): Promise<void> {
  for (let n = 0; n < rounds; n++) await vi.advanceTimersByTimeAsync(1);
}

let loops: WorkerLoop[] = [];

function loop(tick: () => Promise<boolean>, logger = fakeLogger().logger): WorkerLoop {
  const l = createWorkerLoop('test-worker', INTERVAL_MS, tick, logger);
  loops.push(l);
  return l;
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(async () => {
  const stopping = loops.splice(0).map((l) => l.stop());
  await vi.runOnlyPendingTimersAsync();
  await Promise.all(stopping);
  vi.useRealTimers();
});

describe('createWorkerLoop', () => {
  it('when started, then it ticks at once and then once per interval while idle', async () => {
    const tick = vi.fn(async () => false);
    loop(tick).start();
    await settle();
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(tick).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(tick).toHaveBeenCalledTimes(2);
  });

  it('when not started, then neither time nor wake() runs a tick', async () => {
    const tick = vi.fn(async () => false);
    const l = loop(tick);
    l.wake();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(tick).not.toHaveBeenCalled();
  });

  it('when woken while idle, then it ticks at once instead of waiting for the interval', async () => {
    const tick = vi.fn(async () => false);
    const l = loop(tick);
    l.start();
    await settle();
    expect(tick).toHaveBeenCalledTimes(1);
    l.wake();
    await settle();
    expect(tick).toHaveBeenCalledTimes(2);
    // The woken tick restarts the interval rather than adding a second timer.
    await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(tick).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(tick).toHaveBeenCalledTimes(3);
  });

  it('when woken repeatedly during a tick, then ticks never overlap and exactly one follow-up tick runs at once', async () => {
    const t = controlledTick();
    const l = loop(t.tick);
    l.start();
    await settle();
    expect(t.count).toBe(1);
    for (let n = 0; n < 5; n++) {
      l.wake();
      await settle();
    }
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 2);
    expect(t.count).toBe(1);
    expect(t.maxActive).toBe(1);
    t.finish(false);
    await settle();
    expect(t.count).toBe(2);
    t.finish(false);
    await settle();
    expect(t.count).toBe(2);
    expect(t.maxActive).toBe(1);
  });

  it('when a tick reports it was busy, then the next one runs at once, until a tick finds nothing', async () => {
    let remaining = 3;
    const tick = vi.fn(async () => remaining-- > 0);
    loop(tick).start();
    await settle();
    // Three busy ticks, then the one that found nothing: all before any interval has passed.
    expect(tick).toHaveBeenCalledTimes(4);
    await vi.advanceTimersByTimeAsync(INTERVAL_MS / 2);
    expect(tick).toHaveBeenCalledTimes(4);
  });

  it('when a tick fails, then the error is logged with the worker name and the loop ticks again at the next interval', async () => {
    const { logger, error } = fakeLogger();
    const failure = new Error('redis is down');
    let calls = 0;
    const tick = vi.fn(async () => {
      calls++;
      if (calls === 1) throw failure;
      return false;
    });
    loop(tick, logger).start();
    await settle();
    expect(tick).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]![0]).toEqual({ err: failure, worker: 'test-worker' });
    await vi.advanceTimersByTimeAsync(INTERVAL_MS);
    expect(tick).toHaveBeenCalledTimes(2);
    expect(error).toHaveBeenCalledTimes(1);
  });

  it('when stop() is called during a tick, then it resolves only after that tick finished, and nothing runs afterwards', async () => {
    const t = controlledTick();
    const l = loop(t.tick);
    l.start();
    await settle();
    expect(t.count).toBe(1);
    let stopped = false;
    const stopping = l.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    t.finish(true); // even a busy tick does not schedule another once stopped
    await stopping;
    expect(stopped).toBe(true);
    l.wake();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(t.count).toBe(1);
  });

  it('when stop() is called while idle, then it resolves and the pending interval tick never runs', async () => {
    const tick = vi.fn(async () => false);
    const l = loop(tick);
    l.start();
    await settle();
    await l.stop();
    await vi.advanceTimersByTimeAsync(INTERVAL_MS * 3);
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it('when stop() is called while a failing tick runs, then stop() still resolves and the error is logged', async () => {
    const { logger, error } = fakeLogger();
    const t = controlledTick();
    const l = loop(t.tick, logger);
    l.start();
    await settle();
    const stopping = l.stop();
    t.runs[0]!.reject(new Error('peer unavailable'));
    await expect(stopping).resolves.toBeUndefined();
    expect(error).toHaveBeenCalledTimes(1);
  });
});
