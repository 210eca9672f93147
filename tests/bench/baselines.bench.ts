/**
 * The floors every other benchmark is read against, measured on the same machine in the same run
 * (these machines are shared and noisy, so only ratios travel between runs). Not part of npm test:
 *
 *   node --import tsx tests/bench/baselines.bench.ts
 *   BENCH_SECONDS=4 node --import tsx tests/bench/baselines.bench.ts     (the default; ~20 s in all)
 *
 * Other benchmarks name these figures as "baselines.<id>":
 * - grpcEcho: @grpc/grpc-js unary calls answering a 2 KB message with itself, 64 in flight on one
 *   channel, the server in a node process of its own (as the peer gateway is), over mutual TLS with
 *   the development PKI built exactly as the peer link builds it (gateway/grpc/tls.ts, the nanhai
 *   chain on the server, the liwan chain on the client, the identity check and SNI of
 *   gateway/peer/client.ts). What a peer delivery costs before the gateway does any work.
 * - ecdsaSign / ecdsaVerify: node:crypto ECDSA P-256 with SHA-256 over a 2 KB message with a
 *   KeyObject, one thread: what each envelope and receipt costs to sign and to check.
 * - redisSet / redisSet64: ioredis SET of a 100-byte value against a private redis-server with AOF
 *   on, appendfsync everysec (tests/helpers/redis.ts, never the shared 6379): one round trip at a
 *   time, and 64 in flight on one connection (ioredis queues them; nothing is pipelined by hand).
 *   redisSet64AutoPipelined is the same with the gateway's own client options
 *   (gateway/store/client-options.ts: enableAutoPipelining).
 *
 * Writes var/bench/baselines.json and prints the Markdown table (tests/bench/lib/report.ts).
 */
import { makeGenericClientConstructor, Metadata, type ServiceError } from '@grpc/grpc-js';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import { devPkiPaths, ensureDevPki } from '../../certs/dev-pki.js';
import { TrustStore } from '../../gateway/envelope/trust-store.js';
import { STORE_CLIENT_OPTIONS } from '../../gateway/store/client-options.js';
import { clientCredentials, loadTlsMaterial } from '../../gateway/grpc/tls.js';
import { spawnTs, type TsProcess } from '../helpers/process.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { ECHO_READY, ECHO_SERVICE } from './lib/echo-service.js';
import { sortedNumbers } from './lib/load.js';
import { percentile, round, runBench, type Figure } from './lib/report.js';
import { timedLoop, timedSyncLoop } from './lib/timed-loop.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** The short runs (signatures, Redis) get half the gRPC window each: they settle much faster. */
const SHORT_SECONDS = SECONDS / 2;
const WARMUP_SECONDS = Math.min(1, SECONDS / 4);
const IN_FLIGHT = 64;
const ECHO_BYTES = 2048;
const SIGNED_BYTES = 2048;
const SET_VALUE_BYTES = 100;
/** SET keys are reused round-robin so the run's memory stays flat whatever its length. */
const SET_KEYS = 10_000;

const perSecond = (r: { count: number; seconds: number }) => r.count / r.seconds;
const ms = (x: number) => round(x, 2);

// ---- gRPC echo --------------------------------------------------------------------------------------

interface EchoClient {
  echo(message: Buffer): Promise<Buffer>;
  close(): void;
}

function echoClient(port: number, pkiDir: string): EchoClient {
  const pki = devPkiPaths(pkiDir);
  const trust = new TrustStore(join(pki.dir, 'trust'));
  const tls = loadTlsMaterial({ certPath: pki.districts.liwan.chain, keyPath: pki.districts.liwan.key, rootsPem: trust.rootCertificatesPem() });
  const Client = makeGenericClientConstructor(ECHO_SERVICE, 'Echo');
  const client = new Client(
    `127.0.0.1:${port}`,
    clientCredentials(tls, (id) => id?.kind === 'gateway' && id.district === 'nanhai'),
    // The peer link's channel options (gateway/peer/client.ts), so the handshake and SNI match.
    {
      'grpc.ssl_target_name_override': 'gateway.nanhai.kuacheng',
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    },
  );
  const call = client.echo as (m: Buffer, md: Metadata, o: { deadline: number }, cb: (err: ServiceError | null, r: Buffer) => void) => void;
  return {
    echo: (message) =>
      new Promise((resolve, reject) => call.call(client, message, new Metadata(), { deadline: Date.now() + 10_000 }, (err, reply) => (err ? reject(err) : resolve(reply)))),
    close: () => client.close(),
  };
}

