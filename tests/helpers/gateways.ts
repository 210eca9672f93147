/**
 * Two district gateways in this test process, each with its own key prefix on a real Redis, its
 * own in-process approval simulator and a test PKI — for integration tests that need to look
 * inside (the store, the clock). End-to-end tests run real processes through scripts/local-system.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLiwanSimulator } from '../../adapters/liwan/simulator.js';
import { startNanhaiSimulator } from '../../adapters/nanhai/simulator.js';
import type { Clock } from '../../gateway/clock.js';
import { parseConfig, type Config } from '../../gateway/config.js';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { startGateway, type RunningGateway } from '../../gateway/gateway.js';
import type { MatterCatalog } from '../../gateway/catalog/catalog.js';
import { createLogger } from '../../gateway/logger.js';
import { createTestPki, type TestPki } from './pki.js';
import { freePorts } from '../../scripts/processes.js';
import { uniquePrefix } from './redis.js';
import { DEV_PARTNERS_FILE } from '../../gateway/partner/policy.js';
import { writeDevStaffFile } from '../../gateway/staff/dev-accounts.js';

export const CALLBACK_SECRET = 'test-callback-secret-0123456789';

export interface TwoGateways {
  pki: TestPki;
  gateways: Record<District, RunningGateway>;
  simulators: Record<District, { url: string; stop(): Promise<void> }>;
  httpUrl: Record<District, string>;
  /** Everything the gateways logged, one JSON object per line. */
  logs(): string;
  stopGateway(d: District): Promise<void>;
  restartGateway(d: District): Promise<void>;
  stop(): Promise<void>;
}

export interface TwoGatewaysOptions {
  redisUrl: string;
  name: string;
  clock?: Partial<Record<District, Clock>>;
  env?: Record<string, string>;
  /** Settings that differ per district and may need its URL (e.g. the carrier's callback URL). */
  envFor?: (d: District, httpUrl: string) => Record<string, string>;
  pki?: TestPki;
  /** Matter catalogs per district, read at every (re)start, so a test can change one and restart. */
  catalogs?: Partial<Record<District, MatterCatalog>>;
}

/**
 * Free ports are free when picked, not always when bound: a suite running beside this one may take
 * one first. Then everything is stopped and started again on new ports.
 */
export async function startTwoGateways(opts: TwoGatewaysOptions): Promise<TwoGateways> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTwoGatewaysOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startTwoGatewaysOnce(opts: TwoGatewaysOptions): Promise<TwoGateways> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-gw-'));
  const pki = opts.pki ?? createTestPki(join(dir, 'pki'));
  const p = await freePorts(6);
  const ports: Record<District, { http: number; peer: number; partner: number }> = {
    liwan: { http: p[0]!, peer: p[1]!, partner: p[2]! },
    nanhai: { http: p[3]!, peer: p[4]!, partner: p[5]! },
  };
  const httpUrl = { liwan: `http://127.0.0.1:${ports.liwan.http}`, nanhai: `http://127.0.0.1:${ports.nanhai.http}` };
  const simulators = {
    liwan: await startLiwanSimulator({ port: 0, callbackUrl: `${httpUrl.liwan}/api/v1/approval-callbacks`, callbackSecret: CALLBACK_SECRET, dataDir: join(dir, 'sim-liwan') }),
    nanhai: await startNanhaiSimulator({ port: 0, callbackUrl: `${httpUrl.nanhai}/api/v1/approval-callbacks`, callbackSecret: CALLBACK_SECRET, dataDir: join(dir, 'sim-nanhai') }),
  };
  const lines: string[] = [];
  const destination = { write: (s: string) => void lines.push(s) };
  const prefix = uniquePrefix(opts.name);
  const staffFile = (d: District) => join(dir, `staff-${d}.yaml`);
  for (const d of DISTRICTS) await writeDevStaffFile(staffFile(d), d, { fast: true });

  const configOf = (d: District): Config =>
    parseConfig({
      KC_DISTRICT: d,
      KC_REDIS_URL: opts.redisUrl,
      KC_REDIS_PREFIX: `${prefix}-${d}`,
      KC_HTTP_PORT: String(ports[d].http),
      KC_PEER_PORT: String(ports[d].peer),
      KC_PARTNER_PORT: String(ports[d].partner),
      KC_PEER_URL: `127.0.0.1:${ports[otherDistrict(d)].peer}`,
      KC_TLS_CERT: pki.gateways[d].chainPath,
      KC_TLS_KEY: pki.gateways[d].keyPath,
      KC_TRUST_DIR: join(pki.dir, 'trust'),
      KC_APPROVAL_URL: simulators[d].url,
      KC_APPROVAL_CALLBACK_URL: `${httpUrl[d]}/api/v1/approval-callbacks`,
      KC_APPROVAL_CALLBACK_SECRET: CALLBACK_SECRET,
      KC_OUTBOX_BASE_DELAY_MS: '50',
      KC_OUTBOX_MAX_DELAY_MS: '500',
      KC_OUTBOX_POLL_MS: '50',
      KC_APPROVAL_POLL_MS: '500',
      KC_PEER_TIMEOUT_MS: '2000',
      KC_LOG_LEVEL: 'debug',
      // The dev partners (kiosk-liwan, kiosk-nanhai) may do everything; a test gives its own in `env`.
      KC_PARTNERS_FILE: DEV_PARTNERS_FILE,
      KC_STAFF_FILE: staffFile(d),
      ...opts.env,
      ...opts.envFor?.(d, httpUrl[d]),
    });
  const start = (d: District) =>
    startGateway({
      config: configOf(d),
      clock: opts.clock?.[d],
      catalog: opts.catalogs?.[d],
      logger: createLogger({ level: 'debug', district: d, destination }),
    });

  const cleanUp = async (started: RunningGateway[]) => {
    await Promise.all(started.map((g) => g.stop()));
    await Promise.all(DISTRICTS.map((d) => simulators[d].stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  const liwan = await start('liwan').catch(async (err: unknown) => {
    await cleanUp([]);
    throw err;
  });
  const nanhai = await start('nanhai').catch(async (err: unknown) => {
    await cleanUp([liwan]);
    throw err;
  });
  const gateways = { liwan, nanhai };
  const stopped = new Set<District>();
  return {
    pki,
    gateways,
    simulators,
    httpUrl,
    logs: () => lines.join(''),
    async stopGateway(d) {
      if (stopped.has(d)) return;
      stopped.add(d);
      await gateways[d].stop();
    },
    async restartGateway(d) {
      if (!stopped.has(d)) await gateways[d].stop();
      gateways[d] = await start(d);
      stopped.delete(d);
    },
    async stop() {
      await cleanUp(DISTRICTS.filter((d) => !stopped.has(d)).map((d) => gateways[d]));
    },
  };
}

/** Polls `fn` until it returns a truthy value or the time runs out (then throws with `what`). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
