/** The whole two-district system as real processes on loopback, for end-to-end and fault tests. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevPki } from '../../certs/dev-pki.js';
import type { District } from '../../gateway/domain/district.js';
import { startLocalSystem, type LocalSystem, type ManagedProcess } from '../../scripts/local-system.js';
import { freePorts } from '../../scripts/processes.js';
import { getJson, postJson } from './applications.js';
import { eventually } from './gateways.js';

export interface SystemUnderTest extends LocalSystem {
  dir: string;
  /** All gateway log lines so far, replicas' included. */
  gatewayLogs(): string;
  /** Starts another gateway of district `d` on the same Redis (free ports); stopped by cleanup(). */
  startReplica(d: District, name: string): Promise<{ process: ManagedProcess; httpUrl: string }>;
  getCase(d: District, caseNo: string): Promise<Record<string, any> | undefined>;
  simRecords(d: District): Promise<{ localNo: string; externalRef: string; submitCount: number; status: string }[]>;
  advance(d: District, localNo: string, action: string, note?: string): Promise<void>;
  waitForState(d: District, caseNo: string, state: string, timeoutMs?: number): Promise<Record<string, any>>;
  cleanup(): Promise<void>;
}

export const FAST_RETRIES = {
  KC_OUTBOX_BASE_DELAY_MS: '50',
  KC_OUTBOX_MAX_DELAY_MS: '1000',
  KC_OUTBOX_POLL_MS: '100',
  KC_APPROVAL_POLL_MS: '500',
  KC_PEER_TIMEOUT_MS: '3000',
};

export interface SystemOptions {
  /** Gateway environment for one district only, over `env`. */
  gatewayEnv?: Partial<Record<District, Record<string, string>>>;
  /** Extra node flags for one district's gateway, after `--import tsx` (e.g. a preload module). */
  gatewayNodeArgs?: Partial<Record<District, string[]>>;
}

export async function startSystem(env: Record<string, string> = {}, opts: SystemOptions = {}): Promise<SystemUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-sys-'));
  ensureDevPki(join(dir, 'pki'));
  const envFor = (d: District) => ({ ...FAST_RETRIES, ...env, ...opts.gatewayEnv?.[d] });
  // Free ports are free when picked, not always when bound: another suite running beside this one
  // may take one first. Start afresh on new ports when that happens.
  let system: LocalSystem | undefined;
  for (let attempt = 1; !system; attempt++) {
    const dataDir = join(dir, `data-${attempt}`);
    try {
      system = await startLocalSystem({
        dataDir,
        pkiDir: join(dir, 'pki'),
        gatewayEnv: { liwan: envFor('liwan'), nanhai: envFor('nanhai') },
        gatewayNodeArgsByDistrict: opts.gatewayNodeArgs,
        fastStaffHashes: true,
      });
    } catch (err) {
      const logs = ['liwan', 'nanhai'].map((d) => readIfThere(join(dataDir, d, 'logs', 'gateway.log'))).join('');
      if (attempt >= 3 || !logs.includes('EADDRINUSE')) throw err;
    }
  }
  const getCase = async (d: District, caseNo: string) => {
    const r = await getJson(`${system.districts[d].httpUrl}/api/v1/cases/${caseNo}`);
    return r.status === 200 ? r.body : undefined;
  };
  const replicas: ManagedProcess[] = [];
  return {
    ...system,
    dir,
    gatewayLogs: () =>
      [...(['liwan', 'nanhai'] as const).map((d) => system.districts[d].gateway), ...replicas].map((g) => readIfThere(g.logFile)).join(''),
    async startReplica(d, name) {
      for (let attempt = 1; ; attempt++) {
        const [http, peer, partner] = (await freePorts(3)) as [number, number, number];
        const replica = system.districts[d].replica(`${name}-${attempt}`, { http, peer, partner });
        try {
          replicas.push(replica);
          await replica.start();
          return { process: replica, httpUrl: `http://127.0.0.1:${http}` };
        } catch (err) {
          if (attempt >= 3 || !readIfThere(replica.logFile).includes('EADDRINUSE')) throw err;
        }
      }
    },
    getCase,
    async simRecords(d) {
      return (await getJson(`${system.districts[d].approvalUrl}/_sim/records`)).body.records;
    },
    async advance(d, localNo, action, note = '') {
      const r = await postJson(`${system.districts[d].approvalUrl}/_sim/cases/${localNo}/advance`, { action, note });
      if (r.status >= 300) throw new Error(`advance ${action} failed: ${r.status} ${JSON.stringify(r.body)}`);
    },
    async waitForState(d, caseNo, state, timeoutMs = 15_000) {
      return eventually(async () => {
        const c = await getCase(d, caseNo);
        return c?.state === state ? c : undefined;
      }, `${caseNo} ${state} at ${d}`, timeoutMs);
    },
    async cleanup() {
      await Promise.all(replicas.map((r) => r.stop()));
      await system.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
