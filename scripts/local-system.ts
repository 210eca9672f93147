/**
 * Runs the whole two-district system on this machine as child processes: per district a
 * redis-server (AOF on, data under `dataDir`), an approval-system simulator and a gateway; and
 * one courier tracking simulator (EMS), which both gateways subscribe parcels at.
 * The local launcher uses it with fixed ports; the end-to-end and fault tests with free ports, and
 * kill or restart single processes through it. Only this module and tests start simulators.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { DISTRICTS, otherDistrict, type District } from '../gateway/domain/district.js';
import { freePorts, REPO_ROOT, trackChild } from './processes.js';
import { devPkiPaths } from '../certs/dev-pki.js';
import { DEV_PARTNERS_FILE } from '../gateway/partner/policy.js';
import { writeDevStaffFile } from '../gateway/staff/dev-accounts.js';

export { DEV_STAFF_PASSWORD as LOCAL_STAFF_PASSWORD, DEV_STAFF as LOCAL_STAFF } from '../gateway/staff/dev-accounts.js';


export interface DistrictPorts {
  http: number;
  peer: number;
  partner: number;
  approval: number;
  redis: number;
}

export interface LocalSystemOptions {
  /** Redis AOF, simulator records and process logs go below this folder. */
  dataDir: string;
  /** A PKI laid out as certs/dev-pki.ts makes it. */
  pkiDir: string;
  /** Fixed ports per district, or 0 everywhere to pick free ones. */
  ports?: Record<District, DistrictPorts>;
  /** Fixed port of the courier simulator (default: a free one). */
  courierPort?: number;
  /** Use these Redis servers instead of starting our own. */
  redisUrls?: Partial<Record<District, string>>;
  /** Extra gateway environment per district (e.g. faster retries in tests). */
  gatewayEnv?: Partial<Record<District, Record<string, string>>>;
  callbackSecret?: string;
  /** Extra node flags for the gateways (e.g. --cpu-prof for profiling). */
  gatewayNodeArgs?: string[];
  /**
   * Extra node flags per district, placed after `--import tsx` so that they may preload TypeScript
   * (the fault tests skew one gateway's clock with `--import ./tests/helpers/skewed-clock.ts`).
   */
  gatewayNodeArgsByDistrict?: Partial<Record<District, string[]>>;
  /** Hash the development staff passwords at the lowest cost (tests: faster starts). */
  fastStaffHashes?: boolean;
  /** Where progress lines go (default: nowhere). */
  onLine?: (line: string) => void;
}

export interface ManagedProcess {
  name: string;
  readonly pid: number | undefined;
  readonly logFile: string;
  /** `env` is added to the process's environment for this start only (tests: restart a gateway differently). */
  start(opts?: { env?: Record<string, string> }): Promise<void>;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

export interface DistrictRuntime {
  district: District;
  ports: DistrictPorts;
  httpUrl: string;
  partnerAddress: string;
  approvalUrl: string;
  redisUrl: string;
  redis?: ManagedProcess;
  simulator: ManagedProcess;
  gateway: ManagedProcess;
  /**
   * Another gateway process of this district on the same Redis (a replica), on its own ports, not
   * started yet; its log goes to `logs/gateway-<name>.log`. The peer district still talks to `gateway`.
   */
  replica(name: string, ports: Pick<DistrictPorts, 'http' | 'peer' | 'partner'>): ManagedProcess;
}

/** The carrier's tracking API as the gateways see it, and the partner credentials they use. */
export interface CourierRuntime {
  url: string;
  partnerId: string;
  apiKey: string;
  pushSecret: string;
  simulator: ManagedProcess;
}

export interface LocalSystem {
  districts: Record<District, DistrictRuntime>;
  courier: CourierRuntime;
  stop(): Promise<void>;
}

async function freeDistrictPorts(): Promise<Record<District, DistrictPorts>> {
  const p = await freePorts(10);
  const at = (i: number) => p[i]!;
  return {
    liwan: { http: at(0), peer: at(1), partner: at(2), approval: at(3), redis: at(4) },
    nanhai: { http: at(5), peer: at(6), partner: at(7), approval: at(8), redis: at(9) },
  };
}

/** A child process that is started, watched for its ready line, and stopped on request. */
function managed(opts: {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  logFile: string;
  ready: (line: string) => boolean;
  timeoutMs?: number;
}): ManagedProcess {
  let child: ChildProcess | undefined;
  let log: WriteStream | undefined;
  const exited = () => new Promise<void>((r) => (child && child.exitCode === null && child.signalCode === null ? child.once('exit', () => r()) : r()));
  const self: ManagedProcess = {
    name: opts.name,
    get pid() {
      return child?.exitCode === null ? child.pid : undefined;
    },
    logFile: opts.logFile,
    start(startOpts = {}) {
      mkdirSync(dirname(opts.logFile), { recursive: true });
      log = createWriteStream(opts.logFile, { flags: 'a' });
      const env = { ...opts.env, ...startOpts.env };
      const c = spawn(opts.command, opts.args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      child = c;
      trackChild(c);
      c.stderr!.pipe(log, { end: false });
      return new Promise<void>((resolveStart, reject) => {
        const timer = setTimeout(() => {
          c.kill('SIGKILL');
          reject(new Error(`${opts.name} was not ready within ${opts.timeoutMs ?? 30_000} ms; see ${opts.logFile}`));
        }, opts.timeoutMs ?? 30_000);
        const lines = createInterface({ input: c.stdout! });
        let isReady = false;
        lines.on('line', (line) => {
          log?.write(`${line}\n`);
          if (!isReady && opts.ready(line)) {
            isReady = true;
            clearTimeout(timer);
            resolveStart();
          }
        });
        c.once('exit', (code, signal) => {
          clearTimeout(timer);
          if (!isReady) reject(new Error(`${opts.name} exited (${code ?? signal}) before it was ready; see ${opts.logFile}`));
        });
      });
    },
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const done = exited();
      child.kill('SIGTERM');
      const force = setTimeout(() => child?.kill('SIGKILL'), 8_000);
      await done;
      clearTimeout(force);
    },
    async kill9() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const done = exited();
      child.kill('SIGKILL');
      await done;
    },
  };
  return self;
}

