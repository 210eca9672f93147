/**
 * The Redis test harness itself (tests/helpers/redis.ts, process.ts): a private redis-server with
 * AOF that survives kill -9, a clean stop, and no server left behind by a dying test process.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, spawnTs } from '../helpers/process.js';
import { isAlive, startRedis, uniquePrefix, type RedisHandle } from '../helpers/redis.js';

const started: RedisHandle[] = [];
const clients: Redis[] = [];
const tempDirs: string[] = [];

async function start(opts?: Parameters<typeof startRedis>[0]): Promise<RedisHandle> {
  const redis = await startRedis(opts);
  started.push(redis);
  return redis;
}

function client(redis: RedisHandle): Redis {
  const c = new Redis(redis.url, { maxRetriesPerRequest: 1, lazyConnect: false });
  clients.push(c);
  return c;
}

async function waitUntil(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit().catch(() => c.disconnect())));
});

afterAll(async () => {
  await Promise.all(started.map((r) => r.stop()));
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('redis harness', () => {
  it('when started, then it answers on its own loopback port, never 6379, with AOF on', async () => {
    const a = await start();
    const b = await start();
    expect(a.url).toBe(`redis://127.0.0.1:${a.port}`);
    expect(a.port).not.toBe(b.port);
    expect([a.port, b.port]).not.toContain(6379);
    const c = client(a);
    expect(await c.ping()).toBe('PONG');
    expect(await c.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await c.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
    expect(await c.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
  });

  it('when killed with SIGKILL and restarted, then the data written before is still there (AOF replay)', async () => {
    const redis = await start();
    const prefix = uniquePrefix('aof-replay');
    const before = client(redis);
    await before.set(`${prefix}:plain`, 'kept');
    await before.hset(`${prefix}:{case-1}:fields`, { state: 'accepted', seq: '7' });
    await before.rpush(`${prefix}:list`, 'a', 'b', 'c');
    before.disconnect();

    const pid = redis.pid;
    expect(pid).toBeTypeOf('number');
    await redis.kill9();
    expect(redis.pid).toBeUndefined();
    expect(isAlive(pid!)).toBe(false);
    expect(readdirSync(redis.dir)).toContain('appendonlydir');

    await redis.restart();
    expect(redis.pid).not.toBe(pid);
    const after = client(redis);
    expect(await after.get(`${prefix}:plain`)).toBe('kept');
    expect(await after.hgetall(`${prefix}:{case-1}:fields`)).toEqual({ state: 'accepted', seq: '7' });
    expect(await after.lrange(`${prefix}:list`, 0, -1)).toEqual(['a', 'b', 'c']);
  });

  it('when restarted gracefully, then it keeps its port, dir and data', async () => {
    const redis = await start();
    const prefix = uniquePrefix('graceful');
    const { port, dir } = redis;
    const before = client(redis);
    await before.set(`${prefix}:k`, 'v');
    before.disconnect();
    await redis.restart();
    expect([redis.port, redis.dir]).toEqual([port, dir]);
    expect(await client(redis).get(`${prefix}:k`)).toBe('v');
  });

  it('when AOF is off, then kill -9 and restart lose the data (so the AOF is what keeps it)', async () => {
    const redis = await start({ appendonly: false });
    const prefix = uniquePrefix('no-aof');
    const before = client(redis);
    await before.set(`${prefix}:k`, 'v');
    before.disconnect();
    await redis.kill9();
    await redis.restart();
    expect(await client(redis).get(`${prefix}:k`)).toBeNull();
  });

  it('when stopped, then the server process is gone and its dir is removed', async () => {
    const redis = await startRedis();
    const { pid, dir } = redis;
    expect(isAlive(pid!)).toBe(true);
    await redis.stop();
    expect(isAlive(pid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await redis.stop(); // idempotent
    await expect(redis.restart()).rejects.toThrow(/after stop/);
  });

  it('when two tests ask for prefixes, then they never collide and are valid KC_REDIS_PREFIX values', () => {
    const prefixes = new Set(Array.from({ length: 1000 }, () => uniquePrefix('same name {with} tags:*')));
    expect(prefixes.size).toBe(1000);
    for (const p of prefixes) expect(p).toMatch(/^[a-z0-9_-]+$/i);
  });
});

describe('no leaked redis-server', () => {
  // A stand-in for a test worker: starts a redis through the harness, prints its pid, then either
  // exits normally or waits to be killed.
  function writeFixture(mode: 'exit' | 'hang'): string {
    const dir = mkdtempSync(join(tmpdir(), 'kc-harness-'));
    tempDirs.push(dir);
    const file = join(dir, `fixture-${mode}.mts`);
    const helper = pathToFileURL(join(REPO_ROOT, 'tests/helpers/redis.ts')).href;
    writeFileSync(
      file,
      [
        `import { startRedis } from ${JSON.stringify(helper)};`,
        `const redis = await startRedis();`,
        `console.log('ready ' + redis.pid + ' ' + redis.dir);`,
        mode === 'exit' ? `process.exit(0);` : `setInterval(() => {}, 1000);`,
      ].join('\n'),
    );
    return file;
  }

  function parseReady(logs: string): { pid: number; dir: string } {
    const match = /^ready (\d+) (\S+)$/m.exec(logs);
    if (!match) throw new Error(`no ready line in:\n${logs}`);
    return { pid: Number(match[1]), dir: match[2]! };
  }

  it('when the test process exits, then its redis-server is killed and its dir removed', async () => {
    const proc = await spawnTs(writeFixture('exit'), { name: 'harness-exit', readyLine: /^ready /, timeoutMs: 20_000 });
    tempDirs.push(dirname(proc.logFile));
    const { pid, dir } = parseReady(proc.logs());
    await proc.waitExit();
    await waitUntil('redis-server is gone', () => !isAlive(pid), 2_000);
    expect(existsSync(dir)).toBe(false);
  });

  it('when the test process is killed with SIGKILL, then the watchdog kills its redis-server', async () => {
    const proc = await spawnTs(writeFixture('hang'), { name: 'harness-kill9', readyLine: /^ready /, timeoutMs: 20_000 });
    tempDirs.push(dirname(proc.logFile));
    const { pid, dir } = parseReady(proc.logs());
    expect(isAlive(pid)).toBe(true);
    await proc.kill9();
    await waitUntil('redis-server is gone', () => !isAlive(pid), 5_000);
    rmSync(dir, { recursive: true, force: true }); // no exit hook ran: the dir is ours to remove
  });
});
