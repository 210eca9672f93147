/**
 * The development PKI: one root CA, a certificate per district gateway and per partner, the trust
 * store the gateways read, and the root's CRL. Layout and conventions are in certs/README.md.
 *
 * `ensureDevPki` is idempotent: it creates what is missing and repairs what can no longer be used
 * (a certificate that is expired, revoked, not issued by the current root, or whose key does not
 * match), and leaves every other file untouched, byte for byte. A damaged root is never replaced
 * silently, because replacing it invalidates everything issued under it: that is an error telling
 * the developer what to delete.
 */
import crypto, { type KeyObject, X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DISTRICTS, isDistrict, type District } from '../gateway/domain/district.js';
import {
  createCertificate,
  createCrl,
  generateKeyPair,
  normaliseSerial,
  parseCrl,
  SIGNATURE_SUITES,
  verifyCrlSignature,
  type IssuerCredential,
  type SignatureSuiteName,
} from './pki.js';

// ─── Identity convention ─────────────────────────────────────────────────────────────────────────

/**
 * Who a certificate belongs to is read from one SAN URI, never from the CN (which is for humans):
 *   urn:kuacheng:gateway:<district>    a district gateway (liwan, nanhai)
 *   urn:kuacheng:partner:<partnerId>   a partner system calling the gRPC API
 */
export type CertificateIdentity = { kind: 'gateway'; district: District } | { kind: 'partner'; partnerId: string };

const URN_PREFIX = 'urn:kuacheng:';
/** Lowercase letters, digits and inner dashes: safe as a URN part, a folder name and a log field. */
const PARTNER_ID = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const gatewayIdentityUri = (district: District): string => `${URN_PREFIX}gateway:${district}`;

export function partnerIdentityUri(partnerId: string): string {
  assertPartnerId(partnerId);
  return `${URN_PREFIX}partner:${partnerId}`;
}

export function assertPartnerId(partnerId: string): void {
  if (!PARTNER_ID.test(partnerId)) {
    throw new Error(`partner id "${partnerId}" must be lowercase letters, digits and dashes (at most 64)`);
  }
}

function parseIdentityUri(uri: string): CertificateIdentity | undefined {
  const m = /^urn:kuacheng:(gateway|partner):([^:]+)$/.exec(uri);
  if (!m?.[2]) return undefined;
  if (m[1] === 'gateway') return isDistrict(m[2]) ? { kind: 'gateway', district: m[2] } : undefined;
  return PARTNER_ID.test(m[2]) ? { kind: 'partner', partnerId: m[2] } : undefined;
}

/**
 * The identity a certificate carries in its SAN URIs, or undefined when it has none or is
 * ambiguous (two different Kuacheng URIs, or one we do not understand): callers refuse such a peer.
 * It does not check the chain, validity or revocation; do that first.
 */
export function identityOf(x509: X509Certificate): CertificateIdentity | undefined {
  const san = x509.subjectAltName;
  if (!san) return undefined;
  // Node prints "DNS:a, IP Address:b, URI:c"; a value holding a comma or quote is JSON-quoted.
  const uris: string[] = [];
  for (const m of san.matchAll(/(?:^|, )URI:("(?:[^"\\]|\\.)*"|[^,]*)/g)) {
    const raw = m[1] ?? '';
    uris.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
  }
  const ours = [...new Set(uris.filter((u) => u.startsWith(URN_PREFIX)))];
  if (ours.length !== 1) return undefined;
  return parseIdentityUri(ours[0]!);
}

// ─── Layout ──────────────────────────────────────────────────────────────────────────────────────

export const DEFAULT_PARTNERS = ['kiosk-liwan', 'kiosk-nanhai'] as const;

export interface CredentialPaths {
  cert: string;
  key: string;
}

