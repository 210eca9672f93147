/**
 * The fuzz run: seeded, repeatable malformed input against the staff REST API, the partner gRPC API
 * and the peer gRPC API of the whole two-district system running as real processes
 * (tests/helpers/system.ts). Both gateways are targeted; the peer API is reached with the real
 * gateway identity of the other district, the partner API with a real partner certificate.
 *
 * Invariants, checked per answer (fuzz-tally.ts says which answers are acceptable and why) and after
 * the run: both gateway processes are alive and /healthz answers; neither Redis holds anything it
 * did not hold before (store-snapshot.ts: every key's DUMP digest, leaving out the audit chain and
 * the rate-limit counters and sessions, which refusals write by design); the audit entries the run
 * added record refusals only; both approval simulators hold the records they held before.
 *
 * CI: 10,000 inputs; KC_LONG_FAULTS=1: 100,000 (KC_FUZZ_INPUTS sets any other number, KC_FUZZ_SEED
 * another seed).
 */
import { credentials } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { Agent } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devPkiPaths } from '../../certs/dev-pki.js';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { loadSigner } from '../../gateway/envelope/signer.js';
import { clientCredentials } from '../../gateway/grpc/tls.js';
import { eventually } from '../helpers/gateways.js';
import { signIn, type StaffSession } from '../helpers/staff.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';
import { partnerInput, peerInput, rawGrpcClient, type PeerSide } from './fuzz-grpc.js';
import { rand } from './fuzz-mutate.js';
import { restInput, sendRest } from './fuzz-rest.js';
import { Tally } from './fuzz-tally.js';
import { acceptedEntries, auditLength, auditSince, snapshotStore, storeDiff, type KeyDigests } from './store-snapshot.js';

const LONG = process.env.KC_LONG_FAULTS === '1';
const SEED = Number(process.env.KC_FUZZ_SEED ?? 20_260_707);
const TOTAL = Number(process.env.KC_FUZZ_INPUTS ?? (LONG ? 100_000 : 10_000));
/** Share of the inputs per API. */
const SPLIT = { rest: 0.4, partner: 0.3, peer: 0.3 } as const;
/** Requests in flight per API and district. */
const WORKERS = { rest: 8, partner: 3, peer: 3 } as const;
/** The redis key prefix of gateways started by scripts/local-system.ts (KC_REDIS_PREFIX's default). */
const PREFIX = 'kc';

let sys: SystemUnderTest;
const redis = {} as Record<District, Redis>;
const sessions = {} as Record<District, StaffSession>;

beforeAll(async () => {
  // warn: every refusal and error is still logged; info lines would only cost time.
  sys = await startSystem({ KC_LOG_LEVEL: 'warn' });
  for (const d of DISTRICTS) {
    redis[d] = new Redis(sys.districts[d].redisUrl);
    sessions[d] = await signIn(sys.districts[d].httpUrl, 'kc-admin');
  }
}, 180_000);

afterAll(async () => {
  for (const d of DISTRICTS) redis[d]?.disconnect();
  await sys?.cleanup();
}, 60_000);

/** The distinct errors the gateways logged (level error and above), with the top of their stacks: what to fix. */
function gatewayErrors(): string {
  const seen = new Map<string, number>();
  for (const line of sys.gatewayLogs().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string; stack?: string } };
    if ((entry.level ?? 0) < 50) continue;
    const key = `${entry.msg}: ${entry.err?.stack?.split('\n').slice(0, 4).join(' | ') ?? entry.err?.message ?? ''}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  return [...seen].map(([k, n]) => `${n}× ${k}`).join('\n');
}

/** Runs `count` inputs through `workers` concurrent loops; input i is generated when its turn comes. */
async function drive(label: string, count: number, workers: number, one: (i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await one(next++);
    }),
  );
  finished.push(`${label}: ${count} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
const finished: string[] = [];

