/**
 * DER for the structures of RFC 5280, on top of forge.asn1 (which is algorithm-agnostic): building
 * nodes, and reading them back by slicing the exact bytes out of the DER — a signature covers
 * bytes, not a tree, so nothing read here is ever re-serialised.
 */
import crypto, { type KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { SignatureSuite } from './suites.js';

export const { asn1 } = forge;
export type Asn1 = forge.asn1.Asn1;

// ─── OIDs (RFC 5280 §4.1.2.4, §4.2, §5.2) ────────────────────────────────────────────────────────

export const OID = {
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
export const toBinary = (b: Buffer): string => b.toString('latin1');
export const fromBinary = (s: string): Buffer => Buffer.from(s, 'latin1');

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
export function randomSerialHex(): string {
  const b = crypto.randomBytes(16);
  b[0] = (b[0]! & 0x7f) || 0x01;
  return b.toString('hex');
}

// ─── DER building (thin wrappers over forge.asn1) ────────────────────────────────────────────────

export const U = asn1.Class.UNIVERSAL;
export const CTX = asn1.Class.CONTEXT_SPECIFIC;
export const T = asn1.Type;

export const seq = (items: Asn1[]): Asn1 => asn1.create(U, T.SEQUENCE, true, items);
export const set = (items: Asn1[]): Asn1 => asn1.create(U, T.SET, true, items);
export const oid = (dotted: string): Asn1 => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
export const octets = (b: Buffer): Asn1 => asn1.create(U, T.OCTETSTRING, false, toBinary(b));
export const bool = (v: boolean): Asn1 => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
export const utf8 = (s: string): Asn1 => asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(s));
/** `[n] EXPLICIT` wraps a whole element; `[n] IMPLICIT` replaces the tag of a primitive. */
export const explicit = (n: number, inner: Asn1): Asn1 => asn1.create(CTX, n, true, [inner]);
export const implicitPrimitive = (n: number, content: Buffer): Asn1 => asn1.create(CTX, n, false, toBinary(content));
/** BIT STRING whose content is whole bytes (signatures): leading "0 unused bits" octet. */
export const bitStringBytes = (b: Buffer): Asn1 => asn1.create(U, T.BITSTRING, false, `\x00${toBinary(b)}`);
export const toDer = (node: Asn1): Buffer => fromBinary(asn1.toDer(node).getBytes());

/** Non-negative INTEGER from hex, minimally encoded with a sign byte when the high bit is set. */
export function integerFromHex(hex: string): Asn1 {
  let h = normaliseSerial(hex);
  if (parseInt(h.slice(0, 2), 16) >= 0x80) h = `00${h}`;
  return asn1.create(U, T.INTEGER, false, toBinary(Buffer.from(h, 'hex')));
}

/**
 * RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. Both to whole seconds in
 * UTC ("Z"), which is what forge writes.
 */
export function time(date: Date): Asn1 {
  if (Number.isNaN(date.getTime())) throw new Error('invalid date');
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) return asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(date));
  return asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date));
}

/** Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE (omitted when false in DER), extnValue } */
export function extension(extnId: string, critical: boolean, value: Asn1): Asn1 {
  return seq([oid(extnId), ...(critical ? [bool(true)] : []), octets(toDer(value))]);
}

/** AlgorithmIdentifier with parameters absent, as ECDSA and SM2 require. */
export const algorithmIdentifier = (suite: SignatureSuite): Asn1 => seq([oid(suite.oid)]);

// ─── DER reading ─────────────────────────────────────────────────────────────────────────────────

/**
 * The TLVs directly inside a constructed DER element, as exact sub-slices of `der`. Used where we
 * need bytes as they were signed (TBS, issuer Name) rather than a forge re-encoding.
 */
export function children(der: Buffer): Buffer[] {
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

export function tlvHeader(der: Buffer, at: number): { contentStart: number; end: number } {
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
export function parseDer(der: Buffer): Asn1 {
  const fromDer = asn1.fromDer as unknown as (bytes: string, options: object) => Asn1;
  return fromDer(toBinary(der), { strict: true, parseAllBytes: true, decodeBitStrings: false });
}

export const isTag = (der: Buffer, tagByte: number): boolean => der[0] === tagByte;
export const TAG = { BOOLEAN: 0x01, INTEGER: 0x02, SEQUENCE: 0x30, UTCTIME: 0x17, GENERALIZEDTIME: 0x18 } as const;

/** Bytes of a primitive element's content (after tag and length). */
export function contentOf(der: Buffer): Buffer {
  const { contentStart, end } = tlvHeader(der, 0);
  return der.subarray(contentStart, end);
}

export function readTime(der: Buffer): Date {
  const text = contentOf(der).toString('latin1');
  if (isTag(der, TAG.UTCTIME)) return asn1.utcTimeToDate(text);
  if (isTag(der, TAG.GENERALIZEDTIME)) return asn1.generalizedTimeToDate(text);
  throw new Error('DER: expected UTCTime or GeneralizedTime');
}

export const readOid = (der: Buffer): string => asn1.derToOid(toBinary(contentOf(der)));

/** BIT STRING content without the unused-bits octet, plus that count. */
export function readBitString(der: Buffer): { bytes: Buffer; unusedBits: number } {
  const c = contentOf(der);
  return { bytes: c.subarray(1), unusedBits: c[0] ?? 0 };
}

export interface ParsedExtension {
  critical: boolean;
  /** DER inside extnValue's OCTET STRING. */
  value: Buffer;
}

export function readExtensions(extensionsSeq: Buffer): Map<string, ParsedExtension> {
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
export interface CertificateParts {
  tbsDer: Buffer;
  serialHex: string;
  issuerNameDer: Buffer;
  subjectNameDer: Buffer;
  spkiDer: Buffer;
  extensions: Map<string, ParsedExtension>;
}

export function readCertificate(certDer: Buffer): CertificateParts {
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
export function keyIdentifierOf(spkiDer: Buffer): Buffer {
  const subjectPublicKey = children(spkiDer)[1];
  if (!subjectPublicKey) throw new Error('malformed SubjectPublicKeyInfo');
  return crypto.createHash('sha1').update(readBitString(subjectPublicKey).bytes).digest();
}

/** SKI of a CA certificate: its extension when present, otherwise computed from its key. */
export function subjectKeyIdentifierOf(cert: CertificateParts): Buffer {
  const ext = cert.extensions.get(OID.subjectKeyIdentifier);
  return ext ? contentOf(ext.value) : keyIdentifierOf(cert.spkiDer);
}

export const spkiOf = (key: KeyObject): Buffer => key.export({ type: 'spki', format: 'der' });
