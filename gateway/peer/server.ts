/** The peer gRPC service: only the other district's gateway may call it (checked on the TLS certificate). */
import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { PeerGatewayService, type Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
import { toServiceError } from '../grpc/errors.js';
import { receiveEnvelope } from './inbound.js';

export { PeerGatewayService };

export function peerHandlers(ctx: GatewayContext) {
  return {
    deliver(call: ServerUnaryCall<Signed, Signed>, callback: sendUnaryData<Signed>) {
      const run = async () => {
        const cert = call.getAuthContext()?.sslPeerCertificate;
        if (!cert?.raw) throw new AppError('UNAUTHENTICATED', 'a client certificate is required');
        const chain = ctx.trust.verify([cert.raw], ctx.clock.now());
        if (chain.identity?.kind !== 'gateway' || chain.identity.district !== ctx.peer) {
          ctx.logger.warn({ code: 'PERMISSION_DENIED' }, 'peer call from a certificate that is not the peer gateway');
          throw new AppError('PERMISSION_DENIED', `only the ${ctx.peer} gateway may deliver envelopes here`);
        }
        return receiveEnvelope(ctx, call.request);
      };
      run().then(
        (receipt) => callback(null, receipt),
        (err: unknown) => callback(toServiceError(err, ctx.logger)),
      );
    },
  };
}
