/** The client side of the peer link: delivers one signed envelope and returns the peer's signed receipt. */
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { PeerGatewayClient, type Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { District } from '../domain/district.js';
import { AppError } from '../errors.js';
import { errorCodeOf } from '../grpc/errors.js';
import { clientCredentials, type TlsMaterial } from '../grpc/tls.js';

export interface PeerClient {
  deliver(envelope: Signed): Promise<Signed>;
  /** Sends our latest audit checkpoint; the answer is the peer's latest (empty body when it has none). */
  exchangeCheckpoint(mine: Signed): Promise<Signed>;
  /** Whether the channel to the peer is, or becomes, ready within `timeoutMs` (connects if idle). */
  probe(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export function createPeerClient(opts: { address: string; tls: TlsMaterial; peer: District; timeoutMs: number }): PeerClient {
  const client = new PeerGatewayClient(
    opts.address,
    clientCredentials(opts.tls, (id) => id?.kind === 'gateway' && id.district === opts.peer),
    {
      // We dial an address, not a name; send the peer's name as SNI (an IP there is not allowed by RFC 6066).
      // Who the server is gets checked on its certificate's identity above, not on this name.
      'grpc.ssl_target_name_override': `gateway.${opts.peer}.kuacheng`,
      // Keep the link warm and notice a dead peer quickly.
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 5_000,
    },
  );
  return {
    deliver: (envelope) =>
      new Promise((resolve, reject) => {
        client.deliver(envelope, new Metadata(), { deadline: Date.now() + opts.timeoutMs }, (err, receipt) => {
          if (err) reject(toAppError(err));
          else resolve(receipt);
        });
      }),
    exchangeCheckpoint: (mine) =>
      new Promise((resolve, reject) => {
        client.exchangeCheckpoint(mine, new Metadata(), { deadline: Date.now() + opts.timeoutMs }, (err, theirs) => {
          if (err) reject(toAppError(err));
          else resolve(theirs);
        });
      }),
    probe: (timeoutMs) => new Promise((resolve) => client.waitForReady(Date.now() + timeoutMs, (err) => resolve(!err))),
    close: () => client.close(),
  };
}

function toAppError(err: ServiceError): AppError {
  const code = errorCodeOf(err);
  if (code) return new AppError(code, `peer refused the envelope: ${err.details}`);
  if (err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED || err.code === status.CANCELLED) {
    return new AppError('PEER_UNAVAILABLE', `peer unreachable: ${err.details}`);
  }
  return new AppError('PEER_UNAVAILABLE', `peer call failed (${status[err.code]}): ${err.details}`);
}
