/**
 * Deadline-timer benchmark: the cost of one deadline-watcher tick (claim the due members of all 16
 * shards with a lease, load each due case, recompute its deadline, reschedule it) with 10,000 and
 * with 1,000,000 open cases on the watch, only a handful of them due. The 1M tick is reported as a
 * ratio against the 10k tick, beside a same-run baseline (a Redis PING round trip), because these
 * machines are shared and noisy. Not part of the test suite:
 *
 *   node --import tsx tests/bench/timers.bench.ts
 *
 * A private redis-server (tests/helpers/redis.ts, AOF off) holds the data; the watched members that
 * are not due are loaded with pipelined multi-member ZADDs and have no case records (the tick never
 * reads them — that is the point). The due ones are real cases: received, accepted, clock running,
 * no card due, so a tick is pure claim + recompute + reschedule. Before each timed tick (not timed)
 * the due members are made due again. Rounds alternate between the two sizes and a PING.
 *
 * Prints a Markdown table and writes var/bench/timers.json. Target: tick(1M) ≤ 1.5 × tick(10k).
 */
import { ManualClock } from '../../gateway/clock.js';
import { formatCaseNo } from '../../gateway/domain/case.js';
import { shardOf } from '../../gateway/store/keys.js';
import { selfTimed, writeReport } from './lib/report.js';
import { supervisionKeys } from '../../gateway/supervision/keys.js';
import { NO_ROUTING } from '../../gateway/supervision/routing.js';
import { createDeadlineWatcher, watchCase } from '../../gateway/supervision/watch.js';
import { startRedis } from '../helpers/redis.js';
import { at, createTestContext, dropPrefix, receiveCase, reportStatus } from '../integration/supervision/harness.js';

