/**
 * Redis memory per open case (issue 8: "Redis ≤ 4 KB per open case, without the stored envelope
 * history, which is reported separately"). Not part of npm test:
 *
 *   node --import tsx tests/bench/memory.bench.ts
 *   BENCH_CASES=100000 BENCH_CONCURRENCY=64 BENCH_ACCEPTED_SAMPLE=2000 node --import tsx tests/bench/memory.bench.ts
 *
 * (those are the defaults: about 2½ minutes on a shared 2-core box — 30 s of intake, 90 s of
 * delivery, which signs and verifies every envelope and receipt; smaller BENCH_CASES scale down).
 *
 * Each district's gateway gets a private redis-server of its own (tests/helpers/redis.ts, never the
 * shared 6379), as in production, with AOF off: persistence does not change what the data set
 * takes in memory, and 100,000 cases would write hundreds of MB of AOF on a machine others are
 * measuring on. Both gateways run in this process (tests/bench/lib/gateway-pair.ts): liwan's
 * dispatcher hands envelopes straight to nanhai's receiveEnvelope, so everything stored is what
 * the real code stores, really signed and verified, without the network.
 *
 * What is measured, reading `used_memory` between steps on both servers:
 * 1. BENCH_CASES applications are taken in at liwan through intake's forwardApplication
 *    (validation, a case number, createCase), BENCH_CONCURRENCY at a time: the cases/s figure.
 * 2. liwan's dispatcher delivers every application envelope to nanhai and stores its receipt. Every
 *    case is now open and "forwarded": at liwan waiting for news, at nanhai received, its
 *    submission job queued, on the deadline watch. This is the state the per-case figures read.
 * 3. Breakdown by kind of key (MEMORY USAGE), then every case's archive hash (envelopes and
 *    receipts verbatim, the envelope history) is deleted: the difference is the history, what is
 *    left is the case without it.
 * 4. BENCH_ACCEPTED_SAMPLE of them go on through nanhai's submitter (registered) and an approval
 *    status (accepted), both status envelopes delivered to liwan: what an accepted case adds. Their
 *    archives start afresh (step 3 dropped them), so the added history also counts a new archive
 *    key's own overhead (~150 B) and the case figure its keyspace entry (~30 B); a MEMORY USAGE
 *    cross-check on record and events against as many cases left forwarded is in the details.
 * 5. Baseline, same server, same run: as many plain keys (SET of a 100-byte value, the cases'
 *    record key names, in another database) — what Redis itself spends per key.
 *
 * Writes var/bench/memory.json (details hold the breakdowns) and prints the Markdown tables.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { ensureDevPki } from '../../certs/dev-pki.js';
import { ManualClock } from '../../gateway/clock.js';
import { DISTRICTS, type District } from '../../gateway/domain/district.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { acceptSome, deliverAll, takeIn } from './lib/case-journey.js';
import { createGatewayPair, type GatewayPair } from './lib/gateway-pair.js';
import { hashFieldSizes, keyKinds, memoryUsageOf, usedMemory, type KeyKind } from './lib/redis-memory.js';
import { formatNumber, round, runBench, type Figure } from './lib/report.js';

const CASES = Number(process.env.BENCH_CASES ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const ACCEPTED_SAMPLE = Math.min(CASES, Number(process.env.BENCH_ACCEPTED_SAMPLE ?? 2_000));
const WARMUP_CASES = 300;
const PLAIN_VALUE_BYTES = 100;
const TARGET_BYTES = 4096;
const HOUR_MS = 3_600_000;

type PerSide = Record<District, number>;
const bySide = async (f: (d: District) => Promise<number>): Promise<PerSide> => ({ liwan: await f('liwan'), nanhai: await f('nanhai') });
const perCase = (after: PerSide, before: PerSide, n: number): PerSide => ({ liwan: (after.liwan - before.liwan) / n, nanhai: (after.nanhai - before.nanhai) / n });
const worst = (x: PerSide): { side: District; value: number } => (x.liwan >= x.nanhai ? { side: 'liwan', value: x.liwan } : { side: 'nanhai', value: x.nanhai });
const bytes = (x: number) => `${formatNumber(Math.round(x))} B`;
const sides = (x: PerSide) => `liwan ${bytes(x.liwan)}, nanhai ${bytes(x.nanhai)}`;

/** Deletes every case archive hash under the pair's prefixes; resolves with how many per side. */
async function dropArchives(pair: GatewayPair): Promise<PerSide> {
  return bySide(async (d) => {
    const { redis, prefix } = pair[d].test;
    let cursor = '0';
    let count = 0;
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*:archive`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) count += await redis.del(...found);
    } while (cursor !== '0');
    return count;
  });
}

/** What one case holds on each side: the fields of its record and archive and its events, with sizes. */
async function caseAnatomy(pair: GatewayPair, caseNo: string) {
  return Object.fromEntries(
    await Promise.all(
      DISTRICTS.map(async (d) => {
        const { redis } = pair[d].test;
        const k = pair[d].ctx.store.keys.case(caseNo);
        const events = await redis.lrange(k.events, 0, -1);
        return [d, { record: await hashFieldSizes(redis, k.record), archive: await hashFieldSizes(redis, k.archive), eventBytes: events.map((e) => e.length) }] as const;
      }),
    ),
  );
}

/** Per-case MEMORY USAGE of each kind of key, as a Markdown table (shared keys spread over the cases). */
function kindsTable(kinds: Record<District, KeyKind[]>, cases: number): string {
  const rows = DISTRICTS.flatMap((d) =>
    kinds[d].map((k) => `| ${d} | \`${k.pattern}\` | ${k.type} (${k.encodings.join(', ')}) | ${formatNumber(k.keys)} | ${formatNumber(round(k.bytes / cases, 1))} |`),
  );
  return ['| side | key | type (encoding) | keys | MEMORY USAGE per case (B) |', '|---|---|---|---:|---:|', ...rows].join('\n');
}

