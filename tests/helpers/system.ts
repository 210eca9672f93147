/** The whole two-district system as real processes on loopback, for end-to-end and fault tests. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevPki } from '../../certs/dev-pki.js';
import type { District } from '../../gateway/domain/district.js';
import { startLocalSystem, type LocalSystem } from '../../scripts/local-system.js';
import { getJson, postJson } from './applications.js';
import { eventually } from './gateways.js';

export interface SystemUnderTest extends LocalSystem {
  dir: string;
  /** All gateway log lines so far. */
  gatewayLogs(): string;
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

export async function startSystem(env: Record<string, string> = {}): Promise<SystemUnderTest> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-sys-'));
  ensureDevPki(join(dir, 'pki'));
  const gatewayEnv = { ...FAST_RETRIES, ...env };
  // Free ports are free when picked, not always when bound: another suite running beside this one
  // may take one first. Start afresh on new ports when that happens.
  let system: LocalSystem | undefined;
  for (let attempt = 1; !system; attempt++) {
    const dataDir = join(dir, `data-${attempt}`);
    try {
      system = await startLocalSystem({ dataDir, pkiDir: join(dir, 'pki'), gatewayEnv: { liwan: gatewayEnv, nanhai: gatewayEnv }, fastStaffHashes: true });
    } catch (err) {
      const logs = ['liwan', 'nanhai'].map((d) => readIfThere(join(dataDir, d, 'logs', 'gateway.log'))).join('');
      if (attempt >= 3 || !logs.includes('EADDRINUSE')) throw err;
    }
  }
  const getCase = async (d: District, caseNo: string) => {
    const r = await getJson(`${system.districts[d].httpUrl}/api/v1/cases/${caseNo}`);
    return r.status === 200 ? r.body : undefined;
  };
  return {
    ...system,
    dir,
    gatewayLogs: () =>
      (['liwan', 'nanhai'] as const).map((d) => readFileSync(system.districts[d].gateway.logFile, 'utf8')).join(''),
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
      await system.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function readIfThere(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
