/**
 * The EMS push signature, in one place for the receiver (./callback.ts) and the simulator:
 * `X-EMS-Signature` = base64(HMAC-SHA256(partner secret, "<X-EMS-Timestamp>\n" + raw body)).
 * The timestamp is inside the signed bytes, so it cannot be moved to replay an old push as new.
 */
import { hexMacMatches, hmacSha256Hex } from '../../adapters/adapter-kit.js';

export const EMS_PARTNER_HEADER = 'X-EMS-Partner-Id';
export const EMS_API_KEY_HEADER = 'X-EMS-Api-Key';
export const EMS_TIMESTAMP_HEADER = 'X-EMS-Timestamp';
export const EMS_SIGNATURE_HEADER = 'X-EMS-Signature';

/** base64 of 32 bytes, as EMS writes it (standard alphabet, padded). */
const SIGNATURE_RE = /^[A-Za-z0-9+/]{43}=$/;

export function emsSignedBytes(timestamp: string, rawBody: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n`, 'utf8'), typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody]);
}

export function signEmsPush(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return Buffer.from(hmacSha256Hex(secret, emsSignedBytes(timestamp, rawBody)), 'hex').toString('base64');
}

/** Is `presented` the signature of these bytes? The MACs are compared in constant time. */
export function emsSignatureMatches(secret: string, timestamp: string, rawBody: Buffer, presented: string): boolean {
  if (!SIGNATURE_RE.test(presented)) return false;
  const presentedHex = Buffer.from(presented, 'base64').toString('hex');
  return hexMacMatches(presentedHex, hmacSha256Hex(secret, emsSignedBytes(timestamp, rawBody)));
}
