/**
 * PKI primitives: X.509 v3 certificates and v2 CRLs for the Kuacheng gateways.
 *
 * Why not `forge.pki`: node-forge's certificate layer can only carry RSA keys, and the gateways sign
 * with ECDSA P-256 today and SM2 tomorrow. So the structures of RFC 5280 (TBSCertificate,
 * extensions, TBSCertList) are built here with `forge.asn1`, which is algorithm-agnostic, and the
 * TBS bytes are signed with `node:crypto` (OpenSSL), which knows every curve we need. The signature
 * algorithm is a parameter (a row of {@link SIGNATURE_SUITES}), so adding SM2-with-SM3 is one more
 * row, not a second code path.
 *
 * Reading goes the other way round: the exact TBS bytes are sliced out of the DER (never
 * re-serialised), because a signature covers bytes, not a tree.
 */
import crypto, { type KeyObject } from 'node:crypto';
import net from 'node:net';
import forge from 'node-forge';

const { asn1 } = forge;
type Asn1 = forge.asn1.Asn1;

// ─── Signature suites ────────────────────────────────────────────────────────────────────────────

/**
 * One signature algorithm as it appears in certificates and CRLs, and how node:crypto does it.
 *
 * A suite owns its `sign` / `verify` so that algorithms that are not "hash then sign" in node's
 * terms fit without touching the callers: SM2-with-SM3 (OID 1.2.156.10197.1.501) will need the
 * SM2 distinguishing identifier and `sm3`, which is a different call shape from ECDSA.
 */
export interface SignatureSuite {
  /** Human name, also the key of {@link SIGNATURE_SUITES}. */
  readonly name: string;
  /** signatureAlgorithm OID. Parameters are absent for ECDSA (RFC 5758 §3.2) and for SM2. */
  readonly oid: string;
  /** Digest handed to node:crypto. */
  readonly hash: string;
  generateKeyPair(): { privateKey: KeyObject; publicKey: KeyObject };
  /** True when `key` is of the kind this suite signs with: stops a P-256 CA signing with an SM2 key. */
  acceptsKey(key: KeyObject): boolean;
  /** Signature over `data`, in the encoding that goes into the BIT STRING (DER ECDSA-Sig-Value). */
  sign(data: Buffer, privateKey: KeyObject): Buffer;
  verify(data: Buffer, publicKey: KeyObject, signature: Buffer): boolean;
}

const ecdsaP256Sha256: SignatureSuite = {
  name: 'ECDSA-P256-SHA256',
  oid: '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  hash: 'sha256',
  generateKeyPair: () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  acceptsKey: (key) => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1',
  // For EC keys node:crypto emits the DER ECDSA-Sig-Value by default (dsaEncoding 'der'): exactly
  // what X.509 wants.
  sign: (data, privateKey) => crypto.sign('sha256', data, privateKey),
  verify: (data, publicKey, signature) => crypto.verify('sha256', data, publicKey, signature),
};

export const SIGNATURE_SUITES = {
  'ECDSA-P256-SHA256': ecdsaP256Sha256,
  // 'SM2-SM3': { oid: '1.2.156.10197.1.501', hash: 'sm3', … } — when the SM2 issue lands.
} as const satisfies Record<string, SignatureSuite>;

export type SignatureSuiteName = keyof typeof SIGNATURE_SUITES;
export const DEFAULT_SUITE: SignatureSuiteName = 'ECDSA-P256-SHA256';

/** The suite whose signatureAlgorithm OID is `oid`, if we know it. */
export function suiteForOid(oid: string): SignatureSuite | undefined {
  return Object.values(SIGNATURE_SUITES).find((s: SignatureSuite) => s.oid === oid);
}

export function generateKeyPair(suite: SignatureSuiteName = DEFAULT_SUITE): {
  privateKey: KeyObject;
  publicKey: KeyObject;
} {
  return SIGNATURE_SUITES[suite].generateKeyPair();
}

// ─── OIDs (RFC 5280 §4.1.2.4, §4.2, §5.2) ────────────────────────────────────────────────────────

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  organizationalUnit: '2.5.4.11',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

// ─── Bytes, PEM, serials ─────────────────────────────────────────────────────────────────────────

// forge works on "binary strings" (one char per byte); node on Buffers. Convert at the boundary.
const toBinary = (b: Buffer): string => b.toString('latin1');
const fromBinary = (s: string): Buffer => Buffer.from(s, 'latin1');

