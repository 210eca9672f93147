/**
 * Certificate expiry for operators: the gateway's signing certificate, the certificate its gRPC faces
 * present in TLS, and the trusted roots — each with the days left and a warning from 30 days out,
 * because a lapsed certificate stops every envelope in both directions at once.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GatewayContext } from '../context.js';
import { pemChainToDer } from '../envelope/signer.js';

export const CERT_WARN_DAYS = 30;
const DAY_MS = 86_400_000;

/** signing: the envelope signing leaf; signing-chain: issuers sent with it; tls: the gRPC leaf; root: a trusted root. */
export type CertificateRole = 'signing' | 'signing-chain' | 'tls' | 'root';

export interface CertificateStatus {
  role: CertificateRole;
  /** The subject DN on one line ("CN=…, O=…"): gateway and CA names, never a person's. */
  subject: string;
  notAfter: string;
  /** Whole days until notAfter (negative once expired). */
  daysLeft: number;
  /** daysLeft ≤ CERT_WARN_DAYS. */
  warn: boolean;
}

export function certificateStatus(role: CertificateRole, cert: X509Certificate, nowMs: number): CertificateStatus {
  const notAfterMs = Date.parse(cert.validTo);
  const daysLeft = Math.floor((notAfterMs - nowMs) / DAY_MS);
  return {
    role,
    subject: cert.subject.split('\n').filter(Boolean).join(', '),
    notAfter: new Date(notAfterMs).toISOString(),
    daysLeft,
    warn: daysLeft <= CERT_WARN_DAYS,
  };
}

// The TLS file is read once per gateway: it is what the gRPC servers loaded at start (they do not
// reload it). Roots are parsed on each call (a few certificates): they change when the trust store reloads.
const tlsLeaves = new WeakMap<GatewayContext['config'], X509Certificate | null>();

function tlsLeaf(config: GatewayContext['config']): X509Certificate | null {
  let leaf = tlsLeaves.get(config);
  if (leaf === undefined) {
    try {
      const first = pemChainToDer(readFileSync(config.KC_TLS_CERT, 'utf8'))[0];
      leaf = first ? new X509Certificate(first) : null;
    } catch {
      leaf = null;
    }
    tlsLeaves.set(config, leaf);
  }
  return leaf;
}

/** Every certificate this gateway depends on, soonest expiry first. */
export function certificateReport(ctx: GatewayContext): CertificateStatus[] {
  const now = ctx.clock.now();
  const out: CertificateStatus[] = [certificateStatus('signing', ctx.signer.leaf, now)];
  for (const der of ctx.signer.chain.slice(1)) out.push(certificateStatus('signing-chain', new X509Certificate(der), now));
  const tls = tlsLeaf(ctx.config);
  if (tls) out.push(certificateStatus('tls', tls, now));
  for (const root of pemChainToDer(ctx.trust.rootCertificatesPem()).map((der) => new X509Certificate(der))) out.push(certificateStatus('root', root, now));
  return out.sort((a, b) => a.daysLeft - b.daysLeft);
}

/** A worker tick (run at start, then daily): one warning log line per certificate close to expiry. */
export function certificateCheck(ctx: GatewayContext): () => Promise<boolean> {
  return async () => {
    for (const c of certificateReport(ctx).filter((s) => s.warn)) {
      ctx.logger.warn({ code: 'CERT_EXPIRING', role: c.role, subject: c.subject, notAfter: c.notAfter, daysLeft: c.daysLeft }, 'certificate expires soon; renew it');
    }
    return false;
  };
}
