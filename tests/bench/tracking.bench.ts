/**
 * Tracking-event ingestion benchmark (not part of npm test):
 *
 *   node --import tsx tests/bench/tracking.bench.ts
 *
 * The pure merge (courier/tracking-timeline.ts) on an in-memory Map of timelines; the Redis-backed
 * store the lead adds later is not in these figures. Every figure is reported next to baselines
 * measured in the same run, as a ratio, because these machines are shared and noisy:
 *
 * - baseline "JSON.parse": parsing each event's JSON text (what receiving it costs anyway)
 * - baseline "Map + Set": per event, find the parcel in a Map and de-duplicate on a string key in a
 *   Set — de-duplication without ordering or status, the least any store would do
 * - one by one: ingestEvent for every event of a stream of PARCELS parcels × 10 events, interleaved,
 *   20 % of the stream duplicates and 20 % of the events arriving after a later one of their parcel
 * - EMS pushes: for every step of every parcel, the full history newest first (as EMS pushes it),
 *   mapped from EMS traces (time parsing included) and merged — the real arrival pattern
 *
 * Writes var/bench/tracking.json and var/bench/tracking.md; prints the Markdown table.
 */
import { join } from 'node:path';
import { formatBeijingLocal } from '../../adapters/beijing-time.js';
import { mapEmsTraces } from '../../courier/ems/mapping.js';
import { EMS_OP_CODES, type EmsOpCode } from '../../courier/ems/op-codes.js';
import type { EmsTraceWire } from '../../courier/ems/wire.js';
import type { TrackingEvent } from '../../courier/tracking-status.js';
import { emptyTimeline, ingestEvent, mergeEvents, type ParcelTimeline } from '../../courier/tracking-timeline.js';
import { s10CheckDigit } from '../../courier/waybill.js';
import { prng } from '../helpers/prng.js';
import { selfTimed, writeReport } from './lib/report.js';

