/**
 * Fault suite core on a Redis Cluster: each district's gateway (a real process) stores in its own
 * local 3-master Redis Cluster, created by this test — one cluster per district because that is
 * how districts deploy (each its own Redis; see DESIGN.md), and the two clusters then also prove
 * the default key prefix needs no change. The hash-tag design is what is on trial: a case, its
 * shard's queues and its supervision keys share one slot, so every Lua script, MULTI and pipeline
 * runs on one master, while the 16 shards spread over all masters.
 *
 * Invariants: no case lost, none applied twice (one approval-simulator record per case), every
 * envelope and receipt valid, exactly one pre-warning per case, the audit chain intact, nothing
 * refused as CROSSSLOT.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki } from '../../certs/dev-pki.js';
import { exportEnvelope } from '../../gateway/cli.js';
import { verifyAuditLog } from '../../gateway/audit/verify.js';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { createLogger } from '../../gateway/logger.js';
import { createCaseEventsHub } from '../../gateway/store/case-events.js';
import { createRedisClient } from '../../gateway/store/connect.js';
import { createKeys, SHARD_COUNT } from '../../gateway/store/keys.js';
import { supervisionKeys } from '../../gateway/supervision/keys.js';
import { startLocalSystem, type LocalSystem } from '../../scripts/local-system.js';
import { applicationFor, getJson, PHONE, postJson } from '../helpers/applications.js';
import { checkArchive } from '../helpers/archive.js';
import { eventually } from '../helpers/gateways.js';
import { startRedisCluster, type RedisClusterHandle } from '../helpers/redis-cluster.js';
import { FAST_RETRIES } from '../helpers/system.js';

const PREFIX = 'kc'; // local-system leaves KC_REDIS_PREFIX at its default
const keys = createKeys(PREFIX);

let dir: string;
let clusters: Record<District, RedisClusterHandle>;
let sys: LocalSystem;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kc-cluster-sys-'));
  ensureDevPki(join(dir, 'pki'));
  const [liwan, nanhai] = await Promise.all([startRedisCluster(), startRedisCluster()]);
  clusters = { liwan, nanhai };
  // KC_PREWARN_DAYS wider than the matters' promised limits: a pre-warning falls due on acceptance.
  const env = { ...FAST_RETRIES, KC_REDIS_CLUSTER: 'true', KC_PREWARN_DAYS: '30', KC_DEADLINE_POLL_MS: '100' };
  for (let attempt = 1; ; attempt++) {
    const dataDir = join(dir, `data-${attempt}`);
    try {
      sys = await startLocalSystem({
        dataDir,
        pkiDir: join(dir, 'pki'),
        redisUrls: { liwan: liwan.seedUrl, nanhai: nanhai.seedUrl },
        gatewayEnv: { liwan: env, nanhai: env },
        fastStaffHashes: true,
      });
      break;
    } catch (err) {
      // A free port taken by a suite running beside this one: start afresh on new ports.
      const logs = DISTRICTS.map((d) => readIfThere(join(dataDir, d, 'logs', 'gateway.log'))).join('');
      if (attempt >= 3 || !logs.includes('EADDRINUSE')) throw err;
    }
  }
}, 90_000);

afterAll(async () => {
  await sys?.stop();
  await Promise.all(Object.values(clusters ?? {}).map((c) => c.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

const gatewayLogs = () => DISTRICTS.map((d) => readIfThere(sys.districts[d].gateway.logFile)).join('');
const caseAt = async (d: District, caseNo: string) => {
  const r = await getJson(`${sys.districts[d].httpUrl}/api/v1/cases/${caseNo}`);
  return r.status === 200 ? r.body : undefined;
};
const waitForState = (d: District, caseNo: string, state: string) =>
  eventually(async () => ((await caseAt(d, caseNo))?.state === state ? true : undefined), `${caseNo} ${state} at ${d}`, 30_000);
const simRecords = async (d: District) =>
  (await getJson(`${sys.districts[d].approvalUrl}/_sim/records`)).body.records as { localNo: string; externalRef: string }[];
const advance = async (d: District, localNo: string, action: string) => {
  const r = await postJson(`${sys.districts[d].approvalUrl}/_sim/cases/${localNo}/advance`, { action, note: '' });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
};
const preWarnings = (c: Record<string, any> | undefined) => (c?.events ?? []).filter((e: any) => e.kind === 'card_issued' && e.data?.card === 'pre_warning');

/** Forwards with the same Idempotency-Key until the gateway answers 201. */
async function forward(origin: District, key: string): Promise<string> {
  return eventually(async () => {
    const r = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases`, applicationFor(otherDistrict(origin)), { 'Idempotency-Key': key });
    return r.status === 201 ? (r.body.caseNo as string) : undefined;
  }, `forward ${key}`, 30_000);
}

/** Every case number of a district's case list, paged 5 at a time (the cursor crosses shards and masters). */
async function listAll(d: District): Promise<string[]> {
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Record<string, any> = (await getJson(`${sys.districts[d].httpUrl}/api/v1/cases?limit=5${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).body;
    seen.push(...page.cases.map((c: any) => c.caseNo as string));
    cursor = page.nextCursor;
  } while (cursor);
  return seen;
}

describe('the gateway on a 3-master Redis Cluster', () => {
  it('when the 16 shard tags are hashed, then they spread over all three masters and each shard keeps its keys on one slot', async () => {
    for (const d of DISTRICTS) {
      const cluster = clusters[d];
      const owners = new Map<number, number>();
      for (const shard of keys.shards) {
        const sv = supervisionKeys(keys).shards[shard.index]!;
        const slots = await Promise.all(
          [shard.outbox, shard.dead, shard.cases, shard.approvalJobs, shard.parcels, `${shard.casePrefix}KC-LW-20260101-000001`, sv.watch, sv.notify, sv.cards].map((k) => cluster.keySlot(k)),
        );
        expect(new Set(slots).size, `shard ${shard.index} keys share a slot`).toBe(1);
        owners.set(shard.index, cluster.ownerOfSlot(slots[0]!));
      }
      expect(owners.size).toBe(SHARD_COUNT);
      expect(new Set(owners.values())).toEqual(new Set(cluster.nodes.map((n) => n.port)));
    }
  });

  it('when cases cross both ways, then each is applied once, followed to approval with one pre-warning, listed, receipted, and stored on the master of its shard', async () => {
    const run = `cl${Date.now().toString(36)}`;
    const accepted: { origin: District; caseNo: string; key: string }[] = [];
    const forwardBatch = async (from: number, count: number) => {
      const batch = Array.from({ length: count }, (_, i) => ({ origin: (from + i) % 2 === 0 ? ('liwan' as const) : ('nanhai' as const), key: `${run}-${from + i}` }));
      accepted.push(...(await Promise.all(batch.map(async (b) => ({ ...b, caseNo: await forward(b.origin, b.key) })))));
    };
    /** How many masters hold the cases `d` handles (so its card list reads from them all). */
    const mastersHolding = async (d: District) => {
      const handled = accepted.filter((a) => otherDistrict(a.origin) === d);
      return new Set(await Promise.all(handled.map((a) => clusters[d].ownerOfKey(keys.case(a.caseNo).record)))).size;
    };
    const fewestMasters = async () => Math.min(...(await Promise.all(DISTRICTS.map(mastersHolding))));
    await forwardBatch(0, 12);
    // Case numbers fall where their hash puts them: add cases until each district handles some on every master.
    while ((await fewestMasters()) < 3 && accepted.length < 40) await forwardBatch(accepted.length, 4);
    expect(await fewestMasters()).toBe(3);

    // Idempotent retry: the same key names the same case.
    for (const again of accepted.slice(0, 2)) expect(await forward(again.origin, again.key)).toBe(again.caseNo);
    expect(new Set(accepted.map((a) => a.caseNo)).size).toBe(accepted.length);

    // The status comes back: registered on both sides.
    await Promise.all(accepted.flatMap(({ origin, caseNo }) => [waitForState(origin, caseNo, 'registered'), waitForState(otherDistrict(origin), caseNo, 'registered')]));

    // Status changes back and a deadline card for every case: accepted (a pre-warning falls due at
    // once); then one case each way approved.
    const records = Object.fromEntries(await Promise.all(DISTRICTS.map(async (d) => [d, await simRecords(d)] as const))) as Record<District, { localNo: string; externalRef: string }[]>;
    const localNoOf = (handling: District, caseNo: string) => records[handling].find((r) => r.externalRef === caseNo)!.localNo;
    await Promise.all(
      accepted.map(async ({ origin, caseNo }) => {
        const handling = otherDistrict(origin);
        await advance(handling, localNoOf(handling, caseNo), 'accept');
        await Promise.all([waitForState(origin, caseNo, 'accepted'), waitForState(handling, caseNo, 'accepted')]);
        await eventually(async () => preWarnings(await caseAt(origin, caseNo)).length > 0, `pre-warning of ${caseNo} at ${origin}`, 30_000);
      }),
    );
    const followed = [accepted.find((a) => a.origin === 'liwan')!, accepted.find((a) => a.origin === 'nanhai')!];
    for (const { origin, caseNo } of followed) {
      const handling = otherDistrict(origin);
      await advance(handling, localNoOf(handling, caseNo), 'approve');
      await Promise.all([waitForState(origin, caseNo, 'approved'), waitForState(handling, caseNo, 'approved')]);
    }
    // One pre-warning per case on both sides, and once in the card list, which reads every shard.
    for (const { origin, caseNo } of accepted) {
      expect(preWarnings(await caseAt(origin, caseNo)), caseNo).toHaveLength(1);
      expect(preWarnings(await caseAt(otherDistrict(origin), caseNo)), caseNo).toHaveLength(1);
    }
    for (const d of DISTRICTS) {
      const listed = await getJson(`${sys.districts[d].httpUrl}/api/v1/cards?limit=200`);
      expect(listed.status, JSON.stringify(listed.body)).toBe(200);
      const cards = listed.body.cards as { caseNo: string; card: string }[];
      for (const { caseNo } of accepted.filter((a) => otherDistrict(a.origin) === d)) expect(cards.filter((c) => c.caseNo === caseNo && c.card === 'pre_warning'), caseNo).toHaveLength(1);
    }

    // None applied twice: one approval record per case at its handling district.
    for (const d of DISTRICTS) {
      const now = await simRecords(d);
      for (const { caseNo } of accepted.filter((a) => otherDistrict(a.origin) === d)) expect(now.filter((r) => r.externalRef === caseNo), caseNo).toHaveLength(1);
    }

    // The case list merges the 16 shard indexes across the masters: every case, once, on both sides.
    for (const d of DISTRICTS) {
      const listed = await listAll(d);
      for (const { caseNo } of accepted) expect(listed.filter((no) => no === caseNo), `${caseNo} listed at ${d}`).toHaveLength(1);
    }

    // Citizen tracking counts its rate limits in the cluster too.
    const tracked = await postJson(`${sys.districts[followed[0]!.origin].httpUrl}/api/v1/track`, { caseNo: followed[0]!.caseNo, phoneLast4: PHONE.slice(-4) });
    expect(tracked.status, JSON.stringify(tracked.body)).toBe(200);

    // Every envelope receipted, and every stored envelope and receipt verifies, on both clusters.
    for (const { origin, caseNo } of accepted) {
      for (const d of [origin, otherDistrict(origin)]) {
        await eventually(async () => (await caseAt(d, caseNo))?.crossings.every((c: any) => c.delivery === 'receipted' || c.delivery === 'received'), `${caseNo} receipted at ${d}`, 30_000);
        const checks = await checkArchive(sys.districts[d].redisUrl, PREFIX, caseNo, { cluster: true });
        expect(checks.length, `${caseNo} at ${d}`).toBeGreaterThanOrEqual(2);
        for (const check of checks) expect(check).toMatchObject({ envelopeValid: true, receiptValid: true, receiptMatches: true });
      }
    }

    // The audit chain (one {audit} slot per gateway) is whole, and the gateways report ready.
    for (const d of DISTRICTS) {
      const redis = createRedisClient({ url: sys.districts[d].redisUrl, cluster: true }, { lazyConnect: true });
      await redis.connect();
      try {
        await eventually(async () => (await redis.hget(keys.audit.head, 'count')) !== null, `audit entries at ${d}`);
        const report = await verifyAuditLog({ redis, keys: keys.audit, district: d, peer: otherDistrict(d) });
        expect(report.firstBreak, d).toBeUndefined();
        expect(report.count, d).toBeGreaterThan(0);
        expect(report.checked, d).toBe(report.count);
      } finally {
        redis.disconnect();
      }
      expect((await fetch(`${sys.districts[d].httpUrl}/readyz`)).status, `${d} ready`).toBe(200);
    }

    // Where the keys are: each case's record, events and archive, and its entry in the shard's case
    // index, on the master that owns its shard's slot — and on no other.
    for (const d of DISTRICTS) {
      const cluster = clusters[d];
      const clients = new Map(cluster.nodes.map((n) => [n.port, cluster.nodeClient(n.port)]));
      try {
        for (const { caseNo } of accepted) {
          const k = keys.case(caseNo);
          const slot = await cluster.keySlot(k.record);
          const owner = cluster.ownerOfSlot(slot);
          for (const [port, client] of clients) {
            if (port === owner) {
              expect(await client.exists(k.record, k.events, k.archive), `${caseNo} at ${d}:${port}`).toBe(3);
              expect(await client.zscore(keys.shardFor(caseNo).cases, caseNo)).not.toBeNull();
            } else {
              // Another master answers MOVED for the key, and holds nothing in its slot.
              expect(Number(await client.call('CLUSTER', 'COUNTKEYSINSLOT', slot)), `slot ${slot} at ${d}:${port}`).toBe(0);
            }
          }
        }
      } finally {
        for (const c of clients.values()) c.disconnect();
      }
    }
    expect(gatewayLogs()).not.toMatch(/CROSSSLOT|same slots allocation group/);
  }, 150_000);

  it('when an operator exports a stored envelope from the cluster, then openssl verifies it and its receipt', async () => {
    const caseNo = await forward('nanhai', `export-${Date.now().toString(36)}`);
    const application = await eventually(async () => {
      const c = await caseAt('nanhai', caseNo);
      return c?.crossings.find((x: any) => x.type === 'application' && x.delivery === 'receipted');
    }, `${caseNo} application receipted`, 30_000);
    const out = join(dir, `export-${caseNo}`);
    await exportEnvelope({ redisUrl: sys.districts.nanhai.redisUrl, cluster: true, prefix: PREFIX, caseNo, messageId: application.id, outDir: out });
    for (const name of ['envelope', 'receipt']) {
      const verified = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(out, `${name}.signer.pubkey.pem`), '-signature', join(out, `${name}.sig.der`), join(out, `${name}.body.json`)], {
        encoding: 'utf8',
      });
      expect(verified.trim()).toBe('Verified OK');
    }
  });

  it('when a case event is published through any master, then a gateway subscriber on the cluster hears it', async () => {
    const cluster = clusters.liwan;
    const redis = createRedisClient({ url: cluster.seedUrl, cluster: true }, { lazyConnect: true });
    await redis.connect();
    const channel = `${PREFIX}-hub-test:case-events`;
    const hub = await createCaseEventsHub(redis, channel, createLogger({ level: 'silent' }));
    let heard = 0;
    const unwatch = hub.watch('KC-LW-20260101-000001', () => (heard += 1));
    try {
      // Lua scripts PUBLISH on the master of the case's shard; the subscriber sits on one node.
      for (const node of cluster.nodes) {
        const client = cluster.nodeClient(node.port);
        await client.publish(channel, 'KC-LW-20260101-000001');
        client.disconnect();
      }
      await eventually(async () => heard === cluster.nodes.length, `${cluster.nodes.length} notifications (heard ${heard})`);
    } finally {
      unwatch();
      await hub.close();
      redis.disconnect();
    }
  });
});
