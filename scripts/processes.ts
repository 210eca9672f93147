/**
 * Child processes and ports for everything that starts processes on this machine: the local
 * launcher (through local-system.ts) and the tests. No child outlives its parent: it is killed when
 * the parent exits, and a small watchdog (`sh`) kills it if the parent dies without running any
 * handler (SIGKILL, OOM, a crashed test worker).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the working directory of every process started from here. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * `count` distinct TCP ports free on 127.0.0.1 right now: all are held open together, so none is
 * handed out twice. Another process may still take one before the caller binds it, so callers that
 * start servers retry on EADDRINUSE.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolveServer, reject) => {
          const server = createServer();
          server.unref();
          server.once('error', reject);
          server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => resolveServer(server));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** Live children → the watchdog that kills each one should this process die abruptly. */
const live = new Map<ChildProcess, ChildProcess | undefined>();
let exitHandlerInstalled = false;

// $1 = this process, $2 = the child: once $1 is gone, kill $2.
const WATCHDOG = 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill -9 "$2" 2>/dev/null';

/** Kills every tracked child and its watchdog at once (synchronous: safe in an 'exit' handler). */
export function killTrackedChildren(): void {
  for (const [child, watchdog] of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
    try {
      watchdog?.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Makes sure `child` does not outlive this process (see the module comment). */
export function trackChild(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.on('exit', killTrackedChildren);
  }
  let watchdog: ChildProcess | undefined;
  try {
    watchdog = spawn('/bin/sh', ['-c', WATCHDOG, 'kc-watchdog', String(process.pid), String(child.pid)], {
      stdio: 'ignore',
      detached: true,
    });
    watchdog.on('error', () => {});
    watchdog.unref();
  } catch {
    watchdog = undefined; // no /bin/sh: the exit handler still applies
  }
  live.set(child, watchdog);
  child.once('exit', () => {
    live.delete(child);
    watchdog?.kill('SIGKILL');
  });
}

/** Is a process with this pid still running (and not a zombie we could not see)? */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // A zombie still answers kill(0); /proc shows its state as Z.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}
