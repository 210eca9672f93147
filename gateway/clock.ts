import { shanghaiDateOf } from './calendar/dates.js';

/** Time is injected so that tests can move it; nothing in the domain calls Date.now() directly. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock for tests: starts where you say and moves only when told to. */
export class ManualClock implements Clock {
  constructor(private t: number) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Calendar date (yyyymmdd) of an instant in Asia/Shanghai, whatever the host's zone (case numbers). */
export function shanghaiDate(ms: number): string {
  return shanghaiDateOf(ms).replaceAll('-', '');
}
