/**
 * Who is calling a gRPC face: the identity in the caller's TLS client certificate, checked against
 * the trust store now (chain, validity, key usage, fresh CRL, revocation) — mutual TLS alone checks
 * neither revocation nor which party it is. Every refusal is logged with its code.
 */
import type { CertificateIdentity } from '../../certs/dev-pki.js';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';

interface CallWithAuth {
  getAuthContext(): { sslPeerCertificate?: { raw?: Buffer } } | null;
}

export function authenticateCaller<T extends CertificateIdentity>(
  ctx: GatewayContext,
  call: CallWithAuth,
  face: 'peer' | 'partner',
  allowed: (identity: CertificateIdentity) => identity is T,
  deniedMessage: string,
): T {
  try {
    const raw = call.getAuthContext()?.sslPeerCertificate?.raw;
    if (!raw) throw new AppError('UNAUTHENTICATED', 'a client certificate is required');
    const { identity } = ctx.trust.verify([raw], ctx.clock.now());
    if (!identity || !allowed(identity)) throw new AppError('PERMISSION_DENIED', deniedMessage);
    return identity;
  } catch (err) {
    if (err instanceof AppError) ctx.logger.warn({ code: err.code, reason: err.message }, `${face} call rejected`);
    throw err;
  }
}
