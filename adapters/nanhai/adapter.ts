/**
 * Adapter to 南海区行政审批系统 (Nanhai approval system), Open API v1 — see ./openapi.yaml.
 * camelCase fields, status words (mapped through the catalog's table), every answer wrapped
 * `{ code, msg, data }` (business errors at HTTP 200), epoch-millisecond request times, ISO +08:00
 * answer and event times, idempotent POSTs keyed by `Idempotency-Key`, callbacks signed over
 * `<X-NH-Timestamp>.<body>` and refused when more than 300 s off.
 */
import createClient from 'openapi-fetch';
import { z } from 'zod';
import {
  AdapterError,
  type ApprovalAdapter,
  type ApprovalStatus,
  type ApprovalStatusEvent,
  type ApprovalSubmission,
  type SupplementSubmission,
} from '../adapter.js';
import {
  callApi,
  checkCallbackUrl,
  checkLocalNo,
  createCaller,
  headerValue,
  hexMacMatches,
  hmacSha256Hex,
  httpStatusError,
  instantMs,
  parseJsonBody,
  parseStrict,
  type AdapterOptions,
  type Assert,
  type Exactly,
  type HttpOutcome,
  type Widen,
} from '../adapter-kit.js';
import { formatBeijingIso, parseIsoInstant } from '../beijing-time.js';
import { decisionFromCode, localMatterCode, statusFromCode, toDistrictForm, toDistrictMaterials, type DistrictMaterial } from '../form-mapping.js';
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
const CASE_ID_RE = /^NH-[0-9]{10}$/;

/** Business codes of the wrapper (see the spec's description). */
export const NH_CODE = {
  ok: 0,
  unknownItem: 20001,
  idempotencyConflict: 20002,
  formMismatch: 20003,
  resultNotReady: 30001,
  notAwaitingSupplement: 30002,
  badRequest: 40000,
  notFound: 40400,
  internal: 50000,
} as const;

const REGION: Record<District, Schemas['NhRegion']> = { liwan: 'LIWAN', nanhai: 'NANHAI' };

// Strict schemas (every object of the spec is closed): a field the spec does not name is
// UNKNOWN_FIELD. Status words stay strings here, so a word missing from the catalog's table is
// UNKNOWN_STATUS rather than a bad body. The Assert lines make the compiler hold them to the spec.
const isoTime = z.string().regex(/\+08:00$/);
const caseId = z.string().regex(CASE_ID_RE);
const envelopeSchema = z.strictObject({ code: z.number().int(), msg: z.string(), data: z.unknown() });
const caseRefSchema = z.strictObject({ caseId });
const eventSchema = z.strictObject({
  eventId: z.string().min(1),
  caseId,
  extRef: z.string(),
  status: z.string(),
  occurredAt: isoTime,
  remark: z.string(),
});
const eventsPageSchema = z.strictObject({ list: z.array(eventSchema), nextCursor: z.string() });
const caseStatusSchema = z.strictObject({ caseId, extRef: z.string(), itemCode: z.string(), status: z.string(), updatedAt: isoTime, remark: z.string() });
const subscriptionSchema = z.strictObject({ callbackUrl: z.string(), registeredAt: isoTime });
const receiptSchema = z.strictObject({ receiptNo: z.string().regex(/^SUP-[0-9]{12}$/), caseId });
const resultSchema = z.strictObject({
  caseId,
  extRef: z.string(),
  decision: z.string(),
  documentName: z.string().min(1),
  documentNo: z.string().min(1),
  issuedAt: isoTime,
  reason: z.string(),
});
const errorEnvelopeSchema = z.object({ code: z.number().int(), msg: z.string() });

export type _NanhaiSchemasMatchSpec = [
  Assert<Exactly<z.infer<typeof caseRefSchema>, Schemas['NhCaseRef']>>,
  Assert<Exactly<z.infer<typeof eventSchema>, Widen<Schemas['NhEvent'], 'status'>>>,
  Assert<Exactly<z.infer<typeof eventsPageSchema>, Widen<Schemas['NhEventsPage'], 'list', Widen<Schemas['NhEvent'], 'status'>[]>>>,
  Assert<Exactly<z.infer<typeof caseStatusSchema>, Widen<Schemas['NhCaseStatus'], 'status'>>>,
  Assert<Exactly<z.infer<typeof subscriptionSchema>, Schemas['NhCallbackSubscription']>>,
  Assert<Exactly<z.infer<typeof receiptSchema>, Schemas['NhSupplementReceipt']>>,
  Assert<Exactly<z.infer<typeof resultSchema>, Widen<Schemas['NhResult'], 'decision'>>>,
];

type NanhaiEvent = z.infer<typeof eventSchema>;

function toNanhaiAttachment(m: DistrictMaterial): Schemas['NhAttachment'] {
  return { materialCode: m.code, title: m.name, original: m.form === 'original', count: m.copies };
}

