/**
 * A real, private redis-server for integration tests: its own loopback port, its own fresh temp dir,
 * AOF on (`appendfsync everysec`) like production. Never the shared Redis on 6379.
 *
 *   const redis = await startRedis();
 *   const client = new Redis(redis.url);
 *   await redis.kill9();     // crash it
 *   await redis.restart();   // same port, same dir: the AOF is replayed
 *   await redis.stop();      // in afterAll: graceful shutdown, temp dir removed
 *
 * The server is killed if the test process exits or dies (see trackChild in ./process.ts), and its
 * temp dir is removed on exit.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../scripts/processes.js';
import { isAlive, trackChild } from './process.js';

export interface StartRedisOptions {
  /** AOF persistence (appendfsync everysec). Default true. */
  appendonly?: boolean;
  /** Redis Cluster is not supported by this helper yet. */
  cluster?: false;
  /** How long to wait for PING to answer. Default 10 s. */
  readyTimeoutMs?: number;
}

export interface RedisHandle {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Working dir: AOF (appendonlydir/) and redis.log. */
  readonly dir: string;
  /** pid of the running server, undefined while it is down. */
  readonly pid: number | undefined;
  /** Graceful shutdown (SIGTERM; SIGKILL after 5 s), then the dir is removed unless keepDir. Idempotent. */
  stop(opts?: { keepDir?: boolean }): Promise<void>;
  /** SIGKILL: a crash. The dir stays, for restart(). */
  kill9(): Promise<void>;
  /** Stop (gracefully) if running, then start again on the same port and dir; waits for PING. */
  restart(): Promise<void>;
  /** The server log so far. */
  logs(): string;
}

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const dirsToRemove = new Set<string>();
let exitHookInstalled = false;

function removeDirsOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of dirsToRemove) rmSync(dir, { recursive: true, force: true });
  });
}

let prefixCounter = 0;

/**
 * A key prefix of its own for one test, e.g. `t_applies-envelope_k3x9a1f2c3`. Only [A-Za-z0-9_-], so
 * it is also a valid KC_REDIS_PREFIX; append your own separator (`${prefix}:`) for ioredis
 * keyPrefix. No `{`/`}`, so it never changes a key's hash slot.
 */
export function uniquePrefix(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'test';
  const unique = `${process.pid.toString(36)}${(prefixCounter++).toString(36)}${randomBytes(3).toString('hex')}`;
  return `t_${safe}_${unique}`;
}

/** One PING over a raw socket: true on +PONG (false on -LOADING, refusal, timeout). */
function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class PortInUse extends Error {}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisHandle> {
  if ((opts.cluster as boolean | undefined) === true) {
    throw new Error('startRedis: cluster mode is not supported yet');
  }
  const appendonly = opts.appendonly ?? true;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'kc-redis-'));
  dirsToRemove.add(dir);
  removeDirsOnExit();
  const logFile = join(dir, 'redis.log');
  const logs = (): string => {
    try {
      return readFileSync(logFile, 'utf8');
    } catch {
      return '';
    }
  };

  let child: ChildProcess | undefined;

  const launch = async (port: number): Promise<void> => {
    // The log is appended to across restarts: only what this launch writes counts.
    const logOffset = logs().length;
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--protected-mode', 'yes',
      '--dir', dir,
      '--logfile', logFile,
      '--daemonize', 'no',
      '--save', '',
      '--appendonly', appendonly ? 'yes' : 'no',
      '--appendfsync', 'everysec',
      '--enable-debug-command', 'local',
    ];
    const proc = spawn(REDIS_SERVER, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let early = '';
    proc.stdout?.on('data', (c: Buffer) => (early += c.toString()));
    proc.stderr?.on('data', (c: Buffer) => (early += c.toString()));
    const spawned = await new Promise<Error | undefined>((resolve) => {
      proc.once('spawn', () => resolve(undefined));
      proc.once('error', (err) => resolve(err));
    });
    if (spawned) {
      const hint = (spawned as NodeJS.ErrnoException).code === 'ENOENT' ? ' (run: bash scripts/setup.sh)' : '';
      throw new Error(`startRedis: cannot run ${REDIS_SERVER}: ${spawned.message}${hint}`);
    }
    trackChild(proc);
    child = proc;
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        child = undefined;
        const output = `${early}\n${logs()}`;
        if (/Address already in use/i.test(output)) throw new PortInUse(`port ${port} is in use`);
        throw new Error(`startRedis: redis-server exited (${proc.exitCode ?? proc.signalCode}):\n${output.trim().split('\n').slice(-20).join('\n')}`);
      }
      // "Ready" in our own log first: a PONG alone could come from another server on this port.
      if (logs().slice(logOffset).includes('Ready to accept connections') && (await ping(port))) return;
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        await waitExit(proc);
        child = undefined;
        throw new Error(`startRedis: no PONG on port ${port} within ${readyTimeoutMs} ms:\n${logs().trim().split('\n').slice(-20).join('\n')}`);
      }
      await sleep(25);
    }
  };

  // First start: a fresh port, and another if someone grabbed it between freePorts() and bind.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    [port] = (await freePorts(1)) as [number];
    try {
      await launch(port);
      break;
    } catch (err) {
      if (!(err instanceof PortInUse) || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true });
        dirsToRemove.delete(dir);
        throw err;
      }
    }
  }

  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await waitExit(proc);
    clearTimeout(timer);
    child = undefined;
  };
  let removed = false;

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    async stop({ keepDir = false } = {}) {
      await shutdown('SIGTERM'); // redis flushes the AOF on SIGTERM
      if (!keepDir && !removed) {
        removed = true;
        rmSync(dir, { recursive: true, force: true });
        dirsToRemove.delete(dir);
      }
    },
    kill9: () => shutdown('SIGKILL'),
    async restart() {
      if (removed) throw new Error('startRedis: restart() after stop(): the dir is gone');
      await shutdown('SIGTERM');
      // The old socket may linger for a moment: retry the same port briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          await launch(port);
          return;
        } catch (err) {
          if (!(err instanceof PortInUse) || attempt >= 20) throw err;
          await sleep(100);
        }
      }
    },
    logs,
  };
}

/** Is the redis-server (or any) pid still running? Re-exported for tests of the harness. */
export { isAlive };
