/**
 * PKI primitives: X.509 v3 certificates and v2 CRLs for the Kuacheng gateways.
 *
 * Why not `forge.pki`: node-forge's certificate layer can only carry RSA keys, and the gateways sign
 * with ECDSA P-256 today and SM2 tomorrow. So the structures of RFC 5280 (TBSCertificate,
 * extensions, TBSCertList) are built here with `forge.asn1`, which is algorithm-agnostic, and the
 * TBS bytes are signed with `node:crypto` (OpenSSL), which knows every curve we need. The signature
 * algorithm is a parameter (a row of {@link SIGNATURE_SUITES}): an SM2 CA signs with `suite:
 * 'SM2-SM3'` through the same code path, and node's X509Certificate.verify / checkIssued and
 * `openssl verify` accept the result (tests/unit/certs/sm2-certificates.test.ts).
 *
 * Reading goes the other way round: the exact TBS bytes are sliced out of the DER (never
 * re-serialised), because a signature covers bytes, not a tree.
 */
import crypto, { type KeyObject } from 'node:crypto';
import net from 'node:net';
import {
  type Asn1,
  type CertificateParts,
  OID,
  T,
  TAG,
  U,
  algorithmIdentifier,
  asn1,
  bitStringBytes,
  bool,
  children,
  contentOf,
  derToPem,
  explicit,
  extension,
  implicitPrimitive,
  integerFromHex,
  isTag,
  keyIdentifierOf,
  normaliseSerial,
  octets,
  oid,
  parseDer,
  pemToDer,
  randomSerialHex,
  readBitString,
  readCertificate,
  readExtensions,
  readOid,
  readTime,
  seq,
  set,
  spkiOf,
  subjectKeyIdentifierOf,
  time,
  toDer,
  utf8,
} from './der.js';
import { DEFAULT_SUITE, SIGNATURE_SUITES, suiteForOid, type SignatureSuite, type SignatureSuiteName } from './suites.js';

export { DEFAULT_SUITE, generateKeyPair, SIGNATURE_SUITES, suiteForOid, type SignatureSuite, type SignatureSuiteName } from './suites.js';
export { derToPem, normaliseSerial, pemToDer } from './der.js';

// ─── Certificates ────────────────────────────────────────────────────────────────────────────────

export interface DistinguishedName {
  commonName: string;
  organization?: string;
  organizationalUnit?: string;
}

export interface KeyUsage {
  digitalSignature: boolean;
  keyEncipherment: boolean;
  keyCertSign: boolean;
  cRLSign: boolean;
}

export type ExtendedKeyUsage = 'serverAuth' | 'clientAuth';

export interface SubjectAltName {
  dns?: string[];
  ip?: string[];
  uri?: string[];
}

/** A CA that signs: its certificate (for issuer Name and key identifier) and its private key. */
export interface IssuerCredential {
  certDer: Buffer;
  privateKey: KeyObject;
}

export interface CreateCertificateOptions {
  subject: DistinguishedName;
  /** Issued by this CA, or `{ selfSigned: true, privateKey }` for a root (the key of `publicKey`). */
  issuer: IssuerCredential | { selfSigned: true; privateKey: KeyObject };
  publicKey: KeyObject;
  notBefore: Date;
  notAfter: Date;
  /** Defaults to 16 random bytes. */
  serialHex?: string;
  basicConstraints?: { isCa: boolean; pathLen?: number };
  keyUsage: Partial<KeyUsage>;
  extKeyUsage?: ExtendedKeyUsage[];
  subjectAltName?: SubjectAltName;
  suite?: SignatureSuiteName;
}

export interface IssuedCertificate {
  der: Buffer;
  pem: string;
  serialHex: string;
}

/** Name ::= SEQUENCE OF RDN, most significant first (O, OU, CN), one attribute per RDN, UTF8String. */
function encodeName(dn: DistinguishedName): Asn1 {
  const rdn = (type: string, value: string): Asn1 => set([seq([oid(type), utf8(value)])]);
  return seq([
    ...(dn.organization !== undefined ? [rdn(OID.organization, dn.organization)] : []),
    ...(dn.organizationalUnit !== undefined ? [rdn(OID.organizationalUnit, dn.organizationalUnit)] : []),
    rdn(OID.commonName, dn.commonName),
  ]);
}

/**
 * KeyUsage BIT STRING (RFC 5280 §4.2.1.3). Bit 0 is the most significant bit of the first octet.
 * DER (X.690 §11.2.2) drops trailing zero bits, and the first octet says how many were dropped.
 */
