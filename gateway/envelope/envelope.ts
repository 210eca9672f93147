/**
 * Envelopes and receipts: building, signing and verifying the exact bytes that cross the boundary.
 *
 * `body` is RFC 8785 canonical JSON; the signature covers those bytes and nothing else. A receiver
 * never re-serialises before verifying, and refuses a body that is not already canonical, so every
 * stored copy can be checked by a third party with openssl and the sender's certificate.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DISTRICTS, type District } from '../domain/district.js';
import { AppError } from '../errors.js';
import { canonicalBytes, isCanonical } from './canonical.js';
import type { Signer } from './signer.js';
import { isSuiteName, SIGNATURE_SUITES, type SignatureSuiteName as SuiteName } from '../../certs/suites.js';
import type { TrustStore, VerifiedChain } from './trust-store.js';

/** application opens a case; status carries an approval-system status; event carries a shared event. */
export const ENVELOPE_TYPES = ['application', 'status', 'event'] as const;
export type EnvelopeType = (typeof ENVELOPE_TYPES)[number];

/** The protobuf `Signed` message, as plain bytes. */
export interface Signed {
  body: Buffer;
  signature: Buffer;
  certChain: Buffer[];
}

/** What the sender decides before signing; issuedAt is added when it is signed. */
export interface EnvelopeDraft {
  id: string;
  type: EnvelopeType;
  from: District;
  to: District;
  caseNo: string;
  seq: number;
  content: Record<string, unknown>;
}

const ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID');
const instant = z.string().datetime({ offset: true });
const district = z.enum(DISTRICTS);
const caseNo = z.string().regex(/^KC-(LW|NH)-\d{8}-\d{6,}$/);

export const envelopeBodySchema = z
  .object({
    v: z.literal(1),
    kind: z.literal('envelope'),
    suite: z.string(),
    id: ulid,
    type: z.enum(ENVELOPE_TYPES),
    from: district,
    to: district,
    caseNo,
    seq: z.number().int().positive(),
    issuedAt: instant,
    content: z.record(z.string(), z.unknown()),
  })
  .strict();

export const receiptBodySchema = z
  .object({
    v: z.literal(1),
    kind: z.literal('receipt'),
    suite: z.string(),
    id: ulid,
    envelopeId: ulid,
    envelopeSha256: z.string().regex(/^[0-9a-f]{64}$/),
    caseNo,
    seq: z.number().int().positive(),
    from: district,
    to: district,
    receivedAt: instant,
  })
  .strict();

export type EnvelopeBody = z.infer<typeof envelopeBodySchema> & { suite: SuiteName };
export type ReceiptBody = z.infer<typeof receiptBodySchema> & { suite: SuiteName };

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function seal(body: object, signer: Signer): Signed {
  const bytes = canonicalBytes(body);
  return { body: bytes, signature: signer.sign(bytes), certChain: signer.chain };
}

export function sealEnvelope(draft: EnvelopeDraft, issuedAtMs: number, signer: Signer): Signed {
  const body: EnvelopeBody = {
    v: 1,
    kind: 'envelope',
    suite: signer.suite,
    id: draft.id,
    type: draft.type,
    from: draft.from,
    to: draft.to,
    caseNo: draft.caseNo,
    seq: draft.seq,
    issuedAt: new Date(issuedAtMs).toISOString(),
    content: draft.content,
  };
  return seal(body, signer);
}

export function sealReceipt(
  envelope: { body: Buffer; parsed: EnvelopeBody },
  receiptId: string,
  receivedAtMs: number,
  signer: Signer,
): Signed {
  const body: ReceiptBody = {
    v: 1,
    kind: 'receipt',
    suite: signer.suite,
    id: receiptId,
    envelopeId: envelope.parsed.id,
    envelopeSha256: sha256Hex(envelope.body),
    caseNo: envelope.parsed.caseNo,
    seq: envelope.parsed.seq,
    from: signer.district,
    to: envelope.parsed.from,
    receivedAt: new Date(receivedAtMs).toISOString(),
  };
  return seal(body, signer);
}

export interface VerifyContext {
  trust: TrustStore;
  nowMs: number;
  /** This gateway's district: envelopes must be addressed to it, receipts must come back to it. */
  self: District;
  skewMs: number;
  maxBytes: number;
  /** Suites this gateway accepts (KC_ACCEPTED_SUITES); unset: every known suite. */
  acceptedSuites?: readonly SuiteName[];
}

export interface Opened<T> {
  parsed: T;
  body: Buffer;
  chain: VerifiedChain;
}

/**
 * Verifies an incoming envelope: size, shape, canonical form, suite, certificate chain, signature,
 * that the signer is the district named as sender, that we are the recipient, and issued-at skew.
 * Throws AppError with a distinct code for each failure; nothing is applied before this returns.
 */
