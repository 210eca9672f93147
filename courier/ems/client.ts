/**
 * Typed client of the EMS tracking API (./openapi.yaml), through openapi-fetch: subscribe a
 * waybill to pushes, and read a waybill's full history (the polling fallback). Answers are checked
 * against small schemas (./wire.ts); every failure is a CourierError:
 *
 *   network error, timeout, 5xx, 408, 429   COURIER_UNAVAILABLE (retryable)
 *   401, 403                                COURIER_AUTH_FAILED (our partner id / key: alert ops)
 *   404 on history (E0404)                  COURIER_WAYBILL_UNKNOWN (no trace yet: not a fault)
 *   other 4xx, or a waybill we would not send COURIER_REJECTED_REQUEST
 *   2xx that is not JSON or not the shape   COURIER_BAD_RESPONSE
 *
 * The traces come back as EMS wrote them; ./mapping.ts turns them into tracking events.
 */
import createClient from 'openapi-fetch';
import { callApi, DEFAULT_TIMEOUT_MS, httpStatusError, zodIssues, type HttpOutcome } from '../../adapters/adapter-kit.js';
import { CourierError } from '../errors.js';
import { asCourierErrors, toCourierError } from '../kit-errors.js';
import type { paths } from './generated/tracking-api.js';
import { EMS_API_KEY_HEADER, EMS_PARTNER_HEADER } from './signature.js';
import { EMS_WAYBILL_RE, emsErrorSchema, emsHistorySchema, emsSubscriptionSchema, type EmsHistoryWire } from './wire.js';

export interface EmsClientOptions {
  /** Origin of the EMS API (scheme, host, port, optional proxy prefix). */
  baseUrl: string;
  partnerId: string;
  apiKey: string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** fetch to use (default: globalThis.fetch, looked up at call time so test interceptors apply). */
  fetch?: typeof fetch;
}

export interface EmsSubscribeResult {
  subscriptionId: string;
  /** false when the waybill was already subscribed (EMS answered 200 instead of 201). */
  created: boolean;
}

export interface EmsClient {
  subscribe(waybillNo: string, callbackUrl: string): Promise<EmsSubscribeResult>;
  /** The full history, newest first, as EMS sent it. */
  history(waybillNo: string): Promise<EmsHistoryWire>;
}

const SYSTEM = 'EMS tracking API';

function errorDetail(body: unknown): string {
  const parsed = emsErrorSchema.safeParse(body);
  return parsed.success ? `${parsed.data.errorCode} ${parsed.data.errorMsg}`.slice(0, 200) : '';
}

function statusError(operation: string, outcome: HttpOutcome): CourierError {
  const detail = errorDetail(outcome.body);
  const text = `${SYSTEM} ${operation}: HTTP ${outcome.status}${detail ? ` — ${detail}` : ''}`;
  if (outcome.status === 401 || outcome.status === 403) return new CourierError('COURIER_AUTH_FAILED', text);
  if (outcome.status === 404 && operation === 'history') return new CourierError('COURIER_WAYBILL_UNKNOWN', text);
  return toCourierError(httpStatusError(SYSTEM, operation, outcome.status, detail)) as CourierError;
}

function checkWaybill(operation: string, waybillNo: string): void {
  if (!EMS_WAYBILL_RE.test(waybillNo)) {
    throw new CourierError('COURIER_REJECTED_REQUEST', `${SYSTEM} ${operation}: not an EMS waybill number (normalise it with parseWaybill first)`);
  }
}

export function createEmsClient(opts: EmsClientOptions): EmsClient {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = createClient<paths>({
    baseUrl: opts.baseUrl,
    headers: { [EMS_PARTNER_HEADER]: opts.partnerId, [EMS_API_KEY_HEADER]: opts.apiKey },
    fetch: (request) => (opts.fetch ?? globalThis.fetch)(request),
  });
  const badResponse = (why: string) => new CourierError('COURIER_BAD_RESPONSE', `${SYSTEM}: ${why}`);

  return {
    async subscribe(waybillNo, callbackUrl) {
      checkWaybill('subscribe', waybillNo);
      const outcome = await asCourierErrors(() =>
        callApi(SYSTEM, 'subscribe', timeoutMs, (signal) =>
          client.POST('/api/track/v1/subscriptions', { body: { waybillNo, callbackUrl }, signal }),
        ),
      );
      if (!outcome.ok) throw statusError('subscribe', outcome);
      if (outcome.status !== 200 && outcome.status !== 201) throw badResponse(`subscribe answered HTTP ${outcome.status}, expected 200 or 201`);
      const parsed = emsSubscriptionSchema.safeParse(outcome.body);
      if (!parsed.success) throw badResponse(`subscribe response does not match the spec (${zodIssues(parsed.error)})`);
      if (parsed.data.waybillNo !== waybillNo) throw badResponse('subscribe answered for another waybill');
      return { subscriptionId: parsed.data.subscriptionId, created: outcome.status === 201 };
    },

    async history(waybillNo) {
      checkWaybill('history', waybillNo);
      const outcome = await asCourierErrors(() =>
        callApi(SYSTEM, 'history', timeoutMs, (signal) =>
          client.GET('/api/track/v1/waybills/{waybillNo}/traces', { params: { path: { waybillNo } }, signal }),
        ),
      );
      if (!outcome.ok) throw statusError('history', outcome);
      if (outcome.status !== 200) throw badResponse(`history answered HTTP ${outcome.status}, expected 200`);
      const parsed = emsHistorySchema.safeParse(outcome.body);
      if (!parsed.success) throw badResponse(`history response does not match the spec (${zodIssues(parsed.error)})`);
      if (parsed.data.waybillNo !== waybillNo) throw badResponse('history answered for another waybill');
      return parsed.data;
    },
  };
}
