/**
 * Certificates for SM2 keys: the dev PKI's SM2 envelope-signing certificate per district, and an
 * SM2-signed CA (proof that pki.ts needs no second code path for it), each checked by node:crypto
 * and by openssl.
 */
import { X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDevPki, identityOf } from '../../../certs/dev-pki.js';
import { createCertificate, createCrl, generateKeyPair, parseCrl, readKeyUsage, verifyCrlSignature } from '../../../certs/pki.js';
import { suiteForKey } from '../../../certs/suites.js';

const DAY = 86_400_000;
const NOW = new Date('2026-03-02T08:00:00Z');
let tmp: string;

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-sm2-certs-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const openssl = (...args: string[]) => {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
};

describe('the dev PKI SM2 signing certificate', () => {
  it('when the dev PKI is made, then each district has an SM2 signing certificate for its gateway identity, for signing only', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    for (const d of ['liwan', 'nanhai'] as const) {
      const cert = new X509Certificate(fs.readFileSync(paths.districts[d].signingSm2.cert));
      expect(suiteForKey(cert.publicKey)).toBe('SM2-SM3');
      expect(identityOf(cert)).toEqual({ kind: 'gateway', district: d });
      expect(readKeyUsage(cert.raw)).toMatchObject({ digitalSignature: true, keyEncipherment: false, keyCertSign: false });
      // No extended key usage: it is never a TLS certificate (TLS 1.3 has no SM2 signature scheme).
      expect(cert.keyUsage ?? []).toEqual([]);
      expect(fs.statSync(paths.districts[d].signingSm2.key).mode & 0o777).toBe(0o600);
    }
  });

  it('when openssl verifies the SM2 signing certificate against the trust store root and CRL, then it is OK', () => {
    const { paths } = ensureDevPki(tmp, { now: new Date() });
    const r = openssl('verify', '-CAfile', paths.trust.root, '-crl_check', '-CRLfile', paths.trust.crl, paths.districts.liwan.signingSm2.cert);
    expect(r.output).toContain(': OK');
    expect(r.status).toBe(0);
  });

  it('when the SM2 signing files hold an ECDSA pair, then the next run re-issues them as SM2 and leaves the rest alone', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const liwanGateway = fs.readFileSync(paths.districts.liwan.cert, 'utf8');
    fs.copyFileSync(paths.districts.liwan.key, paths.districts.liwan.signingSm2.key);
    fs.copyFileSync(paths.districts.liwan.cert, paths.districts.liwan.signingSm2.cert);

    const { changes } = ensureDevPki(tmp, { now: NOW });

    expect(changes.map((c) => path.relative(tmp, c.path)).sort()).toEqual(['districts/liwan/signing-sm2-key.pem', 'districts/liwan/signing-sm2.pem']);
    expect(changes[0]?.reason).toBe('key is not a SM2-SM3 key');
    expect(suiteForKey(new X509Certificate(fs.readFileSync(paths.districts.liwan.signingSm2.cert)).publicKey)).toBe('SM2-SM3');
    expect(fs.readFileSync(paths.districts.liwan.cert, 'utf8')).toBe(liwanGateway);
    expect(ensureDevPki(tmp, { now: NOW }).changes).toEqual([]);
  });
});

describe('an SM2-signed CA', () => {
  it('when a root, a leaf and a CRL are all signed SM2-with-SM3, then node and openssl verify the chain and the CRL', () => {
    const rootKeys = generateKeyPair('SM2-SM3');
    const root = createCertificate({
      subject: { commonName: 'SM2 Test Root', organization: 'Kuacheng' },
      issuer: { selfSigned: true, privateKey: rootKeys.privateKey },
      publicKey: rootKeys.publicKey,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 365 * DAY),
      basicConstraints: { isCa: true, pathLen: 0 },
      keyUsage: { keyCertSign: true, cRLSign: true },
      suite: 'SM2-SM3',
    });
    const leafKeys = generateKeyPair('SM2-SM3');
    const leaf = createCertificate({
      subject: { commonName: 'signing.liwan.kuacheng' },
      issuer: { certDer: root.der, privateKey: rootKeys.privateKey },
      publicKey: leafKeys.publicKey,
      notBefore: new Date(Date.now() - DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
      keyUsage: { digitalSignature: true },
      suite: 'SM2-SM3',
    });
    const crl = createCrl({
      issuer: { certDer: root.der, privateKey: rootKeys.privateKey },
      revoked: [],
      thisUpdate: new Date(Date.now() - 60_000),
      nextUpdate: new Date(Date.now() + 7 * DAY),
      crlNumber: 1,
      suite: 'SM2-SM3',
    });
    const rootX = new X509Certificate(root.der);
    const leafX = new X509Certificate(leaf.der);
    expect([leafX.checkIssued(rootX), leafX.verify(rootX.publicKey), rootX.verify(rootX.publicKey)]).toEqual([true, true, true]);
    expect(verifyCrlSignature(parseCrl(crl.der), rootX.publicKey)).toBe(true);
    // An ECDSA key cannot vouch for an SM2 signature.
    expect(verifyCrlSignature(parseCrl(crl.der), generateKeyPair().publicKey)).toBe(false);

    const files = { root: path.join(tmp, 'root.pem'), leaf: path.join(tmp, 'leaf.pem'), crl: path.join(tmp, 'root.crl.pem') };
    fs.writeFileSync(files.root, root.pem);
    fs.writeFileSync(files.leaf, leaf.pem);
    fs.writeFileSync(files.crl, crl.pem);
    const r = openssl('verify', '-CAfile', files.root, '-crl_check', '-CRLfile', files.crl, files.leaf);
    expect(r.output).toContain(': OK');
  });
});