export interface DevPkiPaths {
  dir: string;
  ca: { cert: string; key: string; revoked: string };
  trust: { rootsDir: string; crlsDir: string; root: string; crl: string };
  /**
   * `cert`/`key`: the gateway certificate (TLS, and envelope signing by default); `chain` is that
   * leaf followed by its issuers up to, not including, the root. `signingSm2`: an envelope-signing
   * certificate with an SM2 key, for KC_SIGNING_CERT / KC_SIGNING_KEY with KC_SIGNATURE_SUITE=SM2-SM3.
   */
  districts: Record<District, CredentialPaths & { chain: string; signingSm2: CredentialPaths }>;
  partners: Record<string, CredentialPaths>;
}

export function devPkiPaths(dir: string, partners: readonly string[] = DEFAULT_PARTNERS): DevPkiPaths {
  const root = path.resolve(dir);
  const p = (...parts: string[]): string => path.join(root, ...parts);
  const districts = Object.fromEntries(
    DISTRICTS.map((d) => [
      d,
      {
        cert: p('districts', d, 'gateway.pem'),
        key: p('districts', d, 'gateway-key.pem'),
        chain: p('districts', d, 'chain.pem'),
        signingSm2: { cert: p('districts', d, 'signing-sm2.pem'), key: p('districts', d, 'signing-sm2-key.pem') },
      },
    ]),
  ) as DevPkiPaths['districts'];
  const partnerPaths: Record<string, CredentialPaths> = {};
  for (const id of partners) {
    assertPartnerId(id);
    partnerPaths[id] = { cert: p('partners', id, 'client.pem'), key: p('partners', id, 'client-key.pem') };
  }
  return {
    dir: root,
    ca: { cert: p('ca', 'root.pem'), key: p('ca', 'root-key.pem'), revoked: p('ca', 'revoked.json') },
    trust: {
      rootsDir: p('trust', 'roots'),
      crlsDir: p('trust', 'crls'),
      root: p('trust', 'roots', 'kuacheng-dev-root.pem'),
      crl: p('trust', 'crls', 'kuacheng-dev-root.crl.pem'),
    },
    districts,
    partners: partnerPaths,
  };
}

// ─── Policy ──────────────────────────────────────────────────────────────────────────────────────

const DAY_MS = 24 * 60 * 60 * 1000;
export const DEV_PKI_LIFETIMES = {
  rootDays: 3650,
  gatewayDays: 730,
  partnerDays: 730,
  crlDays: 7,
  /** notBefore is back-dated so that a peer whose clock runs a little behind accepts a fresh cert. */
  backdateMs: 5 * 60 * 1000,
} as const;

const ORGANIZATION = 'Kuacheng';
const ROOT_COMMON_NAME = 'Kuacheng Dev Root CA';

// ─── Files ───────────────────────────────────────────────────────────────────────────────────────

const KEY_FILE_MODE = 0o600;
const KEY_DIR_MODE = 0o700;
const PUBLIC_FILE_MODE = 0o644;
const PUBLIC_DIR_MODE = 0o755;

function ensureDir(dir: string, mode: number): void {
  fs.mkdirSync(dir, { recursive: true, mode });
  fs.chmodSync(dir, mode); // mkdir's mode is filtered by umask and ignored for existing folders
}

/** Write via a temporary file and rename, so a crash never leaves half a key or half a CRL. */
function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

const readIfExists = (file: string): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined);

const exportKey = (key: KeyObject): string => key.export({ type: 'pkcs8', format: 'pem' }) as string;

// ─── What changed ────────────────────────────────────────────────────────────────────────────────

export interface DevPkiChange {
  /** Absolute path of the file written. */
  path: string;
  /** What the file is, in plain words. */
  what: string;
  /** Why it was (re)written: 'missing', or what was wrong with the old one. */
  reason: string;
}

export interface EnsureDevPkiResult {
  paths: DevPkiPaths;
  /** Empty when everything was already there and usable. */
  changes: DevPkiChange[];
}