const PARCELS = Number(process.env['BENCH_PARCELS'] ?? 10_000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const TARGET_PER_SEC = 5_000;
const DUPLICATE_SHARE = 0.2;
const LATE_SHARE = 0.2;
const JOURNEY: readonly EmsOpCode[] = ['10', '20', '30', '31', '30', '31', '40', '41', '40', '50'];

const random = prng(20240506);

function waybill(i: number): string {
  const digits = String(10_000_000 + i);
  return `EA${digits}${s10CheckDigit(digits)}CN`;
}

// ---- the data, built before any clock starts ----------------------------------------------------

const START_MS = Date.parse('2024-05-06T09:00:00+08:00');
const traces: EmsTraceWire[][] = [];
const perParcel: TrackingEvent[][] = [];
for (let p = 0; p < PARCELS; p++) {
  const w = waybill(p);
  const list = JOURNEY.map((code, i) => ({
    opCode: code,
    opName: EMS_OP_CODES[code].name,
    opDesc: `${EMS_OP_CODES[code].name}：第 ${i + 1} 站【处理中心 ${p % 97}】`,
    opTime: formatBeijingLocal(START_MS + p * 1_000 + i * 3 * 3_600_000),
    opOrgCity: i < 4 ? '佛山市' : '广州市',
  }));
  traces.push(list);
  perParcel.push(mapEmsTraces(w, list).events);
}

/**
 * Arrival order of one parcel: LATE_SHARE of its events (never the last) arrive just after one to
 * three later events; then duplicates of earlier arrivals are sprinkled in.
 */
function arrivals(events: readonly TrackingEvent[]): TrackingEvent[] {
  const lateCount = Math.round(LATE_SHARE * events.length);
  const late = new Set<number>();
  while (late.size < lateCount) late.add(Math.floor(random() * (events.length - 1)));
  const order = events.filter((_, i) => !late.has(i));
  for (const i of [...late].sort((a, b) => b - a)) {
    // Behind the k-th on-time event after it (k = 1..3): that event is later, so this one is late.
    const after = events.slice(i + 1).filter((_, j) => !late.has(i + 1 + j));
    const anchor = after[Math.min(after.length - 1, Math.floor(random() * 3))]!;
    order.splice(order.indexOf(anchor) + 1, 0, events[i]!);
  }
  const withDuplicates: TrackingEvent[] = [];
  const duplicatesPerUnique = DUPLICATE_SHARE / (1 - DUPLICATE_SHARE);
  for (const e of order) {
    withDuplicates.push(e);
    if (random() < duplicatesPerUnique) {
      const earlier = withDuplicates[Math.floor(random() * withDuplicates.length)]!;
      withDuplicates.push({ ...earlier });
    }
  }
  return withDuplicates;
}

// Interleave the parcels: round r takes the r-th arrival of every parcel, parcels in a shuffled order.
const queues = perParcel.map(arrivals);
const stream: TrackingEvent[] = [];
for (let round = 0; stream.length < queues.reduce((n, q) => n + q.length, 0); round++) {
  const order = queues.map((_, i) => i).sort(() => random() - 0.5);
  for (const p of order) {
    const e = queues[p]![round];
    if (e) stream.push(e);
  }
}
const unique = PARCELS * JOURNEY.length;
const streamJson = stream.map((e) => JSON.stringify(e));
const lateCount = (() => {
  const newest = new Map<string, number>();
  const seen = new Set<string>();
  let late = 0;
  for (const e of stream) {
    const key = `${e.waybill}|${e.eventTime}|${e.rawText}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const t = Date.parse(e.eventTime);
    if (t < (newest.get(e.waybill) ?? -Infinity)) late += 1;
    else newest.set(e.waybill, t);
  }
  return late;
})();

// ---- the measurements ---------------------------------------------------------------------------

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Items per second of `run` (median of RUNS, after one warm-up). */
function measure(items: number, run: () => unknown): number {
  run();
  const rates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    run();
    rates.push(items / ((performance.now() - t) / 1000));
  }
  return median(rates);
}

let sink = 0;
const jsonParsePerSec = measure(stream.length, () => {
  for (const text of streamJson) sink += (JSON.parse(text) as TrackingEvent).rawText.length;
});

const mapSetPerSec = measure(stream.length, () => {
  const parcels = new Map<string, Set<string>>();
  for (const e of stream) {
    let seen = parcels.get(e.waybill);
    if (!seen) parcels.set(e.waybill, (seen = new Set()));
    const key = `${e.eventTime}|${e.rawText}`;
    if (!seen.has(key)) seen.add(key);
  }
  sink += parcels.size;
});

let finalTimelines = new Map<string, ParcelTimeline>();
const ingestPerSec = measure(stream.length, () => {
  const timelines = new Map<string, ParcelTimeline>();
  for (const e of stream) {
    const result = ingestEvent(timelines.get(e.waybill) ?? emptyTimeline(e.waybill), e);
    timelines.set(e.waybill, result.timeline);
  }
  finalTimelines = timelines;
});

// EMS pushes: the full history at every step, newest first.
const pushes: Array<{ waybill: string; traces: EmsTraceWire[] }> = [];
for (let step = 1; step <= JOURNEY.length; step++) {
  for (let p = 0; p < PARCELS; p++) pushes.push({ waybill: waybill(p), traces: traces[p]!.slice(0, step).reverse() });
}
const tracesPushed = pushes.reduce((n, p) => n + p.traces.length, 0);
const pushTracesPerSec = measure(tracesPushed, () => {
  const timelines = new Map<string, ParcelTimeline>();
  for (const push of pushes) {
    const { events } = mapEmsTraces(push.waybill, push.traces);
    timelines.set(push.waybill, mergeEvents(timelines.get(push.waybill) ?? emptyTimeline(push.waybill), events).timeline);
  }
  sink += timelines.size;
});

// ---- check, report --------------------------------------------------------------------------------

for (const [w, t] of finalTimelines) {
  if (t.events.length !== JOURNEY.length || t.state.status !== 'delivered') {
    throw new Error(`bench stream broken: ${w} has ${t.events.length} events, status ${t.state.status}`);
  }
}

const round = (n: number) => Math.round(n);
const ratio = (n: number, base: number) => Number((n / base).toFixed(3));
const result = {
  machine: `${process.platform} ${process.arch}, node ${process.version}`,
  note: 'pure merge in memory; the Redis-backed store of tracking events is not included',
  parcels: PARCELS,
  uniqueEvents: unique,
  streamEvents: stream.length,
  duplicateShare: Number(((stream.length - unique) / stream.length).toFixed(3)),
  lateShare: Number((lateCount / unique).toFixed(3)),
  runs: RUNS,
  perSec: {
    baselineJsonParse: round(jsonParsePerSec),
    baselineMapSetDedupe: round(mapSetPerSec),
    ingestOneByOne: round(ingestPerSec),
    emsPushTracesMappedAndMerged: round(pushTracesPerSec),
    emsPushes: round(pushTracesPerSec * (pushes.length / tracesPushed)),
  },
  ratios: {
    ingestVsJsonParse: ratio(ingestPerSec, jsonParsePerSec),
    ingestVsMapSet: ratio(ingestPerSec, mapSetPerSec),
    pushTracesVsJsonParse: ratio(pushTracesPerSec, jsonParsePerSec),
  },
  target: { eventsPerSec: TARGET_PER_SEC, met: ingestPerSec >= TARGET_PER_SEC && pushTracesPerSec >= TARGET_PER_SEC },
};

const table = [
  `| figure (${PARCELS} parcels, ${stream.length} events: ${Math.round(result.duplicateShare * 100)} % duplicates, ${Math.round(result.lateShare * 100)} % late) | per second | ratio to JSON.parse | ratio to Map + Set |`,
  '|---|---|---|---|',
  `| baseline: JSON.parse of each event | ${result.perSec.baselineJsonParse} | 1 | ${ratio(jsonParsePerSec, mapSetPerSec)} |`,
  `| baseline: Map lookup + Set de-duplication | ${result.perSec.baselineMapSetDedupe} | ${ratio(mapSetPerSec, jsonParsePerSec)} | 1 |`,
  `| ingestEvent one by one (dedupe, order, status) | ${result.perSec.ingestOneByOne} | ${result.ratios.ingestVsJsonParse} | ${result.ratios.ingestVsMapSet} |`,
  `| EMS full-history pushes: traces mapped + merged | ${result.perSec.emsPushTracesMappedAndMerged} (${result.perSec.emsPushes} pushes) | ${result.ratios.pushTracesVsJsonParse} | ${ratio(pushTracesPerSec, mapSetPerSec)} |`,
].join('\n');
const verdict = `target ≥ ${TARGET_PER_SEC} events/s: ${result.target.met ? 'met' : 'NOT met'}`;

writeReport({
  bench: 'tracking',
  title: `Tracking events, pure merge in memory (${PARCELS} parcels, ${Math.round(result.duplicateShare * 100)} % duplicates, ${Math.round(result.lateShare * 100)} % late)`,
  ...selfTimed(),
  figures: [
    {
      id: 'ingestOneByOne',
      label: 'ingestEvent one by one (de-duplicate, order, status)',
      value: result.perSec.ingestOneByOne,
      unit: 'events/s',
      baseline: `JSON.parse of each event, ${result.perSec.baselineJsonParse}/s`,
      ratio: result.ratios.ingestVsJsonParse,
      target: { text: `≥ ${TARGET_PER_SEC} events/s`, met: ingestPerSec >= TARGET_PER_SEC },
    },
    {
      id: 'emsPushTraces',
      label: 'EMS full-history pushes: traces mapped and merged',
      value: result.perSec.emsPushTracesMappedAndMerged,
      unit: 'traces/s',
      baseline: `JSON.parse of each event, ${result.perSec.baselineJsonParse}/s`,
      ratio: result.ratios.pushTracesVsJsonParse,
      target: { text: `≥ ${TARGET_PER_SEC} events/s`, met: pushTracesPerSec >= TARGET_PER_SEC },
    },
  ],
  details: result,
});
console.log(`\n${verdict} (${result.machine})`);
if (sink === -1) console.log('(keeps the baselines from being optimised away)');
