/** What every service of a gateway is given. Built once in createGateway; nothing is a module singleton. */
import { randomBytes } from 'node:crypto';
import { monotonicFactory } from 'ulid';
import type { ApprovalAdapter } from '../adapters/adapter.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { District } from './domain/district.js';
import type { MatterCatalog } from './catalog/catalog.js';
import type { Calendar } from './calendar/calendar.js';
import type { Signer } from './envelope/signer.js';
import type { TrustStore } from './envelope/trust-store.js';
import type { VerifyContext } from './envelope/envelope.js';
import type { Logger } from './logger.js';
import type { CaseStore } from './store/case-store.js';
import type { GatewayMetrics } from './metrics/metrics.js';
import type { AuditLog } from './audit/audit-log.js';

export interface GatewayContext {
  district: District;
  peer: District;
  config: Config;
  store: CaseStore;
  signer: Signer;
  trust: TrustStore;
  clock: Clock;
  logger: Logger;
  catalog: MatterCatalog;
  /** The official working-day calendar (plus the operator's file); deadlines are counted on it. */
  calendar: Calendar;
  adapter: ApprovalAdapter;
  newId(): string;
  /** Kicks a background worker so fresh work starts now instead of at its next poll. */
  wake: { dispatcher(): void; submitter(): void; parcelFollower(): void };
  /** Prometheus metrics on this gateway's own registry, and the peer link as this process sees it. */
  metrics: GatewayMetrics;
  /** This gateway's append-only, hash-chained audit log (envelopes, receipts, staff actions, partner calls). */
  audit: AuditLog;
}

export function idFactory(clock: Clock): () => string {
  const next = monotonicFactory(pooledRandom());
  return () => next(clock.now());
}

/**
 * ulid's default source asks the OS for one random byte per character, 16 calls for each new
 * millisecond's id (2.5 % of a busy gateway's CPU in a profile); this draws the same kind of bytes
 * from a pool refilled 4 KB at a time.
 */
function pooledRandom(): () => number {
  let pool = randomBytes(4096);
  let at = 0;
  return () => {
    if (at === pool.length) {
      pool = randomBytes(4096);
      at = 0;
    }
    return pool[at++]! / 256;
  };
}

export function verifyContext(ctx: GatewayContext): VerifyContext {
  return {
    trust: ctx.trust,
    nowMs: ctx.clock.now(),
    self: ctx.district,
    skewMs: ctx.config.KC_CLOCK_SKEW_SECONDS * 1000,
    maxBytes: ctx.config.KC_MAX_ENVELOPE_BYTES,
    acceptedSuites: ctx.config.KC_ACCEPTED_SUITES,
  };
}
