/**
 * Test fixture for the security catalogue: talk to a gateway's peer port as if we were the other
 * district's gateway (or someone pretending to be), with whatever certificate and envelope the test
 * crafts, and read back the gRPC status and the stable `kc-error-code` of a refusal.
 *
 *   const link = connectToPeerPort({ port, expect: 'liwan', roots: pki.root, client: pki.gateways.nanhai });
 *   const refusal = await refusalOf(link.deliver(sealEnvelope(draft, Date.now(), signer)));
 *   expect(refusal.code).toBe('BAD_SIGNATURE');
 *
 * `issueGatewayVariants` makes deliberately bad gateway certificates for either district (the
 * fixture in ./pki.ts only makes liwan ones), so an envelope that claims to come from nanhai can be
 * signed by a nanhai certificate that is wrong in exactly one respect.
 */
import { Client, Metadata, type ServiceError } from '@grpc/grpc-js';
import fs from 'node:fs';
import path from 'node:path';
import { certificateProfile, revokeCertificate } from '../../certs/dev-pki.js';
import { createCertificate, generateKeyPair, type IssuerCredential } from '../../certs/pki.js';
import type { District } from '../../gateway/domain/district.js';
import type { Signed } from '../../gateway/envelope/envelope.js';
import { createSigner, type Signer } from '../../gateway/envelope/signer.js';
import type { ErrorCode } from '../../gateway/errors.js';
import { errorCodeOf } from '../../gateway/grpc/errors.js';
import { clientCredentials } from '../../gateway/grpc/tls.js';
import { PeerGatewayClient, PeerGatewayService } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { loadCredential, type TestCredential, type TestPki } from './pki.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const CALL_TIMEOUT_MS = 5_000;

export interface PeerLink {
  /** One Deliver call with a typed `Signed`; rejects with the grpc-js ServiceError. */
  deliver(signed: Signed): Promise<Signed>;
  /** One Deliver call with arbitrary request bytes (not necessarily a protobuf at all). */
  deliverRaw(bytes: Buffer): Promise<Buffer>;
  close(): void;
}

export interface Refusal {
  /** gRPC status code. */
  status: number;
  /** The `kc-error-code` trailer, if the server sent a known one. */
  code: ErrorCode | undefined;
  details: string;
}

/**
 * A mutual-TLS client of `port` on loopback presenting `client` (certificate chain file + key), that
 * trusts `roots` and insists the server is the `expect` district's gateway.
 */
export function connectToPeerPort(opts: {
  port: number;
  expect: District;
  roots: { certPath: string };
  client: { certPath: string; keyPath: string; chainPath?: string };
}): PeerLink {
  const creds = clientCredentials(
    {
      rootsPem: fs.readFileSync(opts.roots.certPath, 'utf8'),
      certChainPem: fs.readFileSync(opts.client.chainPath ?? opts.client.certPath),
      keyPem: fs.readFileSync(opts.client.keyPath),
    },
    (id) => id?.kind === 'gateway' && id.district === opts.expect,
  );
  const address = `127.0.0.1:${opts.port}`;
  const options = { 'grpc.ssl_target_name_override': `gateway.${opts.expect}.kuacheng`, 'grpc.max_send_message_length': 64 * 1024 * 1024 };
  const typed = new PeerGatewayClient(address, creds, options);
  const raw = new Client(address, creds, options);
  const deadline = () => ({ deadline: Date.now() + CALL_TIMEOUT_MS });
  return {
    deliver: (signed) =>
      new Promise((resolve, reject) => {
        typed.deliver(signed, new Metadata(), deadline(), (err, receipt) => (err ? reject(err) : resolve(receipt)));
      }),
    deliverRaw: (bytes) =>
      new Promise((resolve, reject) => {
        raw.makeUnaryRequest(
          PeerGatewayService.deliver.path,
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          new Metadata(),
          deadline(),
          (err, answer) => (err || !answer ? reject(err ?? new Error('no answer')) : resolve(answer)),
        );
      }),
    close() {
      typed.close();
      raw.close();
    },
  };
}

/** Awaits a call that must fail and returns how it failed; throws if it succeeded. */
export async function refusalOf(call: Promise<unknown>): Promise<Refusal> {
  try {
    await call;
  } catch (err) {
    const e = err as ServiceError;
    if (typeof e.code !== 'number') throw err;
    return { status: e.code, code: errorCodeOf(e), details: e.details };
  }
  throw new Error('the call was accepted, but it should have been refused');
}

/** A signer for `district` envelopes from a test credential; the chain is the leaf alone unless given. */
export function signerOf(cred: TestCredential, district: District, chain: Buffer[] = [cred.certDer]): Signer {
  return createSigner({ district, privateKey: cred.privateKey, chain });
}

export interface GatewayVariants {
  expired: TestCredential;
  notYetValid: TestCredential;
  noDigitalSignature: TestCredential;
  revoked: TestCredential;
  /** Issued by `pki.bad.unknownRootCa`, which is not in the trust store. */
  unknownRoot: TestCredential;
}

/**
 * Bad gateway certificates of `district`, each differing from the real one in one respect only.
 * `revoked` is added to ca/revoked.json and the trust store's CRL is re-issued: call this before
 * the gateways start, or reload their trust stores afterwards.
 */
export function issueGatewayVariants(pki: TestPki, district: District): GatewayVariants {
  const dir = path.join(pki.dir, 'bad', `${district}-variants`);
  const root: IssuerCredential = { certDer: pki.root.certDer, privateKey: pki.root.privateKey };
  const rogue: IssuerCredential = { certDer: pki.bad.unknownRootCa.certDer, privateKey: pki.bad.unknownRootCa.privateKey };
  const at = (days: number) => new Date(pki.now.getTime() + days * DAY_MS);
  const { days: _days, ...profile } = certificateProfile({ kind: 'gateway', district });

  const issue = (name: string, v: { issuer?: IssuerCredential; from?: number; to?: number; digitalSignature?: boolean }): TestCredential => {
    const { privateKey, publicKey } = generateKeyPair();
    const cert = createCertificate({
      ...profile,
      keyUsage: v.digitalSignature === false ? { digitalSignature: false, keyEncipherment: true } : profile.keyUsage,
      issuer: v.issuer ?? root,
      publicKey,
      notBefore: at(v.from ?? -1),
      notAfter: at(v.to ?? 365),
    });
    const folder = path.join(dir, name);
    fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    const certPath = path.join(folder, 'gateway.pem');
    const keyPath = path.join(folder, 'gateway-key.pem');
    fs.writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(certPath, cert.pem);
    return loadCredential(certPath, keyPath);
  };

  const variants: GatewayVariants = {
    expired: issue('expired', { from: -30, to: -1 }),
    notYetValid: issue('not-yet-valid', { from: 1, to: 365 }),
    noDigitalSignature: issue('no-digital-signature', { digitalSignature: false }),
    revoked: issue('revoked', {}),
    unknownRoot: issue('unknown-root', { issuer: rogue }),
  };
  revokeCertificate(pki.dir, variants.revoked.certPath, { now: pki.now });
  return variants;
}
