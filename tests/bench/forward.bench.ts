/**
 * End-to-end forwards, both districts as real processes on this machine (scripts/local-system.ts:
 * two gateways, two redis-servers with AOF and appendfsync everysec, two approval simulators, the
 * courier simulator), logs at the production level (info). Not part of npm test:
 *
 *   node --import tsx tests/bench/forward.bench.ts      (or all benchmarks: npm run bench)
 *
 * A forward is done when Nanhai's approval system holds the application (REST or partner intake
 * at Liwan → signed envelope → peer gRPC over mutual TLS → verification → stored with a signed
 * receipt → receipt back at Liwan and verified → adapter HTTP call to the approval simulator).
 * - saturation: BENCH_FORWARDS forwards with 64 in flight at the intake; forwards/s from the first
 *   request until the approval system holds them all and Liwan has every receipt. Compared with the
 *   gRPC echo rate the baselines benchmark measured in the same run (baselines.grpcEcho).
 * - latency at half of that rate: an open loop (arrivals on a fixed schedule, answered or not) for
 *   BENCH_LATENCY_SECONDS; each forward's latency runs from its scheduled start until the approval
 *   simulator created the record (its createdAt, same machine clock).
 * - the same two through the partner gRPC API (ForwardApplication, partner kiosk-liwan).
 * - status round trip: the simulator accepts a case → callback to Nanhai → status envelope → Liwan;
 *   from the simulator call until Liwan's WatchCase stream shows the new state, one at a time,
 *   against an unloaded GET /healthz round trip measured here.
 * - CPU milliseconds per forward of every process during the REST saturation run, and the gateways'
 *   peak RSS under load against their RSS when idle.
 *
 * BENCH_PROFILE_DIR=… also writes a V8 CPU profile of each gateway there (node --cpu-prof).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevPki } from '../../certs/dev-pki.js';
import { startLocalSystem, type LocalSystem } from '../../scripts/local-system.js';
import { closedLoop, cpuMs, openLoop, rssBytes, sleep, sortedNumbers } from './lib/load.js';
import { partnerIntake, restIntake, type IntakeClient } from './lib/intake-clients.js';
import { percentile, round, runBench, type Figure } from './lib/report.js';
import { counterValue, simulatorCreatedAt, simulatorRecordCount, watchProcesses, type ProcessUse } from './lib/system-probe.js';

const FORWARDS = Number(process.env.BENCH_FORWARDS ?? 3000);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 64);
const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 10);
const STATUS_SAMPLES = Number(process.env.BENCH_STATUS_SAMPLES ?? 40);
const TARGET_RATIO = 0.4;
const TARGET_P99_MS = 50;

interface Saturation {
  perSec: number;
  intakePerSec: number;
  seconds: number;
  use: ProcessUse;
}

/** Waits until the approval system holds `expected` records and Liwan counts `receipts` application receipts. */
async function settle(system: LocalSystem, expected: number, receipts: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const { held, receipted } = await counts(system);
    if (held >= expected && receipted >= receipts) return;
    if (performance.now() > deadline) throw new Error(`not settled after ${timeoutMs} ms: ${held}/${expected} held, ${receipted}/${receipts} receipted`);
    await sleep(50);
  }
}

/**
 * Waits until the work a run left behind is done (status envelopes, approval callbacks): both
 * outboxes empty and both gateways using under 5 % of a core, so the next run starts on a quiet
 * system rather than behind the last one's queue.
 */
async function quiesce(system: LocalSystem): Promise<void> {
  const gateways = Object.values(system.districts);
  const deadline = performance.now() + 120_000;
  while (performance.now() < deadline) {
    const depths = await Promise.all(gateways.map((d) => counterValue(d.httpUrl, 'kc_outbox_depth')));
    const before = gateways.map((d) => cpuMs(d.gateway.pid));
    await sleep(500);
    const busy = gateways.some((d, i) => cpuMs(d.gateway.pid) - before[i]! > 25);
    if (depths.every((d) => d === 0) && !busy) return;
  }
  throw new Error('the system did not quiesce within 120 s');
}

async function counts(system: LocalSystem) {
  return {
    held: await simulatorRecordCount(system.districts.nanhai.approvalUrl),
    receipted: await counterValue(system.districts.liwan.httpUrl, 'kc_envelopes_sent_total', 'type="application"'),
  };
}