export interface EnsureDevPkiOptions {
  /** Clock for validity periods and CRL freshness (tests move it). */
  now?: Date;
  /** Partner certificates to keep; defaults to {@link DEFAULT_PARTNERS}. */
  partners?: readonly string[];
}

// ─── The CA ──────────────────────────────────────────────────────────────────────────────────────

interface LoadedCa extends IssuerCredential {
  x509: X509Certificate;
}

function loadCa(paths: DevPkiPaths): LoadedCa | undefined {
  const certPem = readIfExists(paths.ca.cert);
  const keyPem = readIfExists(paths.ca.key);
  if (certPem === undefined && keyPem === undefined) return undefined;
  const rel = (f: string): string => path.relative(paths.dir, f);
  const fix = `delete ${path.join(paths.dir, 'ca')} to make a new root (every certificate is then re-issued)`;
  if (certPem === undefined || keyPem === undefined) {
    throw new Error(`${rel(certPem === undefined ? paths.ca.cert : paths.ca.key)} is missing but the other half of the root is there; ${fix}`);
  }
  let x509: X509Certificate;
  let privateKey: KeyObject;
  try {
    x509 = new X509Certificate(certPem);
    privateKey = crypto.createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`the dev root in ${rel(paths.ca.cert)} cannot be read (${(err as Error).message}); ${fix}`);
  }
  if (!x509.checkPrivateKey(privateKey)) throw new Error(`${rel(paths.ca.key)} is not the key of ${rel(paths.ca.cert)}; ${fix}`);
  return { x509, privateKey, certDer: x509.raw };
}

function createCa(paths: DevPkiPaths, now: Date, changes: DevPkiChange[]): LoadedCa {
  const { privateKey, publicKey } = generateKeyPair();
  const cert = createCertificate({
    subject: { commonName: ROOT_COMMON_NAME, organization: ORGANIZATION },
    issuer: { selfSigned: true, privateKey },
    publicKey,
    notBefore: new Date(now.getTime() - DEV_PKI_LIFETIMES.backdateMs),
    notAfter: new Date(now.getTime() + DEV_PKI_LIFETIMES.rootDays * DAY_MS),
    basicConstraints: { isCa: true, pathLen: 0 },
    keyUsage: { keyCertSign: true, cRLSign: true },
  });
  ensureDir(path.dirname(paths.ca.cert), KEY_DIR_MODE);
  writeFileAtomic(paths.ca.key, exportKey(privateKey), KEY_FILE_MODE);
  writeFileAtomic(paths.ca.cert, cert.pem, PUBLIC_FILE_MODE);
  changes.push({ path: paths.ca.key, what: 'dev root CA private key', reason: 'missing' });
  changes.push({ path: paths.ca.cert, what: `dev root CA certificate "${ROOT_COMMON_NAME}" (10 years)`, reason: 'missing' });
  // Serials revoked under an older root mean nothing under this one.
  writeRevoked(paths, []);
  changes.push({ path: paths.ca.revoked, what: 'empty revocation list', reason: 'new root' });
  return { x509: new X509Certificate(cert.der), privateKey, certDer: cert.der };
}

// ─── revoked.json ────────────────────────────────────────────────────────────────────────────────

interface RevokedRecord {
  serialHex: string;
  revokedAt: string;
  subject?: string;
}

function readRevoked(paths: DevPkiPaths): RevokedRecord[] | undefined {
  const text = readIfExists(paths.ca.revoked);
  if (text === undefined) return undefined;
  const data = JSON.parse(text) as { revoked?: unknown };
  if (!Array.isArray(data.revoked)) throw new Error(`${paths.ca.revoked}: expected { "revoked": [...] }`);
  return data.revoked.map((r: RevokedRecord) => {
    if (typeof r.serialHex !== 'string' || Number.isNaN(new Date(r.revokedAt).getTime())) {
      throw new Error(`${paths.ca.revoked}: each entry needs "serialHex" and an ISO "revokedAt"`);
    }
    return { ...r, serialHex: normaliseSerial(r.serialHex) };
  });
}

