/**
 * Mechanics every district adapter shares: options, the HTTP call wrapper that turns transport
 * failures into AdapterError codes, header lookup and constant-time HMAC comparison.
 * District knowledge (paths, fields, codes) stays in the district folders.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AdapterError } from './adapter.js';

export interface AdapterOptions {
  /** Origin of the approval system (scheme, host, port, optional proxy prefix); the adapter adds its API base path. */
  baseUrl: string;
  /** Shared secret the approval system signs its callbacks with. */
  callbackSecret: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** fetch to use (default: globalThis.fetch, looked up at call time so test interceptors apply). */
  fetch?: typeof fetch;
  /** Clock in epoch milliseconds (default Date.now); used for callback freshness checks. */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** The parts of an openapi-fetch result the wrapper needs. */
interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export interface HttpOutcome {
  status: number;
  ok: boolean;
  /** Parsed JSON body (data on 2xx, error body on others); undefined when empty. */
  body: unknown;
}

/**
 * Runs one typed openapi-fetch call with a timeout. Network errors and timeouts become
 * APPROVAL_UNAVAILABLE; a 2xx body that is not JSON becomes APPROVAL_BAD_RESPONSE.
 * HTTP status handling is left to the caller (it knows the district's error shape).
 */
export async function callApi(
  system: string,
  operation: string,
  timeoutMs: number,
  run: (signal: AbortSignal) => Promise<RawResult>,
): Promise<HttpOutcome> {
  let result: RawResult;
  try {
    result = await run(AbortSignal.timeout(timeoutMs));
  } catch (err) {
    if (err instanceof SyntaxError) {
      throw new AdapterError('APPROVAL_BAD_RESPONSE', `${system} ${operation}: response body is not JSON`);
    }
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new AdapterError('APPROVAL_UNAVAILABLE', `${system} ${operation}: no answer within ${timeoutMs} ms`);
    }
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new AdapterError('APPROVAL_UNAVAILABLE', `${system} ${operation}: ${reason}`);
  }
  const { response } = result;
  return { status: response.status, ok: response.ok, body: response.ok ? result.data : result.error };
}

/**
 * The error for a non-2xx answer: 5xx (and 408/429, which ask to come back later) are retryable,
 * other 4xx mean the request itself is wrong.
 */
export function httpStatusError(system: string, operation: string, status: number, detail: string): AdapterError {
  const text = `${system} ${operation}: HTTP ${status}${detail ? ` — ${detail}` : ''}`;
  if (status >= 500 || status === 408 || status === 429) return new AdapterError('APPROVAL_UNAVAILABLE', text);
  if (status >= 400) return new AdapterError('APPROVAL_REJECTED_REQUEST', text);
  return new AdapterError('APPROVAL_BAD_RESPONSE', text);
}

/** The single value of a header, whatever the case of its name; undefined when absent or repeated. */
export function headerValue(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
    return value;
  }
  return undefined;
}

export function hmacSha256Hex(secret: string, data: Buffer | string): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

/** Compares a presented hex MAC with the expected one in constant time. */
export function hexMacMatches(presentedHex: string, expectedHex: string): boolean {
  if (!/^[0-9a-fA-F]+$/.test(presentedHex) || presentedHex.length !== expectedHex.length) return false;
  const presented = Buffer.from(presentedHex.toLowerCase(), 'hex');
  const expected = Buffer.from(expectedHex, 'hex');
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/** Parses a callback body as JSON, or throws CALLBACK_MALFORMED. */
export function parseJsonBody(system: string, rawBody: Buffer): unknown {
  try {
    return JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw new AdapterError('CALLBACK_MALFORMED', `${system} callback: body is not JSON`);
  }
}

/** Resolves an ISO instant from the shared model to epoch ms, or throws APPROVAL_REJECTED_REQUEST. */
export function submittedAtMs(system: string, submittedAt: string, parse: (t: string) => number | undefined): number {
  const ms = parse(submittedAt);
  if (ms === undefined) {
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} submit: submittedAt is not an ISO 8601 instant with offset`);
  }
  return ms;
}

/** A short, value-free description of why a body did not match. */
export function zodIssues(error: { issues: ReadonlyArray<{ path: PropertyKey[]; code: string }> }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.code}`)
    .join('; ');
}