async function saturate(system: LocalSystem, client: IntakeClient, n: number): Promise<Saturation> {
  const before = await counts(system);
  const watch = watchProcesses(system);
  const t = performance.now();
  await closedLoop(n, IN_FLIGHT, () => client.forward());
  const intakeSeconds = (performance.now() - t) / 1000;
  await settle(system, before.held + n, before.receipted + n, 300_000);
  const seconds = (performance.now() - t) / 1000;
  return { perSec: n / seconds, intakePerSec: n / intakeSeconds, seconds, use: watch.stop() };
}

/** Forwards at `ratePerSec` for LATENCY_SECONDS; latency of each until the approval system created its record. */
async function latencyAt(system: LocalSystem, client: IntakeClient, ratePerSec: number) {
  const n = Math.max(50, Math.round(ratePerSec * LATENCY_SECONDS));
  const before = await counts(system);
  const sent = await openLoop(n, ratePerSec, async (_i, scheduledAt) => ({ caseNo: await client.forward(), scheduledAt }));
  await settle(system, before.held + n, before.receipted + n, 300_000);
  const created = await simulatorCreatedAt(system.districts.nanhai.approvalUrl);
  const inOrder = sent.map(({ caseNo, scheduledAt }) => {
    const record = created.get(caseNo);
    if (!record) throw new Error(`the approval system has no record of ${caseNo}`);
    return record.createdAtMs - (performance.timeOrigin + scheduledAt);
  });
  const latencies = sortedNumbers(inOrder);
  // Where in the run the slowest ones were: a cluster says stall, a spread says queueing.
  const slowest = inOrder
    .map((ms, i) => ({ i, ms: round(ms, 1) }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 10);
  return { n, ratePerSec, p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies[latencies.length - 1]!, slowest, caseNos: sent.map((s) => s.caseNo) };
}

/** From the simulator's status change until Liwan's WatchCase stream shows it, one case at a time. */
async function statusRoundTrips(system: LocalSystem, partner: ReturnType<typeof partnerIntake>, caseNos: string[]) {
  const created = await simulatorCreatedAt(system.districts.nanhai.approvalUrl);
  const times: number[] = [];
  for (const caseNo of caseNos) {
    const current = await partner.api.getCase(caseNo);
    const lastSeq = Math.max(0, ...current.events.map((e) => e.seq));
    const stream = partner.api.watchCase(caseNo, lastSeq);
    const seen = new Promise<number>((resolve, reject) => {
      stream.on('data', (e: { state: string }) => {
        if (e.state === 'accepted') resolve(performance.now());
      });
      stream.on('error', (err: { code?: number }) => (err.code === 1 ? undefined : reject(err)));
    });
    await sleep(20); // the stream is open at the gateway before the change happens
    const localNo = created.get(caseNo)!.localNo;
    const t = performance.now();
    const res = await fetch(`${system.districts.nanhai.approvalUrl}/_sim/cases/${localNo}/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'accept' }),
    });
    if (res.status !== 200) throw new Error(`simulator refused to accept ${localNo}: ${res.status} ${await res.text()}`);
    times.push((await seen) - t);
    stream.cancel();
  }
  return sortedNumbers(times);
}

async function healthzRoundTrips(httpUrl: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await (await fetch(`${httpUrl}/healthz`)).text();
    times.push(performance.now() - t);
  }
  return sortedNumbers(times);
}

function cpuPerForward(use: ProcessUse, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(use.cpu).map(([name, ms]) => [name, round(ms / n, 2)]));
}

await runBench('forward', 'End-to-end forwards (both districts, AOF everysec, logs at info)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-forward-'));
  const pkiDir = join(dir, 'pki');
  ensureDevPki(pkiDir);
  const profileDir = process.env.BENCH_PROFILE_DIR;
  const system = await startLocalSystem({
    dataDir: join(dir, 'data'),
    pkiDir,
    fastStaffHashes: true,
    gatewayNodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  const liwan = system.districts.liwan;
  const rest = await restIntake(liwan.httpUrl, 'nanhai');
  const partner = partnerIntake(liwan.partnerAddress, 'liwan', pkiDir, 'kiosk-liwan', 'nanhai');
  try {
    const idleRss = Object.fromEntries(Object.values(system.districts).map((d) => [d.gateway.name, rssBytes(d.gateway.pid)]));
    // Warm-up: connections, JIT, Lua script cache, on both paths.
    const warm = await counts(system);
    await closedLoop(300, 16, () => rest.forward());
    await closedLoop(300, 16, () => partner.forward());
    await settle(system, warm.held + 600, warm.receipted + 600, 120_000);

    await quiesce(system);
    const restSat = await saturate(system, rest, FORWARDS);
    await quiesce(system);
    const restLat = await latencyAt(system, rest, Math.max(1, Math.floor(restSat.perSec / 2)));
    await quiesce(system);
    const partnerSat = await saturate(system, partner, FORWARDS);
    await quiesce(system);
    const partnerLat = await latencyAt(system, partner, Math.max(1, Math.floor(partnerSat.perSec / 2)));
    await quiesce(system);
    const healthz = await healthzRoundTrips(liwan.httpUrl, 50);
    const status = await statusRoundTrips(system, partner, restLat.caseNos.slice(0, STATUS_SAMPLES));

    const cpu = cpuPerForward(restSat.use, FORWARDS);
    const cpuTotal = round(Object.values(cpu).reduce((a, b) => a + b, 0), 2);
    const mb = (b: number) => round(b / 1_048_576, 1);
    const forwardFigures = (path: string, id: string, sat: Saturation, lat: Awaited<ReturnType<typeof latencyAt>>): Figure[] => [
      {
        id: `${id}Saturation`,
        label: `forwards/s at saturation, ${path} (${IN_FLIGHT} in flight)`,
        value: Math.round(sat.perSec),
        unit: '/s',
        baseline: 'baselines.grpcEcho',
        minRatio: TARGET_RATIO,
        target: { text: `≥ ${TARGET_RATIO * 100} % of the gRPC echo rate`, met: false },
        note: `${FORWARDS} forwards in ${round(sat.seconds, 1)} s; intake alone ${Math.round(sat.intakePerSec)}/s`,
      },
      {
        id: `${id}P99`,
        label: `forward latency p99 at half that rate, ${path}`,
        value: round(lat.p99, 1),
        unit: 'ms',
        target: { text: `≤ ${TARGET_P99_MS} ms`, met: lat.p99 <= TARGET_P99_MS },
        note: `${lat.ratePerSec}/s for ${LATENCY_SECONDS} s; p50 ${round(lat.p50, 1)} ms, max ${round(lat.max, 1)} ms`,
      },
    ];
    const figures: Figure[] = [
      ...forwardFigures('staff REST', 'rest', restSat, restLat),
      ...forwardFigures('partner gRPC', 'partner', partnerSat, partnerLat),
      {
        id: 'statusRoundTripP50',
        label: 'status round trip p50: simulator change → origin WatchCase',
        value: round(percentile(status, 0.5), 1),
        unit: 'ms',
        baseline: 'GET /healthz round trip',
        ratio: round(percentile(status, 0.5) / percentile(healthz, 0.5), 1),
        ratioNote: `× one /healthz round trip of ${round(percentile(healthz, 0.5), 2)} ms`,
        note: `${status.length} one at a time; p99 ${round(percentile(status, 0.99), 1)} ms`,
      },
      {
        id: 'cpuPerForward',
        label: 'CPU per forward, all processes (REST saturation run)',
        value: cpuTotal,
        unit: 'ms',
        note: Object.entries(cpu)
          .filter(([, ms]) => ms >= 0.05)
          .map(([name, ms]) => `${name} ${ms}`)
          .join(', '),
      },
      ...Object.values(system.districts).map(
        (d): Figure => ({
          id: `rss-${d.district}`,
          label: `${d.district} gateway peak RSS under load`,
          value: mb(restSat.use.peakRss[d.gateway.name] ?? 0),
          unit: 'MB',
          baseline: 'its RSS when idle after start',
          ratio: round((restSat.use.peakRss[d.gateway.name] ?? 0) / (idleRss[d.gateway.name] || 1), 2),
          note: `idle ${mb(idleRss[d.gateway.name] ?? 0)} MB`,
        }),
      ),
    ];
    return { figures, details: { restSat, partnerSat, restLat: { ...restLat, caseNos: undefined }, partnerLat: { ...partnerLat, caseNos: undefined }, status, healthz, cpuPerForward: cpu } };
  } finally {
    rest.close();
    partner.close();
    await system.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
