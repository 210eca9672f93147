/** Mutual TLS for both gRPC faces, from the district's certificate files and the trust store. */
import { credentials, ServerCredentials, type ChannelCredentials } from '@grpc/grpc-js';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PeerCertificate } from 'node:tls';
import { identityOf, type CertificateIdentity as CertIdentity } from '../../certs/dev-pki.js';

export interface TlsMaterial {
  rootsPem: string;
  certChainPem: Buffer;
  keyPem: Buffer;
}

export function loadTlsMaterial(opts: { certPath: string; keyPath: string; rootsPem: string }): TlsMaterial {
  return { rootsPem: opts.rootsPem, certChainPem: readFileSync(opts.certPath), keyPem: readFileSync(opts.keyPath) };
}

/** Server side: a client certificate chaining to our roots is required to connect at all. */
export function serverCredentials(tls: TlsMaterial): ServerCredentials {
  return ServerCredentials.createSsl(Buffer.from(tls.rootsPem), [{ cert_chain: tls.certChainPem, private_key: tls.keyPem }], true);
}

/**
 * Client side: besides the chain, the server must prove it is the expected party (by the identity
 * in its certificate), since we connect by address, not by a name we could check.
 */
export function clientCredentials(tls: TlsMaterial, expect: (id: CertIdentity | undefined) => boolean): ChannelCredentials {
  return credentials.createSsl(Buffer.from(tls.rootsPem), tls.keyPem, tls.certChainPem, {
    checkServerIdentity: (_host: string, cert: PeerCertificate) => {
      const id = cert.raw ? identityOf(new X509Certificate(cert.raw)) : undefined;
      return expect(id) ? undefined : new Error('the server certificate does not belong to the expected party');
    },
  });
}

export function peerIdentity(cert: PeerCertificate | undefined): CertIdentity | undefined {
  if (!cert?.raw) return undefined;
  return identityOf(new X509Certificate(cert.raw));
}