type Anatomy = Awaited<ReturnType<typeof caseAnatomy>>;

/** The fields of one case on each side, in two states, as a Markdown table. */
function anatomyTable(states: Record<string, Anatomy>): string {
  const rows: string[] = [];
  for (const [state, anatomy] of Object.entries(states)) {
    for (const d of DISTRICTS) {
      const a = anatomy[d]!;
      const fields = (h: Record<string, number>) =>
        Object.entries(h)
          .sort((x, y) => y[1] - x[1])
          .map(([f, n]) => `${f} ${n}`)
          .join(', ');
      rows.push(`| ${state} | ${d} | ${fields(a.record)} | ${fields(a.archive)} | ${a.eventBytes.length} events: ${a.eventBytes.reduce((x, y) => x + y, 0)} |`);
    }
  }
  return ['| state | side | record hash fields | archive hash fields | events list |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** The baseline: a plain SET of a 100-byte value per name, in a database of their own; bytes per key. */
async function plainKeyBytes(server: RedisHandle, keyNames: readonly string[]): Promise<number> {
  const redis = new Redis(server.url, { db: 1 });
  try {
    const value = randomBytes(PLAIN_VALUE_BYTES / 2).toString('hex');
    const before = await usedMemory(redis);
    for (let at = 0; at < keyNames.length; at += 1000) {
      const p = redis.pipeline();
      for (const key of keyNames.slice(at, at + 1000)) p.set(key, value);
      await p.exec();
    }
    const after = await usedMemory(redis);
    await redis.flushdb();
    return (after - before) / keyNames.length;
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

await runBench('memory', 'Redis memory per open case (both gateways, AOF off)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-memory-'));
  const servers: Partial<Record<District, RedisHandle>> = {};
  try {
    const pkiDir = join(dir, 'pki');
    ensureDevPki(pkiDir);
    servers.liwan = await startRedis({ appendonly: false });
    servers.nanhai = await startRedis({ appendonly: false });
    const urls = { liwan: servers.liwan.url, nanhai: servers.nanhai.url };
    const clock = new ManualClock(Date.now());

    // Warm-up under prefixes of its own, then dropped: Lua script cache, JIT, the trust cache.
    const warm = await createGatewayPair({ urls, pkiDir, name: 'bench-memory-warmup', clock });
    await takeIn(warm, WARMUP_CASES, CONCURRENCY);
    await deliverAll(warm, 'liwan');
    await acceptSome(warm, 50);
    await warm.drop();

    const pair = await createGatewayPair({ urls, pkiDir, name: 'bench-memory', clock });
    const redisOf = (d: District) => pair[d].test.redis;
    try {
      const empty = await bySide((d) => usedMemory(redisOf(d)));

      // 1. Intake.
      const started = performance.now();
      const caseNos = await takeIn(pair, CASES, CONCURRENCY);
      const takeInSeconds = (performance.now() - started) / 1000;
      const queued = await bySide((d) => usedMemory(redisOf(d)));

      // 2. Delivery: every case open and forwarded.
      clock.advance(HOUR_MS);
      const deliverStarted = performance.now();
      await deliverAll(pair, 'liwan');
      const deliverSeconds = (performance.now() - deliverStarted) / 1000;
      const store = pair.nanhai.ctx.store;
      const received = (await Promise.all(store.keys.shards.map((s) => store.redis.zcard(s.cases)))).reduce((a, b) => a + b, 0);
      if (received !== CASES) throw new Error(`nanhai holds ${received} cases after delivery, expected ${CASES}`);
      const forwarded = await bySide((d) => usedMemory(redisOf(d)));
      const anatomyForwarded = await caseAnatomy(pair, caseNos[0]!);
      const kinds = { liwan: await keyKinds(redisOf('liwan'), pair.liwan.test.prefix), nanhai: await keyKinds(redisOf('nanhai'), pair.nanhai.test.prefix) };

      // 3. Without the envelope history.
      const archivesDropped = await dropArchives(pair);
      const withoutHistory = await bySide((d) => usedMemory(redisOf(d)));
      const caseBytes = perCase(withoutHistory, empty, CASES);
      const historyBytes = perCase(forwarded, withoutHistory, CASES);

      // 4. Some cases go on to accepted: what that adds, history apart (their archives start empty again).
      clock.advance(HOUR_MS);
      const beforeAccept = await bySide((d) => usedMemory(redisOf(d)));
      const accepted = await acceptSome(pair, ACCEPTED_SAMPLE);
      const afterAccept = await bySide((d) => usedMemory(redisOf(d)));
      const addedHistory = await bySide(async (d) => (await memoryUsageOf(redisOf(d), accepted.map((c) => pair[d].ctx.store.keys.case(c).archive))) / accepted.length);
      const addedTotal = perCase(afterAccept, beforeAccept, accepted.length);
      const addedCase: PerSide = { liwan: addedTotal.liwan - addedHistory.liwan, nanhai: addedTotal.nanhai - addedHistory.nanhai };
      const acceptedCaseBytes: PerSide = { liwan: caseBytes.liwan + addedCase.liwan, nanhai: caseBytes.nanhai + addedCase.nanhai };
      const acceptedHistoryBytes: PerSide = { liwan: historyBytes.liwan + addedHistory.liwan, nanhai: historyBytes.nanhai + addedHistory.nanhai };
      const anatomyAccepted = await caseAnatomy(pair, accepted[0]!);
      // Cross-check by MEMORY USAGE: the accepted cases' record and events against as many cases left forwarded.
      const acceptedSet = new Set(accepted);
      const stillForwarded = caseNos.filter((c) => !acceptedSet.has(c)).slice(0, accepted.length);
      const caseKeysBytes = (d: District, cases: string[]) =>
        memoryUsageOf(redisOf(d), cases.flatMap((c) => [pair[d].ctx.store.keys.case(c).record, pair[d].ctx.store.keys.case(c).events]));
      const addedToCaseKeys = await bySide(async (d) => ((await caseKeysBytes(d, accepted)) - (await caseKeysBytes(d, stillForwarded))) / accepted.length);

      // 5. The baseline.
      const plain = await plainKeyBytes(servers.liwan, caseNos.map((c) => pair.liwan.ctx.store.keys.case(c).record));

      const queuedBytes = perCase(queued, empty, CASES).liwan;
      const open = worst(caseBytes);
      const openAccepted = worst(acceptedCaseBytes);
      const history = worst(historyBytes);
      const figures: Figure[] = [
        {
          id: 'plainKeyBytes',
          label: `Redis bytes per plain key (SET, ${PLAIN_VALUE_BYTES} B value, ${formatNumber(CASES)} keys named like case records)`,
          value: round(plain, 1),
          unit: 'B',
          isBaseline: true,
        },
        {
          id: 'bytesPerCase',
          label: `Redis bytes per open case without envelope history (forwarded, ${formatNumber(CASES)} cases, the larger side)`,
          value: Math.round(open.value),
          unit: 'B',
          baseline: 'memory.plainKeyBytes',
          ratio: round(open.value / plain, 2),
          ratioNote: 'bytes per case / bytes per plain key',
          target: { text: '≤ 4 KB per open case', met: open.value <= TARGET_BYTES },
          note: sides(caseBytes),
        },
        {
          id: 'bytesPerQueuedCase',
          label: 'Redis bytes per case taken in and not yet delivered (liwan: envelope draft queued, the peer away)',
          value: Math.round(queuedBytes),
          unit: 'B',
          baseline: 'memory.plainKeyBytes',
          ratio: round(queuedBytes / plain, 2),
          ratioNote: 'bytes per case / bytes per plain key',
          target: { text: '≤ 4 KB per open case', met: queuedBytes <= TARGET_BYTES },
          note: 'no envelope history yet: nothing has been signed',
        },
        {
          id: 'bytesPerAcceptedCase',
          label: `Redis bytes per open case without envelope history, accepted (+ registered and accepted status envelopes, ${formatNumber(accepted.length)}-case sample), the larger side`,
          value: Math.round(openAccepted.value),
          unit: 'B',
          baseline: 'memory.plainKeyBytes',
          ratio: round(openAccepted.value / plain, 2),
          ratioNote: 'bytes per case / bytes per plain key',
          target: { text: '≤ 4 KB per open case', met: openAccepted.value <= TARGET_BYTES },
          note: `${sides(acceptedCaseBytes)}; +${sides(addedCase)} for the two status crossings`,
        },
        {
          id: 'envelopeHistoryBytesPerCase',
          label: 'Redis bytes of envelope history per forwarded case (application envelope + receipt, verbatim)',
          value: Math.round(history.value),
          unit: 'B',
          note: `${sides(historyBytes)}; accepted: ${sides(acceptedHistoryBytes)}`,
        },
        {
          id: 'takeInRate',
          label: `Cases taken in through forwardApplication, ${CONCURRENCY} in flight, ${formatNumber(CASES)} cases`,
          value: Math.round(CASES / takeInSeconds),
          unit: 'cases/s',
          note: `${round(takeInSeconds, 1)} s; delivering them all took ${round(deliverSeconds, 1)} s`,
        },
      ];

      console.log(`\n#### Where the bytes go (forwarded state, before the archives were dropped)\n\n${kindsTable(kinds, CASES)}\n`);
      console.log(`#### One case, field by field (value bytes)\n\n${anatomyTable({ forwarded: anatomyForwarded, accepted: anatomyAccepted })}\n`);
      return {
        figures,
        details: {
          cases: CASES,
          concurrency: CONCURRENCY,
          usedMemory: { empty, queued, forwarded, withoutHistory, beforeAccept, afterAccept },
          perCase: {
            queuedBeforeDelivery: perCase(queued, empty, CASES),
            forwardedWithoutHistory: caseBytes,
            forwardedHistory: historyBytes,
            acceptedAdds: { total: addedTotal, history: addedHistory, withoutHistory: addedCase, toRecordAndEventsByMemoryUsage: addedToCaseKeys },
            acceptedWithoutHistory: acceptedCaseBytes,
            acceptedHistory: acceptedHistoryBytes,
          },
          archivesDropped,
          acceptedSample: accepted.length,
          plainKeyBytes: plain,
          keyKinds: kinds,
          anatomy: { forwarded: anatomyForwarded, accepted: anatomyAccepted },
          takeInSeconds,
          deliverSeconds,
        },
      };
    } finally {
      await pair.close();
    }
  } finally {
    for (const server of Object.values(servers)) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
