/**
 * Mechanics every district adapter shares: options, the HTTP attempt wrapper that turns transport
 * failures into AdapterError codes, the bounded retry with back-off, the circuit breaker (opossum),
 * strict response parsing (a field the spec does not know is UNKNOWN_FIELD), header lookup and
 * constant-time HMAC comparison. District knowledge (paths, fields, codes) stays in the district folders.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import CircuitBreaker from 'opossum';
import type { z } from 'zod';
import { AdapterError, type AdapterErrorCode, type AdapterHealth, type ApprovalStatus, type CircuitState } from './adapter.js';
import { formatBeijingIso } from './beijing-time.js';

export interface RetryOptions {
  /** Further attempts after the first (default 2; 0 turns retrying off). */
  retries?: number;
  /** First back-off (default 200 ms), doubling per attempt, with jitter in [50 %, 100 %]. */
  baseDelayMs?: number;
  /** Upper bound of one back-off (default 2 s). */
  maxDelayMs?: number;
}

export interface BreakerOptions {
  /** The circuit opens when more than this share of attempts in the window failed (default 50). */
  errorThresholdPercentage?: number;
  /** …and the window holds at least this many attempts (default 5). */
  volumeThreshold?: number;
  /** Length of the rolling window (default 10 s). */
  rollingWindowMs?: number;
  /** How long the circuit stays open before one trial call is let through (default 30 s). */
  resetTimeoutMs?: number;
}

