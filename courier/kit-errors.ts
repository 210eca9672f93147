/**
 * The helpers of adapters/adapter-kit.ts (callApi, httpStatusError, parseJsonBody) throw
 * AdapterErrors with approval-system codes. The courier side reuses those helpers and translates
 * their errors here, in one place, so no courier caller ever sees an APPROVAL_* code.
 * (Asked of the lead: let the kit take an error factory; this file then goes away.)
 */
import { AdapterError, type AdapterErrorCode } from '../adapters/adapter.js';
import { CourierError, type CourierErrorCode } from './errors.js';

/** The codes those helpers throw; anything else would be a kit change we have not seen. */
const CODE: Partial<Record<AdapterErrorCode, CourierErrorCode>> = {
  APPROVAL_UNAVAILABLE: 'COURIER_UNAVAILABLE',
  APPROVAL_REJECTED_REQUEST: 'COURIER_REJECTED_REQUEST',
  APPROVAL_BAD_RESPONSE: 'COURIER_BAD_RESPONSE',
  CALLBACK_MALFORMED: 'COURIER_CALLBACK_MALFORMED',
};

/** Runs fn; an AdapterError it throws comes out as the matching CourierError. */
export async function asCourierErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toCourierError(err);
  }
}

export function toCourierError(err: unknown): unknown {
  if (!(err instanceof AdapterError)) return err;
  return new CourierError(CODE[err.code] ?? 'COURIER_BAD_RESPONSE', err.message);
}
