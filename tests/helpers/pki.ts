/**
 * Test fixture: a complete dev PKI in a folder of the test's choosing, plus deliberately bad
 * certificates (each with its private key) for the negative tests of the gateway's trust checks.
 *
 *   const pki = createTestPki(await fs.mkdtemp(path.join(os.tmpdir(), 'kc-pki-')));
 *   signer = pki.bad.revoked.privateKey; …; expect(code).toBe('CERT_REVOKED');
 *
 * Everything good comes from `ensureDevPki` (same layout as `npm run certs`); the bad ones live in
 * `<dir>/bad/<name>/` and differ from the real liwan gateway certificate in one respect only.
 */
import crypto, { type KeyObject, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  DEFAULT_PARTNERS,
  certificateProfile,
  ensureDevPki,
  revokeCertificate,
  signingCertificateProfile,
  type CertificateProfile,
  type DevPkiPaths,
} from '../../certs/dev-pki.js';
import { createCertificate, createCrl, generateKeyPair, normaliseSerial, type IssuerCredential, type SignatureSuiteName } from '../../certs/pki.js';
import type { District } from '../../gateway/domain/district.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** A certificate with its private key, as files and as loaded objects. */
export interface TestCredential {
  certPath: string;
  keyPath: string;
  certPem: string;
  certDer: Buffer;
  x509: X509Certificate;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Normalised as `normaliseSerial` (lowercase hex, no leading zero bytes). */
  serialHex: string;
}

export interface TestPki {
  dir: string;
  /** The clock the fixture was built with. */
  now: Date;
  paths: DevPkiPaths;
  /** The dev root: the only root in the trust store (`paths.trust.root`). */
  root: TestCredential;
  /** The root's current CRL in the trust store; lists `bad.revoked`. */
  crlPath: string;
  /** Valid gateway certificates; `chainPath` is what a gateway presents in TLS. */
  gateways: Record<District, TestCredential & { chainPath: string }>;
  /** Valid envelope-signing certificates with SM2 keys (KC_SIGNING_CERT / KC_SIGNING_KEY with KC_SIGNATURE_SUITE=SM2-SM3). */
  signingSm2: Record<District, TestCredential>;
  /** Valid partner client certificates (kiosk-liwan, kiosk-nanhai). */
  partners: Record<(typeof DEFAULT_PARTNERS)[number], TestCredential>;
  /** Certificates that must be refused. All but `wrongDistrict` claim to be the liwan gateway. */
  bad: {
    /** notAfter was yesterday (valid from 30 days ago until 1 day ago). */
    expired: TestCredential;
    /** notBefore is tomorrow. */
    notYetValid: TestCredential;
    /** keyUsage has keyEncipherment only: no digitalSignature, so it may not sign envelopes. */
    noDigitalSignature: TestCredential;
    /** Otherwise valid, but its serial is in ca/revoked.json and in the trust store's CRL. */
    revoked: TestCredential;
    /** Issued by `unknownRootCa`, a second root that is not in the trust store. */
    unknownRoot: TestCredential;
    /** The untrusted second root ("Kuacheng Rogue Root CA") that issued `unknownRoot`. */
    unknownRootCa: TestCredential;
    /**
     * A valid certificate of the wrong district: the real nanhai gateway. Use it to sign an envelope
     * that claims to come from liwan.
     */
    wrongDistrict: TestCredential;
  };
}

/** Read a certificate and key pair from disk. */
export function loadCredential(certPath: string, keyPath: string): TestCredential {
  const certPem = fs.readFileSync(certPath, 'utf8');
  const x509 = new X509Certificate(certPem);
  return {
    certPath,
    keyPath,
    certPem,
    certDer: x509.raw,
    x509,
    privateKey: crypto.createPrivateKey(fs.readFileSync(keyPath)),
    publicKey: x509.publicKey,
    serialHex: normaliseSerial(x509.serialNumber),
  };
}

function writeCredential(dir: string, name: string, pem: string, privateKey: KeyObject): TestCredential {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const certPath = path.join(folder, 'gateway.pem');
  const keyPath = path.join(folder, 'gateway-key.pem');
  fs.writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  fs.writeFileSync(certPath, pem);
  return loadCredential(certPath, keyPath);
}

interface Variant {
  issuer: IssuerCredential;
  notBefore: Date;
  notAfter: Date;
  profile?: CertificateProfile;
}

/** A liwan gateway certificate, identical in profile to the real one unless `variant` says otherwise. */
function issueLiwanVariant(dir: string, name: string, v: Variant): TestCredential {
  const { days: _days, ...profile } = v.profile ?? certificateProfile({ kind: 'gateway', district: 'liwan' });
  const { privateKey, publicKey } = generateKeyPair();
  const cert = createCertificate({ ...profile, issuer: v.issuer, publicKey, notBefore: v.notBefore, notAfter: v.notAfter });
  return writeCredential(dir, name, cert.pem, privateKey);
}

/**
 * Build the full dev PKI in `dir` (which should be a fresh temp folder) and the bad certificates.
 * `now` defaults to the real clock; pass the test's clock when it is frozen.
 */
