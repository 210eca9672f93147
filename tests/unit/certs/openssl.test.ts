/**
 * The certificates and CRLs must satisfy the reference implementation, not just our own parser:
 * a third party checks stored envelopes with `openssl` and the sender's certificate.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readKeyUsage } from '../../../certs/pki.js';
import { createTestPki, writeStaleCrl, type TestPki } from '../../helpers/pki.js';

const OPENSSL = '/usr/bin/openssl';

function openssl(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(OPENSSL, args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** `openssl verify` against the trust store root and, unless told otherwise, its CRL. */
function verify(pki: TestPki, certPath: string, crlPath: string = pki.crlPath) {
  return openssl('verify', '-CAfile', pki.paths.trust.root, '-crl_check', '-CRLfile', crlPath, certPath);
}

describe('openssl accepts what we issue', () => {
  let tmp: string;
  let pki: TestPki;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-certs-openssl-'));
    pki = createTestPki(tmp);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('when a good gateway or partner certificate is verified with the CRL, then openssl says OK', () => {
    for (const cert of [pki.gateways.liwan.certPath, pki.gateways.nanhai.chainPath, pki.partners['kiosk-liwan'].certPath]) {
      const r = verify(pki, cert);
      expect(r.output).toContain(': OK');
      expect(r.status).toBe(0);
    }
  });

  it('when the revoked certificate is verified with the CRL, then openssl fails with "certificate revoked"', () => {
    const r = verify(pki, pki.bad.revoked.certPath);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('certificate revoked');
  });

  it('when the other bad certificates are verified, then openssl fails for the expected reason', () => {
    expect(verify(pki, pki.bad.expired.certPath).output).toContain('certificate has expired');
    expect(verify(pki, pki.bad.notYetValid.certPath).output).toContain('certificate is not yet valid');
    expect(verify(pki, pki.bad.unknownRoot.certPath).output).toContain('unable to get local issuer certificate');
  });

  it('when the CRL is stale, then openssl refuses to rely on it', () => {
    const stale = writeStaleCrl(pki);
    const r = verify(pki, pki.gateways.liwan.certPath, stale.path);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('CRL has expired');
  });

  it('when openssl prints the CRL, then it parses it as a v2 CRL with number, AKI and the revoked serial', () => {
    const r = openssl('crl', '-in', pki.crlPath, '-noout', '-text');
    expect(r.status).toBe(0);
    expect(r.output).toContain('Version 2 (0x1)');
    expect(r.output).toContain('X509v3 CRL Number');
    expect(r.output).toContain('X509v3 Authority Key Identifier');
    expect(r.output).toContain(`Serial Number: ${pki.bad.revoked.x509.serialNumber}`);
    expect(r.output).toContain('Issuer: O = Kuacheng, CN = Kuacheng Dev Root CA');
  });

  it('when openssl checks the CRL signature against the root, then it verifies', () => {
    const r = openssl('crl', '-in', pki.crlPath, '-noout', '-CAfile', pki.paths.trust.root);
    expect(r.output).toContain('verify OK');
  });

  it('when openssl prints a gateway certificate, then its extensions are the profile', () => {
    const r = openssl('x509', '-in', pki.gateways.liwan.certPath, '-noout', '-text');
    expect(r.output).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(r.output).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(r.output).toContain('URI:urn:kuacheng:gateway:liwan');
    expect(r.output).toMatch(/Basic Constraints:\s+CA:FALSE/);
    expect(r.output).toContain('Signature Algorithm: ecdsa-with-SHA256');
  });

  it('when the DER is parsed strictly by openssl asn1parse, then it is well-formed', () => {
    for (const file of [pki.root.certPath, pki.gateways.liwan.certPath, pki.bad.noDigitalSignature.certPath]) {
      expect(openssl('asn1parse', '-in', file, '-strictpem').status).toBe(0);
    }
    expect(openssl('asn1parse', '-in', pki.crlPath).status).toBe(0);
  });

  it('when a certificate made by openssl has no keyUsage extension, then readKeyUsage is undefined', () => {
    const key = path.join(tmp, 'openssl-key.pem');
    const cert = path.join(tmp, 'openssl.pem');
    const r = openssl(
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-subj', '/CN=plain', '-days', '1',
    );
    expect(r.status).toBe(0);
    expect(readKeyUsage(fs.readFileSync(cert, 'utf8'))).toBeUndefined();
  });
});
