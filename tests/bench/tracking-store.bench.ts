/**
 * Tracking-event ingestion through the real Redis store (not part of npm test):
 *
 *   node --import tsx tests/bench/tracking-store.bench.ts
 *   BENCH_PARCELS=1000 BENCH_RUNS=3 BENCH_CONCURRENCY=8 node --import tsx tests/bench/tracking-store.bench.ts
 *
 * (those are the defaults: about 40 s on a shared 2-core box).
 *
 * tests/bench/tracking.bench.ts measures the pure merge in memory; this one measures the path a
 * carrier push takes in the gateway: mapEmsTraces, then ingestCarrierEvents (gateway/tracking/
 * ingest.ts) on a liwan GatewayContext built like tests/integration/supervision/harness.ts — the real
 * case store and its Lua scripts on a private redis-server of its own (tests/helpers/redis.ts: AOF,
 * appendfsync everysec; never the shared Redis on 6379), KC_COURIER_* unset, logs at the production
 * level (info) into a sink that drops them.
 *
 * The load: BENCH_PARCELS cases taken in at liwan (handled by nanhai), each with one dispatched
 * materials hand-off (dispatchHandoff, an EMS S10 waybill), made before any clock starts. Each parcel
 * has 10 scans; about 20 % of them are uploaded late (after a later scan of the same parcel). EMS
 * pushes the full history, newest first, once per new scan, and about 20 % of the pushes are resends
 * of an earlier push (nothing new in them). The pushes are interleaved across parcels (round r takes
 * the r-th push of every parcel, in a shuffled order). The outbox is never drained (no peer), so
 * every recorded event's envelope draft stays in the case record: the store path reads the worst
 * case of a peer that is down.
 *
 * Figures, each run BENCH_RUNS times (min and median reported):
 * - traces/s: EMS traces handed in (every trace of every push, duplicates included);
 * - new events/s: distinct events recorded (PARCELS × 10 per run, whatever the duplicates);
 * - pushes/s: pushes handled;
 * - sequential: one push at a time (the latency of one push handler);
 * - concurrent: BENCH_CONCURRENCY pushes in flight, as an HTTP server takes them (each parcel's
 *   pushes stay in order: a parcel belongs to one of the in-flight lanes).
 *
 * Baseline, same Redis, same pushes, same mapping, same concurrency, measured in the same run: the
 * least a Redis-backed store with de-duplication would do — per push, one pipeline of SADD per trace
 * on the parcel's de-duplication set, then, when some were new, one RPUSH of their JSON on the
 * parcel's list (no ordering, no status, no shared event, no envelope). The store path is reported
 * as a ratio to it (these machines are shared and noisy: ratios, never absolute assertions). Both
 * paths handle the same items, so one ratio holds for traces, events and pushes alike.
 *
 * After every store run each parcel's timeline is read back from the case view (caseView, as
 * GET /api/v1/cases/:caseNo answers) and must hold exactly the parcel's 10 distinct events in time
 * order, status delivered; the baseline's lists must hold 10 events each. A broken replay throws.
 *
 * Writes var/bench/tracking-store.json and var/bench/tracking-store.md; prints the Markdown table.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { formatBeijingLocal } from '../../adapters/beijing-time.js';
import { mapEmsTraces } from '../../courier/ems/mapping.js';
import { EMS_OP_CODES, type EmsOpCode } from '../../courier/ems/op-codes.js';
import type { EmsTraceWire } from '../../courier/ems/wire.js';
import { s10CheckDigit } from '../../courier/waybill.js';
import { dispatchHandoff } from '../../gateway/cases/handoffs.js';
import type { GatewayContext } from '../../gateway/context.js';
import { formatCaseNo } from '../../gateway/domain/case.js';
import { createLogger } from '../../gateway/logger.js';
import { ingestCarrierEvents } from '../../gateway/tracking/ingest.js';
import { createParcelStore, type ParcelRef } from '../../gateway/tracking/parcel-store.js';
import { caseView } from '../../gateway/views/case-view.js';
import { application, at, createTestContext, dropPrefix } from '../integration/supervision/harness.js';
import { prng } from '../helpers/prng.js';
import { startRedis, uniquePrefix } from '../helpers/redis.js';
import { materialsDispatch } from '../helpers/handoffs.js';
import { selfTimed, writeReport } from './lib/report.js';

const PARCELS = Number(process.env['BENCH_PARCELS'] ?? 1_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 8);
const WARMUP_PARCELS = Math.min(PARCELS, 50);
const TARGET_PER_SEC = 5_000;
const DUPLICATE_SHARE = 0.2;
const LATE_SHARE = 0.2;
const JOURNEY: readonly EmsOpCode[] = ['10', '20', '30', '31', '30', '31', '40', '41', '40', '50'];

const random = prng(20260302);

function waybill(i: number): string {
  const digits = String(30_000_000 + i);
  return `EA${digits}${s10CheckDigit(digits)}CN`;
}

// ---- the load, built before any clock starts ----------------------------------------------------

interface Push {
  parcel: number;
  traces: EmsTraceWire[];
}

const START_MS = at('2026-03-02T10:00');
/** Each parcel's scans in time order. */
const scans: EmsTraceWire[][] = [];
for (let p = 0; p < PARCELS; p++) {
  scans.push(
    JOURNEY.map((code, i) => ({
      opCode: code,
      opName: EMS_OP_CODES[code].name,
      opDesc: `${EMS_OP_CODES[code].name}：第 ${i + 1} 站【处理中心 ${p % 97}】`,
      opTime: formatBeijingLocal(START_MS + p * 1_000 + i * 3 * 3_600_000),
      opOrgCity: i < 4 ? '佛山市' : '广州市',
    })),
  );
}

