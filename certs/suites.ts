/**
 * Signature suites: one row per algorithm, used alike for certificates and CRLs (certs/pki.ts) and
 * for envelopes and receipts (gateway/envelope). The envelope body names its suite; a verifier picks
 * the row by that name and never guesses from the key.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { children, readOid } from './der.js';

/**
 * One signature algorithm as it appears in certificates and CRLs, and how node:crypto does it.
 *
 * A suite owns its `sign` / `verify` so that algorithms that are not "hash then sign" in node's
 * terms fit without touching the callers (SM2 hashes a Z value derived from the key and a
 * distinguishing identifier before the message).
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
  /** Signature over `data`, in the encoding that goes into the BIT STRING (DER ECDSA-Sig-Value / SM2 signature). */
  sign(data: Buffer, privateKey: KeyObject): Buffer;
  verify(data: Buffer, publicKey: KeyObject, signature: Buffer): boolean;
  /**
   * The arguments of the `openssl` (3.x) command that checks a signature of this suite, for
   * VERIFY.txt and for the tests that run it: `openssl ${args.join(' ')}` prints "Verified OK".
   */
  opensslVerifyArgs(files: { publicKeyPem: string; signatureDer: string; body: string }): string[];
}

const isP256Key = (key: KeyObject): boolean => key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';

const ecdsaP256Sha256: SignatureSuite = {
  name: 'ECDSA-P256-SHA256',
  oid: '1.2.840.10045.4.3.2', // ecdsa-with-SHA256
  hash: 'sha256',
  generateKeyPair: () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  acceptsKey: isP256Key,
  // For EC keys node:crypto emits the DER ECDSA-Sig-Value by default (dsaEncoding 'der'): exactly
  // what X.509 wants.
  sign: (data, privateKey) => crypto.sign('sha256', data, privateKey),
  // A key of another kind is "not a valid signature", not an exception (OpenSSL throws for SM2 keys).
  verify: (data, publicKey, signature) => isP256Key(publicKey) && crypto.verify('sha256', data, publicKey, signature),
  opensslVerifyArgs: (f) => ['dgst', '-sha256', '-verify', f.publicKeyPem, '-signature', f.signatureDer, f.body],
};

// ─── SM2 with SM3 (GB/T 32918, GB/T 32905; OID from GM/T 0006) ──────────────────────────────────

const OID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const OID_SM2_CURVE = '1.2.156.10197.1.301';

/**
 * What node:crypto (Node 20, OpenSSL 3.0) does with SM2, found by trying it — these facts shape
 * the row below:
 *
 * - A key *loaded* from PKCS#8 / SPKI / a certificate on the SM2 curve becomes an OpenSSL "SM2"
 *   key, which node reports with `asymmetricKeyType === undefined`. `crypto.sign('sm3', …)` with it
 *   makes a real SM2 signature; `crypto.createSign('sm3')` does not (it makes ECDSA over SM3), so
 *   only the one-shot call is used.
 * - A key *generated* in memory (`generateKeyPairSync('ec', { namedCurve: 'SM2' })`) stays an "ec"
 *   key and signs ECDSA-with-SM3, which `openssl dgst -sm3 -verify` refuses. So generated keys are
 *   round-tripped through PKCS#8 DER, and `acceptsKey` refuses an "ec"-typed SM2 key.
 * - node cannot set the SM2 distinguishing identifier. Signatures therefore use OpenSSL's default,
 *   the EMPTY identifier — not GM/T 0009's customary "1234567812345678". `openssl dgst -sm3` with no
 *   `-sigopt distid:` uses the same default, so the plain command verifies; adding
 *   `-sigopt distid:1234567812345678` makes it fail (pinned in tests/unit/certs/sm2-openssl.test.ts).
 *   A verifier on another library that defaults to 1234567812345678 must be told the ID is empty.
 */
const sm2KeyCache = new WeakMap<KeyObject, boolean>();

function isSm2Key(key: KeyObject): boolean {
  let known = sm2KeyCache.get(key);
  if (known === undefined) {
    known = false;
    if (key.asymmetricKeyType === undefined && key.type !== 'secret') {
      try {
        const pub = key.type === 'private' ? crypto.createPublicKey(key) : key;
        const [algorithm] = children(pub.export({ type: 'spki', format: 'der' }));
        const [alg, curve] = children(algorithm!);
        known = readOid(alg!) === OID_EC_PUBLIC_KEY && curve !== undefined && curve[0] === 0x06 && readOid(curve) === OID_SM2_CURVE;
      } catch {
        known = false;
      }
    }
    sm2KeyCache.set(key, known);
  }
  return known;
}

/** An SM2-curve key as OpenSSL's SM2 type (see above), whatever node made it as. */
function asSm2Pair(pair: { privateKey: KeyObject }): { privateKey: KeyObject; publicKey: KeyObject } {
  const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  const privateKey = crypto.createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}

const sm2Sm3: SignatureSuite = {
  name: 'SM2-SM3',
  oid: '1.2.156.10197.1.501', // SM2-with-SM3 (GM/T 0006)
  hash: 'sm3',
  generateKeyPair: () => asSm2Pair(crypto.generateKeyPairSync('ec', { namedCurve: 'SM2' })),
  acceptsKey: isSm2Key,
  sign: (data, privateKey) => {
    // An "ec"-typed SM2 key would silently produce ECDSA-with-SM3: refuse rather than mislabel.
    if (!isSm2Key(privateKey)) throw new Error('SM2-SM3: the key is not an SM2 key loaded from PEM/DER');
    return crypto.sign('sm3', data, privateKey);
  },
  verify: (data, publicKey, signature) => isSm2Key(publicKey) && crypto.verify('sm3', data, publicKey, signature),
  opensslVerifyArgs: (f) => ['dgst', '-sm3', '-verify', f.publicKeyPem, '-signature', f.signatureDer, f.body],
};

export const SIGNATURE_SUITES = {
  'ECDSA-P256-SHA256': ecdsaP256Sha256,
  'SM2-SM3': sm2Sm3,
} as const satisfies Record<string, SignatureSuite>;

export type SignatureSuiteName = keyof typeof SIGNATURE_SUITES;
export const DEFAULT_SUITE: SignatureSuiteName = 'ECDSA-P256-SHA256';
/** Every suite name, for config enums ("ECDSA-P256-SHA256", "SM2-SM3"). */
export const SUITE_NAMES = Object.keys(SIGNATURE_SUITES) as [SignatureSuiteName, ...SignatureSuiteName[]];

/** The suite whose signatureAlgorithm OID is `oid`, if we know it. */
export function suiteForOid(oid: string): SignatureSuite | undefined {
  return Object.values(SIGNATURE_SUITES).find((s: SignatureSuite) => s.oid === oid);
}

/** The suite that signs with `key`, if any: how a deployment's key tells which suite it fits. */
export function suiteForKey(key: KeyObject): SignatureSuiteName | undefined {
  return SUITE_NAMES.find((name) => SIGNATURE_SUITES[name].acceptsKey(key));
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
