/**
 * Signature suites: one row per algorithm, used alike for certificates and CRLs (certs/pki.ts) and
 * for envelopes and receipts (gateway/envelope). Adding SM2-with-SM3 is one more row.
 */
import crypto, { type KeyObject } from 'node:crypto';

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

export function isSuiteName(v: unknown): v is SignatureSuiteName {
  return typeof v === 'string' && Object.hasOwn(SIGNATURE_SUITES, v);
}