/** Upload order of one parcel's scans (indices): LATE_SHARE of them (never the last) after one to three later ones. */
function uploadOrder(count: number): number[] {
  const lateCount = Math.round(LATE_SHARE * count);
  const late = new Set<number>();
  while (late.size < lateCount) late.add(Math.floor(random() * (count - 1)));
  const order = Array.from({ length: count }, (_, i) => i).filter((i) => !late.has(i));
  for (const i of [...late].sort((a, b) => b - a)) {
    const after = order.filter((j) => j > i);
    const anchor = after[Math.min(after.length - 1, Math.floor(random() * 3))]!;
    order.splice(order.indexOf(anchor) + 1, 0, i);
  }
  return order;
}

/** One parcel's pushes: the full history so far, newest first, per upload; resends of earlier pushes sprinkled in. */
function pushesOf(p: number): { pushes: Push[]; late: number } {
  const order = uploadOrder(JOURNEY.length);
  const known: number[] = [];
  const pushes: Push[] = [];
  let late = 0;
  const resendsPerPush = DUPLICATE_SHARE / (1 - DUPLICATE_SHARE);
  for (const i of order) {
    if (known.some((j) => j > i)) late += 1;
    known.push(i);
    pushes.push({ parcel: p, traces: [...known].sort((a, b) => b - a).map((j) => scans[p]![j]!) });
    if (random() < resendsPerPush) pushes.push({ ...pushes[Math.floor(random() * pushes.length)]! });
  }
  return { pushes, late };
}

const perParcel = Array.from({ length: PARCELS }, (_, p) => pushesOf(p));
const stream: Push[] = [];
const total = perParcel.reduce((n, q) => n + q.pushes.length, 0);
for (let round = 0; stream.length < total; round++) {
  const order = perParcel.map((_, i) => i).sort(() => random() - 0.5);
  for (const p of order) {
    const push = perParcel[p]!.pushes[round];
    if (push) stream.push(push);
  }
}
const uniqueEvents = PARCELS * JOURNEY.length;
const lateEvents = perParcel.reduce((n, q) => n + q.late, 0);
const duplicatePushes = stream.length - uniqueEvents;

/** The pushes of parcels [0, parcels), split into `lanes` lanes by parcel, each lane in stream order. */
function lanesOf(parcels: number, lanes: number): Push[][] {
  const out: Push[][] = Array.from({ length: lanes }, () => []);
  for (const push of stream) if (push.parcel < parcels) out[push.parcel % lanes]!.push(push);
  return out;
}

// ---- the two paths --------------------------------------------------------------------------------

interface Timed {
  ms: number;
  traces: number;
  pushes: number;
  added: number;
}

