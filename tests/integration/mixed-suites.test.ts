/**
 * A mixed deployment: liwan signs its envelopes and receipts SM2-SM3 (with its SM2 signing
 * certificate; TLS stays on the ECDSA gateway certificate), nanhai signs ECDSA-P256-SHA256. Cases
 * cross both ways, every receipt verifies, and both stored archives verify — by a third party's
 * check (algorithm picked from the body's suite) and by the history verifier.
 *
 * Also: a gateway process whose KC_SIGNATURE_SUITE does not fit its signing key stops at start
 * with exit status 2 and a message naming the variable.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportEnvelope } from '../../gateway/cli.js';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { REPO_ROOT } from '../../scripts/processes.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { checkArchive, checkArchiveHistory } from '../helpers/archive.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const SUITE: Record<District, string> = { liwan: 'SM2-SM3', nanhai: 'ECDSA-P256-SHA256' };

let dir: string;
let pki: TestPki;
let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-mixed-'));
  pki = createTestPki(path.join(dir, 'pki'));
  redis = await startRedis();
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'mixed-suites',
    pki,
    envFor: (d): Record<string, string> =>
      d === 'liwan'
        ? { KC_SIGNATURE_SUITE: 'SM2-SM3', KC_SIGNING_CERT: pki.signingSm2.liwan.certPath, KC_SIGNING_KEY: pki.signingSm2.liwan.keyPath }
        : {},
  });
}, 120_000);

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const prefixOf = (d: District) => sys.gateways[d].ctx.config.KC_REDIS_PREFIX;

/** A case taken in at `origin` for the other district, registered there, and its status receipted back. */
async function forwardedAndRegistered(origin: District): Promise<string> {
  const handling = otherDistrict(origin);
  const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(handling));
  expect(created.status).toBe(201);
  const caseNo = created.body.caseNo as string;
  await eventually(
    async () => {
      const h = (await getJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}`)).body;
      const o = (await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`)).body;
      const receipted = (c: any, type: string, direction: string) => c.crossings?.some((x: any) => x.type === type && x.direction === direction && x.delivery === 'receipted');
      return o.state === 'registered' && receipted(o, 'application', 'out') && receipted(h, 'status', 'out');
    },
    `case from ${origin} registered at ${handling} and both envelopes receipted`,
    60_000,
  );
  return caseNo;
}

describe.each(DISTRICTS)('a mixed deployment, forwarding from %s', (origin) => {
  const handling = otherDistrict(origin);

  it(`when a case crosses from ${origin} and its registration comes back, then every stored envelope and receipt names its sender's suite and verifies on both sides`, async () => {
    const caseNo = await forwardedAndRegistered(origin);

    for (const d of DISTRICTS) {
      const checks = await checkArchive(redis.url, prefixOf(d), caseNo);
      // The application (origin → handling) and the registration status (handling → origin).
      expect(checks.length, `messages stored at ${d}`).toBeGreaterThanOrEqual(2);
      for (const c of checks) {
        expect(c, `${d} ${c.messageId}`).toMatchObject({ envelopeValid: true, receiptValid: true, receiptMatches: true });
        // Whoever signed the envelope, the other side signed its receipt.
        expect([c.envelopeSuite, c.receiptSuite].sort()).toEqual(['ECDSA-P256-SHA256', 'SM2-SM3']);
      }
      const history = await checkArchiveHistory(redis.url, prefixOf(d), caseNo, `${pki.dir}/trust`);
      expect(history.length).toBe(checks.length);
      for (const h of history) {
        expect(h.envelope, `${d} ${h.messageId}`).toMatchObject({ valid: true });
        expect(h.receipt, `${d} ${h.messageId} receipt`).toMatchObject({ valid: true });
        expect(h.receiptMatches).toBe(true);
      }
    }
    // The application was signed by the origin's suite, its receipt by the handling district's.
    const atOrigin = await checkArchive(redis.url, prefixOf(origin), caseNo);
    const application = (await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`)).body.crossings.find((x: any) => x.type === 'application');
    expect(atOrigin.find((c) => c.messageId === application.id)).toMatchObject({ envelopeSuite: SUITE[origin], receiptSuite: SUITE[handling] });
  }, 90_000);
});

describe('exporting for a third party', () => {
  it('when an SM2-signed envelope and its ECDSA receipt are exported, then each openssl command VERIFY.txt gives succeeds', async () => {
    const caseNo = await forwardedAndRegistered('liwan');
    const application = (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.crossings.find((x: any) => x.type === 'application');
    const out = path.join(dir, `export-${application.id}`);
    await exportEnvelope({ redisUrl: redis.url, prefix: prefixOf('nanhai'), caseNo, messageId: application.id, outDir: out });
    const lines = fs.readFileSync(path.join(out, 'VERIFY.txt'), 'utf8').split('\n');

    const dgst = lines.filter((l) => l.startsWith('openssl dgst'));
    expect(dgst).toEqual([expect.stringMatching(/^openssl dgst -sm3 -verify /), expect.stringMatching(/^openssl dgst -sha256 -verify /)]);
    for (const command of dgst) {
      expect(execFileSync('openssl', command.split(' ').slice(1), { encoding: 'utf8' }), command).toContain('Verified OK');
    }
    for (const command of lines.filter((l) => l.startsWith('openssl verify'))) {
      const args = command.replace('<trusted root.pem>', pki.paths.trust.root).split(' ').slice(1);
      expect(execFileSync('openssl', args, { encoding: 'utf8' }), command).toContain(': OK');
    }
  }, 90_000);
});

describe('a signing key that does not fit its suite', () => {
  it('when KC_SIGNATURE_SUITE=SM2-SM3 but the signing key is the ECDSA TLS key, then the process exits with status 2 naming KC_SIGNATURE_SUITE', () => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KC_')));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...clean,
        KC_DISTRICT: 'liwan',
        KC_REDIS_URL: 'redis://127.0.0.1:1',
        KC_PEER_URL: '127.0.0.1:9543',
        KC_TLS_CERT: pki.gateways.liwan.chainPath,
        KC_TLS_KEY: pki.gateways.liwan.keyPath,
        KC_TRUST_DIR: `${pki.dir}/trust`,
        KC_APPROVAL_URL: 'http://127.0.0.1:4101',
        KC_APPROVAL_CALLBACK_SECRET: 'a-secret-of-enough-length',
        KC_SIGNATURE_SUITE: 'SM2-SM3',
      },
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('KC_SIGNATURE_SUITE');
    expect(r.stderr).toContain('not a SM2-SM3 key');
    expect(r.stderr).not.toContain('    at ');
  }, 90_000);
});
