/**
 * Adapter to 荔湾区政务服务平台 (Liwan approval system), API v2 — see ./openapi.yaml.
 * Pinyin-abbreviated fields, two-digit status codes (mapped through the catalog's table), Beijing
 * local times without offset, errors as HTTP status + { cwdm, cwxx }, idempotent POSTs keyed by
 * `X-LW-Qqlsh` (请求流水号), callbacks signed `X-LW-Signature: sha256=<hmac(body)>`.
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
import { formatBeijingIso, formatBeijingLocal, parseBeijingLocal, parseIsoInstant } from '../beijing-time.js';
import { decisionFromCode, localMatterCode, statusFromCode, toDistrictForm, toDistrictMaterials, type DistrictMaterial } from '../form-mapping.js';
import type { District } from '../../gateway/domain/district.js';
import type { components, paths } from './generated/approval-api.js';

type Schemas = components['schemas'];
export type LiwanAdapterOptions = AdapterOptions;

const SYSTEM = 'liwan approval system';
export const LIWAN_SIGNATURE_HEADER = 'X-LW-Signature';
/** 请求流水号: the idempotency key of every POST. */
export const LIWAN_REQUEST_NO_HEADER = 'X-LW-Qqlsh';
const CHANGES_PAGE_SIZE = 100;
const SLBH_RE = /^LW[0-9]{14}$/;
/** 办结结果尚未出具: the result is asked for before the decision record exists. */
export const LIWAN_NOT_READY = 'E1006';

/** 收件地 area codes. */
const AREA_CODE: Record<District, Schemas['LwAreaCode']> = { liwan: '440103', nanhai: '440605' };

// Strict response schemas (every object of the spec is closed): a field the spec does not name is
// UNKNOWN_FIELD. Status codes stay strings here, so a code missing from the catalog's table is
// UNKNOWN_STATUS rather than a bad body. The Assert lines make the compiler hold them to the spec.
const localTime = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
const slbh = z.string().regex(SLBH_RE);
const submitResponseSchema = z.strictObject({ slbh });
const changeSchema = z.strictObject({
  xh: z.number().int().min(1),
  slbh,
  wbbh: z.string(),
  zt: z.string(),
  ztsj: localTime,
  bz: z.string(),
});
const changesPageSchema = z.strictObject({ items: z.array(changeSchema), next: z.number().int().min(0) });
const statusRecordSchema = z.strictObject({ slbh, wbbh: z.string(), sxbm: z.string(), zt: z.string(), ztsj: localTime, bz: z.string() });
const subscriptionSchema = z.strictObject({ hddz: z.string(), gxsj: localTime });
const supplementResponseSchema = z.strictObject({ bzslh: z.string().regex(/^BZ[0-9]{14}$/), slbh });
const resultSchema = z.strictObject({
  slbh,
  wbbh: z.string(),
  zt: z.string(),
  wsmc: z.string().min(1),
  wsbh: z.string().min(1),
  qfsj: localTime,
  ly: z.string(),
});
const errorSchema = z.object({ cwdm: z.string(), cwxx: z.string() });

export type _LiwanSchemasMatchSpec = [
  Assert<Exactly<z.infer<typeof submitResponseSchema>, Schemas['LwSubmitResponse']>>,
  Assert<Exactly<z.infer<typeof changeSchema>, Widen<Schemas['LwChange'], 'zt'>>>,
  Assert<Exactly<z.infer<typeof changesPageSchema>, Widen<Schemas['LwChangesPage'], 'items', Widen<Schemas['LwChange'], 'zt'>[]>>>,
  Assert<Exactly<z.infer<typeof statusRecordSchema>, Widen<Schemas['LwStatusRecord'], 'zt'>>>,
  Assert<Exactly<z.infer<typeof subscriptionSchema>, Schemas['LwSubscription']>>,
  Assert<Exactly<z.infer<typeof supplementResponseSchema>, Schemas['LwSupplementResponse']>>,
  Assert<Exactly<z.infer<typeof resultSchema>, Widen<Schemas['LwResult'], 'zt'>>>,
];

type LiwanChange = z.infer<typeof changeSchema>;

function toLiwanMaterial(m: DistrictMaterial): Schemas['LwMaterial'] {
  return { clbm: m.code, mc: m.name, lx: m.form === 'original' ? 'YJ' : 'FYJ', fs: m.copies };
}

