/** The peer gRPC service: only the other district's gateway may call it (checked on the TLS certificate). */
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { PeerGatewayService, Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
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

/** The TLS client certificate must be the peer gateway's, valid and not revoked now. */
function checkCaller(ctx: GatewayContext, call: ServerUnaryCall<Buffer, Signed>): void {
  try {
    const cert = call.getAuthContext()?.sslPeerCertificate;
    if (!cert?.raw) throw new AppError('UNAUTHENTICATED', 'a client certificate is required');
    const chain = ctx.trust.verify([cert.raw], ctx.clock.now());
    if (chain.identity?.kind !== 'gateway' || chain.identity.district !== ctx.peer) {
      throw new AppError('PERMISSION_DENIED', `only the ${ctx.peer} gateway may deliver envelopes here`);
    }
  } catch (err) {
    if (err instanceof AppError) ctx.logger.warn({ code: err.code, reason: err.message }, 'peer call rejected');
    throw err;
  }
}

function decode(ctx: GatewayContext, bytes: Buffer): Signed {
  try {
    return Signed.decode(bytes);
  } catch {
    ctx.logger.warn({ code: 'ENVELOPE_MALFORMED', reason: 'not a Signed protobuf message' }, 'envelope rejected');
    throw new AppError('ENVELOPE_MALFORMED', 'the request is not a Signed protobuf message');
  }
}

export function peerHandlers(ctx: GatewayContext) {
  return {
    deliver(call: ServerUnaryCall<Buffer, Signed>, callback: sendUnaryData<Signed>) {
      const run = async () => {
        checkCaller(ctx, call);
        return receiveEnvelope(ctx, decode(ctx, call.request));
      };
      run().then(
        (receipt) => callback(null, receipt),
        (err: unknown) => callback(toServiceError(err, ctx.logger)),
      );
    },
  };
}
