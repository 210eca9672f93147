/**
 * Adapter to 南海区行政审批系统 (Nanhai approval system), Open API v1 — see ./openapi.yaml.
 * camelCase fields, every answer wrapped `{ code, msg, data }` (business errors at HTTP 200),
 * epoch-millisecond request times, ISO +08:00 event times, callbacks signed over
 * `<X-NH-Timestamp>.<body>` and rejected when more than 300 s off.
 */
import createClient from 'openapi-fetch';
import { z } from 'zod';
import {
  AdapterError,
  type ApprovalAdapter,
  type ApprovalStatus,
  type ApprovalStatusEvent,
  type ApprovalSubmission,
} from '../adapter.js';
import {
  callApi,
  DEFAULT_TIMEOUT_MS,
  headerValue,
  hexMacMatches,
  hmacSha256Hex,
  httpStatusError,
  parseJsonBody,
  submittedAtMs,
  zodIssues,
  type AdapterOptions,
  type HttpOutcome,
} from '../adapter-kit.js';
import { formatBeijingIso, parseIsoInstant } from '../beijing-time.js';
import type { District } from '../../gateway/domain/district.js';
import type { components, paths } from './generated/approval-api.js';

type Schemas = components['schemas'];
export type NanhaiAdapterOptions = AdapterOptions;

const SYSTEM = 'nanhai approval system';
export const NANHAI_TIMESTAMP_HEADER = 'X-NH-Timestamp';
export const NANHAI_SIGN_HEADER = 'X-NH-Sign';
/** Callbacks whose timestamp is further than this from our clock are refused (replay window). */
export const NANHAI_MAX_SKEW_SECONDS = 300;
const EVENTS_PAGE_SIZE = 100;

/** Case status → shared status. Keyed by the spec's enum, so a new status in the spec fails to compile here. */
const STATUS_FROM_NANHAI: Record<Schemas['NhStatus'], ApprovalStatus> = {
  RECEIVED: 'registered',
  ACCEPTED: 'accepted',
  NEED_SUPPLEMENT: 'supplement_requested',
  APPROVED: 'approved',
  DENIED: 'rejected',
};

const REGION: Record<District, Schemas['NhRegion']> = { liwan: 'LIWAN', nanhai: 'NANHAI' };

// Small response schemas: statuses stay strings so an unknown code is UNKNOWN_STATUS, not a bad body.
const envelopeSchema = z.object({ code: z.number().int(), msg: z.string(), data: z.unknown() });
const caseRefSchema = z.object({ caseId: z.string().min(1) });
const eventSchema = z.object({
  eventId: z.string().min(1),
  caseId: z.string().min(1),
  extRef: z.string(),
  status: z.string(),
  occurredAt: z.string(),
  remark: z.string(),
});
const eventsPageSchema = z.object({ list: z.array(eventSchema), nextCursor: z.string() });

type NanhaiEvent = z.infer<typeof eventSchema>;

export function toNanhaiRequest(s: ApprovalSubmission): Schemas['NhSubmitRequest'] {
  const { applicant } = s.application;
  const certNo = applicant.kind === 'person' ? applicant.idNumber : applicant.creditCode;
  if (!certNo) {
    const field = applicant.kind === 'person' ? 'idNumber' : 'creditCode';
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} submit: a ${applicant.kind} applicant needs ${field}`);
  }
  const nhApplicant: Schemas['NhApplicant'] = {
    type: applicant.kind === 'person' ? 'PERSON' : 'ORG',
    name: applicant.name,
    certNo,
    mobile: applicant.phone,
  };
  if (applicant.address !== undefined) nhApplicant.address = applicant.address;
  return {
    itemCode: s.localMatterCode,
    extRef: s.caseNo,
    applicant: nhApplicant,
    formData: { ...s.application.form },
    attachments: s.application.materials.map((m) => ({ title: m.name, original: m.form === 'original', count: m.copies })),
    applyTime: submittedAtMs(SYSTEM, s.submittedAt, parseIsoInstant),
    sourceRegion: REGION[s.originDistrict],
  };
}

/** Maps one event (from the feed or a callback) to the shared event. */
export function fromNanhaiEvent(event: NanhaiEvent, onBadTime: (why: string) => AdapterError): ApprovalStatusEvent {
  const status = Object.hasOwn(STATUS_FROM_NANHAI, event.status)
    ? STATUS_FROM_NANHAI[event.status as Schemas['NhStatus']]
    : undefined;
  if (status === undefined) {
    throw new AdapterError('UNKNOWN_STATUS', `${SYSTEM}: unknown status "${event.status}" for ${event.caseId} (event ${event.eventId})`);
  }
  const at = parseIsoInstant(event.occurredAt);
  if (at === undefined) throw onBadTime(`occurredAt of event ${event.eventId} is not an ISO 8601 instant with offset`);
  return {
    eventId: event.eventId,
    caseNo: event.extRef,
    localNo: event.caseId,
    status,
    at: formatBeijingIso(at),
    note: event.remark,
  };
}

/** Unwraps `{ code, msg, data }`: HTTP errors and non-zero codes become AdapterErrors. */
function unwrap(operation: string, outcome: HttpOutcome): unknown {
  const envelope = envelopeSchema.safeParse(outcome.body);
  if (!outcome.ok) {
    const detail = envelope.success ? `code ${envelope.data.code} ${envelope.data.msg}` : '';
    throw httpStatusError(SYSTEM, operation, outcome.status, detail);
  }
  if (!envelope.success) {
    throw new AdapterError('APPROVAL_BAD_RESPONSE', `${SYSTEM} ${operation}: answer is not a {code,msg,data} envelope (${zodIssues(envelope.error)})`);
  }
  if (envelope.data.code !== 0) {
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} ${operation}: business error ${envelope.data.code} ${envelope.data.msg}`);
  }
  return envelope.data.data;
}