export function openEnvelope(signed: Signed, ctx: VerifyContext): Opened<EnvelopeBody> {
  const { parsed, chain } = openSigned(signed, ctx, envelopeBodySchema);
  if (parsed.to !== ctx.self) throw new AppError('WRONG_RECIPIENT', `envelope is addressed to ${parsed.to}, not ${ctx.self}`);
  const issued = Date.parse(parsed.issuedAt);
  if (issued < ctx.nowMs - ctx.skewMs) throw new AppError('ISSUED_AT_STALE', 'envelope issued-at is older than the allowed skew');
  if (issued > ctx.nowMs + ctx.skewMs) throw new AppError('ISSUED_AT_FUTURE', 'envelope issued-at is in the future beyond the allowed skew');
  return { parsed: parsed as EnvelopeBody, body: signed.body, chain };
}

/** Verifies a receipt that answers one of our envelopes. */
export function openReceipt(signed: Signed, ctx: VerifyContext, forEnvelope: { id: string; digests: string[] }): Opened<ReceiptBody> {
  let opened: { parsed: z.infer<typeof receiptBodySchema>; chain: VerifiedChain };
  try {
    opened = openSigned(signed, ctx, receiptBodySchema);
  } catch (err) {
    // A suite we do not accept is a configuration mismatch between the districts, not a bad receipt:
    // it keeps its own code so that operators see which it is.
    if (err instanceof AppError && err.code !== 'UNSUPPORTED_SUITE') throw new AppError('RECEIPT_INVALID', `receipt rejected: ${err.code}: ${err.message}`);
    throw err;
  }
  const { parsed } = opened;
  if (parsed.to !== ctx.self) throw new AppError('RECEIPT_INVALID', 'receipt is not addressed to us');
  if (parsed.envelopeId !== forEnvelope.id) throw new AppError('RECEIPT_INVALID', 'receipt answers another envelope');
  if (!forEnvelope.digests.includes(parsed.envelopeSha256)) {
    throw new AppError('RECEIPT_INVALID', 'receipt echoes a digest of bytes we never sent');
  }
  return { parsed: parsed as ReceiptBody, body: signed.body, chain: opened.chain };
}

function openSigned<S extends z.ZodType<{ suite: string; from: District }>>(
  signed: Signed,
  ctx: VerifyContext,
  schema: S,
): { parsed: z.infer<S>; chain: VerifiedChain } {
  if (signed.body.length > ctx.maxBytes) throw new AppError('ENVELOPE_TOO_LARGE', `body is ${signed.body.length} bytes, limit ${ctx.maxBytes}`);
  let json: unknown;
  try {
    json = JSON.parse(signed.body.toString('utf8'));
  } catch {
    throw new AppError('ENVELOPE_MALFORMED', 'body is not JSON');
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const first = result.error.issues[0];
    throw new AppError('ENVELOPE_MALFORMED', `body does not match the schema at ${first?.path.join('.') || '(root)'}: ${first?.message}`);
  }
  if (!isCanonical(json, signed.body)) throw new AppError('ENVELOPE_NOT_CANONICAL', 'body is not RFC 8785 canonical JSON');
  const parsed = result.data;
  const chain = verifySignature(signed, parsed, { trust: ctx.trust, atMs: ctx.nowMs, mode: 'live', acceptedSuites: ctx.acceptedSuites });
  return { parsed, chain };
}

/**
 * The checks shared by live acceptance and the history verifier (./history.ts): the named suite is
 * known and accepted, the chain is trusted at `atMs`, the signature (by that suite) covers the body,
 * and the signer is the gateway of the district named as sender.
 */
export function verifySignature(
  signed: Signed,
  parsed: { suite: string; from: District },
  opts: { trust: TrustStore; atMs: number; mode: 'live' | 'history'; acceptedSuites?: readonly SuiteName[] },
): VerifiedChain {
  if (!isSuiteName(parsed.suite) || (opts.acceptedSuites && !opts.acceptedSuites.includes(parsed.suite))) {
    throw new AppError('UNSUPPORTED_SUITE', `signature suite ${parsed.suite} is not accepted`);
  }
  const chain = opts.trust.verify(signed.certChain, opts.atMs, opts.mode);
  let ok = false;
  try {
    ok = SIGNATURE_SUITES[parsed.suite].verify(signed.body, chain.leaf.publicKey, signed.signature);
  } catch {
    // A signature that is not even well-formed DER, or a key of another kind: not a valid signature.
  }
  if (!ok) throw new AppError('BAD_SIGNATURE', 'signature does not match the body and certificate');
  if (chain.identity?.kind !== 'gateway' || chain.identity.district !== parsed.from) {
    throw new AppError('WRONG_DISTRICT_SIGNER', `signed by a certificate that does not belong to the ${parsed.from} gateway`);
  }
  return chain;
}
