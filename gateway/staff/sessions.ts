/**
 * Console sessions in the gateway's Redis, so every replica knows them and a restart signs nobody
 * out. The cookie holds a random token; Redis holds only its SHA-256, so a copy of the store hands
 * out no live session. A session ends after KC_STAFF_IDLE_MINUTES without a request, after
 * KC_STAFF_SESSION_HOURS in all, or at sign-out.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../store/keys.js';

export interface StaffSessionRecord {
  username: string;
  /** Sent back in X-CSRF-Token on every state-changing request (synchroniser token). */
  csrfToken: string;
  createdAt: number;
  /** The last request; idle time counts from here (by the gateway's clock, so tests can move it). */
  lastSeenAt: number;
}

export interface SessionStore {
  create(username: string, nowMs: number): Promise<{ token: string; session: StaffSessionRecord }>;
  /** The live session of a token, its idle time restarted (written back at most every TOUCH_EVERY_MS); undefined when unknown or expired. */
  touch(token: string, nowMs: number): Promise<StaffSessionRecord | undefined>;
  destroy(token: string): Promise<void>;
  expiresAt(session: StaffSessionRecord, nowMs: number): number;
}

const recordSchema = z.object({ username: z.string(), csrfToken: z.string(), createdAt: z.number(), lastSeenAt: z.number() });
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** A session seen again within this long is not written back (its idle expiry moves at most this late). */
const TOUCH_EVERY_MS = 15_000;

export function createSessionStore(redis: Redis | Cluster, keys: Keys, limits: { idleMs: number; maxMs: number }): SessionStore {
  const keyOf = (token: string) => keys.staffSession(createHash('sha256').update(token).digest('hex'));
  const expiresAt = (s: StaffSessionRecord, nowMs: number) => Math.min(s.createdAt + limits.maxMs, nowMs + limits.idleMs);

  return {
    expiresAt,
    async create(username, nowMs) {
      const token = randomBytes(32).toString('base64url');
      const session = { username, csrfToken: randomBytes(32).toString('base64url'), createdAt: nowMs, lastSeenAt: nowMs };
      await redis.set(keyOf(token), JSON.stringify(session), 'PX', limits.idleMs);
      return { token, session };
    },
    async touch(token, nowMs) {
      if (!TOKEN.test(token)) return undefined;
      const key = keyOf(token);
      const raw = await redis.get(key);
      if (raw === null) return undefined;
      const parsed = recordSchema.safeParse(JSON.parse(raw));
      if (!parsed.success) return undefined;
      const session = parsed.data;
      // At the very end of its lifetime a session is over: writing it back would ask Redis for PX 0.
      if (nowMs - session.lastSeenAt > limits.idleMs || nowMs - session.createdAt >= limits.maxMs) {
        await redis.del(key);
        return undefined;
      }
      // Idle time is kept to within TOUCH_EVERY_MS: a busy console does not pay a write per request.
      if (nowMs - session.lastSeenAt < TOUCH_EVERY_MS) return session;
      const touched = { ...session, lastSeenAt: nowMs };
      // XX: a sign-out racing this request stays a sign-out.
      await redis.set(key, JSON.stringify(touched), 'PX', expiresAt(touched, nowMs) - nowMs, 'XX');
      return touched;
    },
    async destroy(token) {
      if (TOKEN.test(token)) await redis.del(keyOf(token));
    },
  };
}
