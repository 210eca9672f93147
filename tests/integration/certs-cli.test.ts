/** `npm run certs`: one idempotent command that makes the dev PKI, and revokes on request. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCrl } from '../../certs/pki.js';
import { REPO_ROOT } from '../../scripts/processes.js';
import { X509Certificate } from 'node:crypto';

const dir = mkdtempSync(join(tmpdir(), 'kc-certs-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const certs = (...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', 'certs/cli.ts', '--dir', dir, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });

describe('certs CLI', () => {
  it('when run twice, then the first run makes the PKI and the second changes nothing', () => {
    expect(certs()).toMatch(/19 file\(s\) written/);
    const before = readFileSync(join(dir, 'districts', 'liwan', 'gateway.pem'), 'utf8');
    const second = certs();
    expect(second).toMatch(/complete and current; nothing to do/);
    expect(readFileSync(join(dir, 'districts', 'liwan', 'gateway.pem'), 'utf8')).toBe(before);
  });

  it('when a certificate is revoked, then its serial is in the trust store CRL', () => {
    const certPath = join(dir, 'partners', 'kiosk-nanhai', 'client.pem');
    const serial = new X509Certificate(readFileSync(certPath)).serialNumber.toLowerCase().replace(/^(00)+/, '');
    certs('--revoke', certPath);
    const crl = parseCrl(readFileSync(join(dir, 'trust', 'crls', 'kuacheng-dev-root.crl.pem')));
    expect([...crl.revokedSerials]).toContain(serial);
  });
});
