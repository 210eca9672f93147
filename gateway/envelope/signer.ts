/** The district's signing identity: its private key and certificate chain, used on the hot path via node:crypto. */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { District } from '../domain/district.js';
import { ConfigError, type Config } from '../config.js';
import { DEFAULT_SUITE, SIGNATURE_SUITES, suiteForKey, type SignatureSuiteName as SuiteName } from '../../certs/suites.js';

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
  if (!algorithm.acceptsKey(opts.privateKey)) {
    const fits = suiteForKey(opts.privateKey);
    throw new Error(`the private key is not a ${suite} key${fits ? ` (it is a ${fits} key)` : ''}`);
  }
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

/**
 * The signer a gateway's configuration asks for: KC_SIGNING_CERT / KC_SIGNING_KEY (default the TLS
 * pair) with KC_SIGNATURE_SUITE. Anything that does not fit is a configuration error naming the
 * variables, so the process stops at start (exit 2) instead of signing envelopes the peer refuses.
 */
export function signerFromConfig(config: Config): Signer {
  const own = config.KC_SIGNING_CERT !== undefined || config.KC_SIGNING_KEY !== undefined;
  if (own && (config.KC_SIGNING_CERT === undefined || config.KC_SIGNING_KEY === undefined)) {
    throw new ConfigError(`invalid configuration:\n  ${config.KC_SIGNING_CERT === undefined ? 'KC_SIGNING_CERT' : 'KC_SIGNING_KEY'} (not set): set KC_SIGNING_CERT and KC_SIGNING_KEY together, or neither`);
  }
  const [certVar, keyVar] = own ? ['KC_SIGNING_CERT', 'KC_SIGNING_KEY'] : ['KC_TLS_CERT', 'KC_TLS_KEY'];
  const certPath = config.KC_SIGNING_CERT ?? config.KC_TLS_CERT;
  const keyPath = config.KC_SIGNING_KEY ?? config.KC_TLS_KEY;
  const suite = config.KC_SIGNATURE_SUITE;
  try {
    return loadSigner({ district: config.KC_DISTRICT, certPath, keyPath, suite });
  } catch (err) {
    const reason = (err as Error).message;
    const hint = /is not a .* key/.test(reason)
      ? `; KC_SIGNATURE_SUITE=${suite} needs a ${suite} key${own ? '' : ' (the TLS key is ECDSA: point KC_SIGNING_CERT / KC_SIGNING_KEY at a signing certificate of that suite)'}`
      : '';
    throw new ConfigError(`invalid configuration:\n  KC_SIGNATURE_SUITE / ${certVar} / ${keyVar} (invalid): cannot sign with ${certPath} and ${keyPath}: ${reason}${hint}`);
  }
}