describe('fuzz run', () => {
  it(`when ${TOTAL} seeded malformed inputs hit the REST, partner and peer APIs of both gateways, then none gets a 5xx or INTERNAL, both processes live, and nothing is stored`, async () => {
    const pki = devPkiPaths(join(sys.dir, 'pki'));
    const rootsPem = readFileSync(pki.trust.root, 'utf8');
    const before = {} as Record<District, { store: KeyDigests; audit: number; sim: unknown }>;
    for (const d of DISTRICTS) {
      before[d] = { store: await snapshotStore(redis[d], PREFIX), audit: await auditLength(redis[d], PREFIX), sim: await sys.simRecords(d) };
    }

    // Clients, one set per target district.
    const agents = Object.fromEntries(DISTRICTS.map((d) => [d, new Agent({ keepAlive: true, maxSockets: WORKERS.rest })])) as Record<District, Agent>;
    const partner = Object.fromEntries(
      DISTRICTS.map((d) => [
        d,
        rawGrpcClient(
          sys.districts[d].partnerAddress,
          credentials.createSsl(Buffer.from(rootsPem), readFileSync(pki.partners['kiosk-liwan']!.key), readFileSync(pki.partners['kiosk-liwan']!.cert), {
            checkServerIdentity: () => undefined,
          }),
        ),
      ]),
    ) as Record<District, ReturnType<typeof rawGrpcClient>>;
    // We play the other district's gateway: its real TLS identity and its real signing key.
    const sides = {} as Record<District, PeerSide>;
    const peer = {} as Record<District, ReturnType<typeof rawGrpcClient>>;
    for (const to of DISTRICTS) {
      const from = otherDistrict(to);
      const own = pki.districts[from];
      sides[to] = {
        from,
        to,
        signer: loadSigner({ district: from, certPath: own.chain, keyPath: own.key }),
        otherCertDer: loadSigner({ district: to, certPath: pki.districts[to].chain, keyPath: pki.districts[to].key }).chain[0]!,
      };
      const creds = clientCredentials({ rootsPem, certChainPem: readFileSync(own.chain), keyPem: readFileSync(own.key) }, (id) => id?.kind === 'gateway' && id.district === to);
      peer[to] = rawGrpcClient(`127.0.0.1:${sys.districts[to].ports.peer}`, creds, { 'grpc.ssl_target_name_override': `gateway.${to}.kuacheng` });
    }

    const tally = new Tally();
    const counts = { rest: Math.round(TOTAL * SPLIT.rest), partner: Math.round(TOTAL * SPLIT.partner), peer: Math.round(TOTAL * SPLIT.peer) };
    const started = performance.now();
    try {
      await Promise.all(
        DISTRICTS.flatMap((d, k) => {
          // One generator per API and district, each from its own seed: the inputs do not depend on timing.
          const rRest = rand(SEED * 31 + 1 + k);
          const rPartner = rand(SEED * 31 + 11 + k);
          const rPeer = rand(SEED * 31 + 21 + k);
          const origin = sys.districts[d].httpUrl;
          const auth = { cookie: sessions[d].cookie, csrfToken: sessions[d].csrfToken };
          return [
            drive(`rest→${d}`, counts.rest / 2, WORKERS.rest, async (i) => {
              const input = restInput(rRest, auth);
              const t = performance.now();
              tally.rest(i, input, await sendRest(agents[d], origin, input).catch((err: unknown) => err as Error));
              tally.timed(input.kind, performance.now() - t);
            }),
            drive(`partner→${d}`, counts.partner / 2, WORKERS.partner, async (i) => {
              const input = partnerInput(rPartner);
              const t = performance.now();
              tally.grpc('partner', i, input, await partner[d].send(input));
              tally.timed(input.kind, performance.now() - t);
            }),
            drive(`peer→${d}`, counts.peer / 2, WORKERS.peer, async (i) => {
              const input = peerInput(rPeer, sides[d]);
              const t = performance.now();
              tally.grpc('peer', i, input, await peer[d].send(input));
              tally.timed(input.kind, performance.now() - t);
            }),
          ];
        }),
      );
    } finally {
      for (const d of DISTRICTS) {
        agents[d].destroy();
        partner[d].close();
        peer[d].close();
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz seed ${SEED}: ${TOTAL} inputs in ${seconds.toFixed(1)} s (${finished.join(', ')})\n${tally.report()}`);

    // Soft: the process, store and audit invariants below are checked and reported too.
    expect.soft(tally.violations, `${tally.violationTotal} unacceptable answers, the first:\n${tally.violations.join('\n')}\n${gatewayErrors()}`).toEqual([]);
    expect(tally.total('rest') + tally.total('partner') + tally.total('peer')).toBe(TOTAL);

    for (const d of DISTRICTS) {
      // Alive and answering.
      expect(sys.districts[d].gateway.pid, `gateway-${d} process`).toBeDefined();
      const health = await fetch(`${sys.districts[d].httpUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', district: d });
      // Nothing stored. The audit chain is written in batches: wait until it has settled.
      let seen = -1;
      const added = await eventually(async () => {
        const n = await auditLength(redis[d], PREFIX);
        const settled = n === seen;
        seen = n;
        return settled ? auditSince(redis[d], PREFIX, before[d].audit) : undefined;
      }, `the audit log of ${d} settled`, 30_000);
      expect(acceptedEntries(added), `audit entries of accepted requests at ${d}`).toEqual([]);
      expect(storeDiff(before[d].store, await snapshotStore(redis[d], PREFIX)), `keys changed at ${d}`).toEqual([]);
      expect(await sys.simRecords(d), `approval simulator records at ${d}`).toEqual(before[d].sim);
    }
  }, LONG ? 3_600_000 : 600_000);
});
