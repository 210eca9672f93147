/**
 * Receiving an EMS push: authenticate it over the raw body bytes, then parse it. Every refusal is
 * a CourierError with a stable code; the caller logs the code (never the body: traces can name
 * people) and answers 413 (too large), 401 (unsigned, bad signature, stale) or 400 (malformed);
 * EMS retries anything but a 2xx, so an authentic push refused by a bug here is not lost.
 *
 * Order of checks: size, presence of the headers, signature, freshness, then JSON and shape. The
 * signature is checked before the timestamp's age so that nothing about our clock leaks to an
 * unauthenticated caller, and before any parsing so that a stranger's body is never parsed.
 * A replay inside the freshness window is harmless: the timeline de-duplicates.
 */
import { headerValue, parseJsonBody, zodIssues } from '../../adapters/adapter-kit.js';
import { CourierError } from '../errors.js';
import { toCourierError } from '../kit-errors.js';
import { EMS_SIGNATURE_HEADER, EMS_TIMESTAMP_HEADER, emsSignatureMatches } from './signature.js';
import { emsPushSchema, type EmsPushWire } from './wire.js';

/** A push more than this far from our clock is refused (either way: EMS's clock may run ahead). */
export const EMS_MAX_SKEW_MS = 300_000;
/** A full history of a few hundred traces is well under this; the route's body limit should match. */
export const EMS_MAX_PUSH_BYTES = 512 * 1024;

export interface EmsCallbackOptions {
  /** The partner secret EMS signs pushes with. */
  secret: string;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
  maxSkewMs?: number;
  maxBodyBytes?: number;
}

export type PushHeaders = Record<string, string | string[] | undefined>;

const TIMESTAMP_RE = /^\d{13}$/;

/** Authenticates and parses one push; throws CourierError (COURIER_CALLBACK_*). */
export function verifyEmsPush(rawBody: Buffer, headers: PushHeaders, opts: EmsCallbackOptions): EmsPushWire {
  if (!Buffer.isBuffer(rawBody)) {
    // The route parsed the body before us: the bytes EMS signed are gone. A wiring mistake.
    throw new CourierError('COURIER_CALLBACK_MALFORMED', 'EMS push: the raw body bytes are needed (mount express.raw on this route)');
  }
  const maxBytes = opts.maxBodyBytes ?? EMS_MAX_PUSH_BYTES;
  if (rawBody.length > maxBytes) {
    throw new CourierError('COURIER_CALLBACK_TOO_LARGE', `EMS push: body of ${rawBody.length} bytes exceeds ${maxBytes}`);
  }
  const timestamp = headerValue(headers, EMS_TIMESTAMP_HEADER)?.trim();
  const signature = headerValue(headers, EMS_SIGNATURE_HEADER)?.trim();
  if (!timestamp || !signature) {
    throw new CourierError('COURIER_CALLBACK_UNSIGNED', `EMS push: ${EMS_TIMESTAMP_HEADER} and ${EMS_SIGNATURE_HEADER} are required (one of each)`);
  }
  if (!TIMESTAMP_RE.test(timestamp)) {
    throw new CourierError('COURIER_CALLBACK_BAD_SIGNATURE', `EMS push: ${EMS_TIMESTAMP_HEADER} is not epoch milliseconds`);
  }
  if (!emsSignatureMatches(opts.secret, timestamp, rawBody, signature)) {
    throw new CourierError('COURIER_CALLBACK_BAD_SIGNATURE', `EMS push: ${EMS_SIGNATURE_HEADER} does not match the body`);
  }
  const skewMs = Math.abs((opts.now ?? Date.now)() - Number(timestamp));
  const maxSkewMs = opts.maxSkewMs ?? EMS_MAX_SKEW_MS;
  if (skewMs > maxSkewMs) {
    throw new CourierError('COURIER_CALLBACK_STALE', `EMS push: signed ${Math.round(skewMs / 1000)} s away from our clock (max ${maxSkewMs / 1000})`);
  }
  let json: unknown;
  try {
    json = parseJsonBody('EMS push', rawBody);
  } catch (err) {
    throw toCourierError(err);
  }
  const parsed = emsPushSchema.safeParse(json);
  if (!parsed.success) {
    throw new CourierError('COURIER_CALLBACK_MALFORMED', `EMS push: body does not match the spec (${zodIssues(parsed.error)})`);
  }
  return parsed.data;
}