async function replay(lanes: Push[][], handle: (push: Push) => Promise<number>): Promise<Timed> {
  let added = 0;
  const traces = lanes.reduce((n, l) => n + l.reduce((m, p) => m + p.traces.length, 0), 0);
  const pushes = lanes.reduce((n, l) => n + l.length, 0);
  const t = performance.now();
  await Promise.all(
    lanes.map(async (lane) => {
      for (const push of lane) {
        const fresh = await handle(push); // not `added += await …`: that reads `added` before the await
        added += fresh;
      }
    }),
  );
  return { ms: performance.now() - t, traces, pushes, added };
}

const dropLogs = { write: (_line: string) => undefined };

/** The gateway's path on fresh cases under a key prefix of its own; checks the case views after. */
async function storeRun(url: string, parcels: number, lanes: number): Promise<Timed> {
  const t = await createTestContext({ url, name: 'bench-tracking-store', district: 'liwan' });
  const ctx: GatewayContext = { ...t.ctx, logger: createLogger({ level: 'info', district: 'liwan', destination: dropLogs }) };
  const parcelStore = createParcelStore(ctx.store);
  try {
    const refs: ParcelRef[] = new Array(parcels);
    await Promise.all(
      Array.from({ length: Math.min(8, parcels) }, async (_, lane) => {
        for (let p = lane; p < parcels; p += 8) refs[p] = await newCaseWithParcel(ctx, p);
      }),
    );
    const timed = await replay(lanesOf(parcels, lanes), async (push) => {
      const { events } = mapEmsTraces(waybill(push.parcel), push.traces);
      return (await ingestCarrierEvents(ctx, parcelStore, refs[push.parcel]!, events, 'push')).added;
    });
    if (timed.added !== parcels * JOURNEY.length) throw new Error(`store path recorded ${timed.added} new events, expected ${parcels * JOURNEY.length}`);
    for (let p = 0; p < parcels; p++) await checkTimeline(ctx, p, refs[p]!);
    return timed;
  } finally {
    await dropPrefix(t.redis, t.prefix);
    await t.close();
  }
}

/** A case taken in here (origin liwan, handled by nanhai) with its materials dispatched by EMS. */
async function newCaseWithParcel(ctx: GatewayContext, p: number): Promise<ParcelRef> {
  const caseNo = formatCaseNo('liwan', '20260302', p + 1);
  const messageId = ctx.newId();
  const createdAt = new Date(ctx.clock.now()).toISOString();
  const created = await ctx.store.createCase({
    caseNo,
    messageId,
    createdAtMs: ctx.clock.now(),
    matterId: 'KC-M-0001',
    origin: 'liwan',
    handling: 'nanhai',
    application: application(),
    draft: JSON.stringify({ id: messageId, type: 'application', from: 'liwan', to: 'nanhai', caseNo, seq: 1, content: {} }),
    meta: { id: messageId, type: 'application', direction: 'out', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'queued', attempts: 0, createdAt },
  });
  if (!created.created) throw new Error(`case ${caseNo} exists already`);
  const handoff = await dispatchHandoff(ctx, caseNo, materialsDispatch({ waybill: waybill(p) }));
  return { caseNo, handoffId: handoff.handoffId };
}

/** The parcel's timeline in the case view: exactly its distinct events, in time order, delivered. */
async function checkTimeline(ctx: GatewayContext, p: number, ref: ParcelRef): Promise<void> {
  const record = await ctx.store.getCase(ref.caseNo);
  const tracking = record && caseView(record, ctx, { includeApplication: false }).handoffs.find((h) => h.handoffId === ref.handoffId)?.tracking;
  const expected = mapEmsTraces(waybill(p), scans[p]!).events.map((e) => `${Date.parse(e.eventTime)}|${e.rawCode}|${e.rawText}`);
  const got = tracking?.events.map((e) => `${Date.parse(e.eventTime)}|${e.rawCode}|${e.rawText}`) ?? [];
  if (JSON.stringify(got) !== JSON.stringify(expected) || tracking?.status !== 'delivered') {
    throw new Error(`parcel ${p} (${ref.caseNo}): timeline ${JSON.stringify(got)}, status ${tracking?.status}; expected ${JSON.stringify(expected)}, delivered`);
  }
}