export function derToPem(der: Buffer, label: 'CERTIFICATE' | 'X509 CRL'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** DER of the first PEM block labelled `label`; a Buffer that is not PEM text is taken as DER. */
export function pemToDer(input: Buffer | string, label: 'CERTIFICATE' | 'X509 CRL'): Buffer {
  const isPemBuffer = (b: Buffer): boolean => b.subarray(0, 11).toString('latin1') === '-----BEGIN ';
  if (typeof input !== 'string' && !isPemBuffer(input)) return input;
  const text = typeof input === 'string' ? input : input.toString('latin1');
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`).exec(text);
  if (!m?.[1]) throw new Error(`no PEM block "${label}" found`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

/**
 * One spelling for a serial number everywhere (certificate serialHex, CRL revokedSerials,
 * revoked.json, node's `X509Certificate.serialNumber.toLowerCase()`): lowercase hex, whole bytes,
 * no leading zero bytes (the sign byte DER adds for a high first bit is dropped). Accepts `0x`,
 * colons and spaces as openssl prints them.
 */
export function normaliseSerial(hex: string): string {
  let h = hex.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  if (h === '' || !/^[0-9a-f]+$/.test(h)) throw new Error(`not a hex serial number: "${hex}"`);
  if (h.length % 2 === 1) h = `0${h}`;
  while (h.length > 2 && h.startsWith('00')) h = h.slice(2);
  return h;
}

/** 16 random bytes, positive and minimally encoded (first byte in 0x01..0x7f), RFC 5280 §4.1.2.2. */
function randomSerialHex(): string {
  const b = crypto.randomBytes(16);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('hex');
}

// ─── DER building (thin wrappers over forge.asn1) ────────────────────────────────────────────────

const U = asn1.Class.UNIVERSAL;
const CTX = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

const seq = (items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
const set = (items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items);
const oid = (dotted: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
const octets = (b: Buffer): Asn1 => asn1.create(U, T.OCTETSTRING, false, toBinary(b));
const bool = (v: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
const utf8 = (s: string): Asn1 => asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(s));
/** `[n] EXPLICIT` wraps a whole element; `[n] IMPLICIT` replaces the tag of a primitive. */
const explicit = (n: number, inner: Asn1): Asn1 => asn1.create(CTX, n, true, [inner]);
const implicitPrimitive = (n: number, content: Buffer): Asn1 => asn1.create(CTX, n, false, toBinary(content));
/** BIT STRING whose content is whole bytes (signatures): leading "0 unused bits" octet. */
const bitStringBytes = (b: Buffer): Asn1 => asn1.create(U, T.BITSTRING, false, `\x00${toBinary(b)}`);
const toDer = (node: Asn1): Buffer => fromBinary(asn1.toDer(node).getBytes());

/** Non-negative INTEGER from hex, minimally encoded with a sign byte when the high bit is set. */
function integerFromHex(hex: string): Asn1 {
  let h = normaliseSerial(hex);
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`;
  return asn1.create(U, T.INTEGER, false, toBinary(Buffer.from(h, 'hex')));
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Both to whole seconds in
 * UTC ("Z"), which is what forge writes.
 */
function time(date: Date): Asn1 {
  if (Number.isNaN(date.getTime())) throw new Error('invalid date');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date));
  return asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (omitted when false in DER), extnValue } */
function extension(extnId: string, critical: boolean, value: Asn1): Asn1 {
  return seq([oid(extnId), ...(critical ? [bool(true)] : []), octets(toDer(value))]);
}

/** AlgorithmIdentifier with parameters absent, as ECDSA and SM2 require. */
const algorithmIdentifier = (suite: SignatureSuite): Asn1 => seq([oid(suite.oid)]);

// ─── DER reading ─────────────────────────────────────────────────────────────────────────────────

/**
 * The TLVs directly inside a constructed DER element, as exact sub-slices of `der`. Used where we
 * need bytes as they were signed (TBS, issuer Name) rather than a forge re-encoding.
 */
function children(der: Buffer): Buffer[] {
  const { contentStart, end } = tlvHeader(der, 0);
  if ((der[0]! & 0x20) === 0) throw new Error('DER: expected a constructed element');
  const out: Buffer[] = [];
  let pos = contentStart;
  while (pos < end) {
    const h = tlvHeader(der, pos);
    out.push(der.subarray(pos, h.end));
    pos = h.end;
  }
  if (pos !== end) throw new Error('DER: element overruns its parent');
  return out;
}

function tlvHeader(der: Buffer, at: number): { contentStart: number; end: number } {
  const tag = der[at];
  const first = der[at + 1];
  if (tag === undefined || first === undefined) throw new Error('DER: truncated');
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used in X.509');
  let length = first;
  let contentStart = at + 2;
  if (first & 0x80) {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: bad length');
    length = 0;
    for (let i = 0; i < n; i++) {
      const b = der[at + 2 + i];
      if (b === undefined) throw new Error('DER: truncated');
      length = length * 256 + b;
    }
    contentStart += n;
  }
  const end = contentStart + length;
  if (end > der.length) throw new Error('DER: truncated');
  return { contentStart, end };
}

