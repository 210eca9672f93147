/**
 * The whole system as a newcomer runs it: two redis-servers, two approval simulators and two
 * gateways as separate processes on loopback, dev certificates made by the certs tooling.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRICTS, otherDistrict } from '../../gateway/domain/district.js';
import { REPO_ROOT } from '../../scripts/processes.js';
import { ADDRESS, COMPANY_NAME, CREDIT_CODES, PHONE, applicationFor, postJson } from '../helpers/applications.js';
import { checkArchive } from '../helpers/archive.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;
const caseNos: Record<string, string> = {};

beforeAll(async () => {
  sys = await startSystem();
}, 90_000);

afterAll(async () => {
  await sys?.cleanup();
});

describe.each(DISTRICTS)('end to end from %s', (origin) => {
  const handling = otherDistrict(origin);

  it('when a window forwards an application, then the other approval system holds it and both gateways agree', async () => {
    const created = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases`, applicationFor(handling));
    expect(created.status).toBe(201);
    const caseNo = created.body.caseNo as string;
    caseNos[origin] = caseNo;

    const atOrigin = await sys.waitForState(origin, caseNo, 'registered');
    const atHandling = await sys.waitForState(handling, caseNo, 'registered');
    const records = (await sys.simRecords(handling)).filter((r) => r.externalRef === caseNo);
    expect(records).toHaveLength(1);
    expect(atOrigin.handlingLocalNo).toBe(records[0]!.localNo);
    expect(atHandling.handlingLocalNo).toBe(records[0]!.localNo);
    expect(atOrigin.crossings.map((c: any) => c.id).sort()).toEqual(atHandling.crossings.map((c: any) => c.id).sort());
  });

  it('when the handling approval system approves, then both gateways show approved', async () => {
    const caseNo = caseNos[origin]!;
    const localNo = (await sys.getCase(handling, caseNo))!.handlingLocalNo as string;
    await sys.advance(handling, localNo, 'accept');
    await sys.advance(handling, localNo, 'approve');
    await sys.waitForState(origin, caseNo, 'approved');
    await sys.waitForState(handling, caseNo, 'approved');
  });

  it('when every stored envelope and receipt is read back from Redis, then each signature verifies and each receipt echoes its envelope', async () => {
    const caseNo = caseNos[origin]!;
    // Wait until the last status envelope is receipted at the handling side.
    await sys.waitForState(handling, caseNo, 'approved');
    for (const d of DISTRICTS) {
      const checks = await checkArchive(sys.districts[d].redisUrl, 'kc', caseNo);
      expect(checks.length).toBeGreaterThanOrEqual(4);
      for (const c of checks) expect(c).toEqual({ messageId: c.messageId, envelopeSuite: 'ECDSA-P256-SHA256', receiptSuite: 'ECDSA-P256-SHA256', envelopeValid: true, receiptValid: true, receiptMatches: true });
    }
  });
});

describe('third-party verification with openssl', () => {
  it('when the CLI exports a stored envelope and its receipt, then the real openssl verifies both signatures', async () => {
    const caseNo = caseNos.liwan!;
    const record = (await sys.getCase('liwan', caseNo))!;
    const application = record.crossings.find((c: any) => c.type === 'application');
    const out = mkdtempSync(join(tmpdir(), 'kc-export-'));
    execFileSync(process.execPath, ['--import', 'tsx', 'gateway/cli.ts', 'export-envelope', '--case', caseNo, '--message', application.id, '--out', out], {
      cwd: REPO_ROOT,
      env: { ...process.env, KC_REDIS_URL: sys.districts.liwan.redisUrl },
    });
    for (const name of ['envelope', 'receipt']) {
      const result = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(out, `${name}.signer.pubkey.pem`), '-signature', join(out, `${name}.sig.der`), join(out, `${name}.body.json`)], {
        encoding: 'utf8',
      });
      expect(result.trim()).toBe('Verified OK');
    }
    // The envelope was signed by Liwan, the receipt by Nanhai; both chain to the dev root.
    const root = join(sys.dir, 'pki', 'trust', 'roots', 'kuacheng-dev-root.pem');
    for (const name of ['envelope', 'receipt']) {
      expect(execFileSync('openssl', ['verify', '-CAfile', root, join(out, `${name}.signer.pem`)], { encoding: 'utf8' })).toContain(': OK');
    }
    expect(readFileSync(join(out, 'envelope.signer.pem'), 'utf8')).not.toBe(readFileSync(join(out, 'receipt.signer.pem'), 'utf8'));
    // A changed byte fails.
    const body = readFileSync(join(out, 'envelope.body.json'));
    body.writeUInt8(body.readUInt8(body.length - 2) ^ 1, body.length - 2);
    const tampered = join(out, 'tampered.json');
    writeFileSync(tampered, body);
    expect(() =>
      execFileSync('openssl', ['dgst', '-sha256', '-verify', join(out, 'envelope.signer.pubkey.pem'), '-signature', join(out, 'envelope.sig.der'), tampered], { stdio: 'pipe' }),
    ).toThrow();
  });
});

describe('privacy', () => {
  it('when the logs of the whole run are searched, then no name, ID, phone number or address of an applicant appears', () => {
    const logs = sys.gatewayLogs() + DISTRICTS.map((d) => readFileSync(sys.districts[d].simulator.logFile, 'utf8')).join('');
    expect(logs.length).toBeGreaterThan(1000);
    for (const personal of [COMPANY_NAME, ADDRESS, PHONE, ...CREDIT_CODES, '张三丰', '佛山市南海区桂城街道1号']) {
      expect(logs).not.toContain(personal);
    }
  });
});
