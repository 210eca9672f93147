/**
 * The dev PKI works for real mutual TLS with node:tls (OpenSSL underneath), which is what the gRPC
 * servers of the gateways use.
 */
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityOf, type CertificateIdentity } from '../../../certs/dev-pki.js';
import { createTestPki, type TestCredential, type TestPki } from '../../helpers/pki.js';

/** `reason` is OpenSSL's verification code, e.g. CERT_HAS_EXPIRED, when the client certificate failed it. */
type ServerOutcome = { accepted: true; peer: CertificateIdentity | undefined } | { accepted: false; reason: string };

/**
 * Start a TLS server as the liwan gateway (trusting only the dev root, optionally with its CRL),
 * connect once as `client`, and report what the server decided.
 */
async function handshake(pki: TestPki, client: TestCredential, opts: { withCrl?: boolean } = {}): Promise<ServerOutcome> {
  const server = tls.createServer({
    cert: fs.readFileSync(pki.gateways.liwan.chainPath),
    key: fs.readFileSync(pki.gateways.liwan.keyPath),
    ca: fs.readFileSync(pki.paths.trust.root),
    ...(opts.withCrl ? { crl: fs.readFileSync(pki.crlPath) } : {}),
    requestCert: true,
    rejectUnauthorized: true,
  });
  const outcome = new Promise<ServerOutcome>((resolve) => {
    server.once('secureConnection', (socket) => {
      const peer = socket.getPeerCertificate();
      resolve({ accepted: true, peer: identityOf(new X509Certificate(peer.raw)) });
      socket.end('welcome');
    });
    // With rejectUnauthorized the server drops the connection; the socket keeps OpenSSL's reason.
    server.once('tlsClientError', (err, socket) =>
      resolve({ accepted: false, reason: String((socket.authorizationError as unknown) ?? err.message) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    ca: fs.readFileSync(pki.paths.trust.root),
    cert: fs.readFileSync(client.certPath),
    key: fs.readFileSync(client.keyPath),
  });
  socket.on('error', () => {}); // the refusal reaches the client as an alert; the server side is asserted
  try {
    return await outcome;
  } finally {
    socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('mutual TLS with the dev PKI', () => {
  let tmp: string;
  let pki: TestPki;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-certs-mtls-'));
    pki = createTestPki(tmp);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('when a partner presents its dev certificate, then the handshake succeeds and the server knows who it is', async () => {
    const outcome = await handshake(pki, pki.partners['kiosk-liwan']);
    expect(outcome).toEqual({ accepted: true, peer: { kind: 'partner', partnerId: 'kiosk-liwan' } });
  });

  it('when the peer gateway presents its certificate, then the handshake succeeds as that district', async () => {
    const outcome = await handshake(pki, pki.gateways.nanhai);
    expect(outcome).toEqual({ accepted: true, peer: { kind: 'gateway', district: 'nanhai' } });
  });

  it('when the client certificate comes from an unknown CA, then the server refuses it', async () => {
    const outcome = await handshake(pki, pki.bad.unknownRoot);
    expect(outcome).toEqual({ accepted: false, reason: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('when the client certificate has expired, then the server refuses it', async () => {
    const outcome = await handshake(pki, pki.bad.expired);
    expect(outcome).toEqual({ accepted: false, reason: 'CERT_HAS_EXPIRED' });
  });

  it('when the server is given the CRL and the client certificate is revoked, then the server refuses it', async () => {
    const outcome = await handshake(pki, pki.bad.revoked, { withCrl: true });
    expect(outcome).toEqual({ accepted: false, reason: 'CERT_REVOKED' });
  });
});
