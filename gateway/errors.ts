/**
 * One error type with a stable code. Entry points (REST, gRPC) map the code once, here, to their
 * own status; the message is for people and may change, the code may not.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';

export const ERROR_CODES = {
  // Bad input from staff or partners (nothing is stored).
  MALFORMED_JSON: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  /** A list cursor that this gateway did not hand out (or from another filter). */
  INVALID_CURSOR: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  VALIDATION_FAILED: { http: 422, grpc: GrpcStatus.INVALID_ARGUMENT },
  UNKNOWN_MATTER: { http: 422, grpc: GrpcStatus.INVALID_ARGUMENT },
  WRONG_DISTRICT_FOR_MATTER: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION },
  MATTER_NOT_OPEN: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION },
  IDEMPOTENCY_CONFLICT: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  MATTER_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  CASE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  HANDOFF_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  MESSAGE_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  CASE_STATE_CONFLICT: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  ALREADY_RATED: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  NOT_DEAD_LETTERED: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  PAYLOAD_TOO_LARGE: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  ROUTE_NOT_FOUND: { http: 404, grpc: GrpcStatus.UNIMPLEMENTED },
  /** Citizen tracking: no case with this number and these phone digits (one answer for either being wrong). */
  TRACKING_NOT_FOUND: { http: 404, grpc: GrpcStatus.NOT_FOUND },
  /** Too many requests from this client or for this case number; Retry-After says when to come back. */
  RATE_LIMITED: { http: 429, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  // Who is calling.
  UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  PERMISSION_DENIED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  /** Staff: no valid console session (signed out, expired or never signed in). */
  STAFF_UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  /** Staff: wrong user name or password (one answer for either). */
  STAFF_SIGN_IN_FAILED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  /** Staff: signed in, but no role of theirs may do this. */
  STAFF_FORBIDDEN: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  /** Staff: a state-changing request without the session's CSRF token. */
  CSRF_REJECTED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  /** Partner: its configuration does not allow this operation or this matter (deny by default). */
  PARTNER_NOT_ALLOWED: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  CALLBACK_UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CALLBACK_MALFORMED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  /** A courier push that is not signed with our partner secret, or signed too long ago. */
  COURIER_PUSH_UNAUTHENTICATED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  COURIER_PUSH_MALFORMED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  APPROVAL_UNMAPPED: { http: 422, grpc: GrpcStatus.FAILED_PRECONDITION },
  // Envelopes and receipts that fail verification (nothing applied).
  ENVELOPE_MALFORMED: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  ENVELOPE_NOT_CANONICAL: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  ENVELOPE_TOO_LARGE: { http: 413, grpc: GrpcStatus.RESOURCE_EXHAUSTED },
  UNSUPPORTED_SUITE: { http: 400, grpc: GrpcStatus.INVALID_ARGUMENT },
  BAD_SIGNATURE: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CERT_CHAIN_MISSING: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CERT_UNKNOWN_CA: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CERT_EXPIRED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CERT_NOT_YET_VALID: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CERT_REVOKED: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CERT_KEY_USAGE: { http: 401, grpc: GrpcStatus.UNAUTHENTICATED },
  CRL_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  WRONG_DISTRICT_SIGNER: { http: 403, grpc: GrpcStatus.PERMISSION_DENIED },
  WRONG_RECIPIENT: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION },
  ENVELOPE_REPLAYED: { http: 409, grpc: GrpcStatus.ALREADY_EXISTS },
  ENVELOPE_OUT_OF_SEQUENCE: { http: 409, grpc: GrpcStatus.FAILED_PRECONDITION },
  ISSUED_AT_STALE: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION },
  ISSUED_AT_FUTURE: { http: 400, grpc: GrpcStatus.FAILED_PRECONDITION },
  RECEIPT_INVALID: { http: 502, grpc: GrpcStatus.DATA_LOSS },
  // Dependencies.
  COURIER_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  PEER_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  STORE_UNAVAILABLE: { http: 503, grpc: GrpcStatus.UNAVAILABLE },
  INTERNAL: { http: 500, grpc: GrpcStatus.INTERNAL },
} as const satisfies Record<string, { http: number; grpc: GrpcStatus }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A problem with one field of a request, for 一次性告知: every problem is reported at once. */
export interface FieldIssue {
  field: string;
  code: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/**
 * VALIDATION_FAILED naming every field a schema refused (all at once, 一次性告知), each with a
 * message for staff. `issues` are zod's; only their paths are read.
 */
export function invalidFields(issues: ReadonlyArray<{ path: PropertyKey[] }>, messageZh: (field: string) => string): AppError {
  return new AppError(
    'VALIDATION_FAILED',
    `${issues.length} field(s) are missing or invalid`,
    issues.map((i) => {
      const field = i.path.map(String).join('.') || '(body)';
      return { field, code: 'INVALID', message: messageZh(field) };
    }),
  );
}

export function httpStatusOf(code: ErrorCode): number {
  return ERROR_CODES[code].http;
}

export function grpcStatusOf(code: ErrorCode): GrpcStatus {
  return ERROR_CODES[code].grpc;
}

export function isErrorCode(v: unknown): v is ErrorCode {
  return typeof v === 'string' && Object.hasOwn(ERROR_CODES, v);
}

/** The gRPC metadata key that carries the stable error code next to the status. */
export const GRPC_ERROR_CODE_KEY = 'kc-error-code';

/**
 * Recognises failures of dependencies that are not ours to fix here — today, Redis being
 * unreachable (ioredis gives up after its retries) — so they answer 503 / UNAVAILABLE, not 500.
 */
export function dependencyError(err: unknown): AppError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name === 'MaxRetriesPerRequestError' || /Connection is closed|ECONNREFUSED|Stream isn't writeable/.test(err.message)) {
    return new AppError('STORE_UNAVAILABLE', 'the case store is unavailable; try again shortly');
  }
  return undefined;
}