/** The least a Redis-backed store with de-duplication does: SADD per trace (pipelined), RPUSH the new ones. */
async function baselineRun(url: string, parcels: number, lanes: number): Promise<Timed> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  const prefix = uniquePrefix('bench-tracking-baseline');
  const seenKey = (p: number) => `${prefix}:p${p}:seen`;
  const listKey = (p: number) => `${prefix}:p${p}:events`;
  try {
    const timed = await replay(lanesOf(parcels, lanes), async (push) => {
      const { events } = mapEmsTraces(waybill(push.parcel), push.traces);
      const pipeline = redis.pipeline();
      for (const e of events) pipeline.sadd(seenKey(push.parcel), `${e.eventTime}|${e.rawCode}|${e.rawText}`);
      const replies = (await pipeline.exec()) ?? [];
      const fresh = events.filter((_, i) => replies[i]?.[1] === 1);
      if (fresh.length > 0) await redis.rpush(listKey(push.parcel), ...fresh.map((e) => JSON.stringify(e)));
      return fresh.length;
    });
    if (timed.added !== parcels * JOURNEY.length) throw new Error(`baseline recorded ${timed.added} new events, expected ${parcels * JOURNEY.length}`);
    for (let p = 0; p < parcels; p++) {
      const n = await redis.llen(listKey(p));
      if (n !== JOURNEY.length) throw new Error(`baseline: parcel ${p} has ${n} events`);
    }
    return timed;
  } finally {
    await dropPrefix(redis, prefix);
    await redis.quit().catch(() => redis.disconnect());
  }
}

// ---- the measurements -----------------------------------------------------------------------------

interface Rates {
  traces: number;
  events: number;
  pushes: number;
}
const ratesOf = (t: Timed): Rates => ({ traces: t.traces / (t.ms / 1000), events: t.added / (t.ms / 1000), pushes: t.pushes / (t.ms / 1000) });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
const minMedian = (values: number[]) => ({ min: Math.min(...values), median: median(values) });

const MODES = [
  { name: 'sequential', lanes: 1 },
  { name: 'concurrent', lanes: CONCURRENCY },
] as const;
type ModeName = (typeof MODES)[number]['name'];

const server = await startRedis();
const samples: Record<ModeName, { baseline: Rates[]; store: Rates[]; ratio: number[] }> = {
  sequential: { baseline: [], store: [], ratio: [] },
  concurrent: { baseline: [], store: [], ratio: [] },
};
let redisVersion = '';
const wallStart = performance.now();
try {
  const probe = new Redis(server.url);
  redisVersion = /redis_version:(\S+)/.exec(await probe.info('server'))?.[1] ?? '';
  await probe.quit();

  // Warm-up (JIT, connections, Lua script cache), not counted.
  for (const mode of MODES) {
    await baselineRun(server.url, WARMUP_PARCELS, mode.lanes);
    await storeRun(server.url, WARMUP_PARCELS, mode.lanes);
  }
  for (let run = 1; run <= RUNS; run++) {
    for (const mode of MODES) {
      const baseline = await baselineRun(server.url, PARCELS, mode.lanes);
      const store = await storeRun(server.url, PARCELS, mode.lanes);
      samples[mode.name].baseline.push(ratesOf(baseline));
      samples[mode.name].store.push(ratesOf(store));
      samples[mode.name].ratio.push(baseline.ms / store.ms);
      console.error(`run ${run} ${mode.name}: baseline ${baseline.ms.toFixed(0)} ms, store ${store.ms.toFixed(0)} ms`);
    }
  }
} finally {
  await server.stop();
}

// ---- report ---------------------------------------------------------------------------------------