const KEY_USAGE_BITS: Record<keyof KeyUsage, number> = {
  digitalSignature: 0,
  keyEncipherment: 2,
  keyCertSign: 5,
  cRLSign: 6,
};

function encodeKeyUsage(ku: Partial<KeyUsage>): Asn1 {
  let byte = 0;
  for (const [name, bit] of Object.entries(KEY_USAGE_BITS)) {
    if (ku[name as keyof KeyUsage]) byte |= 0x80 >> bit;
  }
  if (byte === 0) throw new Error('keyUsage: at least one bit must be set');
  let unused = 0;
  while (((byte >> unused) & 1) === 0) unused++;
  return asn1.create(U, T.BITSTRING, false, String.fromCharCode(unused, byte));
}

function ipBytes(ip: string): Buffer {
  if (net.isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!net.isIPv6(ip)) throw new Error(`subjectAltName: not an IP address: ${ip}`);
  // Expand "::" and a trailing dotted quad into 8 groups of 16 bits.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const b = ipBytes(v4[1]);
    text = text.slice(0, -v4[1].length) + `${b.readUInt16BE(0).toString(16)}:${b.readUInt16BE(2).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** GeneralNames: dNSName [2] IA5String, uniformResourceIdentifier [6] IA5String, iPAddress [7]. */
function encodeSubjectAltName(san: SubjectAltName): Asn1 {
  const ia5 = (s: string): Buffer => {
    if (!/^[\x20-\x7e]+$/.test(s)) throw new Error(`subjectAltName: not IA5 text: ${s}`);
    return Buffer.from(s, 'latin1');
  };
  return seq([
    ...(san.dns ?? []).map((d) => implicitPrimitive(2, ia5(d))),
    ...(san.ip ?? []).map((ip) => implicitPrimitive(7, ipBytes(ip))),
    ...(san.uri ?? []).map((u) => implicitPrimitive(6, ia5(u))),
  ]);
}

/** AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING } */
const encodeAuthorityKeyIdentifier = (keyId: Buffer): Asn1 => seq([implicitPrimitive(0, keyId)]);

function resolveSuite(name: SignatureSuiteName, signingKey: KeyObject): SignatureSuite {
  const suite = SIGNATURE_SUITES[name];
  if (signingKey.type !== 'private') throw new Error('signing key must be a private key');
  if (!suite.acceptsKey(signingKey)) throw new Error(`signing key does not fit suite ${suite.name}`);
  return suite;
}

/**
 * Certificate / CertificateList ::= SEQUENCE { tbs, signatureAlgorithm, signatureValue BIT STRING }.
 * The outer SEQUENCE is assembled from the very bytes that were signed, not from a re-encoding.
 */
function signed(tbs: Asn1, suite: SignatureSuite, privateKey: KeyObject): Buffer {
  const tbsDer = toDer(tbs);
  const signature = suite.sign(tbsDer, privateKey);
  const body = Buffer.concat([tbsDer, toDer(algorithmIdentifier(suite)), toDer(bitStringBytes(signature))]);
  return Buffer.concat([derHeader(0x30, body.length), body]);
}

/** Tag and definite length (X.690 §8.1.3: short form up to 127, long form beyond). */
function derHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const len: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) len.unshift(n & 0xff);
  return Buffer.from([tag, 0x80 | len.length, ...len]);
}

export function createCertificate(opts: CreateCertificateOptions): IssuedCertificate {
  const signingKey = opts.issuer.privateKey;
  const suite = resolveSuite(opts.suite ?? DEFAULT_SUITE, signingKey);
  if (opts.notAfter.getTime() <= opts.notBefore.getTime()) throw new Error('notAfter must be after notBefore');
  const isCa = opts.basicConstraints?.isCa ?? false;
  if (!isCa && (opts.keyUsage.keyCertSign || opts.keyUsage.cRLSign)) {
    throw new Error('keyCertSign / cRLSign are for CA certificates only');
  }

  const spkiDer = spkiOf(opts.publicKey);
  const subjectKeyId = keyIdentifierOf(spkiDer);
  let issuerName: Asn1;
  let authorityKeyId: Buffer;
  if ('selfSigned' in opts.issuer) {
    // A root vouches for itself: the signing key must be the subject's own key.
    if (!spkiOf(crypto.createPublicKey(signingKey)).equals(spkiDer)) {
      throw new Error('self-signed: privateKey does not match publicKey');
    }
    issuerName = encodeName(opts.subject);
    authorityKeyId = subjectKeyId;
  } else {
    const issuer = readCertificate(opts.issuer.certDer);
    const issuerKu = readKeyUsageOf(issuer);
    if (issuerKu && !issuerKu.keyCertSign) throw new Error('issuer certificate lacks keyCertSign');
    if (!spkiOf(crypto.createPublicKey(signingKey)).equals(issuer.spkiDer)) {
      throw new Error('issuer privateKey does not match issuer certificate');
    }
    // The issuer Name is copied byte for byte from the CA's subject: path building compares names.
    issuerName = parseDer(issuer.subjectNameDer);
    authorityKeyId = subjectKeyIdentifierOf(issuer);
  }

  const serialHex = normaliseSerial(opts.serialHex ?? randomSerialHex());
  if (serialHex.length > 40) throw new Error('serial number longer than 20 octets (RFC 5280 §4.1.2.2)');

  // basicConstraints: critical on CAs (RFC 5280 §4.2.1.9); cA FALSE is the DEFAULT, so omitted.
  const bc = seq([
    ...(isCa ? [bool(true)] : []),
    ...(isCa && opts.basicConstraints?.pathLen !== undefined
      ? [integerFromHex(opts.basicConstraints.pathLen.toString(16))]
      : []),
  ]);
  const extensions: Asn1[] = [
    extension(OID.basicConstraints, isCa, bc),
    extension(OID.keyUsage, true, encodeKeyUsage(opts.keyUsage)),
    ...(opts.extKeyUsage?.length
      ? [extension(OID.extKeyUsage, false, seq(opts.extKeyUsage.map((u) => oid(OID[u]))))]
      : []),
    ...(opts.subjectAltName ? [extension(OID.subjectAltName, false, encodeSubjectAltName(opts.subjectAltName))] : []),
    extension(OID.subjectKeyIdentifier, false, octets(subjectKeyId)),
    extension(OID.authorityKeyIdentifier, false, encodeAuthorityKeyIdentifier(authorityKeyId)),
  ];

  const tbs = seq([
    explicit(0, integerFromHex('02')), // version v3
    integerFromHex(serialHex),
    algorithmIdentifier(suite),
    issuerName,
    seq([time(opts.notBefore), time(opts.notAfter)]),
    encodeName(opts.subject),
    parseDer(spkiDer), // SubjectPublicKeyInfo embedded as node exported it
    explicit(3, seq(extensions)),
  ]);
  const der = signed(tbs, suite, signingKey);
  return { der, pem: derToPem(der, 'CERTIFICATE'), serialHex };
}

function readKeyUsageOf(cert: CertificateParts): KeyUsage | undefined {
  const ext = cert.extensions.get(OID.keyUsage);
  if (!ext) return undefined;
  const { bytes } = readBitString(ext.value);
  const bit = (n: number): boolean => (((bytes[n >> 3] ?? 0) >> (7 - (n & 7))) & 1) === 1;
  return {
    digitalSignature: bit(KEY_USAGE_BITS.digitalSignature),
    keyEncipherment: bit(KEY_USAGE_BITS.keyEncipherment),
    keyCertSign: bit(KEY_USAGE_BITS.keyCertSign),
    cRLSign: bit(KEY_USAGE_BITS.cRLSign),
  };
}

/**
 * The keyUsage bits of a certificate, or undefined when it has no keyUsage extension. Needed
 * because node's `X509Certificate.keyUsage` is the *extended* key usage list.
 */
export function readKeyUsage(cert: Buffer | string): KeyUsage | undefined {
  return readKeyUsageOf(readCertificate(pemToDer(cert, 'CERTIFICATE')));
}

// ─── CRLs ────────────────────────────────────────────────────────────────────────────────────────

export interface RevokedEntry {
  serialHex: string;
  revokedAt: Date;
}

export interface CreateCrlOptions {
  issuer: IssuerCredential;
  revoked: RevokedEntry[];
  thisUpdate: Date;
  nextUpdate: Date;
  /** Monotonic per issuer (RFC 5280 §5.2.3). */
  crlNumber: number | bigint;
  suite?: SignatureSuiteName;
}

/** X.509 v2 CRL with the CRL number and authority key identifier extensions. */
export function createCrl(opts: CreateCrlOptions): { der: Buffer; pem: string } {
  const suite = resolveSuite(opts.suite ?? DEFAULT_SUITE, opts.issuer.privateKey);
  const issuer = readCertificate(opts.issuer.certDer);
  if (!spkiOf(crypto.createPublicKey(opts.issuer.privateKey)).equals(issuer.spkiDer)) {
    throw new Error('issuer privateKey does not match issuer certificate');
  }
  const issuerKu = readKeyUsageOf(issuer);
  if (issuerKu && !issuerKu.cRLSign) throw new Error('issuer certificate lacks cRLSign');
  if (opts.nextUpdate.getTime() <= opts.thisUpdate.getTime()) throw new Error('nextUpdate must be after thisUpdate');
  if (BigInt(opts.crlNumber) < 0n) throw new Error('crlNumber must be non-negative');

  const entries = opts.revoked.map((r) => seq([integerFromHex(r.serialHex), time(r.revokedAt)]));
  const tbs = seq([
    integerFromHex('01'), // version v2 (needed for extensions)
    algorithmIdentifier(suite),
    parseDer(issuer.subjectNameDer),
    time(opts.thisUpdate),
    time(opts.nextUpdate),
    // revokedCertificates is OPTIONAL and must be absent, not empty, when nothing is revoked.
    ...(entries.length ? [seq(entries)] : []),
    explicit(0, seq([
      extension(OID.authorityKeyIdentifier, false, encodeAuthorityKeyIdentifier(subjectKeyIdentifierOf(issuer))),
      extension(OID.crlNumber, false, integerFromHex(BigInt(opts.crlNumber).toString(16))),
    ])),
  ]);
  const der = signed(tbs, suite, opts.issuer.privateKey);
  return { der, pem: derToPem(der, 'X509 CRL') };
}

export interface ParsedCrl {
  /** DER of the issuer Name, byte for byte; compare with the CA certificate's subject. */
  issuerNameDer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  /** Normalised as {@link normaliseSerial}. */
  revokedSerials: Set<string>;
  /** When each listed serial was revoked: a signature made before that moment stays good in history. */
  revokedAt: Map<string, Date>;
  crlNumber: bigint | undefined;
  /** The exact signed bytes. */
  tbsDer: Buffer;
  signatureDer: Buffer;
  signatureAlgorithmOid: string;
}

export function parseCrl(derOrPem: Buffer | string): ParsedCrl {
  const der = pemToDer(derOrPem, 'X509 CRL');
  const [tbsDer, algDer, sigDer] = children(der);
  if (!tbsDer || !algDer || !sigDer) throw new Error('not a CRL');
  const tbs = children(tbsDer);
  let i = isTag(tbs[0]!, TAG.INTEGER) ? 1 : 0; // version is optional (v1 CRLs omit it)
  i++; // signature AlgorithmIdentifier (inner copy)
  const issuerNameDer = tbs[i++]!;
  const thisUpdate = readTime(tbs[i++]!);
  let nextUpdate: Date | undefined;
  const maybeNext = tbs[i];
  if (maybeNext && (isTag(maybeNext, TAG.UTCTIME) || isTag(maybeNext, TAG.GENERALIZEDTIME))) {
    nextUpdate = readTime(maybeNext);
    i++;
  }
  const revokedSerials = new Set<string>();
  const revokedAt = new Map<string, Date>();
  let crlNumber: bigint | undefined;
  for (const rest of tbs.slice(i)) {
    if (isTag(rest, TAG.SEQUENCE)) {
      for (const entry of children(rest)) {
        const [serial, date] = children(entry);
        const serialHex = normaliseSerial(contentOf(serial!).toString('hex'));
        revokedSerials.add(serialHex);
        if (date) revokedAt.set(serialHex, readTime(date));
      }
    } else if (rest[0] === 0xa0) {
      const num = readExtensions(children(rest)[0]!).get(OID.crlNumber);
      if (num) crlNumber = BigInt(`0x${contentOf(num.value).toString('hex') || '0'}`);
    }
  }
  return {
    issuerNameDer,
    thisUpdate,
    nextUpdate,
    revokedSerials,
    revokedAt,
    crlNumber,
    tbsDer,
    signatureDer: readBitString(sigDer).bytes,
    signatureAlgorithmOid: readOid(children(algDer)[0]!),
  };
}

/**
 * True when the CRL's signature verifies with `issuerPublicKey`. An algorithm we do not know, or a
 * key of the wrong kind, is `false`: a verifier fails closed.
 */
export function verifyCrlSignature(crl: ParsedCrl, issuerPublicKey: KeyObject): boolean {
  const suite = suiteForOid(crl.signatureAlgorithmOid);
  if (!suite || !suite.acceptsKey(issuerPublicKey)) return false;
  try {
    return suite.verify(crl.tbsDer, issuerPublicKey, crl.signatureDer);
  } catch {
    return false;
  }
}