async function measureGrpcEcho(dir: string): Promise<{ figure: Figure; details: Record<string, unknown> }> {
  const pkiDir = join(dir, 'pki');
  ensureDevPki(pkiDir);
  let server: TsProcess | undefined;
  let client: EchoClient | undefined;
  try {
    server = await spawnTs('tests/bench/lib/echo-server.ts', { name: 'echo-server', args: [pkiDir], readyLine: ECHO_READY, logFile: join(dir, 'echo-server.log') });
    const port = Number(ECHO_READY.exec(server.logs())?.[1]);
    client = echoClient(port, pkiDir);
    const message = randomBytes(ECHO_BYTES);
    const reply = await client.echo(message);
    if (!reply.equals(message)) throw new Error('the echo server answered other bytes');
    const c = client;
    await timedLoop(WARMUP_SECONDS, IN_FLIGHT, () => c.echo(message));
    const run = await timedLoop(SECONDS, IN_FLIGHT, () => c.echo(message), { latencies: true });
    const sorted = sortedNumbers(run.latenciesMs);
    const p50 = ms(percentile(sorted, 0.5));
    const p99 = ms(percentile(sorted, 0.99));
    return {
      figure: {
        id: 'grpcEcho',
        label: `gRPC unary echo, ${ECHO_BYTES / 1024} KB, mutual TLS, ${IN_FLIGHT} in flight, server in its own process`,
        value: Math.round(perSecond(run)),
        unit: 'req/s',
        isBaseline: true,
        note: `p50 ${p50} ms, p99 ${p99} ms; ${run.count} calls in ${round(run.seconds, 1)} s`,
      },
      details: { calls: run.count, seconds: run.seconds, p50Ms: p50, p90Ms: ms(percentile(sorted, 0.9)), p99Ms: p99, maxMs: ms(sorted.at(-1) ?? NaN) },
    };
  } finally {
    client?.close();
    await server?.stop();
  }
}

// ---- ECDSA --------------------------------------------------------------------------------------------

function measureEcdsa(): { figures: Figure[]; details: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const message = randomBytes(SIGNED_BYTES);
  const signature = sign('sha256', message, privateKey);
  if (!verify('sha256', message, publicKey, signature)) throw new Error('a fresh ECDSA signature does not verify');

  timedSyncLoop(WARMUP_SECONDS / 2, () => sign('sha256', message, privateKey));
  const signed = timedSyncLoop(SHORT_SECONDS, () => sign('sha256', message, privateKey));
  timedSyncLoop(WARMUP_SECONDS / 2, () => verify('sha256', message, publicKey, signature));
  const verified = timedSyncLoop(SHORT_SECONDS, () => verify('sha256', message, publicKey, signature));
  const what = `ECDSA P-256 / SHA-256 over ${SIGNED_BYTES / 1024} KB, KeyObject, one thread`;
  return {
    figures: [
      { id: 'ecdsaSign', label: `${what}: sign`, value: Math.round(perSecond(signed)), unit: 'ops/s', isBaseline: true, note: `${round(1e6 / perSecond(signed), 1)} µs each` },
      { id: 'ecdsaVerify', label: `${what}: verify`, value: Math.round(perSecond(verified)), unit: 'ops/s', isBaseline: true, note: `${round(1e6 / perSecond(verified), 1)} µs each` },
    ],
    details: { sign: signed, verify: verified },
  };
}

// ---- Redis SET ------------------------------------------------------------------------------------------

async function measureSets(redis: RedisHandle, inFlight: number, options: RedisOptions = {}) {
  const client = new Redis(redis.url, options);
  try {
    const value = randomBytes(SET_VALUE_BYTES / 2).toString('hex');
    const set = (i: number) => client.set(`bench:set:${i % SET_KEYS}`, value);
    await timedLoop(WARMUP_SECONDS / 2, inFlight, set);
    const run = await timedLoop(SHORT_SECONDS, inFlight, set, { latencies: true });
    const sorted = sortedNumbers(run.latenciesMs);
    return { count: run.count, seconds: run.seconds, perSec: Math.round(perSecond(run)), p50Ms: ms(percentile(sorted, 0.5)), p99Ms: ms(percentile(sorted, 0.99)) };
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}

async function measureRedis(): Promise<{ figures: Figure[]; details: Record<string, unknown> }> {
  const redis = await startRedis(); // AOF on, appendfsync everysec
  try {
    const one = await measureSets(redis, 1);
    const many = await measureSets(redis, IN_FLIGHT);
    const auto = await measureSets(redis, IN_FLIGHT, STORE_CLIENT_OPTIONS);
    const what = `ioredis SET (${SET_VALUE_BYTES} B value), private redis-server, AOF everysec`;
    const note = (r: typeof one) => `p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms`;
    return {
      figures: [
        { id: 'redisSet', label: `${what}, one at a time`, value: one.perSec, unit: 'ops/s', isBaseline: true, note: note(one) },
        { id: 'redisSet64', label: `${what}, ${IN_FLIGHT} in flight`, value: many.perSec, unit: 'ops/s', isBaseline: true, note: note(many) },
        {
          id: 'redisSet64AutoPipelined',
          label: `${what}, ${IN_FLIGHT} in flight, enableAutoPipelining (as the gateway)`,
          value: auto.perSec,
          unit: 'ops/s',
          isBaseline: true,
          note: note(auto),
        },
      ],
      details: { sequential: one, inFlight64: many, inFlight64AutoPipelined: auto },
    };
  } finally {
    await redis.stop();
  }
}

// ---- the run -------------------------------------------------------------------------------------------

await runBench('baselines', 'Same-run baselines: gRPC echo over mutual TLS, ECDSA P-256, Redis SET', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kc-bench-baselines-'));
  try {
    const grpc = await measureGrpcEcho(dir);
    const ecdsa = measureEcdsa();
    const redis = await measureRedis();
    return {
      figures: [grpc.figure, ...ecdsa.figures, ...redis.figures],
      details: { seconds: SECONDS, grpcEcho: grpc.details, ecdsa: ecdsa.details, redis: redis.details },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