const summary = (rates: Rates[]) => ({
  traces: minMedian(rates.map((r) => r.traces)),
  events: minMedian(rates.map((r) => r.events)),
  pushes: minMedian(rates.map((r) => r.pushes)),
});
const round = (mm: { min: number; median: number }) => ({ min: Math.round(mm.min), median: Math.round(mm.median) });
const figures = Object.fromEntries(
  MODES.map((mode) => {
    const s = samples[mode.name];
    const b = summary(s.baseline);
    const st = summary(s.store);
    return [
      mode.name,
      {
        inFlight: mode.lanes,
        baseline: { traces: round(b.traces), events: round(b.events), pushes: round(b.pushes) },
        store: { traces: round(st.traces), events: round(st.events), pushes: round(st.pushes) },
        ratioToBaseline: { min: Number(Math.min(...s.ratio).toFixed(3)), median: Number(median(s.ratio).toFixed(3)) },
      },
    ];
  }),
) as Record<ModeName, { inFlight: number; baseline: Record<keyof Rates, { min: number; median: number }>; store: Record<keyof Rates, { min: number; median: number }>; ratioToBaseline: { min: number; median: number } }>;

const bestStoreEvents = Math.max(figures.sequential.store.events.median, figures.concurrent.store.events.median);
const result = {
  machine: `${process.platform} ${process.arch}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'cpu'}, node ${process.version}, redis ${redisVersion} (AOF everysec)`,
  parcels: PARCELS,
  eventsPerParcel: JOURNEY.length,
  pushes: stream.length,
  traces: stream.reduce((n, p) => n + p.traces.length, 0),
  uniqueEvents,
  duplicatePushShare: Number((duplicatePushes / stream.length).toFixed(3)),
  lateEventShare: Number((lateEvents / uniqueEvents).toFixed(3)),
  runs: RUNS,
  wallSeconds: Math.round((performance.now() - wallStart) / 1000),
  perSec: figures,
  target: { eventsPerSec: TARGET_PER_SEC, storeNewEventsPerSecMedian: bestStoreEvents, met: bestStoreEvents >= TARGET_PER_SEC },
};

const mm = (x: { min: number; median: number }) => `${x.min} / ${x.median}`;
const rows: string[] = [];
for (const mode of MODES) {
  const f = figures[mode.name];
  const label = mode.lanes === 1 ? 'one push at a time' : `${mode.lanes} pushes in flight`;
  rows.push(`| baseline: SADD per trace + RPUSH new, ${label} | ${mm(f.baseline.traces)} | ${mm(f.baseline.events)} | ${mm(f.baseline.pushes)} | 1 |`);
  rows.push(`| ingestCarrierEvents (case store), ${label} | ${mm(f.store.traces)} | ${mm(f.store.events)} | ${mm(f.store.pushes)} | ${f.ratioToBaseline.min} / ${f.ratioToBaseline.median} |`);
}
const table = [
  `| figure (${PARCELS} parcels × ${JOURNEY.length} events, ${stream.length} EMS full-history pushes: ${Math.round(result.duplicatePushShare * 100)} % resends, ${Math.round(result.lateEventShare * 100)} % of events late; min / median of ${RUNS}) | traces/s | new events/s | pushes/s | ratio to baseline (same run) |`,
  '|---|---|---|---|---|',
  ...rows,
].join('\n');
const verdict = `target ≥ ${TARGET_PER_SEC} new events/s through the store: ${result.target.met ? 'met' : 'NOT met'} (best median ${bestStoreEvents})`;

writeReport({
  bench: 'tracking-store',
  title: `Tracking events through the case store on Redis (AOF everysec; ${PARCELS} parcels × ${JOURNEY.length} events, ${Math.round(result.duplicatePushShare * 100)} % resent pushes, ${Math.round(result.lateEventShare * 100)} % late; median of ${RUNS})`,
  ...selfTimed(),
  figures: MODES.map((mode) => {
    const f = figures[mode.name];
    return {
      id: `store-${mode.name}`,
      label: `new events recorded, ${mode.lanes === 1 ? 'one push at a time' : `${mode.lanes} pushes in flight`}`,
      value: f.store.events.median,
      unit: 'events/s',
      baseline: `SADD per trace + RPUSH the new ones, ${f.baseline.events.median}/s`,
      ratio: f.ratioToBaseline.median,
      target: { text: `≥ ${TARGET_PER_SEC} events/s`, met: f.store.events.median >= TARGET_PER_SEC },
      note: `${f.store.traces.median} traces/s, ${f.store.pushes.median} pushes/s`,
    };
  }),
  details: result,
});
console.log(`\n${verdict} (${result.machine}; ${result.wallSeconds} s)`);