/** The submit body for Liwan: catalog-mapped form (`bdsj`) and material codes (`clbm`). */
export function toLiwanRequest(s: ApprovalSubmission): Schemas['LwSubmitRequest'] {
  const sxbm = localMatterCode(SYSTEM, s.matter, 'liwan');
  const { applicant } = s.application;
  const zjhm = applicant.kind === 'person' ? applicant.idNumber : applicant.creditCode;
  if (!zjhm) {
    const field = applicant.kind === 'person' ? 'idNumber' : 'creditCode';
    throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} submit: a ${applicant.kind} applicant needs ${field}`);
  }
  const sqr: Schemas['LwApplicant'] = {
    lx: applicant.kind === 'person' ? '1' : '2',
    mc: applicant.name,
    zjhm,
    sjhm: applicant.phone,
  };
  if (applicant.address !== undefined) sqr.dz = applicant.address;
  return {
    sxbm,
    wbbh: s.caseNo,
    sqr,
    bdsj: toDistrictForm(SYSTEM, s.matter, 'liwan', s.application.form),
    cl: toDistrictMaterials(SYSTEM, s.matter, 'liwan', s.application.materials).map(toLiwanMaterial),
    sqsj: formatBeijingLocal(instantMs(SYSTEM, 'submit', 'submittedAt', s.submittedAt, parseIsoInstant)),
    sqd: AREA_CODE[s.originDistrict],
  };
}

/** The supplement body for Liwan: `bzbh` is the supplement id, materials carry `clbm`. */
export function toLiwanSupplement(s: SupplementSubmission): Schemas['LwSupplementRequest'] {
  if (s.materials.length === 0) throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} submitSupplement: no materials`);
  return {
    bzbh: s.supplementId,
    cl: toDistrictMaterials(SYSTEM, s.matter, 'liwan', s.materials, 'submitSupplement').map(toLiwanMaterial),
    sm: s.note,
    tjsj: formatBeijingLocal(instantMs(SYSTEM, 'submitSupplement', 'submittedAt', s.submittedAt, parseIsoInstant)),
  };
}

/** A Liwan local time as the shared ISO instant with +08:00, or `bad(why)`. */
function isoFromLocal(text: string, what: string, bad: (why: string) => AdapterError): string {
  const ms = parseBeijingLocal(text);
  if (ms === undefined) throw bad(`${what} is not a real yyyy-MM-dd HH:mm:ss`);
  return formatBeijingIso(ms);
}

/** Maps one change (from the feed or a callback) to the shared event. */
export function fromLiwanChange(
  change: LiwanChange,
  statuses: Readonly<Record<string, ApprovalStatus>>,
  onBadTime: (why: string) => AdapterError,
): ApprovalStatusEvent {
  return {
    eventId: `lw-${change.xh}`,
    caseNo: change.wbbh,
    localNo: change.slbh,
    status: statusFromCode(SYSTEM, statuses, change.zt, `${change.slbh} xh ${change.xh}`),
    at: isoFromLocal(change.ztsj, `ztsj of xh ${change.xh}`, onBadTime),
    note: change.bz,
  };
}

function errorDetail(body: unknown): { cwdm?: string; text: string } {
  const parsed = errorSchema.safeParse(body);
  return parsed.success ? { cwdm: parsed.data.cwdm, text: `${parsed.data.cwdm} ${parsed.data.cwxx}` } : { text: '' };
}

