import crypto, { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createCertificate,
  createCrl,
  generateKeyPair,
  normaliseSerial,
  parseCrl,
  readKeyUsage,
  verifyCrlSignature,
  type IssuerCredential,
} from '../../../certs/pki.js';

const NOW = new Date('2026-03-01T08:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const days = (n: number): Date => new Date(NOW.getTime() + n * DAY);

function makeRoot(commonName = 'Test Root'): IssuerCredential & { x509: X509Certificate; pem: string } {
  const { privateKey, publicKey } = generateKeyPair();
  const cert = createCertificate({
    subject: { commonName, organization: 'Kuacheng' },
    issuer: { selfSigned: true, privateKey },
    publicKey,
    notBefore: NOW,
    notAfter: days(3650),
    basicConstraints: { isCa: true, pathLen: 0 },
    keyUsage: { keyCertSign: true, cRLSign: true },
  });
  return { certDer: cert.der, privateKey, x509: new X509Certificate(cert.pem), pem: cert.pem };
}

function makeLeaf(root: IssuerCredential, overrides: { serialHex?: string; notAfter?: Date; ip?: string[] } = {}) {
  const { privateKey, publicKey } = generateKeyPair();
  const cert = createCertificate({
    subject: { commonName: 'gateway.liwan.kuacheng', organization: 'Kuacheng', organizationalUnit: 'liwan' },
    issuer: root,
    publicKey,
    notBefore: NOW,
    notAfter: overrides.notAfter ?? days(730),
    ...(overrides.serialHex !== undefined ? { serialHex: overrides.serialHex } : {}),
    keyUsage: { digitalSignature: true, keyEncipherment: true },
    extKeyUsage: ['serverAuth', 'clientAuth'],
    subjectAltName: { dns: ['localhost'], ip: overrides.ip ?? ['127.0.0.1'], uri: ['urn:kuacheng:gateway:liwan'] },
  });
  return { ...cert, privateKey, publicKey, x509: new X509Certificate(cert.pem) };
}

describe('certificates', () => {
  it('when a root issues a gateway certificate, then node parses both and the chain verifies', () => {
    const root = makeRoot();
    const leaf = makeLeaf(root);

    expect(leaf.x509.verify(root.x509.publicKey)).toBe(true);
    expect(leaf.x509.checkIssued(root.x509)).toBe(true);
    expect(root.x509.verify(root.x509.publicKey)).toBe(true);
    expect(root.x509.ca).toBe(true);
    expect(leaf.x509.ca).toBe(false);
    expect(leaf.x509.checkPrivateKey(leaf.privateKey)).toBe(true);
    expect(leaf.x509.subject).toBe('O=Kuacheng\nOU=liwan\nCN=gateway.liwan.kuacheng');
    expect(leaf.x509.issuer).toBe('O=Kuacheng\nCN=Test Root');
    expect(leaf.x509.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
  });

  it('when a certificate is issued, then SAN and extended key usage are what was asked', () => {
    const leaf = makeLeaf(makeRoot(), { ip: ['127.0.0.1', '::1'] });

    expect(leaf.x509.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, URI:urn:kuacheng:gateway:liwan',
    );
    // node's `keyUsage` is the EXTENDED key usage list.
    expect(leaf.x509.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(leaf.x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.x509.checkHost('localhost')).toBe('localhost');
  });

  it('when readKeyUsage reads a leaf and a root, then it gives their keyUsage bits', () => {
    const root = makeRoot();
    const leaf = makeLeaf(root);

    expect(readKeyUsage(leaf.der)).toEqual({ digitalSignature: true, keyEncipherment: true, keyCertSign: false, cRLSign: false });
    expect(readKeyUsage(root.pem)).toEqual({ digitalSignature: false, keyEncipherment: false, keyCertSign: true, cRLSign: true });
  });

  it('when a serial is given in any spelling, then serialHex, node and normaliseSerial agree', () => {
    const root = makeRoot();
    for (const [given, expected] of [
      ['ff01', 'ff01'],
      ['00:FF:01', 'ff01'],
      ['0x0A', '0a'],
      ['0100', '0100'],
      ['7f', '7f'],
    ] as const) {
      const leaf = makeLeaf(root, { serialHex: given });
      expect(leaf.serialHex).toBe(expected);
      expect(normaliseSerial(leaf.x509.serialNumber)).toBe(expected);
      expect(leaf.x509.serialNumber.toLowerCase()).toBe(expected);
    }
  });

  it('when no serial is given, then it is 16 random bytes, positive, different each time', () => {
    const root = makeRoot();
    const a = makeLeaf(root);
    const b = makeLeaf(root);
    expect(a.serialHex).toMatch(/^[0-7][0-9a-f]{31}$/);
    expect(a.serialHex).not.toBe(b.serialHex);
    expect(a.x509.serialNumber.toLowerCase()).toBe(a.serialHex);
  });

  it('when notAfter is in 2050 or later, then it is a GeneralizedTime; before, a UTCTime', () => {
    const root = makeRoot();
    const late = makeLeaf(root, { notAfter: new Date('2060-01-01T00:00:00Z') });
    const early = makeLeaf(root, { notAfter: new Date('2049-12-31T23:59:59Z') });

    expect(late.der.includes(Buffer.from('\x18\x0f20600101000000Z', 'latin1'))).toBe(true);
    expect(late.x509.validTo).toBe('Jan  1 00:00:00 2060 GMT');
    expect(early.der.includes(Buffer.from('\x17\x0d491231235959Z', 'latin1'))).toBe(true);
    expect(early.x509.validTo).toBe('Dec 31 23:59:59 2049 GMT');
  });

  it('when the signing key is not the issuer certificate key, then createCertificate refuses', () => {
    const root = makeRoot();
    const other = generateKeyPair();
    expect(() => makeLeaf({ certDer: root.certDer, privateKey: other.privateKey })).toThrow(/does not match/);
  });

  it('when the issuer is not a CA, then createCertificate refuses', () => {
    const leaf = makeLeaf(makeRoot());
    expect(() => makeLeaf({ certDer: leaf.der, privateKey: leaf.privateKey })).toThrow(/keyCertSign/);
  });

  it('when an end-entity certificate asks for keyCertSign, then createCertificate refuses', () => {
    const root = makeRoot();
    const { publicKey } = generateKeyPair();
    expect(() =>
      createCertificate({
        subject: { commonName: 'x' },
        issuer: root,
        publicKey,
        notBefore: NOW,
        notAfter: days(1),
        keyUsage: { keyCertSign: true },
      }),
    ).toThrow(/CA certificates only/);
  });

  it('when the key is not P-256, then the ECDSA-P256-SHA256 suite refuses to sign with it', () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    expect(() =>
      createCertificate({
        subject: { commonName: 'x' },
        issuer: { selfSigned: true, privateKey },
        publicKey,
        notBefore: NOW,
        notAfter: days(1),
        keyUsage: { digitalSignature: true },
      }),
    ).toThrow(/does not fit suite ECDSA-P256-SHA256/);
  });
});

describe('CRLs', () => {
  it('when a CRL is created and parsed, then every field comes back', () => {
    const root = makeRoot();
    const leaf = makeLeaf(root, { serialHex: '80aa' }); // high bit: DER adds a sign byte
    const crl = createCrl({
      issuer: root,
      revoked: [
        { serialHex: leaf.serialHex, revokedAt: days(1) },
        { serialHex: '00:0B', revokedAt: days(2) },
      ],
      thisUpdate: days(2),
      nextUpdate: days(9),
      crlNumber: 42,
    });

    for (const input of [crl.pem, crl.der, Buffer.from(crl.pem)]) {
      const parsed = parseCrl(input);
      expect(parsed.thisUpdate).toEqual(days(2));
      expect(parsed.nextUpdate).toEqual(days(9));
      expect(parsed.revokedSerials).toEqual(new Set(['80aa', '0b']));
      expect(parsed.revokedSerials.has(leaf.x509.serialNumber.toLowerCase())).toBe(true);
      expect(parsed.crlNumber).toBe(42n);
      expect(parsed.signatureAlgorithmOid).toBe('1.2.840.10045.4.3.2');
      expect(root.certDer.includes(parsed.issuerNameDer)).toBe(true);
      expect(crl.der.includes(parsed.tbsDer)).toBe(true);
    }
  });

  it('when nothing is revoked, then the CRL parses with an empty set', () => {
    const root = makeRoot();
    const parsed = parseCrl(createCrl({ issuer: root, revoked: [], thisUpdate: NOW, nextUpdate: days(7), crlNumber: 1 }).der);
    expect(parsed.revokedSerials.size).toBe(0);
    expect(verifyCrlSignature(parsed, root.x509.publicKey)).toBe(true);
  });

  it('when the CRL signature is checked, then it verifies with the root key and not with another', () => {
    const root = makeRoot();
    const stranger = makeRoot('Stranger');
    const parsed = parseCrl(createCrl({ issuer: root, revoked: [], thisUpdate: NOW, nextUpdate: days(7), crlNumber: 1 }).pem);

    expect(verifyCrlSignature(parsed, root.x509.publicKey)).toBe(true);
    expect(verifyCrlSignature(parsed, stranger.x509.publicKey)).toBe(false);
    expect(verifyCrlSignature(parsed, generateKeyPair().publicKey)).toBe(false);
  });

  it('when a signed CRL byte is changed, then the signature no longer verifies', () => {
    const root = makeRoot();
    const parsed = parseCrl(createCrl({ issuer: root, revoked: [], thisUpdate: NOW, nextUpdate: days(7), crlNumber: 1 }).der);
    const tampered = Buffer.from(parsed.tbsDer);
    tampered[tampered.length - 1]! ^= 0x01;
    expect(verifyCrlSignature({ ...parsed, tbsDer: tampered }, root.x509.publicKey)).toBe(false);
  });

  it('when the CRL names an unknown signature algorithm, then verification fails closed', () => {
    const root = makeRoot();
    const parsed = parseCrl(createCrl({ issuer: root, revoked: [], thisUpdate: NOW, nextUpdate: days(7), crlNumber: 1 }).der);
    expect(verifyCrlSignature({ ...parsed, signatureAlgorithmOid: '1.2.156.10197.1.501' }, root.x509.publicKey)).toBe(false);
  });
});

describe('normaliseSerial', () => {
  it('when given openssl, node and padded spellings, then it returns one spelling', () => {
    expect(normaliseSerial('16:7F:C3')).toBe('167fc3');
    expect(normaliseSerial('0x00ff')).toBe('ff');
    expect(normaliseSerial('abc')).toBe('0abc');
    expect(normaliseSerial('00')).toBe('00');
  });

  it('when given something that is not hex, then it throws', () => {
    expect(() => normaliseSerial('xyz')).toThrow(/not a hex serial/);
    expect(() => normaliseSerial('')).toThrow(/not a hex serial/);
  });
});
