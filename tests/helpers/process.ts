/**
 * Real processes for integration tests: `spawnTs` runs a TypeScript entry point
 * (`node --import tsx <entry>`) from the repository root, logs its stdout+stderr to a file and
 * resolves once it prints its ready line.
 *
 * No child outlives the test process: every child started here (and redis-server from
 * helpers/redis.ts, through `trackChild`) is killed when the test process exits or is signalled,
 * and a watchdog kills it if the test process dies without running any handler (see
 * scripts/processes.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isAlive, killTrackedChildren, REPO_ROOT, trackChild as trackWithWatchdog } from '../../scripts/processes.js';

export { isAlive, REPO_ROOT };

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let signalHandlersInstalled = false;

/**
 * Tests also kill their children at once on SIGINT/SIGTERM/SIGHUP (the launcher does not: it stops
 * its children gracefully on those), then let the signal do what it would have done.
 */
export function trackChild(child: ChildProcess): void {
  if (!signalHandlersInstalled) {
    signalHandlersInstalled = true;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        killTrackedChildren();
        // Keep the default behaviour (terminate) unless someone else handles the signal.
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    }
  }
  trackWithWatchdog(child);
}

// --- spawnTs ----------------------------------------------------------------------------------------

export interface SpawnTsOptions {
  /** Extra environment. The child inherits this process's environment minus KC_* and SIM_*. */
  env?: Record<string, string | undefined>;
  /** Short name for messages and the log file name. */
  name: string;
  /** Where to write stdout+stderr; default `<fresh temp dir>/<name>.log`. */
  logFile?: string;
  /** Resolve once a stdout line matches. */
  readyLine: RegExp | ((line: string) => boolean);
  /** Give up (kill the child, reject) when not ready by then. Default 30 s. */
  timeoutMs?: number;
  /** Arguments after the entry file. */
  args?: string[];
}

export interface TsProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5 s); resolves once the process is gone. */
  stop(graceMs?: number): Promise<ExitInfo>;
  /** SIGKILL; resolves once the process is gone. */
  kill9(): Promise<ExitInfo>;
  /** Resolves when the process has exited and its output is all in the log. */
  waitExit(): Promise<ExitInfo>;
  /** Everything the process wrote so far (stdout and stderr). */
  logs(): string;
  /** Has the process exited? */
  readonly exited: boolean;
}

const TAIL_LINES = 40;

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60) || 'process';
}

function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

function childEnv(extra: Record<string, string | undefined> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('KC_') || key.startsWith('SIM_')) continue;
    env[key] = value;
  }
  env.NO_COLOR = '1';
  for (const [key, value] of Object.entries(extra ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * Run `node --import tsx <entry>` (entry relative to the repository root, or absolute) and wait until
 * it prints a line matching `readyLine` on stdout. Rejects, with the tail of its log, if it exits or
 * times out first (the child is killed on timeout).
 */
export function spawnTs(entry: string, opts: SpawnTsOptions): Promise<TsProcess> {
  const name = safeName(opts.name);
  const logFile = opts.logFile
    ? resolve(opts.logFile)
    : join(mkdtempSync(join(tmpdir(), `kc-${name}-`)), `${name}.log`);
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, 'a');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const isReady =
    typeof opts.readyLine === 'function' ? opts.readyLine : (line: string) => (opts.readyLine as RegExp).test(line);

  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);

  let fdOpen = true;
  const write = (chunk: Buffer): void => {
    if (fdOpen) writeSync(fd, chunk);
  };
  const logs = (): string => readFileSync(logFile, 'utf8');

  let exitInfo: ExitInfo | undefined;
  const exitPromise = new Promise<ExitInfo>((resolveExit) => {
    child.once('close', (code, signal) => {
      exitInfo = { code, signal };
      if (fdOpen) {
        fdOpen = false;
        closeSync(fd);
      }
      resolveExit(exitInfo);
    });
    child.once('error', () => {
      // spawn failure: 'close' may not follow
      if (child.pid === undefined) {
        exitInfo = { code: null, signal: null };
        if (fdOpen) {
          fdOpen = false;
          closeSync(fd);
        }
        resolveExit(exitInfo);
      }
    });
  });

  const kill = async (signal: NodeJS.Signals): Promise<ExitInfo> => {
    if (exitInfo) return exitInfo;
    child.kill(signal);
    return exitPromise;
  };
  const handle: TsProcess = {
    name,
    pid: child.pid ?? -1,
    logFile,
    get exited() {
      return exitInfo !== undefined;
    },
    async stop(graceMs = 5_000) {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      try {
        return await exitPromise;
      } finally {
        clearTimeout(timer);
      }
    },
    kill9: () => kill('SIGKILL'),
    waitExit: () => exitPromise,
    logs,
  };

  return new Promise<TsProcess>((resolveReady, rejectReady) => {
    let settled = false;
    let pending = '';
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) rejectReady(err);
      else resolveReady(handle);
    };
    const describe = (what: string): Error =>
      new Error(`${name} (${entry}) ${what}; last lines of ${logFile}:\n${tail(logs())}`);

    child.stdout.on('data', (chunk: Buffer) => {
      write(chunk);
      if (settled) return;
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        let ready = false;
        try {
          ready = isReady(line.replace(/\r$/, ''));
        } catch (err) {
          void kill('SIGKILL');
          settle(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        if (ready) {
          pending = '';
          settle();
          return;
        }
      }
    });
    child.stderr.on('data', write);
    child.once('error', (err) => settle(describe(`could not start: ${err.message}`)));
    let timedOut = false;
    void exitPromise.then((info) =>
      settle(
        describe(
          timedOut
            ? `was not ready within ${timeoutMs} ms (killed)`
            : `exited (code ${info.code}, signal ${info.signal}) before it was ready`,
        ),
      ),
    );
    const timer = setTimeout(() => {
      timedOut = true;
      void kill('SIGKILL');
    }, timeoutMs);
  });
}
