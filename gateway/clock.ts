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

/** Calendar date (yyyymmdd) of an instant in Asia/Shanghai, whatever the host's zone. */
export function shanghaiDate(ms: number): string {
  // UTC+8 all year (no daylight saving since 1991), so a fixed offset is exact.
  const d = new Date(ms + 8 * 3600_000);
  const y = d.getUTCFullYear();
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  const day = String(d.getUTCDate()).padStart(2, '0');
  return `${y}${m}${day}`;
}

/** Calendar date YYYY-MM-DD of an instant in Asia/Shanghai (the catalog's and the calendar's form). */
export function beijingDate(ms: number): string {
  const d = shanghaiDate(ms);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
}