function writeRevoked(paths: DevPkiPaths, revoked: RevokedRecord[]): void {
  writeFileAtomic(paths.ca.revoked, `${JSON.stringify({ revoked }, null, 2)}\n`, PUBLIC_FILE_MODE);
}

// ─── The CRL ─────────────────────────────────────────────────────────────────────────────────────

/** Why the CRL on disk must be re-issued, or undefined when it is current. */
function crlProblem(paths: DevPkiPaths, ca: LoadedCa, revoked: RevokedRecord[], now: Date): string | undefined {
  const pem = readIfExists(paths.trust.crl);
  if (pem === undefined) return 'missing';
  let crl;
  try {
    crl = parseCrl(pem);
  } catch {
    return 'unreadable';
  }
  if (!verifyCrlSignature(crl, ca.x509.publicKey)) return 'not signed by the current root';
  if (!crl.nextUpdate) return 'has no nextUpdate';
  const half = crl.thisUpdate.getTime() + (crl.nextUpdate.getTime() - crl.thisUpdate.getTime()) / 2;
  if (now.getTime() >= half) return 'past half its lifetime';
  if (now.getTime() < crl.thisUpdate.getTime()) return 'issued in the future';
  const want = new Set(revoked.map((r) => r.serialHex));
  if (want.size !== crl.revokedSerials.size || [...want].some((s) => !crl.revokedSerials.has(s))) {
    return 'out of date with ca/revoked.json';
  }
  return undefined;
}

/** The CRL number of the CRL on disk when it is ours, so that numbers keep rising (RFC 5280 §5.2.3). */
function previousCrlNumber(paths: DevPkiPaths, ca: LoadedCa): bigint {
  try {
    const crl = parseCrl(fs.readFileSync(paths.trust.crl));
    return verifyCrlSignature(crl, ca.x509.publicKey) ? (crl.crlNumber ?? 0n) : 0n;
  } catch {
    return 0n;
  }
}

function ensureCrl(paths: DevPkiPaths, ca: LoadedCa, revoked: RevokedRecord[], now: Date, changes: DevPkiChange[]): void {
  const problem = crlProblem(paths, ca, revoked, now);
  if (problem === undefined) return;
  const crlNumber = previousCrlNumber(paths, ca) + 1n;
  const crl = createCrl({
    issuer: ca,
    revoked: revoked.map((r) => ({ serialHex: r.serialHex, revokedAt: new Date(r.revokedAt) })),
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + DEV_PKI_LIFETIMES.crlDays * DAY_MS),
    crlNumber,
  });
  ensureDir(paths.trust.crlsDir, PUBLIC_DIR_MODE);
  writeFileAtomic(paths.trust.crl, crl.pem, PUBLIC_FILE_MODE);
  changes.push({
    path: paths.trust.crl,
    what: `CRL #${crlNumber} of the dev root (${revoked.length} revoked, valid ${DEV_PKI_LIFETIMES.crlDays} days)`,
    reason: problem,
  });
}

// ─── Leaf certificates ───────────────────────────────────────────────────────────────────────────

/** What a gateway or partner certificate says, apart from its key, serial and validity period. */
export interface CertificateProfile {
  subject: { commonName: string; organization: string; organizationalUnit: string };
  keyUsage: { digitalSignature: boolean; keyEncipherment: boolean };
  extKeyUsage: ('serverAuth' | 'clientAuth')[];
  subjectAltName: { dns?: string[]; ip?: string[]; uri: string[] };
  days: number;
}

/**
 * The profile of the certificate for `identity`. Exported so that test fixtures can make
 * deliberately bad variants that differ from the real thing in one field only.
 */