/**
 * forge parse without its BIT STRING guessing: `decodeBitStrings` would try to read a public key
 * or a signature as nested ASN.1 and sometimes succeed by accident.
 */
function parseDer(der: Buffer): Asn1 {
  const fromDer = asn1.fromDer as unknown as (bytes: string, options: object) => Asn1;
  return fromDer(toBinary(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

const isTag = (der: Buffer, tagByte: number): boolean => der[0] === tagByte;
const TAG = { BOOLEAN: 0x01, INTEGER: 0x02, SEQUENCE: 0x30, UTCTIME: 0x17, GENERALIZEDTIME: 0x18 } as const;

/** Bytes of a primitive element's content (after tag and length). */
function contentOf(der: Buffer): Buffer {
  const { contentStart, end } = tlvHeader(der, 0);
  return der.subarray(contentStart, end);
}

function readTime(der: Buffer): Date {
  const text = contentOf(der).toString('latin1');
  if (isTag(der, TAG.UTCTIME)) return asn1.utcTimeToDate(text);
  if (isTag(der, TAG.GENERALIZEDTIME)) return asn1.generalizedTimeToDate(text);
  throw new Error('DER: expected UTCTime or GeneralizedTime');
}

const readOid = (der: Buffer): string => asn1.derToOid(toBinary(contentOf(der)));

/** BIT STRING content without the unused-bits octet, plus that count. */
function readBitString(der: Buffer): { bytes: Buffer; unusedBits: number } {
  const c = contentOf(der);
  return { bytes: c.subarray(1), unusedBits: c[0] ?? 0 };
}

interface ParsedExtension {
  critical: boolean;
  /** DER inside extnValue's OCTET STRING. */
  value: Buffer;
}

function readExtensions(extensionsSeq: Buffer): Map<string, ParsedExtension> {
  const out = new Map<string, ParsedExtension>();
  for (const ext of children(extensionsSeq)) {
    const parts = children(ext);
    const id = readOid(parts[0]!);
    const hasCritical = parts.length === 3 && isTag(parts[1]!, TAG.BOOLEAN);
    const critical = hasCritical ? contentOf(parts[1]!)[0] !== 0 : false;
    out.set(id, { critical, value: contentOf(parts[hasCritical ? 2 : 1]!) });
  }
  return out;
}

/** The parts of a certificate this module needs, read straight off the DER. */
interface CertificateParts {
  tbsDer: Buffer;
  serialHex: string;
  issuerNameDer: Buffer;
  subjectNameDer: Buffer;
  spkiDer: Buffer;
  extensions: Map<string, ParsedExtension>;
}

function readCertificate(certDer: Buffer): CertificateParts {
  const [tbsDer] = children(certDer);
  if (!tbsDer) throw new Error('not a certificate');
  const tbs = children(tbsDer);
  // version is [0] EXPLICIT and optional (absent means v1).
  let i = tbs[0]?.[0] === 0xa0 ? 1 : 0;
  const serial = tbs[i++]!;
  i++; // signature AlgorithmIdentifier
  const issuerNameDer = tbs[i++]!;
  i++; // validity
  const subjectNameDer = tbs[i++]!;
  const spkiDer = tbs[i++]!;
  if (!spkiDer) throw new Error('not a certificate: TBSCertificate too short');
  let extensions = new Map<string, ParsedExtension>();
  for (const rest of tbs.slice(i)) {
    if (rest[0] === 0xa3) extensions = readExtensions(children(rest)[0]!);
  }
  return {
    tbsDer,
    serialHex: normaliseSerial(contentOf(serial).toString('hex')),
    issuerNameDer,
    subjectNameDer,
    spkiDer,
    extensions,
  };
}

/**
 * keyIdentifier per RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value
 * (without tag, length and unused-bits octet). SHA-1 is an identifier here, not a security function.
 */
function keyIdentifierOf(spkiDer: Buffer): Buffer {
  const subjectPublicKey = children(spkiDer)[1];
  if (!subjectPublicKey) throw new Error('malformed SubjectPublicKeyInfo');
  return crypto.createHash('sha1').update(readBitString(subjectPublicKey).bytes).digest();
}

/** SKI of a CA certificate: its extension when present, otherwise computed from its key. */
function subjectKeyIdentifierOf(cert: CertificateParts): Buffer {
  const ext = cert.extensions.get(OID.subjectKeyIdentifier);
  return ext ? contentOf(ext.value) : keyIdentifierOf(cert.spkiDer);
}

const spkiOf = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });

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
  let crlNumber: bigint | undefined;
  for (const rest of tbs.slice(i)) {
    if (isTag(rest, TAG.SEQUENCE)) {
      for (const entry of children(rest)) {
        revokedSerials.add(normaliseSerial(contentOf(children(entry)[0]!).toString('hex')));
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
