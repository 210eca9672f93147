/**
 * The one place where errors become gRPC statuses: AppError codes map through ERROR_CODES; anything
 * else is logged with its stack and answered INTERNAL. The stable code travels twice:
 * - the standard way, a google.rpc.Status in the `grpc-status-details-bin` trailer whose details
 *   hold a google.rpc.ErrorInfo (reason = the code, domain = kuacheng.gov.cn, field issues in its
 *   metadata) and, when fields were refused, a google.rpc.BadRequest naming each — what stock
 *   clients (grpcurl, the Google client libraries) decode without knowing us;
 * - the `kc-error-code` trailer (and `kc-field-issues-bin`, JSON), read by our own peer client.
 */
import { Metadata, status, type ServerErrorResponse, type ServiceError } from '@grpc/grpc-js';
import { Any } from '../../protos/gen/google/protobuf/any.js';
import { BadRequest, ErrorInfo } from '../../protos/gen/google/rpc/error_details.js';
import { Status } from '../../protos/gen/google/rpc/status.js';
import { AppError, dependencyError, GRPC_ERROR_CODE_KEY, grpcStatusOf, isErrorCode, type ErrorCode, type FieldIssue } from '../errors.js';
import type { Logger } from '../logger.js';

/** ErrorInfo.domain: the service that defines the reasons. */
export const ERROR_DOMAIN = 'kuacheng.gov.cn';
/** The standard trailer that carries a serialized google.rpc.Status. */
export const GRPC_STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const TYPE_URL_PREFIX = 'type.googleapis.com/';

function richStatus(code: status, message: string, reason: ErrorCode, issues: readonly FieldIssue[]): Buffer {
  const details: Any[] = [
    {
      typeUrl: `${TYPE_URL_PREFIX}google.rpc.ErrorInfo`,
      value: Buffer.from(
        ErrorInfo.encode({
          reason,
          domain: ERROR_DOMAIN,
          metadata: issues.length > 0 ? { fieldIssues: JSON.stringify(issues) } : {},
        }).finish(),
      ),
    },
  ];
  if (issues.length > 0) {
    details.push({
      typeUrl: `${TYPE_URL_PREFIX}google.rpc.BadRequest`,
      value: Buffer.from(BadRequest.encode({ fieldViolations: issues.map((i) => ({ field: i.field, description: i.message, reason: i.code })) }).finish()),
    });
  }
  return Buffer.from(Status.encode({ code, message, details }).finish());
}

function serviceError(code: status, message: string, reason: ErrorCode, issues: readonly FieldIssue[]): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, reason);
  if (issues.length > 0) metadata.set('kc-field-issues-bin', Buffer.from(JSON.stringify(issues)));
  metadata.set(GRPC_STATUS_DETAILS_KEY, richStatus(code, message, reason, issues));
  return Object.assign(new Error(message), { code, details: message, metadata });
}

export function toServiceError(cause: unknown, logger: Logger): ServerErrorResponse {
  const err = dependencyError(cause) ?? cause;
  if (err instanceof AppError) return serviceError(grpcStatusOf(err.code), err.message, err.code, err.issues);
  logger.error({ err }, 'unexpected error in gRPC handler');
  return serviceError(status.INTERNAL, 'internal error', 'INTERNAL', []);
}

/** Reads the stable code back from a gRPC error (client side). */
export function errorCodeOf(err: ServiceError): ErrorCode | undefined {
  const value = err.metadata?.get(GRPC_ERROR_CODE_KEY)[0];
  return isErrorCode(value) ? value : undefined;
}