export function certificateProfile(identity: CertificateIdentity): CertificateProfile {
  // keyEncipherment is meaningless for EC keys but harmless, and some TLS stacks still look for it.
  const keyUsage = { digitalSignature: true, keyEncipherment: true };
  if (identity.kind === 'gateway') {
    const d = identity.district;
    return {
      subject: { commonName: `gateway.${d}.kuacheng`, organization: ORGANIZATION, organizationalUnit: d },
      keyUsage,
      // The gateway is a TLS server to partners and its peer, and a TLS client to its peer.
      extKeyUsage: ['serverAuth', 'clientAuth'],
      // Its own name too, for clients that dial an address but check a name (grpcurl -authority).
      subjectAltName: { dns: ['localhost', `gateway.${d}.kuacheng`], ip: ['127.0.0.1'], uri: [gatewayIdentityUri(d)] },
      days: DEV_PKI_LIFETIMES.gatewayDays,
    };
  }
  return {
    subject: { commonName: identity.partnerId, organization: ORGANIZATION, organizationalUnit: 'partner' },
    keyUsage,
    extKeyUsage: ['clientAuth'],
    subjectAltName: { uri: [partnerIdentityUri(identity.partnerId)] },
    days: DEV_PKI_LIFETIMES.partnerDays,
  };
}

/**
 * The profile of a district's envelope-signing certificate with an SM2 key. It carries the same
 * gateway identity (the SAN URI the receiver checks against the envelope's `from`) but is for
 * signing only: no TLS key usages, because TLS 1.3 has no SM2 signature scheme and the gRPC links
 * stay on the ECDSA gateway certificate.
 *
 * Issued by the dev root, which is ECDSA: one root, one CRL and one revocation procedure serve
 * both suites. The envelope's suite is the signing key's algorithm, not the CA's; an SM2-signed CA
 * would work as well (pki.ts signs with `suite: 'SM2-SM3'`, node and openssl verify the chain).
 */
export function signingCertificateProfile(district: District): CertificateProfile {
  return {
    subject: { commonName: `signing.${district}.kuacheng`, organization: ORGANIZATION, organizationalUnit: district },
    keyUsage: { digitalSignature: true, keyEncipherment: false },
    extKeyUsage: [],
    subjectAltName: { uri: [gatewayIdentityUri(district)] },
    days: DEV_PKI_LIFETIMES.gatewayDays,
  };
}

interface LeafSpec {
  label: string;
  paths: CredentialPaths & { chain?: string };
  identity: CertificateIdentity;
  profile: CertificateProfile;
  /** The algorithm of the leaf's own key (the CA signs with its own, ECDSA). */
  keySuite: SignatureSuiteName;
}

function gatewaySpec(paths: DevPkiPaths, district: District): LeafSpec {
  const identity: CertificateIdentity = { kind: 'gateway', district };
  return {
    label: `${district} gateway certificate`,
    paths: paths.districts[district],
    identity,
    profile: certificateProfile(identity),
    keySuite: 'ECDSA-P256-SHA256',
  };
}

function sm2SigningSpec(paths: DevPkiPaths, district: District): LeafSpec {
  return {
    label: `${district} SM2 envelope-signing certificate`,
    paths: paths.districts[district].signingSm2,
    identity: { kind: 'gateway', district },
    profile: signingCertificateProfile(district),
    keySuite: 'SM2-SM3',
  };
}

function partnerSpec(paths: DevPkiPaths, partnerId: string): LeafSpec {
  const p = paths.partners[partnerId];
  if (!p) throw new Error(`unknown partner ${partnerId}`);
  const identity: CertificateIdentity = { kind: 'partner', partnerId };
  return { label: `partner certificate for ${partnerId}`, paths: p, identity, profile: certificateProfile(identity), keySuite: 'ECDSA-P256-SHA256' };
}

const sameIdentity = (a: CertificateIdentity | undefined, b: CertificateIdentity): boolean =>
  JSON.stringify(a) === JSON.stringify(b);