export function createTestPki(dir: string, opts: { now?: Date } = {}): TestPki {
  const now = opts.now ?? new Date();
  const { paths } = ensureDevPki(dir, { now });
  const root = loadCredential(paths.ca.cert, paths.ca.key);
  const ca: IssuerCredential = { certDer: root.certDer, privateKey: root.privateKey };
  const badDir = path.join(paths.dir, 'bad');
  const at = (days: number): Date => new Date(now.getTime() + days * DAY_MS);

  const liwanProfile = certificateProfile({ kind: 'gateway', district: 'liwan' });
  const expired = issueLiwanVariant(badDir, 'expired', { issuer: ca, notBefore: at(-30), notAfter: at(-1) });
  const notYetValid = issueLiwanVariant(badDir, 'not-yet-valid', { issuer: ca, notBefore: at(1), notAfter: at(365) });
  const noDigitalSignature = issueLiwanVariant(badDir, 'no-digital-signature', {
    issuer: ca,
    notBefore: at(-1),
    notAfter: at(365),
    profile: { ...liwanProfile, keyUsage: { digitalSignature: false, keyEncipherment: true } },
  });
  const revokedBefore = issueLiwanVariant(badDir, 'revoked', { issuer: ca, notBefore: at(-1), notAfter: at(365) });
  revokeCertificate(paths.dir, revokedBefore.certPath, { now });

  // A second root with a plausible name, never copied into trust/roots.
  const rogueKeys = generateKeyPair();
  const rogueCert = createCertificate({
    subject: { commonName: 'Kuacheng Rogue Root CA', organization: 'Kuacheng' },
    issuer: { selfSigned: true, privateKey: rogueKeys.privateKey },
    publicKey: rogueKeys.publicKey,
    notBefore: at(-1),
    notAfter: at(3650),
    basicConstraints: { isCa: true, pathLen: 0 },
    keyUsage: { keyCertSign: true, cRLSign: true },
  });
  const unknownRootCa = writeCredential(badDir, 'unknown-root-ca', rogueCert.pem, rogueKeys.privateKey);
  const unknownRoot = issueLiwanVariant(badDir, 'unknown-root', {
    issuer: { certDer: unknownRootCa.certDer, privateKey: unknownRootCa.privateKey },
    notBefore: at(-1),
    notAfter: at(365),
  });

  const gateway = (d: District): TestCredential & { chainPath: string } => ({
    ...loadCredential(paths.districts[d].cert, paths.districts[d].key),
    chainPath: paths.districts[d].chain,
  });
  const partner = (id: string): TestCredential => {
    const p = paths.partners[id];
    if (!p) throw new Error(`no partner ${id}`);
    return loadCredential(p.cert, p.key);
  };
  const gateways = { liwan: gateway('liwan'), nanhai: gateway('nanhai') };
  const signingSm2 = (d: District): TestCredential => loadCredential(paths.districts[d].signingSm2.cert, paths.districts[d].signingSm2.key);
  return {
    dir: paths.dir,
    now,
    paths,
    root,
    crlPath: paths.trust.crl,
    gateways,
    signingSm2: { liwan: signingSm2('liwan'), nanhai: signingSm2('nanhai') },
    partners: { 'kiosk-liwan': partner('kiosk-liwan'), 'kiosk-nanhai': partner('kiosk-nanhai') },
    bad: {
      expired,
      notYetValid,
      noDigitalSignature,
      revoked: loadCredential(revokedBefore.certPath, revokedBefore.keyPath),
      unknownRoot,
      unknownRootCa,
      wrongDistrict: gateways.nanhai,
    },
  };
}

/**
 * A CRL of the dev root that is correctly signed and lists the revoked serials, but went stale:
 * thisUpdate 14 days and nextUpdate 7 days before `pki.now`. Written to `opts.path` (default
 * `<dir>/bad/stale.crl.pem`); pass `pki.crlPath` to replace the trust store's CRL with it.
 */
export function writeStaleCrl(pki: TestPki, opts: { path?: string } = {}): { path: string; pem: string; der: Buffer } {
  const revokedJson = JSON.parse(fs.readFileSync(pki.paths.ca.revoked, 'utf8')) as {
    revoked: { serialHex: string; revokedAt: string }[];
  };
  const crl = createCrl({
    issuer: { certDer: pki.root.certDer, privateKey: pki.root.privateKey },
    // A revocation date after thisUpdate would be odd; the stale list predates them all.
    revoked: revokedJson.revoked.map((r) => ({ serialHex: r.serialHex, revokedAt: new Date(pki.now.getTime() - 15 * DAY_MS) })),
    thisUpdate: new Date(pki.now.getTime() - 14 * DAY_MS),
    nextUpdate: new Date(pki.now.getTime() - 7 * DAY_MS),
    crlNumber: 1,
  });
  const target = opts.path ?? path.join(pki.dir, 'bad', 'stale.crl.pem');
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, crl.pem);
  return { path: target, pem: crl.pem, der: crl.der };
}

/**
 * Another good certificate for a district's gateway, from the dev root: what a district gets when it
 * rolls its key. ECDSA ones have the full gateway profile (TLS and signing); SM2 ones the signing
 * profile. Written to `<dir>/issued/<name>/`; `days` of validity from `notBefore` (default: an hour ago).
 */
export function issueGatewayCertificate(
  pki: TestPki,
  district: District,
  opts: { name: string; suite?: SignatureSuiteName; notBefore?: Date; days?: number },
): TestCredential {
  const suite = opts.suite ?? 'ECDSA-P256-SHA256';
  const { days: profileDays, ...profile } = suite === 'SM2-SM3' ? signingCertificateProfile(district) : certificateProfile({ kind: 'gateway', district });
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000);
  const { privateKey, publicKey } = generateKeyPair(suite);
  const cert = createCertificate({
    ...profile,
    issuer: { certDer: pki.root.certDer, privateKey: pki.root.privateKey },
    publicKey,
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.days ?? profileDays) * DAY_MS),
  });
  return writeCredential(path.join(pki.dir, 'issued'), opts.name, cert.pem, privateKey);
}
