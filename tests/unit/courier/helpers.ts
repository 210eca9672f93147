/** Builders and assertions shared by the courier unit tests. Each test builds its own data from these. */
import { expect } from 'vitest';
import { CourierError, type CourierErrorCode } from '../../../courier/errors.js';
import { s10CheckDigit } from '../../../courier/waybill.js';
import type { TrackingEvent, TrackingStatus } from '../../../courier/tracking-status.js';
import { rejectionBy } from '../../helpers/thrown.js';

/** A valid EMS S10 number for a serial: `E` + letter, the serial, its check digit, `CN`. */
export function emsS10(serial: number, service = 'EA', country = 'CN'): string {
  const digits = String(serial).padStart(8, '0');
  return `${service}${digits}${s10CheckDigit(digits)}${country}`;
}

/** Runs fn (sync or async) and returns the CourierError it throws; fails the test otherwise. */
export const courierError = (fn: () => unknown): Promise<CourierError> => rejectionBy(CourierError, fn);

export async function expectCourierError(fn: () => unknown, code: CourierErrorCode, retryable?: boolean): Promise<CourierError> {
  const err = await courierError(fn);
  expect(err.code).toBe(code);
  if (retryable !== undefined) expect(err.retryable).toBe(retryable);
  return err;
}

/** A tracking event at a Beijing wall-clock time (`2024-05-06 09:30` style, seconds optional). */
export function event(waybill: string, local: string, status: TrackingStatus, rawText = `${status}@${local}`, rawCode = '00'): TrackingEvent {
  const [date, time] = local.split(' ') as [string, string];
  const hms = time.length === 5 ? `${time}:00` : time;
  return { waybill, eventTime: `${date}T${hms}+08:00`, status, rawCode, rawText };
}

/** Runs fn with process.env.TZ set to zone (and proves the zone took effect), then restores it. */
export function inTimeZone<T>(zone: string, fn: () => T): T {
  const before = process.env['TZ'];
  process.env['TZ'] = zone;
  try {
    const offset = new Date('2024-05-06T00:00:00Z').getTimezoneOffset();
    expect(offset).not.toBe(0);
    expect(offset).not.toBe(-480);
    return fn();
  } finally {
    if (before === undefined) delete process.env['TZ'];
    else process.env['TZ'] = before;
  }
}


export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