/** Why the leaf on disk must be re-issued, or undefined when it is usable. */
function leafProblem(spec: LeafSpec, ca: LoadedCa, revokedSerials: Set<string>, now: Date): string | undefined {
  const certPem = readIfExists(spec.paths.cert);
  const keyPem = readIfExists(spec.paths.key);
  if (certPem === undefined || keyPem === undefined) return 'missing';
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certPem);
    const privateKey = crypto.createPrivateKey(keyPem);
    if (!x509.checkPrivateKey(privateKey)) return 'key does not match the certificate';
    if (!SIGNATURE_SUITES[spec.keySuite].acceptsKey(privateKey)) return `key is not a ${spec.keySuite} key`;
  } catch {
    return 'unreadable';
  }
  if (!x509.checkIssued(ca.x509) || !x509.verify(ca.x509.publicKey)) return 'not issued by the current root';
  if (now < new Date(x509.validFrom) || now > new Date(x509.validTo)) return 'outside its validity period';
  if (revokedSerials.has(normaliseSerial(x509.serialNumber))) return 'revoked';
  if (!sameIdentity(identityOf(x509), spec.identity)) return 'carries another identity';
  const dnsNames = (x509.subjectAltName ?? '')
    .split(', ')
    .filter((n) => n.startsWith('DNS:'))
    .map((n) => n.slice(4))
    .sort();
  if (dnsNames.join() !== [...(spec.profile.subjectAltName?.dns ?? [])].sort().join()) return 'names differ from the current profile';
  return undefined;
}

function ensureLeaf(spec: LeafSpec, ca: LoadedCa, revokedSerials: Set<string>, now: Date, changes: DevPkiChange[]): void {
  const keyDir = path.dirname(spec.paths.key);
  ensureDir(path.dirname(keyDir), PUBLIC_DIR_MODE);
  ensureDir(keyDir, KEY_DIR_MODE);
  const problem = leafProblem(spec, ca, revokedSerials, now);
  if (problem !== undefined) {
    // Always a fresh key: the old one may be why the certificate was revoked.
    const { privateKey, publicKey } = generateKeyPair(spec.keySuite);
    const { days, ...profile } = spec.profile;
    const cert = createCertificate({
      ...profile,
      issuer: ca,
      publicKey,
      notBefore: new Date(now.getTime() - DEV_PKI_LIFETIMES.backdateMs),
      notAfter: new Date(now.getTime() + days * DAY_MS),
      basicConstraints: { isCa: false },
    });
    writeFileAtomic(spec.paths.key, exportKey(privateKey), KEY_FILE_MODE);
    writeFileAtomic(spec.paths.cert, cert.pem, PUBLIC_FILE_MODE);
    changes.push({ path: spec.paths.key, what: `${spec.label}: private key`, reason: problem });
    changes.push({
      path: spec.paths.cert,
      what: `${spec.label} "${profile.subject.commonName}" (serial ${cert.serialHex}, ${days} days)`,
      reason: problem,
    });
  } else if ((fs.statSync(spec.paths.key).mode & 0o777) !== KEY_FILE_MODE) {
    fs.chmodSync(spec.paths.key, KEY_FILE_MODE);
    changes.push({ path: spec.paths.key, what: `${spec.label}: private key permissions set to 0600`, reason: 'readable by others' });
  }
  if (spec.paths.chain) {
    // One-level PKI: the chain is the leaf alone. With an intermediate CA it would follow the leaf.
    const chain = fs.readFileSync(spec.paths.cert, 'utf8');
    if (readIfExists(spec.paths.chain) !== chain) {
      writeFileAtomic(spec.paths.chain, chain, PUBLIC_FILE_MODE);
      changes.push({ path: spec.paths.chain, what: `${spec.label}: chain (leaf, then issuers below the root)`, reason: problem ?? 'missing or stale' });
    }
  }
}

// ─── Entry points ────────────────────────────────────────────────────────────────────────────────