export function createLiwanAdapter(opts: LiwanAdapterOptions): ApprovalAdapter {
  const { statuses } = opts;
  const caller = createCaller(SYSTEM, opts);
  const client = createClient<paths>({
    baseUrl: opts.baseUrl,
    fetch: (request) => (opts.fetch ?? globalThis.fetch)(request),
  });
  const bad = (operation: string) => (why: string) => new AdapterError('APPROVAL_BAD_RESPONSE', `${SYSTEM} ${operation}: ${why}`);

  /** The body of a 2xx answer with one of `expected` statuses, or the AdapterError for the answer. */
  function answer(operation: string, outcome: HttpOutcome, expected: readonly number[] = [200]): unknown {
    if (!outcome.ok) {
      const detail = errorDetail(outcome.body);
      if (outcome.status === 409 && detail.cwdm === LIWAN_NOT_READY) {
        throw new AdapterError('APPROVAL_NOT_READY', `${SYSTEM} ${operation}: ${detail.text}`);
      }
      throw httpStatusError(SYSTEM, operation, outcome.status, detail.text);
    }
    if (!expected.includes(outcome.status)) throw bad(operation)(`answered HTTP ${outcome.status}, expected ${expected.join(' or ')}`);
    return outcome.body;
  }

  return {
    district: 'liwan',

    async submit(submission) {
      const body = toLiwanRequest(submission);
      return caller.run('submit', async () => {
        const outcome = await callApi(SYSTEM, 'submit', caller.timeoutMs, (signal) =>
          client.POST('/lw/api/v2/applications', { params: { header: { 'X-LW-Qqlsh': submission.caseNo } }, body, signal }),
        );
        const parsed = parseStrict(SYSTEM, 'submit answer', submitResponseSchema, answer('submit', outcome, [200, 201]), bad('submit'));
        return { localNo: parsed.slbh };
      });
    },

    async changesSince(cursor) {
      const since = cursor === undefined || cursor === '' ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
      if (!Number.isSafeInteger(since)) {
        throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} changes: cursor is not a sequence number`);
      }
      return caller.run('changes', async () => {
        const outcome = await callApi(SYSTEM, 'changes', caller.timeoutMs, (signal) =>
          client.GET('/lw/api/v2/changes', { params: { query: { since, limit: CHANGES_PAGE_SIZE } }, signal }),
        );
        const page = parseStrict(SYSTEM, 'changes page', changesPageSchema, answer('changes', outcome), bad('changes'));
        const items = [...page.items].sort((a, b) => a.xh - b.xh);
        return {
          events: items.map((item) => fromLiwanChange(item, statuses, bad('changes'))),
          cursor: String(Math.max(page.next, since)),
        };
      });
    },

    parseCallback(rawBody, headers) {
      const presented = headerValue(headers, LIWAN_SIGNATURE_HEADER);
      if (presented === undefined) {
        throw new AdapterError('CALLBACK_UNAUTHENTICATED', `${SYSTEM} callback: ${LIWAN_SIGNATURE_HEADER} missing`);
      }
      const match = /^sha256=(.+)$/.exec(presented.trim());
      const expected = hmacSha256Hex(opts.callbackSecret, rawBody);
      if (!match?.[1] || !hexMacMatches(match[1], expected)) {
        throw new AdapterError('CALLBACK_UNAUTHENTICATED', `${SYSTEM} callback: ${LIWAN_SIGNATURE_HEADER} does not match the body`);
      }
      const malformed = (why: string) => new AdapterError('CALLBACK_MALFORMED', `${SYSTEM} callback: ${why}`);
      const change = parseStrict(SYSTEM, 'callback', changeSchema, parseJsonBody(SYSTEM, rawBody), malformed);
      return [fromLiwanChange(change, statuses, malformed)];
    },

    async registerCallback(url) {
      const hddz = checkCallbackUrl(SYSTEM, url);
      await caller.run('registerCallback', async () => {
        const outcome = await callApi(SYSTEM, 'registerCallback', caller.timeoutMs, (signal) =>
          client.PUT('/lw/api/v2/subscription', { body: { hddz }, signal }),
        );
        const sub = parseStrict(SYSTEM, 'subscription', subscriptionSchema, answer('registerCallback', outcome), bad('registerCallback'));
        if (sub.hddz !== hddz) throw bad('registerCallback')('the address in force is not the one registered');
      });
    },

    async getStatus(localNo) {
      checkLocalNo(SYSTEM, 'getStatus', localNo, SLBH_RE);
      return caller.run('getStatus', async () => {
        const outcome = await callApi(SYSTEM, 'getStatus', caller.timeoutMs, (signal) =>
          client.GET('/lw/api/v2/applications/{slbh}/status', { params: { path: { slbh: localNo } }, signal }),
        );
        const record = parseStrict(SYSTEM, 'status record', statusRecordSchema, answer('getStatus', outcome), bad('getStatus'));
        if (record.slbh !== localNo) throw bad('getStatus')('the record is of another application');
        return {
          caseNo: record.wbbh,
          localNo: record.slbh,
          status: statusFromCode(SYSTEM, statuses, record.zt, `status of ${record.slbh}`),
          at: isoFromLocal(record.ztsj, 'ztsj', bad('getStatus')),
        };
      });
    },

    async submitSupplement(supplement) {
      checkLocalNo(SYSTEM, 'submitSupplement', supplement.localNo, SLBH_RE);
      const body = toLiwanSupplement(supplement);
      return caller.run('submitSupplement', async () => {
        const outcome = await callApi(SYSTEM, 'submitSupplement', caller.timeoutMs, (signal) =>
          client.POST('/lw/api/v2/applications/{slbh}/supplements', {
            params: { path: { slbh: supplement.localNo }, header: { 'X-LW-Qqlsh': supplement.supplementId } },
            body,
            signal,
          }),
        );
        const receipt = parseStrict(
          SYSTEM,
          'supplement receipt',
          supplementResponseSchema,
          answer('submitSupplement', outcome, [200, 201]),
          bad('submitSupplement'),
        );
        if (receipt.slbh !== supplement.localNo) throw bad('submitSupplement')('the receipt is of another application');
        return { receiptNo: receipt.bzslh };
      });
    },

    async fetchResult(localNo) {
      checkLocalNo(SYSTEM, 'fetchResult', localNo, SLBH_RE);
      return caller.run('fetchResult', async () => {
        const outcome = await callApi(SYSTEM, 'fetchResult', caller.timeoutMs, (signal) =>
          client.GET('/lw/api/v2/applications/{slbh}/result', { params: { path: { slbh: localNo } }, signal }),
        );
        const result = parseStrict(SYSTEM, 'result record', resultSchema, answer('fetchResult', outcome), bad('fetchResult'));
        if (result.slbh !== localNo) throw bad('fetchResult')('the record is of another application');
        return {
          caseNo: result.wbbh,
          localNo: result.slbh,
          decision: decisionFromCode(SYSTEM, statuses, result.zt, `result of ${result.slbh}`),
          documentName: result.wsmc,
          documentNo: result.wsbh,
          issuedAt: isoFromLocal(result.qfsj, 'qfsj', bad('fetchResult')),
          reason: result.ly,
        };
      });
    },

    health: () => caller.health(),
  };
}