const jsonMsg = (msg: string) => (line: string) => line.includes(`"msg":"${msg}"`);

export async function startLocalSystem(opts: LocalSystemOptions): Promise<LocalSystem> {
  const say = opts.onLine ?? (() => {});
  const secret = opts.callbackSecret ?? 'dev-callback-secret-change-me';
  const pki = devPkiPaths(opts.pkiDir);
  const ports = opts.ports ?? (await freeDistrictPorts());
  const node = process.execPath;
  const baseEnv = { ...process.env, NO_COLOR: '1' };
  const courierPort = opts.courierPort ?? (await freePorts(1))[0]!;
  const courier: CourierRuntime = {
    url: `http://127.0.0.1:${courierPort}`,
    partnerId: 'KC-DEV',
    apiKey: 'dev-ems-api-key-change-me',
    pushSecret: 'dev-ems-push-secret-change-me',
    simulator: managed({
      name: 'courier-ems',
      command: node,
      args: ['--import', 'tsx', 'courier/ems/simulator-main.ts'],
      env: { ...baseEnv, SIM_PORT: String(courierPort), SIM_HOST: '127.0.0.1', SIM_PARTNER_ID: 'KC-DEV', SIM_API_KEY: 'dev-ems-api-key-change-me', SIM_PUSH_SECRET: 'dev-ems-push-secret-change-me' },
      logFile: join(opts.dataDir, 'courier', 'logs', 'ems-simulator.log'),
      ready: jsonMsg('simulator ready'),
    }),
  };

  const districts = {} as Record<District, DistrictRuntime>;
  for (const d of DISTRICTS) {
    const p = ports[d];
    const peer = ports[otherDistrict(d)];
    const dir = join(opts.dataDir, d);
    // Development accounts (window, handler, supervisor, kc-admin), written afresh at every start.
    const staffFile = join(mkdir(dir), 'staff.yaml');
    await writeDevStaffFile(staffFile, d, { fast: opts.fastStaffHashes ?? false });
    const redisUrl = opts.redisUrls?.[d] ?? `redis://127.0.0.1:${p.redis}`;
    const httpUrl = `http://127.0.0.1:${p.http}`;
    const redis = opts.redisUrls?.[d]
      ? undefined
      : managed({
          name: `redis-${d}`,
          command: 'redis-server',
          args: ['--port', String(p.redis), '--bind', '127.0.0.1', '--dir', mkdir(join(dir, 'redis')), '--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''],
          env: baseEnv,
          logFile: join(dir, 'logs', 'redis.log'),
          ready: (line) => line.includes('Ready to accept connections'),
        });
    const simulator = managed({
      name: `approval-${d}`,
      command: node,
      args: ['--import', 'tsx', `adapters/${d}/simulator-main.ts`],
      env: {
        ...baseEnv,
        SIM_PORT: String(p.approval),
        SIM_HOST: '127.0.0.1',
        SIM_CALLBACK_URL: `${httpUrl}/api/v1/approval-callbacks`,
        SIM_CALLBACK_SECRET: secret,
        SIM_DATA_DIR: mkdir(join(dir, 'approval')),
      },
      logFile: join(dir, 'logs', 'approval.log'),
      ready: jsonMsg('simulator ready'),
    });
    const gatewayProcess = (name: string, own: Pick<DistrictPorts, 'http' | 'peer' | 'partner'>, logFile: string) =>
      managed({
        name,
        command: node,
        args: [...(opts.gatewayNodeArgs ?? []), '--import', 'tsx', ...(opts.gatewayNodeArgsByDistrict?.[d] ?? []), 'gateway/main.ts'],
        env: {
          ...baseEnv,
          KC_DISTRICT: d,
          KC_REDIS_URL: redisUrl,
          KC_HTTP_HOST: '127.0.0.1',
          KC_HTTP_PORT: String(own.http),
          KC_PEER_PORT: String(own.peer),
          KC_PARTNER_PORT: String(own.partner),
          KC_PEER_URL: `127.0.0.1:${peer.peer}`,
          KC_TLS_CERT: pki.districts[d].chain,
          KC_TLS_KEY: pki.districts[d].key,
          KC_TRUST_DIR: join(pki.dir, 'trust'),
          KC_APPROVAL_URL: `http://127.0.0.1:${p.approval}`,
          // The district's address as the outside sees it, whichever replica answers.
          KC_APPROVAL_CALLBACK_URL: `${httpUrl}/api/v1/approval-callbacks`,
          KC_APPROVAL_CALLBACK_SECRET: secret,
          KC_COURIER_URL: courier.url,
          KC_COURIER_PARTNER_ID: courier.partnerId,
          KC_COURIER_API_KEY: courier.apiKey,
          KC_COURIER_PUSH_SECRET: courier.pushSecret,
          KC_COURIER_CALLBACK_URL: `${httpUrl}/courier/ems/push`,
          KC_PARTNERS_FILE: DEV_PARTNERS_FILE,
          KC_STAFF_FILE: staffFile,
          ...opts.gatewayEnv?.[d],
        },
        logFile,
        ready: jsonMsg('gateway ready'),
        // A loaded machine (tests beside tests on two cores) can take long to start one.
        timeoutMs: 90_000,
      });
    const gateway = gatewayProcess(`gateway-${d}`, p, join(dir, 'logs', 'gateway.log'));
    districts[d] = {
      district: d,
      ports: p,
      httpUrl,
      partnerAddress: `127.0.0.1:${p.partner}`,
      approvalUrl: `http://127.0.0.1:${p.approval}`,
      redisUrl,
      redis,
      simulator,
      gateway,
      replica: (name, own) => gatewayProcess(`gateway-${d}-${name}`, own, join(dir, 'logs', `gateway-${name}.log`)),
    };
  }

  const all = [courier.simulator, ...DISTRICTS.flatMap((d) => [districts[d].redis, districts[d].simulator, districts[d].gateway])].filter(
    (m): m is ManagedProcess => !!m,
  );
  const started: ManagedProcess[] = [];
  try {
    // Redis and simulators first (gateways need them), then both gateways side by side.
    for (const m of all.filter((m) => !m.name.startsWith('gateway'))) {
      await m.start();
      started.push(m);
      say(`started ${m.name}`);
    }
    await Promise.all(
      DISTRICTS.map(async (d) => {
        await districts[d].gateway.start();
        started.push(districts[d].gateway);
        say(`started gateway-${d}`);
      }),
    );
  } catch (err) {
    await Promise.all(started.map((m) => m.stop()));
    throw err;
  }

  return {
    districts,
    courier,
    async stop() {
      // Gateways first, so nothing talks to a Redis that is already gone.
      await Promise.all(DISTRICTS.map((d) => districts[d].gateway.stop()));
      await Promise.all([courier.simulator.stop(), ...DISTRICTS.flatMap((d) => [districts[d].simulator.stop(), districts[d].redis?.stop()])]);
    },
  };
}

function mkdir(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