const SIZES = [10_000, 1_000_000];
const DUE = Number(process.env.BENCH_DUE ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const WARMUP = 30;
const TARGET_RATIO = 1.5;
const ACCEPTED = at('2026-03-02T10:00');
const NOW = ACCEPTED + 60_000;

interface Stats {
  medianMs: number;
  p95Ms: number;
  meanMs: number;
}

function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { medianMs: pick(0.5), p95Ms: pick(0.95), meanMs: samples.reduce((s, x) => s + x, 0) / samples.length };
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

interface Setup {
  size: number;
  tick(): Promise<number>;
  loadSeconds: number;
  cleanup(): Promise<void>;
}

/** A watch set of `size` members under a prefix of its own, DUE of them real cases that are due. */
async function setup(url: string, size: number): Promise<Setup> {
  const clock = new ManualClock(ACCEPTED);
  const t = await createTestContext({ url, name: `bench-${size}`, clock });
  const sv = supervisionKeys(t.ctx.store.keys);

  // The due ones: real cases, accepted, running (KC-M-0001: 3 days; the first card is a day away).
  const due: string[] = [];
  for (let n = 1; n <= DUE; n++) {
    const caseNo = await receiveCase(t.ctx, { caseNo: formatCaseNo('liwan', '20260302', n), atMs: ACCEPTED - 3_600_000 });
    await reportStatus(t.ctx, caseNo, 'accepted', ACCEPTED);
    await watchCase(t.ctx, caseNo);
    due.push(caseNo);
  }

  // The rest: open cases watched for later, loaded with multi-member ZADDs, 50 to a pipeline.
  const loadStart = performance.now();
  const MEMBERS_PER_ZADD = 1_000;
  const ZADDS_PER_PIPELINE = 50;
  let pipeline = t.redis.pipeline();
  let inPipeline = 0;
  const pending = new Map<number, (string | number)[]>();
  const send = async (shard: number, args: (string | number)[], force = false) => {
    if (args.length > 0) {
      pipeline.zadd(sv.shards[shard]!.watch, ...args);
      inPipeline++;
    }
    if (inPipeline >= ZADDS_PER_PIPELINE || (force && inPipeline > 0)) {
      const full = pipeline;
      pipeline = t.redis.pipeline();
      inPipeline = 0;
      await full.exec();
    }
  };
  for (let n = 0; n < size - DUE; n++) {
    const caseNo = formatCaseNo(n % 2 === 0 ? 'liwan' : 'nanhai', '20251201', 100_000 + n);
    const shard = shardOf(caseNo);
    const args = pending.get(shard) ?? [];
    args.push(NOW + 3_600_000 + (n % 5_000_000) * 1_000, caseNo);
    pending.set(shard, args);
    if (args.length >= MEMBERS_PER_ZADD * 2) {
      pending.delete(shard);
      await send(shard, args);
    }
  }
  for (const [shard, args] of pending) await send(shard, args);
  await send(0, [], true);
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const watched = (await Promise.all(sv.shards.map((s) => t.redis.zcard(s.watch)))).reduce((a, b) => a + b, 0);
  if (watched !== size) throw new Error(`expected ${size} watched cases, found ${watched}`);

  const watcher = createDeadlineWatcher(t.ctx, { routing: NO_ROUTING });
  clock.set(NOW);
  return {
    size,
    loadSeconds,
    async tick() {
      // Make the handful due again (untimed), then time one tick.
      clock.advance(1);
      const again = t.redis.pipeline();
      for (const caseNo of due) again.zadd(sv.shardFor(caseNo).watch, clock.now(), caseNo);
      await again.exec();
      const start = performance.now();
      const found = await watcher.tick();
      const ms = performance.now() - start;
      const claimed = watcher.lastTick().length;
      if (!found || claimed !== DUE) throw new Error(`the tick claimed ${claimed}, expected ${DUE}`);
      return ms;
    },
    async cleanup() {
      await dropPrefix(t.redis, t.prefix);
      await t.close();
    },
  };
}

async function main(): Promise<void> {
  const server = await startRedis({ appendonly: false });
  const results: { watched: number; due: number; tick: Stats; loadSeconds: number }[] = [];
  let ping: Stats;
  try {
    const setups: Setup[] = [];
    for (const size of SIZES) setups.push(await setup(server.url, size));
    // Rounds alternate between the sizes (and with a PING), so that neither gets a warmer JIT or a
    // quieter machine than the other.
    const samples = setups.map((): number[] => []);
    const pings: number[] = [];
    const pinger = await createTestContext({ url: server.url, name: 'bench-ping' });
    for (let r = 0; r < WARMUP + ROUNDS; r++) {
      for (const [i, s] of setups.entries()) {
        const ms = await s.tick();
        if (r >= WARMUP) samples[i]!.push(ms);
      }
      const start = performance.now();
      await pinger.redis.ping();
      if (r >= WARMUP) pings.push(performance.now() - start);
    }
    await pinger.close();
    ping = stats(pings);
    for (const [i, s] of setups.entries()) results.push({ watched: s.size, due: DUE, tick: stats(samples[i]!), loadSeconds: s.loadSeconds });
    for (const s of setups) await s.cleanup();
  } finally {
    await server.stop();
  }

  const [small, large] = results as [(typeof results)[number], (typeof results)[number]];
  const ratio = large.tick.medianMs / small.tick.medianMs;
  const report = {
    bench: 'timers',
    at: new Date().toISOString(),
    node: process.version,
    due: DUE,
    rounds: ROUNDS,
    baseline: { redisPing: { medianMs: round3(ping.medianMs), p95Ms: round3(ping.p95Ms) } },
    ticks: results.map((r) => ({
      watched: r.watched,
      due: r.due,
      medianMs: round3(r.tick.medianMs),
      p95Ms: round3(r.tick.p95Ms),
      meanMs: round3(r.tick.meanMs),
      medianInPings: round3(r.tick.medianMs / ping.medianMs),
      loadSeconds: round3(r.loadSeconds),
    })),
    ratio1MTo10k: round3(ratio),
    targetRatio: TARGET_RATIO,
    pass: ratio <= TARGET_RATIO,
  };
  writeReport({
    bench: 'timers',
    title: `Deadline watcher tick (${DUE} due per tick, ${ROUNDS} rounds)`,
    ...selfTimed(),
    figures: [
      ...report.ticks.map((r) => ({
        id: `tick${r.watched}`,
        label: `one tick with ${r.watched.toLocaleString('en')} open cases watched (median)`,
        value: r.medianMs,
        unit: 'ms',
        baseline: `a Redis PING round trip, ${report.baseline.redisPing.medianMs} ms`,
        ratio: r.medianInPings,
        note: `p95 ${r.p95Ms} ms`,
      })),
      {
        id: 'ratio1MTo10k',
        label: 'tick with 1M open cases / tick with 10k',
        value: report.ratio1MTo10k,
        unit: '×',
        target: { text: `≤ ${TARGET_RATIO}×`, met: report.pass },
      },
    ],
    details: report,
  });

  const lines = [
    `## Deadline watcher tick (${DUE} due per tick, ${ROUNDS} rounds, ${process.version})`,
    '',
    '| watched cases | tick median (ms) | tick p95 (ms) | median in PINGs | ratio to 10k |',
    '|---:|---:|---:|---:|---:|',
    ...report.ticks.map(
      (r) => `| ${r.watched.toLocaleString('en')} | ${r.medianMs.toFixed(3)} | ${r.p95Ms.toFixed(3)} | ${r.medianInPings.toFixed(1)} | ${(r.medianMs / report.ticks[0]!.medianMs).toFixed(2)}× |`,
    ),
    `| baseline: Redis PING | ${report.baseline.redisPing.medianMs.toFixed(3)} | ${report.baseline.redisPing.p95Ms.toFixed(3)} | 1.0 | |`,
    '',
    `Target tick(1M) ≤ ${TARGET_RATIO}× tick(10k): ${report.pass ? 'met' : 'NOT met'} (${ratio.toFixed(2)}×). Written to var/bench/timers.json.`,
  ];
  console.log(lines.join('\n'));
}

await main();
