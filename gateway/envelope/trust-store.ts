/**
 * The receiver's trust decisions: a certificate chain must lead to one of our roots, be valid now,
 * allow digital signatures, and not be revoked by a fresh CRL. A stale or missing CRL stops
 * acceptance loudly rather than silently accepting what might have been revoked.
 *
 * Parsing and chain-walking are cached per chain (they cost far more than a signature check);
 * validity, revocation and CRL freshness are re-checked on every call because they change with time.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { identityOf, type CertificateIdentity as CertIdentity } from '../../certs/dev-pki.js';
import { parseCrl, readKeyUsage, verifyCrlSignature, normaliseSerial } from '../../certs/pki.js';
import { AppError } from '../errors.js';

export interface VerifiedChain {
  leaf: X509Certificate;
  identity: CertIdentity | undefined;
  serial: string;
}

interface CachedChain {
  leaf: X509Certificate;
  identity: CertIdentity | undefined;
  serial: string;
  /** Every certificate in the path, leaf first, root last, with validity bounds. */
  path: { serial: string; notBefore: number; notAfter: number; issuerKey: string }[];
  digitalSignature: boolean;
}

interface LoadedCrl {
  nextUpdate: number;
  /** Revoked serial → when it was revoked (ms). */
  revoked: Map<string, number>;
}

/**
 * live: a message arriving now — every revoked certificate is refused, whenever it was revoked.
 * history: a stored message checked at the time it was signed — a certificate counts as revoked
 * only from its revocation date on, so what it signed before stays verifiable.
 */
export type VerifyMode = 'live' | 'history';

const MAX_CACHED_CHAINS = 1000;

export class TrustStore {
  private roots = new Map<string, X509Certificate>();
  /** CRLs by the fingerprint of the root that signed them. */
  private crls = new Map<string, LoadedCrl>();
  private cache = new Map<string, CachedChain>();
  private loadedStamp = '';

  constructor(private readonly dir: string) {
    this.reload();
  }

  /** Re-reads roots and CRLs if any file changed; cheap enough to call every few seconds. */
  reload(): boolean {
    const stamp = this.stamp();
    if (stamp === this.loadedStamp) return false;
    const roots = new Map<string, X509Certificate>();
    for (const file of this.list('roots', '.pem')) {
      const cert = new X509Certificate(readFileSync(file));
      roots.set(cert.fingerprint256, cert);
    }
    const crls = new Map<string, LoadedCrl>();
    for (const file of this.list('crls', '.pem')) {
      const crl = parseCrl(readFileSync(file));
      const issuer = [...roots.values()].find((r) => verifyCrlSignature(crl, r.publicKey));
      if (!issuer) throw new Error(`CRL ${file} is not signed by any trusted root`);
      // A CRL without nextUpdate has no freshness bound: treat it as stale rather than trust it forever.
      const revoked = new Map([...crl.revokedSerials].map((serial) => [serial, crl.revokedAt.get(serial)?.getTime() ?? 0]));
      crls.set(issuer.fingerprint256, { nextUpdate: crl.nextUpdate?.getTime() ?? 0, revoked });
    }
    this.roots = roots;
    this.crls = crls;
    this.cache.clear();
    this.loadedStamp = stamp;
    return true;
  }

  rootCertificatesPem(): string {
    return [...this.roots.values()].map((r) => r.toString()).join('\n');
  }

  /**
   * Verifies a DER chain (leaf first) at the given time; throws AppError with a CERT_* / CRL_* code.
   * The CRL must cover `atMs` (not past its nextUpdate then): for a past time, a CRL issued since
   * also covers it, because a CRL lists every revocation up to its own issue.
   */
  verify(chainDer: Uint8Array[], atMs: number, mode: VerifyMode = 'live'): VerifiedChain {
    if (chainDer.length === 0) throw new AppError('CERT_CHAIN_MISSING', 'no certificate chain was sent');
    const key = chainKey(chainDer);
    let chain = this.cache.get(key);
    if (!chain) {
      chain = this.build(chainDer);
      if (this.cache.size >= MAX_CACHED_CHAINS) this.cache.clear();
      this.cache.set(key, chain);
    }
    for (const c of chain.path) {
      if (atMs < c.notBefore) throw new AppError('CERT_NOT_YET_VALID', `certificate ${c.serial} is not valid yet`);
      if (atMs > c.notAfter) throw new AppError('CERT_EXPIRED', `certificate ${c.serial} has expired`);
    }
    for (const c of chain.path.slice(0, -1)) {
      const crl = this.crls.get(c.issuerKey);
      if (!crl) throw new AppError('CRL_UNAVAILABLE', 'no CRL is loaded for the issuing CA');
      if (atMs > crl.nextUpdate) throw new AppError('CRL_UNAVAILABLE', 'the CRL of the issuing CA is stale (past its next update)');
      const revokedAt = crl.revoked.get(c.serial);
      if (revokedAt !== undefined && (mode === 'live' || revokedAt <= atMs)) {
        throw new AppError('CERT_REVOKED', `certificate ${c.serial} is revoked`);
      }
    }
    if (!chain.digitalSignature) throw new AppError('CERT_KEY_USAGE', 'the certificate does not allow digital signatures');
    return { leaf: chain.leaf, identity: chain.identity, serial: chain.serial };
  }

  private build(chainDer: Uint8Array[]): CachedChain {
    let certs: X509Certificate[];
    try {
      certs = chainDer.map((d) => new X509Certificate(Buffer.from(d)));
    } catch {
      throw new AppError('CERT_UNKNOWN_CA', 'the certificate chain cannot be parsed');
    }
    const leaf = certs[0]!;
    const path: CachedChain['path'] = [];
    let current = leaf;
    // Walk up through the sent intermediates until a trusted root issued the current certificate.
    for (let depth = 0; depth < 8; depth++) {
      const root = [...this.roots.values()].find((r) => current.checkIssued(r) && current.verify(r.publicKey));
      if (root) {
        path.push(entry(current, root.fingerprint256));
        path.push(entry(root, root.fingerprint256));
        return {
          leaf,
          identity: identityOf(leaf),
          serial: normaliseSerial(leaf.serialNumber),
          path,
          digitalSignature: readKeyUsage(Buffer.from(leaf.raw))?.digitalSignature === true,
        };
      }
      const parent = certs.find((c) => c !== current && current.checkIssued(c) && current.verify(c.publicKey) && c.ca);
      if (!parent) break;
      path.push(entry(current, parent.fingerprint256));
      current = parent;
    }
    throw new AppError('CERT_UNKNOWN_CA', 'the certificate does not chain to a trusted root');
  }

  private list(sub: string, ext: string): string[] {
    try {
      return readdirSync(join(this.dir, sub))
        .filter((f) => f.endsWith(ext))
        .sort()
        .map((f) => join(this.dir, sub, f));
    } catch {
      return [];
    }
  }

  private stamp(): string {
    return [...this.list('roots', '.pem'), ...this.list('crls', '.pem')]
      .map((f) => `${f}:${statSync(f).mtimeMs}`)
      .join('|');
  }
}

function entry(cert: X509Certificate, issuerKey: string): CachedChain['path'][number] {
  return {
    serial: normaliseSerial(cert.serialNumber),
    notBefore: Date.parse(cert.validFrom),
    notAfter: Date.parse(cert.validTo),
    issuerKey,
  };
}

function chainKey(chainDer: Uint8Array[]): string {
  const h = createHash('sha256');
  for (const d of chainDer) h.update(d);
  return h.digest('hex');
}
