/**
 * The notification port's webhook: delivers each queued card to KC_NOTIFY_URL and retries with
 * capped exponential back-off until the receiver answers 2xx. The queue is durable (a zset per shard
 * with the exact body to send beside it), claimed with a lease like the outbox, so a crash or a
 * restart loses nothing and several replicas share the work.
 *
 * Each POST carries
 *   Content-Type: application/json
 *   X-KC-Signature: sha256=<hex HMAC-SHA256 of the raw body, key KC_NOTIFY_SECRET>
 *   X-KC-Timestamp: <unix seconds of this attempt>
 *   Idempotency-Key: <notification id = card id>
 * Delivery is at least once (a receiver's answer may be lost after it acted): receivers de-duplicate
 * on Idempotency-Key, which is the same for every attempt, as is the body.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import { ConfigError } from '../config.js';
import { callScript } from '../store/scripts.js';
import { backoffDelay } from '../workers/backoff.js';
import type { QueuedNotification } from './cards.js';
import { supervisionKeys, type SupervisionShardKeys } from './keys.js';

export const SIGNATURE_HEADER = 'x-kc-signature';
export const TIMESTAMP_HEADER = 'x-kc-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** For receivers (and tests): does X-KC-Signature match the raw body? Constant-time. */
export function verifySignature(secret: string, rawBody: string | Buffer, header: string | undefined): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, rawBody));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface NotifierOptions {
  /** Notifications claimed per shard per tick (default 32). */
  batch?: number;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
}

export interface Notifier {
  /** One pass over every shard; true if it found due notifications. */
  tick(): Promise<boolean>;
}

/** Why an attempt failed, for the log and the notification's lastError (no response bodies). */
type Failure = `HTTP_${number}` | 'TIMEOUT' | 'NETWORK';

export function createNotifier(ctx: GatewayContext, opts: NotifierOptions = {}): Notifier {
  const cfg = ctx.config;
  const url = cfg.KC_NOTIFY_URL;
  const secret = cfg.KC_NOTIFY_SECRET;
  if (url !== undefined && secret === undefined) {
    throw new ConfigError('invalid configuration:\n  KC_NOTIFY_SECRET (not set): required when KC_NOTIFY_URL is set');
  }
  const doFetch = opts.fetch ?? fetch;
  const batch = opts.batch ?? 32;
  const timeoutMs = cfg.KC_NOTIFY_TIMEOUT_MS;
  // Longer than any one attempt can take, so that no other replica sends it meanwhile.
  const leaseMs = timeoutMs * 2 + 5_000;
  const sv = supervisionKeys(ctx.store.keys);
  const redis = ctx.store.redis;

  const post = async (id: string, body: string): Promise<Failure | undefined> => {
    try {
      const res = await doFetch(url!, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signBody(secret!, body),
          [TIMESTAMP_HEADER]: String(Math.floor(ctx.clock.now() / 1000)),
          [IDEMPOTENCY_HEADER]: id,
          'user-agent': `kuacheng-gateway/${ctx.district}`,
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      });
      await res.body?.cancel().catch(() => undefined);
      return res.ok ? undefined : `HTTP_${res.status}`;
    } catch (err) {
      const name = (err as Error).name;
      return name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'NETWORK';
    }
  };

  const deliver = async (shard: SupervisionShardKeys, id: string, json: string | null): Promise<void> => {
    if (json === null) {
      // Delivered by another replica after our claim: only the queue entry is left.
      await redis.zrem(shard.notify, id);
      return;
    }
    const n = JSON.parse(json) as QueuedNotification;
    const failure = await post(id, n.body);
    // `attempt`: this attempt's number (1 for the first).
    const log = { caseNo: n.caseNo, notificationId: id, card: n.card, attempt: n.attempts + 1 };
    if (!failure) {
      await redis.multi().zrem(shard.notify, id).hdel(shard.notifications, id).exec();
      ctx.logger.info(log, 'card notification delivered');
      return;
    }
    const delay = backoffDelay(n.attempts, cfg.KC_NOTIFY_BASE_DELAY_MS, cfg.KC_NOTIFY_MAX_DELAY_MS);
    const now = ctx.clock.now();
    const failed = Number(await callScript(redis, 'failNotification', [shard.notify, shard.notifications], [id, failure, now + delay, new Date(now).toISOString()]));
    if (failed === 0) return; // delivered by another replica meanwhile
    // A receiver that refuses the request (4xx) will not get better by itself: someone must look.
    const level = failure.startsWith('HTTP_4') ? 'error' : 'warn';
    ctx.logger[level]({ ...log, error: failure, retryInMs: delay }, 'card notification not delivered; will retry');
  };

  return {
    async tick() {
      if (url === undefined) return false;
      const now = ctx.clock.now();
      const claimed = await Promise.all(sv.shards.map(async (shard) => ({ shard, ids: await ctx.store.claimDue(shard.notify, now, leaseMs, batch) })));
      let found = 0;
      await Promise.all(
        claimed.map(async ({ shard, ids }) => {
          if (ids.length === 0) return;
          found += ids.length;
          const rows = await redis.hmget(shard.notifications, ...ids);
          await Promise.all(ids.map((id, n) => deliver(shard, id, rows[n] ?? null)));
        }),
      );
      return found > 0;
    },
  };
}
