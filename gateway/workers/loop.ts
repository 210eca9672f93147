/**
 * A background worker: runs `tick` every `intervalMs`, at once when woken, and again straight away
 * while ticks keep finding work. One tick at a time; stop() waits for the running one.
 */
import type { Logger } from '../logger.js';

export interface WorkerLoop {
  start(): void;
  wake(): void;
  stop(): Promise<void>;
}

export function createWorkerLoop(name: string, intervalMs: number, tick: () => Promise<boolean>, logger: Logger): WorkerLoop {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let wokenDuringTick = false;

  const schedule = (delay: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, delay);
  };

  const run = () => {
    if (stopped) return;
    if (running) {
      wokenDuringTick = true;
      return;
    }
    wokenDuringTick = false;
    running = Promise.resolve()
      .then(tick)
      .then(
        (busy) => schedule(busy || wokenDuringTick ? 0 : intervalMs),
        (err: unknown) => {
          logger.error({ err, worker: name }, 'worker tick failed; retrying at the next interval');
          schedule(intervalMs);
        },
      )
      .finally(() => {
        running = undefined;
      });
  };

  return {
    start() {
      stopped = false;
      schedule(0);
    },
    wake() {
      if (!stopped && !running) schedule(0);
      else wokenDuringTick = true;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
