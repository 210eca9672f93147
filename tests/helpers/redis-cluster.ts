/**
 * A real Redis Cluster for tests: three redis-server masters in cluster mode on free loopback ports
 * (AOF on, each in its own fresh temp dir), joined with `redis-cli --cluster create`, and ready once
 * every node reports cluster_state:ok and the same slot map. Never the shared Redis on 6379.
 *
 *   const cluster = await startRedisCluster();
 *   // KC_REDIS_URL=cluster.seedUrl KC_REDIS_CLUSTER=true
 *   await cluster.ownerOfKey('kc:{s03}:outbox');   // → port of the master that holds it
 *   await cluster.stop();                           // in afterAll
 *
 * The servers are killed if the test process exits or dies (trackChild), like helpers/redis.ts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePorts } from '../../scripts/processes.js';
import { trackChild } from './process.js';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';
const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ClusterNode {
  port: number;
  /** redis://127.0.0.1:<port> — a plain client on it answers MOVED for keys of other masters. */
  url: string;
  dir: string;
}

export interface RedisClusterHandle {
  /** One node's URL, the seed a cluster client starts from (KC_REDIS_URL with KC_REDIS_CLUSTER=true). */
  readonly seedUrl: string;
  readonly nodes: readonly ClusterNode[];
  /** The hash slot of a key (CLUSTER KEYSLOT). */
  keySlot(key: string): Promise<number>;
  /** The port of the master that owns a slot. */
  ownerOfSlot(slot: number): number;
  /** The port of the master that owns a key's slot. */
  ownerOfKey(key: string): Promise<number>;
  /** A plain (non-cluster) client on one node, for looking at what that node alone holds. Caller disconnects. */
  nodeClient(port: number): Redis;
  /** All the nodes' logs so far. */
  logs(): string;
  /** SIGTERM every node (SIGKILL after 5 s), then remove the dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartRedisClusterOptions {
  /** Number of masters (no replicas). Default 3 — the smallest cluster redis-cli will create. */
  masters?: number;
  /** How long to wait for the cluster to form. Default 30 s. */
  readyTimeoutMs?: number;
}

interface Running {
  node: ClusterNode;
  child: ChildProcess;
  logFile: string;
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

async function waitExit(child: ChildProcess, killAfterMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  clearTimeout(timer);
}

async function launch(dir: string, port: number, busPort: number): Promise<Running> {
  const nodeDir = join(dir, String(port));
  mkdirSync(nodeDir, { recursive: true });
  const logFile = join(nodeDir, 'redis.log');
  const args = [
    '--port', String(port),
    // The bus port is chosen too: port + 10000, the default, may be taken or beyond 65535.
    '--cluster-port', String(busPort),
    '--bind', '127.0.0.1',
    '--protected-mode', 'yes',
    '--cluster-enabled', 'yes',
    '--cluster-config-file', join(nodeDir, 'nodes.conf'),
    '--cluster-announce-ip', '127.0.0.1',
    '--cluster-node-timeout', '5000',
    '--dir', nodeDir,
    '--logfile', logFile,
    '--daemonize', 'no',
    '--save', '',
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
  ];
  const child = spawn(REDIS_SERVER, args, { cwd: nodeDir, stdio: 'ignore' });
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (err) => resolve(err));
  });
  if (spawnError) throw new Error(`startRedisCluster: cannot run ${REDIS_SERVER}: ${spawnError.message}`);
  trackChild(child);
  return { node: { port, url: `redis://127.0.0.1:${port}`, dir: nodeDir }, child, logFile };
}

async function waitReady(r: Running, until: number): Promise<void> {
  for (;;) {
    if (r.child.exitCode !== null || r.child.signalCode !== null) {
      throw new Error(`startRedisCluster: redis-server on ${r.node.port} exited:\n${readLog(r.logFile).trim().split('\n').slice(-15).join('\n')}`);
    }
    if (readLog(r.logFile).includes('Ready to accept connections')) return;
    if (Date.now() > until) throw new Error(`startRedisCluster: redis-server on ${r.node.port} not ready in time`);
    await sleep(25);
  }
}

/** CLUSTER SLOTS as [first, last, master port] ranges, sorted. */
async function slotMap(client: Redis): Promise<[number, number, number][]> {
  const slots = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  return slots.map(([first, last, master]) => [first, last, Number(master[1])] as [number, number, number]).sort((a, b) => a[0] - b[0]);
}

export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = opts.masters ?? 3;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'kc-redis-cluster-'));
  let running: Running[] = [];
  const stopAll = async () => {
    await Promise.all(
      running.map(async (r) => {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGTERM');
        await waitExit(r.child, 5_000);
      }),
    );
  };

  try {
    // Free ports are free when picked, not always when bound: start afresh on new ones if a node lost the race.
    for (let attempt = 1; ; attempt++) {
      const ports = await freePorts(masters * 2);
      running = await Promise.all(Array.from({ length: masters }, (_, i) => launch(dir, ports[i]!, ports[masters + i]!)));
      try {
        const until = Date.now() + readyTimeoutMs;
        await Promise.all(running.map((r) => waitReady(r, until)));
        break;
      } catch (err) {
        const inUse = running.some((r) => /Address already in use/i.test(readLog(r.logFile)));
        await stopAll();
        if (!inUse || attempt >= 3) throw err;
        for (const r of running) rmSync(r.node.dir, { recursive: true, force: true });
      }
    }

    const addresses = running.map((r) => `127.0.0.1:${r.node.port}`);
    await run(REDIS_CLI, ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: readyTimeoutMs });

    // Ready when every node says ok and sees the same slot map (redis-cli returns once they agree on
    // the config epoch; the gossip that tells each node the others' slots may still be under way).
    const clients = running.map((r) => new Redis(r.node.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 }));
    let map: [number, number, number][] = [];
    try {
      const until = Date.now() + readyTimeoutMs;
      for (;;) {
        const infos = await Promise.all(clients.map((c) => c.call('CLUSTER', 'INFO') as Promise<string>));
        const maps = await Promise.all(clients.map((c) => slotMap(c)));
        const agreed = maps.every((m) => JSON.stringify(m) === JSON.stringify(maps[0]));
        const covered = (maps[0] ?? []).reduce((n, [first, last]) => n + last - first + 1, 0) === 16384;
        if (infos.every((i) => /cluster_state:ok/.test(i)) && agreed && covered) {
          map = maps[0]!;
          break;
        }
        if (Date.now() > until) throw new Error(`startRedisCluster: the cluster did not become ready:\n${infos.join('\n---\n')}`);
        await sleep(100);
      }
    } finally {
      for (const c of clients) c.disconnect();
    }

    const probe = new Redis(running[0]!.node.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
    const ownerOfSlot = (slot: number): number => {
      const range = map.find(([first, last]) => slot >= first && slot <= last);
      if (!range) throw new Error(`slot ${slot} has no owner`);
      return range[2];
    };
    const keySlot = async (key: string) => Number(await probe.call('CLUSTER', 'KEYSLOT', key));
    let stopped = false;
    return {
      seedUrl: running[0]!.node.url,
      nodes: running.map((r) => r.node),
      keySlot,
      ownerOfSlot,
      ownerOfKey: async (key) => ownerOfSlot(await keySlot(key)),
      nodeClient: (port) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }),
      logs: () => running.map((r) => `--- ${r.node.port}\n${readLog(r.logFile)}`).join('\n'),
      async stop() {
        if (stopped) return;
        stopped = true;
        probe.disconnect();
        await stopAll();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
