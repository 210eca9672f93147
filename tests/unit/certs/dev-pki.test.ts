import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDevPki, identityOf, revokeCertificate } from '../../../certs/dev-pki.js';
import { createCertificate, generateKeyPair, parseCrl, readKeyUsage, verifyCrlSignature } from '../../../certs/pki.js';
import { createTestPki, writeStaleCrl } from '../../helpers/pki.js';

const NOW = new Date('2026-03-01T08:00:00Z');
const DAY = 24 * 60 * 60 * 1000;

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-certs-dev-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir` with its content, to compare two states of the folder. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const file = path.join(entry.parentPath, entry.name);
      out.set(path.relative(dir, file), fs.readFileSync(file, 'utf8'));
    }
  }
  return out;
}

const mode = (file: string): number => fs.statSync(file).mode & 0o777;
const x509 = (file: string): X509Certificate => new X509Certificate(fs.readFileSync(file));

describe('ensureDevPki', () => {
  it('when run on an empty folder, then it creates the documented layout', () => {
    const { paths, changes } = ensureDevPki(tmp, { now: NOW });

    expect([...snapshot(tmp).keys()].sort()).toEqual([
      'ca/revoked.json',
      'ca/root-key.pem',
      'ca/root.pem',
      'districts/liwan/chain.pem',
      'districts/liwan/gateway-key.pem',
      'districts/liwan/gateway.pem',
      'districts/liwan/signing-sm2-key.pem',
      'districts/liwan/signing-sm2.pem',
      'districts/nanhai/chain.pem',
      'districts/nanhai/gateway-key.pem',
      'districts/nanhai/gateway.pem',
      'districts/nanhai/signing-sm2-key.pem',
      'districts/nanhai/signing-sm2.pem',
      'partners/kiosk-liwan/client-key.pem',
      'partners/kiosk-liwan/client.pem',
      'partners/kiosk-nanhai/client-key.pem',
      'partners/kiosk-nanhai/client.pem',
      'trust/crls/kuacheng-dev-root.crl.pem',
      'trust/roots/kuacheng-dev-root.pem',
    ]);
    expect(new Set(changes.map((c) => path.relative(tmp, c.path))).size).toBe(19);
    expect(fs.readFileSync(paths.trust.root, 'utf8')).toBe(fs.readFileSync(paths.ca.cert, 'utf8'));
    expect(fs.readFileSync(paths.districts.liwan.chain, 'utf8')).toBe(fs.readFileSync(paths.districts.liwan.cert, 'utf8'));
  });

  it('when run twice, then the second run creates nothing and changes no file', () => {
    ensureDevPki(tmp, { now: NOW });
    const before = snapshot(tmp);

    const second = ensureDevPki(tmp, { now: new Date(NOW.getTime() + DAY) });

    expect(second.changes).toEqual([]);
    expect(snapshot(tmp)).toEqual(before);
  });

  it('when it writes private keys, then they are 0600 in 0700 folders', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const keys = [paths.ca.key, paths.districts.liwan.key, paths.districts.nanhai.key, ...Object.values(paths.partners).map((p) => p.key)];
    expect(keys).toHaveLength(5);
    for (const key of keys) {
      expect(mode(key)).toBe(0o600);
      expect(mode(path.dirname(key))).toBe(0o700);
    }
    expect(mode(paths.trust.root)).toBe(0o644);
  });

  it('when a key file was made readable by others, then the next run sets it back to 0600', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    fs.chmodSync(paths.districts.liwan.key, 0o644);

    const { changes } = ensureDevPki(tmp, { now: NOW });

    expect(changes.map((c) => c.path)).toEqual([paths.districts.liwan.key]);
    expect(mode(paths.districts.liwan.key)).toBe(0o600);
  });

  it('when a district certificate is deleted, then only it (with a new key and chain) is re-created', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const before = snapshot(tmp);
    fs.rmSync(paths.districts.nanhai.cert);

    const { changes } = ensureDevPki(tmp, { now: NOW });

    expect(changes.map((c) => path.relative(tmp, c.path)).sort()).toEqual([
      'districts/nanhai/chain.pem',
      'districts/nanhai/gateway-key.pem',
      'districts/nanhai/gateway.pem',
    ]);
    const after = snapshot(tmp);
    for (const [file, content] of before) {
      if (!file.startsWith('districts/nanhai/')) expect(after.get(file)).toBe(content);
    }
  });

  it('when the CRL is past half its lifetime, then it is re-issued with the next CRL number', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const first = parseCrl(fs.readFileSync(paths.trust.crl));
    expect(first.nextUpdate).toEqual(new Date(NOW.getTime() + 7 * DAY));

    const threeDaysLater = ensureDevPki(tmp, { now: new Date(NOW.getTime() + 3 * DAY) });
    expect(threeDaysLater.changes).toEqual([]);

    const later = new Date(NOW.getTime() + 4 * DAY);
    const { changes } = ensureDevPki(tmp, { now: later });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ path: paths.trust.crl, reason: 'past half its lifetime' });
    const second = parseCrl(fs.readFileSync(paths.trust.crl));
    expect(second.crlNumber).toBe((first.crlNumber ?? 0n) + 1n);
    expect(second.thisUpdate).toEqual(later);
    expect(verifyCrlSignature(second, x509(paths.ca.cert).publicKey)).toBe(true);
  });

  it('when only half of the root is there, then it stops and says what to delete', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    fs.rmSync(paths.ca.key);
    expect(() => ensureDevPki(tmp, { now: NOW })).toThrow(/ca\/root-key\.pem is missing.*delete .*ca/);
  });

  it('when the ca folder is deleted, then a new root is made and every certificate is re-issued under it', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const oldRoot = fs.readFileSync(paths.ca.cert, 'utf8');
    fs.rmSync(path.dirname(paths.ca.cert), { recursive: true });

    const { changes } = ensureDevPki(tmp, { now: NOW });

    const root = x509(paths.ca.cert);
    expect(root.toString()).not.toBe(oldRoot);
    expect(fs.readFileSync(paths.trust.root, 'utf8')).toBe(fs.readFileSync(paths.ca.cert, 'utf8'));
    for (const cert of [paths.districts.liwan.cert, paths.districts.nanhai.cert, ...Object.values(paths.partners).map((p) => p.cert)]) {
      expect(changes.some((c) => c.path === cert && c.reason === 'not issued by the current root')).toBe(true);
      expect(x509(cert).verify(root.publicKey)).toBe(true);
    }
  });

  it('when a certificate has expired, then the next run replaces it', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const in3Years = new Date(NOW.getTime() + 3 * 365 * DAY);

    const { changes } = ensureDevPki(tmp, { now: in3Years });

    expect(changes.find((c) => c.path === paths.districts.liwan.cert)?.reason).toBe('outside its validity period');
    expect(new Date(x509(paths.districts.liwan.cert).validTo).getTime()).toBeGreaterThan(in3Years.getTime());
  });
});

describe('certificate profiles', () => {
  it('when the district certificates are made, then CN, O, OU, EKU, key usage and SAN follow the convention', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    for (const d of ['liwan', 'nanhai'] as const) {
      const cert = x509(paths.districts[d].cert);
      expect(cert.subject).toBe(`O=Kuacheng\nOU=${d}\nCN=gateway.${d}.kuacheng`);
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
      expect(readKeyUsage(cert.raw)).toMatchObject({ digitalSignature: true, keyCertSign: false });
      expect(cert.subjectAltName).toBe(`DNS:localhost, DNS:gateway.${d}.kuacheng, IP Address:127.0.0.1, URI:urn:kuacheng:gateway:${d}`);
      expect(new Date(cert.validTo).getTime() - NOW.getTime()).toBe(730 * DAY);
    }
  });

  it('when the partner certificates are made, then they are client-only with a partner URI', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const cert = x509(paths.partners['kiosk-nanhai']!.cert);
    expect(cert.subject).toBe('O=Kuacheng\nOU=partner\nCN=kiosk-nanhai');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(readKeyUsage(cert.raw)?.digitalSignature).toBe(true);
    expect(cert.subjectAltName).toBe('URI:urn:kuacheng:partner:kiosk-nanhai');
  });

  it('when the root is made, then it is a 10-year CA that signs certificates and CRLs only', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const root = x509(paths.ca.cert);
    expect(root.ca).toBe(true);
    expect(root.checkIssued(root)).toBe(true);
    expect(readKeyUsage(root.raw)).toEqual({ digitalSignature: false, keyEncipherment: false, keyCertSign: true, cRLSign: true });
    expect(new Date(root.validTo).getTime() - NOW.getTime()).toBe(3650 * DAY);
  });

  it('when extra partners are asked for, then they get certificates too', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW, partners: ['kiosk-liwan', 'province-platform'] });
    expect(identityOf(x509(paths.partners['province-platform']!.cert))).toEqual({ kind: 'partner', partnerId: 'province-platform' });
  });

  it('when a partner id is not a safe name, then ensureDevPki refuses it', () => {
    expect(() => ensureDevPki(tmp, { now: NOW, partners: ['../etc'] })).toThrow(/partner id/);
  });
});

describe('revokeCertificate', () => {
  it('when a district certificate is revoked, then revoked.json and the CRL list it, and the next run replaces it', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    const revokedCert = x509(paths.districts.liwan.cert);
    const serial = revokedCert.serialNumber.toLowerCase();

    const result = revokeCertificate(tmp, paths.districts.liwan.cert, { now: NOW });

    expect(result).toMatchObject({ serialHex: serial, alreadyRevoked: false });
    const json = JSON.parse(fs.readFileSync(paths.ca.revoked, 'utf8')) as { revoked: { serialHex: string }[] };
    expect(json.revoked.map((r) => r.serialHex)).toEqual([serial]);
    const crl = parseCrl(fs.readFileSync(paths.trust.crl, 'utf8'));
    expect(crl.revokedSerials.has(serial)).toBe(true);
    expect(crl.crlNumber).toBe(2n);

    const again = revokeCertificate(tmp, paths.districts.liwan.cert, { now: NOW });
    expect(again.alreadyRevoked).toBe(true);
    expect(again.changes).toEqual([]);

    const { changes } = ensureDevPki(tmp, { now: NOW });
    expect(changes.find((c) => c.path === paths.districts.liwan.cert)?.reason).toBe('revoked');
    expect(x509(paths.districts.liwan.cert).serialNumber.toLowerCase()).not.toBe(serial);
    expect(parseCrl(fs.readFileSync(paths.trust.crl)).revokedSerials.has(serial)).toBe(true);
  });

  it('when the certificate was issued by another CA, then revocation is refused', () => {
    const pki = createTestPki(tmp, { now: NOW });
    expect(() => revokeCertificate(tmp, pki.bad.unknownRoot.certPath, { now: NOW })).toThrow(/not issued by the dev root/);
  });
});

describe('identityOf', () => {
  function certWithUris(uris: string[]): X509Certificate {
    const { privateKey, publicKey } = generateKeyPair();
    const cert = createCertificate({
      subject: { commonName: 'gateway.liwan.kuacheng' },
      issuer: { selfSigned: true, privateKey },
      publicKey,
      notBefore: NOW,
      notAfter: new Date(NOW.getTime() + DAY),
      keyUsage: { digitalSignature: true },
      subjectAltName: { dns: ['localhost'], uri: uris },
    });
    return new X509Certificate(cert.der);
  }

  it('when the certificates are the dev gateways and partners, then it names them', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    expect(identityOf(x509(paths.districts.liwan.cert))).toEqual({ kind: 'gateway', district: 'liwan' });
    expect(identityOf(x509(paths.districts.nanhai.cert))).toEqual({ kind: 'gateway', district: 'nanhai' });
    expect(identityOf(x509(paths.partners['kiosk-liwan']!.cert))).toEqual({ kind: 'partner', partnerId: 'kiosk-liwan' });
  });

  it('when there is no Kuacheng URI, then it is undefined (the CN does not count)', () => {
    const { paths } = ensureDevPki(tmp, { now: NOW });
    expect(identityOf(x509(paths.ca.cert))).toBeUndefined();
    expect(identityOf(certWithUris([]))).toBeUndefined();
    expect(identityOf(certWithUris(['https://example.org/liwan']))).toBeUndefined();
  });

  it('when the URI names an unknown district or a malformed partner, then it is undefined', () => {
    expect(identityOf(certWithUris(['urn:kuacheng:gateway:tianhe']))).toBeUndefined();
    expect(identityOf(certWithUris(['urn:kuacheng:partner:Bad_Id']))).toBeUndefined();
    expect(identityOf(certWithUris(['urn:kuacheng:gateway:liwan:extra']))).toBeUndefined();
  });

  it('when two different Kuacheng identities are claimed, then it is undefined', () => {
    expect(identityOf(certWithUris(['urn:kuacheng:gateway:liwan', 'urn:kuacheng:gateway:nanhai']))).toBeUndefined();
    expect(identityOf(certWithUris(['urn:kuacheng:gateway:liwan', 'urn:kuacheng:partner:kiosk-liwan']))).toBeUndefined();
  });

  it('when an extra non-Kuacheng URI sits next to the identity, then the identity still counts', () => {
    expect(identityOf(certWithUris(['https://example.org/x', 'urn:kuacheng:gateway:nanhai']))).toEqual({
      kind: 'gateway',
      district: 'nanhai',
    });
  });

  it('when a URI holds a comma, then node quotes it and the other URIs are still read correctly', () => {
    expect(identityOf(certWithUris(['https://example.org/a,URI:urn:kuacheng:gateway:liwan', 'urn:kuacheng:gateway:nanhai']))).toEqual({
      kind: 'gateway',
      district: 'nanhai',
    });
  });
});

describe('createTestPki fixture', () => {
  it('when built, then each bad certificate is bad in exactly its own way', () => {
    const pki = createTestPki(tmp, { now: NOW });
    const rootKey = pki.root.publicKey;
    const crl = parseCrl(fs.readFileSync(pki.crlPath));
    const liwan = { kind: 'gateway', district: 'liwan' };

    for (const c of [pki.bad.expired, pki.bad.notYetValid, pki.bad.noDigitalSignature, pki.bad.revoked]) {
      expect(c.x509.verify(rootKey)).toBe(true);
      expect(identityOf(c.x509)).toEqual(liwan);
      expect(c.x509.checkPrivateKey(c.privateKey)).toBe(true);
    }
    expect(new Date(pki.bad.expired.x509.validTo).getTime()).toBeLessThan(NOW.getTime());
    expect(new Date(pki.bad.notYetValid.x509.validFrom).getTime()).toBeGreaterThan(NOW.getTime());
    expect(readKeyUsage(pki.bad.noDigitalSignature.certDer)?.digitalSignature).toBe(false);
    expect(crl.revokedSerials).toEqual(new Set([pki.bad.revoked.serialHex]));
    expect(pki.bad.unknownRoot.x509.verify(rootKey)).toBe(false);
    expect(pki.bad.unknownRoot.x509.verify(pki.bad.unknownRootCa.publicKey)).toBe(true);
    expect(identityOf(pki.bad.unknownRoot.x509)).toEqual(liwan);
    expect(identityOf(pki.bad.wrongDistrict.x509)).toEqual({ kind: 'gateway', district: 'nanhai' });
    expect(pki.gateways.liwan.x509.verify(rootKey)).toBe(true);
    expect(crl.revokedSerials.has(pki.gateways.liwan.serialHex)).toBe(false);
  });

  it('when a stale CRL is written, then it is signed by the root but its nextUpdate has passed', () => {
    const pki = createTestPki(tmp, { now: NOW });
    const stale = writeStaleCrl(pki);
    const crl = parseCrl(stale.der);
    expect(verifyCrlSignature(crl, pki.root.publicKey)).toBe(true);
    expect(crl.nextUpdate!.getTime()).toBeLessThan(NOW.getTime());
    expect(crl.revokedSerials.has(pki.bad.revoked.serialHex)).toBe(true);
    expect(fs.readFileSync(pki.crlPath, 'utf8')).not.toBe(stale.pem);
  });
});
