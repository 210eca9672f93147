/**
 * Quick forward benchmark (issue 8 grows this into the full suite). Both districts as processes on
 * this machine; every figure is reported next to a baseline measured in the same run, as a ratio,
 * because these machines are shared and noisy.
 *
 *   npm run bench            (not part of npm test)
 *
 * - baseline: GET /healthz on the Liwan gateway at the same concurrency (HTTP + express, no work)
 * - intake: POST /api/v1/cases answered 201 (validation, case number, one Lua script)
 * - end to end: from the first POST until Nanhai's approval simulator holds every application and
 *   Liwan shows the last one registered (sign, peer gRPC, verify, receipt, adapter HTTP, status back)
 * - one at a time, unloaded: from POST until Liwan shows Nanhai's local number, against one
 *   GET /healthz round trip
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevPki } from '../../certs/dev-pki.js';
import { REPO_ROOT } from '../../scripts/processes.js';
import { startLocalSystem } from '../../scripts/local-system.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const FORWARDS = Number(process.env.BENCH_FORWARDS ?? 1000);
const BASELINE_REQUESTS = Number(process.env.BENCH_BASELINE ?? 4000);

async function pool<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

const dir = mkdtempSync(join(tmpdir(), 'kc-bench-'));
ensureDevPki(join(dir, 'pki'));
const env = { KC_LOG_LEVEL: 'warn', KC_OUTBOX_POLL_MS: '100' };
// BENCH_PROFILE_DIR=… writes a V8 CPU profile of each gateway there (open in Chrome DevTools).
const profileDir = process.env.BENCH_PROFILE_DIR;
const system = await startLocalSystem({
  dataDir: join(dir, 'data'),
  pkiDir: join(dir, 'pki'),
  gatewayEnv: { liwan: env, nanhai: env },
  gatewayNodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
});
const liwan = system.districts.liwan.httpUrl;

try {
  // Warm-up: connections, JIT, Lua script cache.
  await pool(200, CONCURRENCY, () => fetch(`${liwan}/healthz`).then((r) => r.text()));
  await pool(50, 8, () => postJson(`${liwan}/api/v1/cases`, applicationFor('nanhai')));

  // One forward at a time on a quiet system: how long until the origin shows Nanhai's local number.
  const single: number[] = [];
  const healthz: number[] = [];
  for (let i = 0; i < 20; i++) {
    let s = performance.now();
    await fetch(`${liwan}/healthz`).then((r) => r.text());
    healthz.push(performance.now() - s);
    s = performance.now();
    const r = await postJson(`${liwan}/api/v1/cases`, applicationFor('nanhai'));
    for (;;) {
      const c = (await getJson(`${liwan}/api/v1/cases/${r.body.caseNo}`)).body;
      if (c.handlingLocalNo) break;
      await new Promise((done) => setTimeout(done, 2));
    }
    single.push(performance.now() - s);
  }
  single.sort((a, b) => a - b);
  healthz.sort((a, b) => a - b);

  let t = performance.now();
  await pool(BASELINE_REQUESTS, CONCURRENCY, () => fetch(`${liwan}/healthz`).then((r) => r.text()));
  const baselinePerSec = BASELINE_REQUESTS / ((performance.now() - t) / 1000);

  const heldBySimulator = async () => (await getJson(`${system.districts.nanhai.approvalUrl}/_sim/health`)).body.records as number;
  const before = await heldBySimulator();
  t = performance.now();
  const latencies: number[] = [];
  const caseNos = await pool(FORWARDS, CONCURRENCY, async () => {
    const s = performance.now();
    const r = await postJson(`${liwan}/api/v1/cases`, applicationFor('nanhai'));
    latencies.push(performance.now() - s);
    if (r.status !== 201) throw new Error(`intake answered ${r.status}`);
    return r.body.caseNo as string;
  });
  const intakeSeconds = (performance.now() - t) / 1000;
  for (;;) {
    const held = await heldBySimulator();
    const last = (await getJson(`${liwan}/api/v1/cases/${caseNos[caseNos.length - 1]}`)).body;
    if (held - before >= FORWARDS && last.state === 'registered') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const e2eSeconds = (performance.now() - t) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;

  const result = {
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    concurrency: CONCURRENCY,
    forwards: FORWARDS,
    baselineHealthzPerSec: Math.round(baselinePerSec),
    intakePerSec: Math.round(FORWARDS / intakeSeconds),
    endToEndPerSec: Math.round(FORWARDS / e2eSeconds),
    intakeP50Ms: Number(q(0.5).toFixed(1)),
    intakeP99Ms: Number(q(0.99).toFixed(1)),
    singleForwardP50Ms: Number(single[10]!.toFixed(1)),
    singleForwardMaxMs: Number(single[19]!.toFixed(1)),
    healthzP50Ms: Number(healthz[10]!.toFixed(2)),
    ratios: { intakeVsBaseline: Number((FORWARDS / intakeSeconds / baselinePerSec).toFixed(3)), endToEndVsBaseline: Number((FORWARDS / e2eSeconds / baselinePerSec).toFixed(3)) },
  };
  const out = join(REPO_ROOT, 'tests', 'bench', 'results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'forward.json'), `${JSON.stringify(result, null, 2)}\n`);
  const table = [
    '| figure | value | ratio to baseline |',
    '|---|---|---|',
    `| baseline: GET /healthz at ${CONCURRENCY} in flight | ${result.baselineHealthzPerSec}/s | 1 |`,
    `| intake: POST /api/v1/cases answered 201 | ${result.intakePerSec}/s (p50 ${result.intakeP50Ms} ms, p99 ${result.intakeP99Ms} ms) | ${result.ratios.intakeVsBaseline} |`,
    `| end to end: forwarded, verified, receipted, registered in Nanhai, status back | ${result.endToEndPerSec}/s | ${result.ratios.endToEndVsBaseline} |`,
    `| one forward, unloaded: POST until Liwan shows Nanhai's local number | p50 ${result.singleForwardP50Ms} ms, max ${result.singleForwardMaxMs} ms | ${(result.singleForwardP50Ms / result.healthzP50Ms).toFixed(0)}× one /healthz (${result.healthzP50Ms} ms) |`,
  ].join('\n');
  writeFileSync(join(out, 'forward.md'), `${table}\n\n${result.machine}\n`);
  console.log(table);
} finally {
  await system.stop();
  rmSync(dir, { recursive: true, force: true });
}
