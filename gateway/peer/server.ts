/** The peer gRPC service: only the other district's gateway may call it (checked on the TLS certificate). */
import type { Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { PeerGatewayService, Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { GatewayContext } from '../context.js';
import { AppError, GRPC_ERROR_CODE_KEY } from '../errors.js';
import type { CertificateIdentity } from '../../certs/dev-pki.js';
import { authenticateCaller } from '../grpc/caller.js';
import { toServiceError } from '../grpc/errors.js';
import { receiveEnvelope } from './inbound.js';

/**
 * The Deliver method as the server registers it: the request arrives as raw bytes and is decoded in
 * the handler, so that unreadable protobuf is refused with ENVELOPE_MALFORMED and logged like any
 * other refusal, instead of grpc-js answering a bare INTERNAL before our code runs.
 */
export const PeerGatewayServerDefinition = {
  deliver: { ...PeerGatewayService.deliver, requestDeserialize: (bytes: Buffer): Buffer => bytes },
};

function decode(ctx: GatewayContext, bytes: Buffer): Signed {
  try {
    return Signed.decode(bytes);
  } catch {
    ctx.logger.warn({ code: 'ENVELOPE_MALFORMED', reason: 'not a Signed protobuf message' }, 'envelope rejected');
    throw new AppError('ENVELOPE_MALFORMED', 'the request is not a Signed protobuf message');
  }
}

/** The stable code a refusal carries in its trailer (INTERNAL when none), for the rejection counter. */
function refusalCode(refusal: { metadata?: Metadata }): string {
  const code = refusal.metadata?.get(GRPC_ERROR_CODE_KEY)[0];
  return typeof code === 'string' ? code : 'INTERNAL';
}

export function peerHandlers(ctx: GatewayContext) {
  return {
    deliver(call: ServerUnaryCall<Buffer, Signed>, callback: sendUnaryData<Signed>) {
      const run = async () => {
        const isPeer = (id: CertificateIdentity): id is CertificateIdentity => id.kind === 'gateway' && id.district === ctx.peer;
        authenticateCaller(ctx, call, 'peer', isPeer, `only the ${ctx.peer} gateway may deliver envelopes here`);
        return receiveEnvelope(ctx, decode(ctx, call.request), call.request);
      };
      run().then(
        (receipt) => callback(null, receipt),
        (err: unknown) => {
          const refusal = toServiceError(err, ctx.logger);
          ctx.metrics.envelopeRejected(refusalCode(refusal));
          callback(refusal);
        },
      );
    },
  };
}