/** The submit body for Nanhai: catalog-mapped `formData` and material codes. */
export function toNanhaiRequest(s: ApprovalSubmission): Schemas['NhSubmitRequest'] {
  const itemCode = localMatterCode(SYSTEM, s.matter, 'nanhai');
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
    itemCode,
    extRef: s.caseNo,
    applicant: nhApplicant,
    formData: toDistrictForm(SYSTEM, s.matter, 'nanhai', s.application.form),
    attachments: toDistrictMaterials(SYSTEM, s.matter, 'nanhai', s.application.materials).map(toNanhaiAttachment),
    applyTime: instantMs(SYSTEM, 'submit', 'submittedAt', s.submittedAt, parseIsoInstant),
    sourceRegion: REGION[s.originDistrict],
  };
}

/** The supplement body for Nanhai: `supplementRef` is the supplement id, times in epoch ms. */
export function toNanhaiSupplement(s: SupplementSubmission): Schemas['NhSupplementRequest'] {
  if (s.materials.length === 0) throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} submitSupplement: no materials`);
  return {
    supplementRef: s.supplementId,
    attachments: toDistrictMaterials(SYSTEM, s.matter, 'nanhai', s.materials, 'submitSupplement').map(toNanhaiAttachment),
    remark: s.note,
    submitTime: instantMs(SYSTEM, 'submitSupplement', 'submittedAt', s.submittedAt, parseIsoInstant),
  };
}

/** A Nanhai ISO time normalised to the shared form (+08:00, milliseconds), or `bad(why)`. */
function normalisedIso(text: string, what: string, bad: (why: string) => AdapterError): string {
  const ms = parseIsoInstant(text);
  if (ms === undefined) throw bad(`${what} is not an ISO 8601 instant with offset`);
  return formatBeijingIso(ms);
}

/** Maps one event (from the feed or a callback) to the shared event. */
export function fromNanhaiEvent(
  event: NanhaiEvent,
  statuses: Readonly<Record<string, ApprovalStatus>>,
  onBadTime: (why: string) => AdapterError,
): ApprovalStatusEvent {
  return {
    eventId: event.eventId,
    caseNo: event.extRef,
    localNo: event.caseId,
    status: statusFromCode(SYSTEM, statuses, event.status, `${event.caseId} event ${event.eventId}`),
    at: normalisedIso(event.occurredAt, `occurredAt of event ${event.eventId}`, onBadTime),
    note: event.remark,
  };
}

/**
 * Unwraps `{ code, msg, data }`. HTTP errors follow the HTTP status; at HTTP 200 a non-zero code is
 * a business error: 30001 (result not issued) is APPROVAL_NOT_READY, 5xxxx the system failing,
 * anything else a refused request.
 */
function unwrap(operation: string, outcome: HttpOutcome): unknown {
  if (!outcome.ok) {
    const envelope = errorEnvelopeSchema.safeParse(outcome.body);
    throw httpStatusError(SYSTEM, operation, outcome.status, envelope.success ? `code ${envelope.data.code} ${envelope.data.msg}` : '');
  }
  const bad = (why: string) => new AdapterError('APPROVAL_BAD_RESPONSE', `${SYSTEM} ${operation}: ${why}`);
  if (outcome.status !== 200) throw bad(`answered HTTP ${outcome.status}, expected 200`);
  const envelope = parseStrict(SYSTEM, `${operation} envelope`, envelopeSchema, outcome.body, (why) =>
    bad(`answer is not a {code,msg,data} envelope (${why})`),
  );
  const { code, msg } = envelope;
  if (code === NH_CODE.ok) return envelope.data;
  const text = `${SYSTEM} ${operation}: business error ${code} ${msg}`;
  if (code === NH_CODE.resultNotReady) throw new AdapterError('APPROVAL_NOT_READY', text);
  if (code >= 50000 && code < 60000) throw new AdapterError('APPROVAL_UNAVAILABLE', text);
  throw new AdapterError('APPROVAL_REJECTED_REQUEST', text);
}

export function createNanhaiAdapter(opts: NanhaiAdapterOptions): ApprovalAdapter {
  const { statuses } = opts;
  const now = opts.now ?? Date.now;
  const caller = createCaller(SYSTEM, opts);
  const client = createClient<paths>({
    baseUrl: opts.baseUrl,
    fetch: (request) => (opts.fetch ?? globalThis.fetch)(request),
  });
  const bad = (operation: string) => (why: string) => new AdapterError('APPROVAL_BAD_RESPONSE', `${SYSTEM} ${operation}: ${why}`);

  return {
    district: 'nanhai',

    async submit(submission) {
      const body = toNanhaiRequest(submission);
      return caller.run('submit', async () => {
        const outcome = await callApi(SYSTEM, 'submit', caller.timeoutMs, (signal) =>
          client.POST('/nh/open/v1/case/submit', { params: { header: { 'Idempotency-Key': submission.caseNo } }, body, signal }),
        );
        const ref = parseStrict(SYSTEM, 'submit data', caseRefSchema, unwrap('submit', outcome), bad('submit'));
        return { localNo: ref.caseId };
      });
    },

    async changesSince(cursor) {
      const query: { size: number; cursor?: string } = { size: EVENTS_PAGE_SIZE };
      if (cursor !== undefined && cursor !== '') query.cursor = cursor;
      return caller.run('events', async () => {
        const outcome = await callApi(SYSTEM, 'events', caller.timeoutMs, (signal) =>
          client.GET('/nh/open/v1/events', { params: { query }, signal }),
        );
        const page = parseStrict(SYSTEM, 'events page', eventsPageSchema, unwrap('events', outcome), bad('events'));
        return {
          events: page.list.map((event) => fromNanhaiEvent(event, statuses, bad('events'))),
          cursor: page.nextCursor,
        };
      });
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
      const malformed = (why: string) => new AdapterError('CALLBACK_MALFORMED', `${SYSTEM} callback: ${why}`);
      const event = parseStrict(SYSTEM, 'callback', eventSchema, parseJsonBody(SYSTEM, rawBody), malformed);
      return [fromNanhaiEvent(event, statuses, malformed)];
    },

    async registerCallback(url) {
      const callbackUrl = checkCallbackUrl(SYSTEM, url);
      await caller.run('registerCallback', async () => {
        const outcome = await callApi(SYSTEM, 'registerCallback', caller.timeoutMs, (signal) =>
          client.POST('/nh/open/v1/callback/register', { body: { callbackUrl }, signal }),
        );
        const sub = parseStrict(SYSTEM, 'callback registration', subscriptionSchema, unwrap('registerCallback', outcome), bad('registerCallback'));
        if (sub.callbackUrl !== callbackUrl) throw bad('registerCallback')('the URL in force is not the one registered');
      });
    },

    async getStatus(localNo) {
      checkLocalNo(SYSTEM, 'getStatus', localNo, CASE_ID_RE);
      return caller.run('getStatus', async () => {
        const outcome = await callApi(SYSTEM, 'getStatus', caller.timeoutMs, (signal) =>
          client.GET('/nh/open/v1/case/{caseId}/status', { params: { path: { caseId: localNo } }, signal }),
        );
        const record = parseStrict(SYSTEM, 'case status', caseStatusSchema, unwrap('getStatus', outcome), bad('getStatus'));
        if (record.caseId !== localNo) throw bad('getStatus')('the record is of another case');
        return {
          caseNo: record.extRef,
          localNo: record.caseId,
          status: statusFromCode(SYSTEM, statuses, record.status, `status of ${record.caseId}`),
          at: normalisedIso(record.updatedAt, 'updatedAt', bad('getStatus')),
        };
      });
    },

    async submitSupplement(supplement) {
      checkLocalNo(SYSTEM, 'submitSupplement', supplement.localNo, CASE_ID_RE);
      const body = toNanhaiSupplement(supplement);
      return caller.run('submitSupplement', async () => {
        const outcome = await callApi(SYSTEM, 'submitSupplement', caller.timeoutMs, (signal) =>
          client.POST('/nh/open/v1/case/{caseId}/supplement', {
            params: { path: { caseId: supplement.localNo }, header: { 'Idempotency-Key': supplement.supplementId } },
            body,
            signal,
          }),
        );
        const receipt = parseStrict(SYSTEM, 'supplement receipt', receiptSchema, unwrap('submitSupplement', outcome), bad('submitSupplement'));
        if (receipt.caseId !== supplement.localNo) throw bad('submitSupplement')('the receipt is of another case');
        return { receiptNo: receipt.receiptNo };
      });
    },

    async fetchResult(localNo) {
      checkLocalNo(SYSTEM, 'fetchResult', localNo, CASE_ID_RE);
      return caller.run('fetchResult', async () => {
        const outcome = await callApi(SYSTEM, 'fetchResult', caller.timeoutMs, (signal) =>
          client.GET('/nh/open/v1/case/{caseId}/result', { params: { path: { caseId: localNo } }, signal }),
        );
        const result = parseStrict(SYSTEM, 'result record', resultSchema, unwrap('fetchResult', outcome), bad('fetchResult'));
        if (result.caseId !== localNo) throw bad('fetchResult')('the record is of another case');
        return {
          caseNo: result.extRef,
          localNo: result.caseId,
          decision: decisionFromCode(SYSTEM, statuses, result.decision, `result of ${result.caseId}`),
          documentName: result.documentName,
          documentNo: result.documentNo,
          issuedAt: normalisedIso(result.issuedAt, 'issuedAt', bad('fetchResult')),
          reason: result.reason,
        };
      });
    },

    health: () => caller.health(),
  };
}