export function createNanhaiAdapter(opts: NanhaiAdapterOptions): ApprovalAdapter {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = opts.now ?? Date.now;
  const client = createClient<paths>({
    baseUrl: opts.baseUrl,
    fetch: (request) => (opts.fetch ?? globalThis.fetch)(request),
  });
  const badResponse = (why: string) => new AdapterError('APPROVAL_BAD_RESPONSE', `${SYSTEM}: ${why}`);

  return {
    district: 'nanhai',

    async submit(submission) {
      const body = toNanhaiRequest(submission);
      const outcome = await callApi(SYSTEM, 'submit', timeoutMs, (signal) =>
        client.POST('/nh/open/v1/case/submit', {
          params: { header: { 'Idempotency-Key': submission.caseNo } },
          body,
          signal,
        }),
      );
      const parsed = caseRefSchema.safeParse(unwrap('submit', outcome));
      if (!parsed.success) throw badResponse(`submit data does not match the spec (${zodIssues(parsed.error)})`);
      return { localNo: parsed.data.caseId };
    },

    async changesSince(cursor) {
      const query: { size: number; cursor?: string } = { size: EVENTS_PAGE_SIZE };
      if (cursor !== undefined && cursor !== '') query.cursor = cursor;
      const outcome = await callApi(SYSTEM, 'events', timeoutMs, (signal) =>
        client.GET('/nh/open/v1/events', { params: { query }, signal }),
      );
      const parsed = eventsPageSchema.safeParse(unwrap('events', outcome));
      if (!parsed.success) throw badResponse(`events data does not match the spec (${zodIssues(parsed.error)})`);
      return {
        events: parsed.data.list.map((event) => fromNanhaiEvent(event, badResponse)),
        cursor: parsed.data.nextCursor,
      };
    },

    parseCallback(rawBody, headers) {
      const unauthenticated = (why: string) => new AdapterError('CALLBACK_UNAUTHENTICATED', `${SYSTEM} callback: ${why}`);
      const timestamp = headerValue(headers, NANHAI_TIMESTAMP_HEADER);
      const sign = headerValue(headers, NANHAI_SIGN_HEADER);
      if (timestamp === undefined || sign === undefined) {
        throw unauthenticated(`${NANHAI_TIMESTAMP_HEADER} and ${NANHAI_SIGN_HEADER} are required`);
      }
      if (!/^\d{1,12}$/.test(timestamp)) throw unauthenticated(`${NANHAI_TIMESTAMP_HEADER} is not epoch seconds`);
      const expected = hmacSha256Hex(opts.callbackSecret, Buffer.concat([Buffer.from(`${timestamp}.`), rawBody]));
      if (!hexMacMatches(sign.trim(), expected)) throw unauthenticated(`${NANHAI_SIGN_HEADER} does not match`);
      const skewSeconds = Math.abs(now() / 1000 - Number(timestamp));
      if (skewSeconds > NANHAI_MAX_SKEW_SECONDS) {
        throw unauthenticated(`${NANHAI_TIMESTAMP_HEADER} is ${Math.round(skewSeconds)} s away from our clock (max ${NANHAI_MAX_SKEW_SECONDS})`);
      }
      const parsed = eventSchema.safeParse(parseJsonBody(SYSTEM, rawBody));
      if (!parsed.success) {
        throw new AdapterError('CALLBACK_MALFORMED', `${SYSTEM} callback: body does not match the spec (${zodIssues(parsed.error)})`);
      }
      return [fromNanhaiEvent(parsed.data, (why) => new AdapterError('CALLBACK_MALFORMED', `${SYSTEM} callback: ${why}`))];
    },
  };
}
