/**
 * Delivers queued envelopes to the peer gateway and records the signed receipts.
 *
 * An envelope is signed at each send attempt (so that issued-at is fresh however long the peer was
 * away); each attempt's bytes are stored before they leave, because the receipt that comes back may
 * answer an earlier attempt that reached the peer while its answer was lost. The receipt is verified
 * before it is stored. A peer that cannot be reached, or whose store is away, is retried without
 * limit (capped back-off); a peer that refuses an envelope uses up its attempts and sends it to the
 * dead-letter queue.
 */
import { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { GatewayContext } from '../context.js';
import { verifyContext } from '../context.js';
import { openReceipt, sealEnvelope, sha256Hex, type EnvelopeDraft } from '../envelope/envelope.js';
import { AppError, type ErrorCode } from '../errors.js';
import type { PeerClient } from '../peer/client.js';
import type { OutboxItem } from '../store/case-store.js';
import { backoffDelay } from '../workers/backoff.js';

/** Refusals that no retry can cure: straight to the dead-letter queue for a person to look at. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set([
  'ENVELOPE_MALFORMED',
  'ENVELOPE_NOT_CANONICAL',
  'ENVELOPE_TOO_LARGE',
  'ENVELOPE_REPLAYED',
  'ENVELOPE_OUT_OF_SEQUENCE',
  'WRONG_RECIPIENT',
  'UNKNOWN_MATTER',
  'WRONG_DISTRICT_FOR_MATTER',
  'UNSUPPORTED_SUITE',
  'INTERNAL',
]);

/**
 * The peer cannot take anything now — unreachable, or its own store is away: retried without limit
 * like an outage, never dead-lettered (nothing is wrong with the envelope).
 */
const PEER_AWAY: ReadonlySet<ErrorCode> = new Set(['PEER_UNAVAILABLE', 'STORE_UNAVAILABLE']);

/** How many attempts a refusal with `code` may use up before dead-lettering (0: without limit). */
export function attemptLimit(code: ErrorCode, configured: number): number {
  return PEER_AWAY.has(code) ? 0 : PERMANENT.has(code) ? 1 : configured;
}

const BATCH = 64;

export interface Dispatcher {
  /** One pass over every shard; true if it found work. */
  tick(): Promise<boolean>;
}

export function createDispatcher(ctx: GatewayContext, peer: PeerClient): Dispatcher {
  const cfg = ctx.config;
  const leaseMs = cfg.KC_PEER_TIMEOUT_MS * 2 + 5_000;

  const backoff = (attempts: number) => backoffDelay(attempts, cfg.KC_OUTBOX_BASE_DELAY_MS, cfg.KC_OUTBOX_MAX_DELAY_MS);

  const fail = async (item: OutboxItem, code: ErrorCode) => {
    const attempts = item.meta?.attempts ?? 0;
    const max = attemptLimit(code, cfg.KC_OUTBOX_MAX_ATTEMPTS);
    const now = ctx.clock.now();
    const r = await ctx.store.failDelivery(item, code, now + backoff(attempts), max, now);
    const log = { caseNo: item.caseNo, messageId: item.messageId, code, attempts: r.attempts };
    if (r.dead) ctx.logger.error(log, 'envelope dead-lettered; staff must resend it');
    else ctx.logger.warn(log, 'delivery failed; will retry');
  };

  const deliver = async (item: OutboxItem): Promise<ErrorCode | undefined> => {
    if (!item.meta || item.meta.delivery === 'receipted') {
      // Already receipted by another replica, or unknown: completeDelivery only clears it from the queue.
      await ctx.store.completeDelivery(item, Buffer.alloc(0), Buffer.alloc(0), '', '', ctx.clock.now());
      return undefined;
    }
    if (!item.draft) {
      ctx.logger.error({ caseNo: item.caseNo, messageId: item.messageId }, 'outbox entry has no draft');
      await fail(item, 'INTERNAL');
      return 'INTERNAL';
    }
    const draft = { ...(JSON.parse(item.draft) as EnvelopeDraft), seq: item.meta.seq };
    const signed = sealEnvelope(draft, ctx.clock.now(), ctx.signer);
    const bytes = Buffer.from(Signed.encode(signed).finish());
    const sha = sha256Hex(signed.body);
    await ctx.store.recordAttempt(item.caseNo, item.messageId, sha, bytes);
    const sentAt = performance.now();
    try {
      const receipt = await peer.deliver(signed);
      const claimed = receiptDigest(receipt);
      let envelopeBytes: Buffer = bytes;
      if (claimed && claimed !== sha) {
        envelopeBytes = (await ctx.store.getAttempt(item.caseNo, item.messageId, claimed)) ?? Buffer.alloc(0);
      }
      const digests = envelopeBytes.length > 0 ? [sha, claimed ?? sha] : [sha];
      const opened = openReceipt(receipt, verifyContext(ctx), { id: item.messageId, digests });
      ctx.metrics.envelopeSent(draft.type, (performance.now() - sentAt) / 1000);
      await ctx.store.completeDelivery(
        item,
        envelopeBytes,
        Buffer.from(Signed.encode(receipt).finish()),
        opened.parsed.id,
        opened.parsed.envelopeSha256,
        ctx.clock.now(),
      );
      ctx.logger.info({ caseNo: item.caseNo, messageId: item.messageId, seq: draft.seq, type: draft.type }, 'envelope receipted');
      void ctx.audit.record({
        kind: 'envelope.sent',
        caseNo: item.caseNo,
        messageId: item.messageId,
        type: draft.type,
        seq: draft.seq,
        envelopeSha256: opened.parsed.envelopeSha256,
        receiptId: opened.parsed.id,
        receiptSha256: sha256Hex(receipt.body),
      });
      return undefined;
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      ctx.metrics.deliveryFailed(err.code);
      await fail(item, err.code);
      return err.code;
    }
  };

  return {
    async tick() {
      const now = ctx.clock.now();
      const claimed = await Promise.all(
        ctx.store.keys.shards.map(async (shard) => ctx.store.loadOutboxItems(shard, await ctx.store.claimDue(shard.outbox, now, leaseMs, BATCH))),
      );
      const items = claimed.flat();
      if (items.length === 0) return false;
      // Envelopes of one case go in sequence order; cases go side by side.
      const byCase = new Map<string, OutboxItem[]>();
      for (const item of items) byCase.set(item.caseNo, [...(byCase.get(item.caseNo) ?? []), item]);
      let peerDown = false;
      await Promise.all(
        [...byCase.values()].map(async (caseItems) => {
          caseItems.sort((a, b) => (a.meta?.seq ?? 0) - (b.meta?.seq ?? 0));
          for (const item of caseItems) {
            // Once the peer is known to be unreachable, don't spend a connection attempt per envelope.
            if (peerDown) {
              await fail(item, 'PEER_UNAVAILABLE');
              continue;
            }
            const code = await deliver(item);
            if (code && PEER_AWAY.has(code)) peerDown = true;
          }
        }),
      );
      return !peerDown;
    },
  };
}

/** The digest a receipt claims to answer, read before verification to find the matching attempt. */
function receiptDigest(receipt: Signed): string | undefined {
  try {
    const parsed = JSON.parse(receipt.body.toString('utf8')) as { envelopeSha256?: unknown };
    return typeof parsed.envelopeSha256 === 'string' ? parsed.envelopeSha256 : undefined;
  } catch {
    return undefined;
  }
}