export interface AdapterOptions {
  /** Origin of the approval system (scheme, host, port, optional proxy prefix); the adapter adds its API base path. */
  baseUrl: string;
  /** Shared secret the approval system signs its callbacks with. */
  callbackSecret: string;
  /** The district system's status codes → shared statuses: the catalog's `catalog.statuses(district)`. */
  statuses: Readonly<Record<string, ApprovalStatus>>;
  /** Timeout of one HTTP attempt (default 10 s). */
  timeoutMs?: number;
  /** In-adapter retry of failed attempts (all operations are idempotent; see RetryOptions). */
  retry?: RetryOptions;
  /** Circuit breaker (see BreakerOptions). */
  breaker?: BreakerOptions;
  /** fetch to use (default: globalThis.fetch, looked up at call time so test interceptors apply). */
  fetch?: typeof fetch;
  /** Clock in epoch milliseconds (default Date.now); callback freshness checks and health times. */
  now?: () => number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_RETRY: Required<RetryOptions> = { retries: 2, baseDelayMs: 200, maxDelayMs: 2_000 };
export const DEFAULT_BREAKER: Required<BreakerOptions> = {
  errorThresholdPercentage: 50,
  volumeThreshold: 5,
  rollingWindowMs: 10_000,
  resetTimeoutMs: 30_000,
};

/**
 * Errors that say the system is unwell: they count against the circuit and are retried inside the
 * adapter. Everything else (4xx, not ready, unknown status or field) means the system answered
 * sensibly: it neither trips the breaker nor is retried here.
 */
const FAILURE_CODES: ReadonlySet<AdapterErrorCode> = new Set(['APPROVAL_UNAVAILABLE', 'APPROVAL_BAD_RESPONSE']);

export function isSystemFailure(err: unknown): err is AdapterError {
  return err instanceof AdapterError && FAILURE_CODES.has(err.code);
}

/** The parts of an openapi-fetch result the wrapper needs. */
interface RawResult {
  data?: unknown;
  error?: unknown;
  response: Response;
}

export interface HttpOutcome {
  status: number;
  ok: boolean;
  /** Parsed JSON body (data on 2xx, error body on others: parsed JSON, or text); undefined when empty. */
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

/** A short, value-free description of why a body did not match. */
export function zodIssues(error: { issues: ReadonlyArray<{ path: PropertyKey[]; code: string }> }): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.code}`)
    .join('; ');
}

/**
 * Parses a district answer with a strict schema. When the only trouble is keys the schema (and so
 * the spec) does not know, that is UNKNOWN_FIELD, naming where they were — they are never dropped.
 * Any other mismatch (missing or mistyped fields, another shape altogether) is `mismatch(why)`.
 */
export function parseStrict<T>(system: string, what: string, schema: z.ZodType<T>, body: unknown, mismatch: (why: string) => AdapterError): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const unknownKeys = parsed.error.issues.filter((i) => i.code === 'unrecognized_keys');
  if (unknownKeys.length === parsed.error.issues.length) {
    const names = unknownKeys.flatMap((i) => (i as { keys: string[] }).keys.map((k) => [...i.path.map(String), k].join('.')));
    throw new AdapterError('UNKNOWN_FIELD', `${system} ${what}: field(s) the spec does not know: ${names.slice(0, 10).join(', ')}`);
  }
  throw mismatch(`${what} does not match the spec (${zodIssues(parsed.error)})`);
}

/** Compile-time check that a response schema's output is exactly the spec's generated type. */
export type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Assert<T extends true> = T;

/** Replaces the named properties' types (enum codes read as plain strings, so an unknown one is UNKNOWN_STATUS). */
export type Widen<T, K extends keyof T, V = string> = Omit<T, K> & { [P in K]: V };

// ---- the caller: retry + circuit breaker around each attempt ----------------------------------------

export interface Caller {
  /**
   * Runs one operation. Each HTTP attempt goes through the circuit breaker (its timeout is callApi's);
   * attempts that fail with APPROVAL_UNAVAILABLE or APPROVAL_BAD_RESPONSE are retried with back-off
   * (every operation of our adapters is idempotent: reads, PUTs, and POSTs with an idempotency key).
   * An open circuit answers APPROVAL_CIRCUIT_OPEN at once.
   */
  run<T>(operation: string, attempt: () => Promise<T>): Promise<T>;
  /** Per-attempt timeout in force (the attempt passes it to callApi). */
  readonly timeoutMs: number;
  health(): AdapterHealth;
}

type Attempt = (() => Promise<unknown>) & { operation: string };

export function createCaller(system: string, opts: AdapterOptions): Caller {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retry = { ...DEFAULT_RETRY, ...opts.retry };
  const cfg = { ...DEFAULT_BREAKER, ...opts.breaker };
  const now = opts.now ?? Date.now;

  const breaker = new CircuitBreaker<[Attempt], unknown>((attempt: Attempt) => attempt(), {
    timeout: false, // each attempt has its own AbortSignal timeout, which also cancels the request
    errorThresholdPercentage: cfg.errorThresholdPercentage,
    volumeThreshold: cfg.volumeThreshold,
    rollingCountTimeout: cfg.rollingWindowMs,
    rollingCountBuckets: 10,
    resetTimeout: cfg.resetTimeoutMs,
    // true = "not a failure": 4xx, not-ready, unknown status / field do not trip the circuit.
    errorFilter: (err: unknown) => !isSystemFailure(err),
  });

  let since: number | undefined;
  let lastFailure: AdapterHealth['lastFailure'];
  breaker.on('open', () => (since = now()));
  breaker.on('halfOpen', () => (since = now()));
  breaker.on('close', () => (since = now()));
  breaker.on('failure', (err: unknown, _latency: number, args: [Attempt]) => {
    if (err instanceof AdapterError) lastFailure = { code: err.code, at: formatBeijingIso(now()), operation: args[0].operation };
  });

  const state = (): CircuitState => (breaker.opened ? 'open' : breaker.halfOpen ? 'half_open' : 'closed');

  function backoff(attempt: number): number {
    const full = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** attempt);
    return full * (0.5 + Math.random() * 0.5);
  }

  return {
    timeoutMs,
    async run<T>(operation: string, attempt: () => Promise<T>): Promise<T> {
      for (let n = 0; ; n++) {
        try {
          const once = Object.assign(() => attempt(), { operation });
          return (await breaker.fire(once)) as T;
        } catch (err) {
          if ((err as { code?: unknown }).code === 'EOPENBREAKER') {
            const reopen = since === undefined ? '' : ` (opened ${formatBeijingIso(since)}; one trial call after ${cfg.resetTimeoutMs} ms)`;
            throw new AdapterError('APPROVAL_CIRCUIT_OPEN', `${system} ${operation}: circuit open after repeated failures, call held back${reopen}`);
          }
          if (!isSystemFailure(err) || n >= retry.retries) throw err;
          await sleep(backoff(n));
        }
      }
    },
    health() {
      const stats = breaker.stats;
      const out: AdapterHealth = {
        circuit: state(),
        window: { attempts: stats.fires - stats.rejects, failures: stats.failures, shortCircuited: stats.rejects },
      };
      if (since !== undefined) out.since = formatBeijingIso(since);
      if (lastFailure !== undefined) out.lastFailure = { ...lastFailure };
      return out;
    },
  };
}

// ---- callbacks -----------------------------------------------------------------------------------------

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

// ---- requests ------------------------------------------------------------------------------------------

/** Resolves an ISO instant from the shared model to epoch ms, or throws APPROVAL_REJECTED_REQUEST. */
export function instantMs(system: string, operation: string, field: string, iso: string, parse: (t: string) => number | undefined): number {
  const ms = parse(iso);
  if (ms === undefined) {
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} ${operation}: ${field} is not an ISO 8601 instant with offset`);
  }
  return ms;
}

/** A callback URL the system can push to (http or https), or APPROVAL_REJECTED_REQUEST. */
export function checkCallbackUrl(system: string, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} registerCallback: not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} registerCallback: the URL must be http or https`);
  }
  if (url.length > 2048) throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} registerCallback: the URL is longer than 2048 characters`);
  return url;
}

/** Refuses a local number that does not have the system's shape, before any call. */
export function checkLocalNo(system: string, operation: string, localNo: string, pattern: RegExp): string {
  if (!pattern.test(localNo)) {
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} ${operation}: "${localNo}" is not a local case number of this system`);
  }
  return localNo;
}
