/**
 * A minimal GatewayContext for supervision tests: the real case store on a real, private Redis
 * (tests/helpers/redis.ts) under a key prefix of the test's own, a ManualClock, the real catalog and
 * calendar. Signing, trust and the approval adapter are not used by gateway/supervision and are left
 * out. Cases are made with store methods, as the handling gateway makes them: the application
 * envelope applied (forwarded), then approval-system status events.
 */
import { createAuditLog } from '../../../gateway/audit/audit-log.js';
import { STORE_CLIENT_OPTIONS } from '../../../gateway/store/client-options.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { monotonicFactory } from 'ulid';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { ManualClock } from '../../../gateway/clock.js';
import { parseConfig, type Config } from '../../../gateway/config.js';
import { idFactory, type GatewayContext } from '../../../gateway/context.js';
import { createGatewayMetrics } from '../../../gateway/metrics/metrics.js';
import type { Application } from '../../../gateway/domain/application.js';
import { formatCaseNo, type CaseState } from '../../../gateway/domain/case.js';
import type { District } from '../../../gateway/domain/district.js';
import { createLogger } from '../../../gateway/logger.js';
import { createCaseStore } from '../../../gateway/store/case-store.js';
import { uniquePrefix } from '../../helpers/redis.js';

export const calendar = loadCalendar();
export const catalog = loadMatterCatalog();
const newUlid = monotonicFactory();

/** A Beijing wall-clock time, e.g. at('2026-03-02T10:00') */
export const at = (beijing: string): number => Date.parse(`${beijing}+08:00`);
export const iso = (ms: number): string => new Date(ms).toISOString();

export function testConfig(overrides: Record<string, string> = {}, district: District = 'nanhai'): Config {
  return parseConfig({
    KC_DISTRICT: district,
    KC_REDIS_URL: 'redis://127.0.0.1:1',
    KC_PEER_URL: '127.0.0.1:1',
    KC_TLS_CERT: '/nonexistent/cert.pem',
    KC_TLS_KEY: '/nonexistent/key.pem',
    KC_TRUST_DIR: '/nonexistent/trust',
    KC_APPROVAL_URL: 'http://127.0.0.1:1',
    KC_APPROVAL_CALLBACK_SECRET: 'test-callback-secret-0123456789',
    ...overrides,
  });
}

export interface TestContext {
  ctx: GatewayContext;
  clock: ManualClock;
  redis: Redis;
  prefix: string;
  /** Every log line written so far (parsed pino JSON). */
  logs: Record<string, unknown>[];
  /** How often the dispatcher was woken. */
  wakes: { dispatcher: number };
  close(): Promise<void>;
}

export interface ContextOptions {
  url: string;
  /** Share a prefix (and so the data) with another context: a second replica of one gateway. */
  prefix?: string;
  name?: string;
  clock?: ManualClock;
  district?: District;
  env?: Record<string, string>;
}

export async function createTestContext(opts: ContextOptions): Promise<TestContext> {
  const redis = new Redis(opts.url, { ...STORE_CLIENT_OPTIONS, maxRetriesPerRequest: 1 });
  const prefix = opts.prefix ?? uniquePrefix(opts.name ?? 'supervision');
  const district = opts.district ?? 'nanhai';
  const clock = opts.clock ?? new ManualClock(at('2026-03-02T09:00'));
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const wakes = { dispatcher: 0 };
  const ctx = {
    district,
    peer: district === 'nanhai' ? 'liwan' : 'nanhai',
    config: testConfig(opts.env, district),
    store: createCaseStore(redis, prefix),
    clock,
    logger: createLogger({ level: 'debug', district, destination }),
    catalog,
    calendar,
    newId: idFactory(clock),
    wake: { dispatcher: () => void wakes.dispatcher++, submitter: () => undefined, parcelFollower: () => undefined },
    metrics: createGatewayMetrics({ district, clock, processMetrics: false }),
  } as unknown as GatewayContext;
  ctx.audit = createAuditLog({ redis, keys: ctx.store.keys.audit, clock, logger: ctx.logger, warnEntries: 1_000_000 });
  return {
    ctx,
    clock,
    redis,
    prefix,
    logs,
    wakes,
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** Deletes every key under a prefix. */
export async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}

let caseCounter = 0;

export function application(matterId = 'KC-M-0001'): Application {
  return {
    matterId,
    applicant: { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: '91440101MA59ABCD1D', phone: '13912345678' },
    form: { companyName: '佛山南海示例有限公司', registeredCapital: '100', businessScope: '贸易', legalRepresentative: '张三丰' },
    materials: [{ name: '公司章程', form: 'original', copies: 1 }],
  } as Application;
}

/**
 * The handling side (nanhai) receives a liwan window's application for KC-M-0001 (promised
 * 3 working days, the clock starts on acceptance): the case appears here, forwarded.
 */
export async function receiveCase(ctx: GatewayContext, opts: { matterId?: string; atMs?: number; caseNo?: string } = {}): Promise<string> {
  const caseNo = opts.caseNo ?? formatCaseNo('liwan', '20260302', ++caseCounter);
  const atMs = opts.atMs ?? ctx.clock.now();
  const messageId = newUlid();
  const app = application(opts.matterId);
  const r = await ctx.store.applyIncoming({
    caseNo,
    messageId,
    seq: 1,
    envelope: Buffer.from(`application envelope ${messageId}`),
    receipt: Buffer.from(`receipt ${messageId}`),
    effect: { type: 'application', matterId: app.matterId, origin: 'liwan', handling: 'nanhai', app: JSON.stringify(app), createdAt: iso(atMs), createdAtMs: atMs },
    meta: { id: messageId, type: 'application', direction: 'in', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'received', attempts: 1, createdAt: iso(atMs) },
    nowMs: atMs,
  });
  if (r.outcome !== 'APPLIED') throw new Error(`could not receive ${caseNo}: ${r.outcome}`);
  return caseNo;
}

/** The handling approval system reports a status (accepted, approved…) that happened at `atMs`. */
export async function reportStatus(ctx: GatewayContext, caseNo: string, state: CaseState, atMs: number): Promise<void> {
  const messageId = newUlid();
  const r = await ctx.store.applyApprovalEvent({
    caseNo,
    eventId: `evt-${messageId}`,
    state,
    localNo: 'NH-2026-000042',
    at: iso(atMs),
    note: '',
    messageId,
    draft: JSON.stringify({ id: messageId, type: 'status', from: 'nanhai', to: 'liwan', caseNo, content: { state } }),
    from: 'nanhai',
    to: 'liwan',
    nowMs: atMs,
    followUpJob: '',
    watchKey: supervisionKeys(ctx.store.keys).shardFor(caseNo).watch,
  });
  if (r.outcome !== 'OK') throw new Error(`status ${state} on ${caseNo}: ${r.outcome}`);
}
