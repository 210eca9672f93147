/**
 * Rate limits of citizen tracking, counted in the gateway's Redis (rate-limiter-flexible's
 * RateLimiterRedis, one atomic INCR+EXPIRE script per check) so that every replica of a gateway
 * counts against the same numbers:
 * - per client address: one client cannot walk through case numbers;
 * - per case number, whoever asks and whatever the answer: the 10 000 possible phone digits of one
 *   case cannot be tried, and a number that does not exist is limited exactly like one that does.
 *
 * Fails closed: when Redis cannot count, nothing is looked up (503), rather than unlimited lookups.
 */
import type { Cluster, Redis } from 'ioredis';
import { isIPv6 } from 'node:net';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';

export type TrackingLimitKind = 'client' | 'case';

export type LimitOutcome = { ok: true } | { ok: false; retryAfterSeconds: number };

export interface TrackingLimits {
  /** Counts one lookup against `key`; says whether it is within the limit. */
  consume(kind: TrackingLimitKind, key: string): Promise<LimitOutcome>;
}

type LimitConfig = Pick<
  Config,
  'KC_REDIS_PREFIX' | 'KC_TRACK_LIMIT_PER_CLIENT' | 'KC_TRACK_CLIENT_WINDOW_SECONDS' | 'KC_TRACK_LIMIT_PER_CASE' | 'KC_TRACK_CASE_WINDOW_SECONDS'
>;

export function createTrackingLimits(redis: Redis | Cluster, config: LimitConfig): TrackingLimits {
  // Keys live beside the store's under the gateway's prefix (one key per counter, no hash tag
  // needed: each check touches one key). The store's key builder covers case data only.
  const limiter = (name: TrackingLimitKind, points: number, duration: number) =>
    new RateLimiterRedis({ storeClient: redis, keyPrefix: `${config.KC_REDIS_PREFIX}:track:${name}`, points, duration });
  const limiters: Record<TrackingLimitKind, RateLimiterRedis> = {
    client: limiter('client', config.KC_TRACK_LIMIT_PER_CLIENT, config.KC_TRACK_CLIENT_WINDOW_SECONDS),
    case: limiter('case', config.KC_TRACK_LIMIT_PER_CASE, config.KC_TRACK_CASE_WINDOW_SECONDS),
  };
  return {
    async consume(kind, key) {
      try {
        await limiters[kind].consume(key);
        return { ok: true };
      } catch (rejection) {
        // Over the limit: the library rejects with its result object; anything else is Redis failing.
        if (rejection instanceof RateLimiterRes) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) };
        throw new AppError('STORE_UNAVAILABLE', '查询服务暂时不可用，请稍后再试');
      }
    },
  };
}

/**
 * The counter key of a client address. IPv4-mapped IPv6 is read as IPv4; an IPv6 client counts by
 * its /64, since one subscriber usually holds a whole /64 and could rotate through it.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]!.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((h) => h.toLowerCase().replace(/^0+(?=.)/, ''));
}
