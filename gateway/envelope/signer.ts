/** The district's signing identity: its private key and certificate chain, used on the hot path via node:crypto. */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { District } from '../domain/district.js';
import { DEFAULT_SUITE, SIGNATURE_SUITES, type SignatureSuiteName as SuiteName } from '../../certs/suites.js';

export interface Signer {
  readonly district: District;
  readonly suite: SuiteName;
  /** DER certificates, leaf first. */
  readonly chain: Buffer[];
  readonly leaf: X509Certificate;
  sign(data: Buffer): Buffer;
}

export function createSigner(opts: { district: District; privateKey: KeyObject; chain: Buffer[]; suite?: SuiteName }): Signer {
  const suite = opts.suite ?? DEFAULT_SUITE;
  const algorithm = SIGNATURE_SUITES[suite];
  const first = opts.chain[0];
  if (!first) throw new Error('signer needs at least the leaf certificate');
  const leaf = new X509Certificate(first);
  if (!leaf.checkPrivateKey(opts.privateKey)) throw new Error('the private key does not match the certificate');
  if (!algorithm.acceptsKey(opts.privateKey)) throw new Error(`the private key is not a ${suite} key`);
  return {
    district: opts.district,
    suite,
    chain: opts.chain,
    leaf,
    sign: (data) => algorithm.sign(data, opts.privateKey),
  };
}

/** Splits a PEM bundle into DER certificates, in file order. */
export function pemChainToDer(pem: string): Buffer[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => Buffer.from(new X509Certificate(b).raw));
}

export function loadSigner(opts: { district: District; certPath: string; keyPath: string; suite?: SuiteName }): Signer {
  const chain = pemChainToDer(readFileSync(opts.certPath, 'utf8'));
  const privateKey = createPrivateKey(readFileSync(opts.keyPath));
  return createSigner({ district: opts.district, privateKey, chain, suite: opts.suite });
}
