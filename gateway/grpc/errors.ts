/**
 * The one place where errors become gRPC statuses: AppError codes map through ERROR_CODES and travel
 * in the `kc-error-code` trailer; anything else is logged with its stack and answered INTERNAL.
 */
import { Metadata, status, type ServerErrorResponse, type ServiceError } from '@grpc/grpc-js';
import { AppError, dependencyError, GRPC_ERROR_CODE_KEY, grpcStatusOf, isErrorCode, type ErrorCode } from '../errors.js';
import type { Logger } from '../logger.js';

export function toServiceError(cause: unknown, logger: Logger): ServerErrorResponse {
  const metadata = new Metadata();
  const err = dependencyError(cause) ?? cause;
  if (err instanceof AppError) {
    metadata.set(GRPC_ERROR_CODE_KEY, err.code);
    if (err.issues.length > 0) metadata.set('kc-field-issues-bin', Buffer.from(JSON.stringify(err.issues)));
    return Object.assign(new Error(err.message), { code: grpcStatusOf(err.code), details: err.message, metadata });
  }
  logger.error({ err }, 'unexpected error in gRPC handler');
  metadata.set(GRPC_ERROR_CODE_KEY, 'INTERNAL');
  return Object.assign(new Error('internal error'), { code: status.INTERNAL, details: 'internal error', metadata });
}

/** Reads the stable code back from a gRPC error (client side). */
export function errorCodeOf(err: ServiceError): ErrorCode | undefined {
  const value = err.metadata?.get(GRPC_ERROR_CODE_KEY)[0];
  return isErrorCode(value) ? value : undefined;
}
