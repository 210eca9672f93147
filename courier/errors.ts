/**
 * One error type for the courier side with a stable code from a closed union. Callers branch on
 * the code (and `retryable`), never on the message: messages are for logs and may change.
 * Waybill problems are not errors (they are answers to staff input): see waybill.ts.
 */
export type CourierErrorCode =
  // The tracking API as a dependency (client.ts).
  | 'COURIER_UNAVAILABLE' // network error, timeout, 5xx, 408, 429: try again later
  | 'COURIER_AUTH_FAILED' // 401/403: our partner id or API key is wrong; a configuration problem
  | 'COURIER_REJECTED_REQUEST' // other 4xx: the request itself is wrong; retrying will not help
  | 'COURIER_WAYBILL_UNKNOWN' // the carrier holds no trace for this waybill (yet)
  | 'COURIER_BAD_RESPONSE' // the carrier answered something its spec does not allow
  // Pushes from the carrier (callback.ts): the caller logs the code and refuses the push.
  | 'COURIER_CALLBACK_UNSIGNED' // timestamp or signature header missing
  | 'COURIER_CALLBACK_BAD_SIGNATURE' // signature malformed or not made with our partner secret
  | 'COURIER_CALLBACK_STALE' // signed too long ago (or too far ahead): a replay or a broken clock
  | 'COURIER_CALLBACK_TOO_LARGE'
  | 'COURIER_CALLBACK_MALFORMED' // authentic, but not JSON or not the documented shape
  // One trace the mapping cannot place on a timeline (mapping.ts); reported, never thrown for a batch.
  | 'COURIER_EVENT_BAD_TIME'
  // The timeline reducer (tracking-timeline.ts): a programming error upstream, not carrier data.
  | 'TRACKING_EVENT_INVALID'
  | 'TRACKING_WAYBILL_MISMATCH'
  | 'TRACKING_TOO_MANY_EVENTS';

export class CourierError extends Error {
  constructor(
    readonly code: CourierErrorCode,
    message: string,
    readonly retryable = code === 'COURIER_UNAVAILABLE',
  ) {
    super(message);
    this.name = 'CourierError';
  }
}

export function isCourierError(err: unknown, code?: CourierErrorCode): err is CourierError {
  return err instanceof CourierError && (code === undefined || err.code === code);
}
