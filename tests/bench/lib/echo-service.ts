/**
 * A one-method gRPC service that answers with the bytes it was sent: the floor under any gRPC call
 * the gateways make (TLS, HTTP/2 framing, grpc-js), with no protobuf and no work of its own.
 * Requests and answers are raw Buffers (identity serialisers), so no code generation is needed.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';

const identity = (b: Buffer): Buffer => b;

export const ECHO_SERVICE = {
  echo: {
    path: '/kuacheng.bench.v1.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies ServiceDefinition;

/** The line the echo server prints once it listens; the port follows. */
export const ECHO_READY = /^echo listening on (\d+)$/m;
