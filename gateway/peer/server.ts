/** The peer gRPC service: only the other district's gateway may call it (checked on the TLS certificate). */
import type { Metadata, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { PeerGatewayService, Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { GatewayContext } from '../context.js';
import { AppError, GRPC_ERROR_CODE_KEY } from '../errors.js';
import type { CertificateIdentity } from '../../certs/dev-pki.js';
import { authenticateCaller } from '../grpc/caller.js';
import { toServiceError } from '../grpc/errors.js';
import { receiveEnvelope } from './inbound.js';
import { answerCheckpoint } from '../audit/checkpointer.js';
import { CASE_NO_PATTERN } from '../domain/case.js';
import { sha256Hex } from '../envelope/envelope.js';

/**
 * The Deliver method as the server registers it: the request arrives as raw bytes and is decoded in
 * the handler, so that unreadable protobuf is refused with ENVELOPE_MALFORMED and logged like any
 * other refusal, instead of grpc-js answering a bare INTERNAL before our code runs.
 */
export const PeerGatewayServerDefinition = {
  deliver: { ...PeerGatewayService.deliver, requestDeserialize: (bytes: Buffer): Buffer => bytes },
  exchangeCheckpoint: { ...PeerGatewayService.exchangeCheckpoint, requestDeserialize: (bytes: Buffer): Buffer => bytes },
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
  const isPeer = (id: CertificateIdentity): id is CertificateIdentity => id.kind === 'gateway' && id.district === ctx.peer;
  return {
    deliver(call: ServerUnaryCall<Buffer, Signed>, callback: sendUnaryData<Signed>) {
      const run = async () => {
        authenticateCaller(ctx, call, 'peer', isPeer, `only the ${ctx.peer} gateway may deliver envelopes here`);
        return receiveEnvelope(ctx, decode(ctx, call.request), call.request);
      };
      run().then(
        (receipt) => callback(null, receipt),
        (err: unknown) => {
          const refusal = toServiceError(err, ctx.logger);
          const code = refusalCode(refusal);
          ctx.metrics.envelopeRejected(code);
          void ctx.audit.record({ kind: 'envelope.refused', code, ...refusedEnvelopeIds(call.request) });
          callback(refusal);
        },
      );
    },
    exchangeCheckpoint(call: ServerUnaryCall<Buffer, Signed>, callback: sendUnaryData<Signed>) {
      const run = async () => {
        authenticateCaller(ctx, call, 'peer', isPeer, `only the ${ctx.peer} gateway may exchange audit checkpoints here`);
        return answerCheckpoint(ctx, decode(ctx, call.request));
      };
      run().then(
        (ours) => callback(null, ours),
        (err: unknown) => callback(toServiceError(err, ctx.logger)),
      );
    },
  };
}

/** What a refused envelope can be named by in the audit log: its digest, and its ids when the body reads as JSON. */
function refusedEnvelopeIds(request: Buffer): { caseNo?: string; messageId?: string; envelopeSha256?: string } {
  try {
    const signed = Signed.decode(request);
    const body = JSON.parse(Buffer.from(signed.body).toString('utf8')) as { caseNo?: unknown; id?: unknown };
    return {
      envelopeSha256: sha256Hex(signed.body),
      ...(typeof body.caseNo === 'string' && CASE_NO_PATTERN.test(body.caseNo) ? { caseNo: body.caseNo } : {}),
      ...(typeof body.id === 'string' && ULID_SHAPE.test(body.id) ? { messageId: body.id } : {}),
    };
  } catch {
    return {};
  }
}

// Only well-formed identifiers go into the audit log: a refused body may hold anything.
const ULID_SHAPE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