/** Create what is missing (or unusable) in the dev PKI at `dir`; see the module comment. */
export function ensureDevPki(dir: string, opts: EnsureDevPkiOptions = {}): EnsureDevPkiResult {
  const now = opts.now ?? new Date();
  const paths = devPkiPaths(dir, opts.partners ?? DEFAULT_PARTNERS);
  const changes: DevPkiChange[] = [];
  ensureDir(paths.dir, PUBLIC_DIR_MODE);

  const ca = loadCa(paths) ?? createCa(paths, now, changes);
  ensureDir(path.dirname(paths.ca.cert), KEY_DIR_MODE);
  let revoked = readRevoked(paths);
  if (revoked === undefined) {
    revoked = [];
    writeRevoked(paths, revoked);
    changes.push({ path: paths.ca.revoked, what: 'empty revocation list', reason: 'missing' });
  }

  const rootPem = fs.readFileSync(paths.ca.cert, 'utf8');
  ensureDir(paths.trust.rootsDir, PUBLIC_DIR_MODE);
  const trusted = readIfExists(paths.trust.root);
  if (trusted !== rootPem) {
    writeFileAtomic(paths.trust.root, rootPem, PUBLIC_FILE_MODE);
    changes.push({ path: paths.trust.root, what: 'trust store: dev root', reason: trusted === undefined ? 'missing' : 'differs from ca/root.pem' });
  }

  const revokedSerials = new Set(revoked.map((r) => r.serialHex));
  for (const district of DISTRICTS) ensureLeaf(gatewaySpec(paths, district), ca, revokedSerials, now, changes);
  for (const district of DISTRICTS) ensureLeaf(sm2SigningSpec(paths, district), ca, revokedSerials, now, changes);
  for (const partnerId of Object.keys(paths.partners)) ensureLeaf(partnerSpec(paths, partnerId), ca, revokedSerials, now, changes);

  ensureCrl(paths, ca, revoked, now, changes);
  return { paths, changes };
}

export interface RevokeResult {
  serialHex: string;
  subject: string;
  /** True when the serial was already in ca/revoked.json (nothing new was revoked). */
  alreadyRevoked: boolean;
  crlPath: string;
  changes: DevPkiChange[];
}

/**
 * Revoke a certificate issued by the dev root in `dir`: add its serial to ca/revoked.json and
 * re-issue the CRL. The revoked certificate stays where it is (handy for testing rejection); the next
 * `ensureDevPki` replaces it if it is one of the standard ones.
 */
export function revokeCertificate(dir: string, certPemPath: string, opts: { now?: Date } = {}): RevokeResult {
  const now = opts.now ?? new Date();
  const paths = devPkiPaths(dir, []);
  const ca = loadCa(paths);
  if (!ca) throw new Error(`no dev root in ${paths.dir}; run the certs command first`);
  const text = readIfExists(certPemPath);
  if (text === undefined) throw new Error(`no such certificate file: ${certPemPath}`);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(text);
  } catch (err) {
    throw new Error(`${certPemPath} is not a PEM certificate (${(err as Error).message})`);
  }
  if (!x509.checkIssued(ca.x509) || !x509.verify(ca.x509.publicKey)) {
    throw new Error(`${certPemPath} was not issued by the dev root in ${paths.dir}`);
  }
  if (x509.fingerprint256 === ca.x509.fingerprint256) throw new Error('refusing to revoke the root itself');

  const serialHex = normaliseSerial(x509.serialNumber);
  const revoked = readRevoked(paths) ?? [];
  const alreadyRevoked = revoked.some((r) => r.serialHex === serialHex);
  const changes: DevPkiChange[] = [];
  if (!alreadyRevoked) {
    revoked.push({ serialHex, revokedAt: now.toISOString(), subject: x509.subject.replace(/\n/g, ', ') });
    writeRevoked(paths, revoked);
    changes.push({ path: paths.ca.revoked, what: `serial ${serialHex} added`, reason: 'revoked' });
  }
  ensureCrl(paths, ca, revoked, now, changes);
  return { serialHex, subject: x509.subject.replace(/\n/g, ', '), alreadyRevoked, crlPath: paths.trust.crl, changes };
}
