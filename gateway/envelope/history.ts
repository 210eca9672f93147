/**
 * Verifying stored envelopes and receipts as of the moment they were signed.
 *
 * Live acceptance (openEnvelope) checks a message against *now*. History cannot: certificates expire,
 * districts roll their keys, a retired key's certificate gets revoked — and every envelope that key
 * signed must stay verifiable. So the time of the check is the time in the signed body (`issuedAt`
 * of an envelope, `receivedAt` of a receipt): the chain must have been valid then, and a revoked
 * certificate counts as revoked only from its revocation date (TrustStore mode 'history').
 *
 * Trusting the body's time is sound for what the gateways stored, because the receiver compared
 * `issuedAt` with its own clock (± KC_CLOCK_SKEW_SECONDS) before storing it. It is not a way to
 * accept new messages: a stolen key could sign a back-dated body, which is why live acceptance
 * refuses every revoked certificate whatever the time.
 */
import { createHash } from 'node:crypto';
import { Signed as SignedPb } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { AppError, type ErrorCode } from '../errors.js';
import { canonicalBytes } from './canonical.js';
import { envelopeBodySchema, receiptBodySchema, verifySignature, type Signed } from './envelope.js';
import type { TrustStore } from './trust-store.js';

export type HistoryVerdict =
  | {
      valid: true;
      kind: 'envelope' | 'receipt';
      id: string;
      suite: string;
      /** The time the check was made at: issuedAt or receivedAt from the body. */
      signedAt: string;
      /** Serial of the signing certificate (normalised hex): tells the old key from the new. */
      signerSerial: string;
    }
  | { valid: false; code: ErrorCode; reason: string };

/** One stored envelope or receipt, checked at the time it was signed. Never throws for a bad message. */
export function verifyAtSigningTime(signed: Signed, trust: TrustStore): HistoryVerdict {
  try {
    let json: unknown;
    try {
      json = JSON.parse(signed.body.toString('utf8'));
    } catch {
      throw new AppError('ENVELOPE_MALFORMED', 'body is not JSON');
    }
    const kind = (json as { kind?: unknown } | null)?.kind;
    const result = kind === 'receipt' ? receiptBodySchema.safeParse(json) : envelopeBodySchema.safeParse(json);
    if (!result.success) throw new AppError('ENVELOPE_MALFORMED', `body does not match the ${String(kind)} schema`);
    if (!canonicalBytes(json).equals(signed.body)) throw new AppError('ENVELOPE_NOT_CANONICAL', 'body is not RFC 8785 canonical JSON');
    const body = result.data;
    const signedAt = 'issuedAt' in body ? body.issuedAt : body.receivedAt;
    // Every suite we know, not KC_ACCEPTED_SUITES: what was accepted once stays readable after a policy change.
    const chain = verifySignature(signed, body, { trust, atMs: Date.parse(signedAt), mode: 'history' });
    return { valid: true, kind: body.kind, id: body.id, suite: body.suite, signedAt, signerSerial: chain.serial };
  } catch (err) {
    if (err instanceof AppError) return { valid: false, code: err.code, reason: err.message };
    throw err;
  }
}

export interface ArchivedMessage {
  messageId: string;
  envelope: HistoryVerdict;
  /** Undefined when no receipt is stored for it. */
  receipt: HistoryVerdict | undefined;
  /** The receipt answers exactly these envelope bytes (envelopeId and SHA-256 of the body). */
  receiptMatches: boolean;
}

/**
 * A case's archive hash as stored (`keys.case(caseNo).archive`: `env:<id>` and `rcpt:<id>` fields,
 * each the protobuf Signed bytes), every message checked at its signing time.
 */
export function verifyArchive(fields: Record<string, Buffer>, trust: TrustStore): ArchivedMessage[] {
  const out: ArchivedMessage[] = [];
  for (const [field, value] of Object.entries(fields)) {
    if (!field.startsWith('env:')) continue;
    const messageId = field.slice(4);
    const envelope = SignedPb.decode(value);
    const receiptBytes = fields[`rcpt:${messageId}`];
    const receipt = receiptBytes ? SignedPb.decode(receiptBytes) : undefined;
    let receiptMatches = false;
    if (receipt) {
      try {
        const echoed = JSON.parse(receipt.body.toString('utf8')) as { envelopeId?: unknown; envelopeSha256?: unknown };
        receiptMatches = echoed.envelopeId === messageId && echoed.envelopeSha256 === createHash('sha256').update(envelope.body).digest('hex');
      } catch {
        receiptMatches = false;
      }
    }
    out.push({
      messageId,
      envelope: verifyAtSigningTime(envelope, trust),
      receipt: receipt ? verifyAtSigningTime(receipt, trust) : undefined,
      receiptMatches,
    });
  }
  return out.sort((a, b) => a.messageId.localeCompare(b.messageId));
}
