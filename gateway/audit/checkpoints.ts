/**
 * Signed checkpoints of the audit chain: "this gateway's log held `count` entries ending in
 * `headHash` at `at`", signed with the district's envelope key. A checkpoint held by the peer (they
 * are exchanged over the peer link) commits this gateway to its history: rewriting the log and
 * re-hashing it would no longer match what the other district holds.
 */
import { X509Certificate } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import { SIGNATURE_SUITES, isSuiteName } from '../../certs/suites.js';
import { DISTRICTS, type District } from '../domain/district.js';
import { canonicalBytes, isCanonical } from '../envelope/canonical.js';
import { verifySignature } from '../envelope/envelope.js';
import type { Signer } from '../envelope/signer.js';
import type { TrustStore, VerifyMode } from '../envelope/trust-store.js';
import { AppError } from '../errors.js';
import { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { Keys } from '../store/keys.js';

const checkpointSchema = z
  .object({
    v: z.literal(1),
    kind: z.literal('checkpoint'),
    suite: z.string(),
    district: z.enum(DISTRICTS),
    count: z.number().int().nonnegative(),
    headHash: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.string().datetime({ offset: true }),
  })
  .strict();

export type CheckpointBody = z.infer<typeof checkpointSchema>;

export function sealCheckpoint(head: { count: number; hash: string }, signer: Signer, nowMs: number): Signed {
  const body: CheckpointBody = {
    v: 1,
    kind: 'checkpoint',
    suite: signer.suite,
    district: signer.district,
    count: head.count,
    headHash: head.hash,
    at: new Date(nowMs).toISOString(),
  };
  const bytes = canonicalBytes(body);
  return { body: bytes, signature: signer.sign(bytes), certChain: signer.chain };
}

/**
 * Checks a checkpoint: shape, canonical bytes, signature, and that it was signed by `district`'s
 * gateway. With a trust store the chain is checked as it stood when the checkpoint was signed, so
 * old checkpoints stay checkable after a key rotation; without one only the signature is checked.
 */
export function openCheckpoint(signed: Signed, opts: { district: District; trust?: TrustStore; mode?: VerifyMode }): CheckpointBody {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(signed.body).toString('utf8'));
  } catch {
    throw new AppError('ENVELOPE_MALFORMED', 'checkpoint body is not JSON');
  }
  const parsed = checkpointSchema.safeParse(json);
  if (!parsed.success) throw new AppError('ENVELOPE_MALFORMED', 'checkpoint body does not match the schema');
  const body = parsed.data;
  if (!isCanonical(json, signed.body)) throw new AppError('ENVELOPE_NOT_CANONICAL', 'checkpoint body is not canonical JSON');
  if (opts.trust) {
    // The envelopes' own check: suite known, chain trusted, signature, signed by that district's
    // gateway. By default as it stood when signed: a key rotated or revoked since leaves its earlier
    // checkpoints valid. One arriving from the peer now is checked live: a revoked key is refused.
    verifySignature(signed, { suite: body.suite, from: opts.district }, { trust: opts.trust, atMs: Date.parse(body.at), mode: opts.mode ?? 'history' });
  } else {
    // No trust store (an offline check): the signature against the certificate it carries.
    if (!isSuiteName(body.suite)) throw new AppError('UNSUPPORTED_SUITE', `checkpoint suite ${body.suite} is not known`);
    const leafDer = signed.certChain[0];
    if (!leafDer) throw new AppError('CERT_CHAIN_MISSING', 'checkpoint carries no certificate');
    let ok = false;
    try {
      ok = SIGNATURE_SUITES[body.suite].verify(Buffer.from(signed.body), new X509Certificate(Buffer.from(leafDer)).publicKey, Buffer.from(signed.signature));
    } catch {
      // Not even a well-formed signature or certificate.
    }
    if (!ok) throw new AppError('BAD_SIGNATURE', 'checkpoint signature does not match');
  }
  if (body.district !== opts.district) throw new AppError('WRONG_DISTRICT_SIGNER', `checkpoint names ${body.district}, expected ${opts.district}`);
  return body;
}

/** The checkpoint lists in Redis: this gateway's own and the ones the peer sent. */
export function checkpointStore(redis: Redis | Cluster, keys: Keys['audit']) {
  const latest = async (key: string): Promise<Signed | undefined> => {
    const raw = await redis.lindexBuffer(key, -1);
    return raw ? Signed.decode(raw) : undefined;
  };
  const all = async (key: string): Promise<Signed[]> => (await redis.lrangeBuffer(key, 0, -1)).map((b) => Signed.decode(b));
  const encode = (s: Signed) => Buffer.from(Signed.encode(s).finish());
  return {
    latestOwn: () => latest(keys.checkpoints),
    latestPeer: () => latest(keys.peerCheckpoints),
    allOwn: () => all(keys.checkpoints),
    allPeer: () => all(keys.peerCheckpoints),
    addOwn: (s: Signed) => redis.rpush(keys.checkpoints, encode(s)),
    /** Keeps a peer checkpoint unless it is the one already held last. */
    async addPeer(s: Signed): Promise<boolean> {
      const last = await latest(keys.peerCheckpoints);
      if (last && Buffer.from(last.body).equals(Buffer.from(s.body))) return false;
      await redis.rpush(keys.peerCheckpoints, encode(s));
      return true;
    },
  };
}

export type CheckpointStore = ReturnType<typeof checkpointStore>;
