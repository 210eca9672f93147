/**
 * Adapter to 荔湾区政务服务平台 (Liwan approval system), API v2 — see ./openapi.yaml.
 * Pinyin-abbreviated fields, two-digit status codes, Beijing local times without offset,
 * callbacks signed `X-LW-Signature: sha256=<hmac(body)>`.
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
} from '../adapter-kit.js';
import { formatBeijingIso, formatBeijingLocal, parseBeijingLocal, parseIsoInstant } from '../beijing-time.js';
import type { District } from '../../gateway/domain/district.js';
import type { components, paths } from './generated/approval-api.js';

type Schemas = components['schemas'];
export type LiwanAdapterOptions = AdapterOptions;

const SYSTEM = 'liwan approval system';
export const LIWAN_SIGNATURE_HEADER = 'X-LW-Signature';
const CHANGES_PAGE_SIZE = 100;

/** 办件状态 → shared status. Keyed by the spec's enum, so a new code in the spec fails to compile here. */
const STATUS_FROM_LIWAN: Record<Schemas['LwStatus'], ApprovalStatus> = {
  '01': 'registered',
  '02': 'accepted',
  '03': 'supplement_requested',
  '04': 'approved',
  '05': 'rejected',
};

/** 收件地 area codes. */
const AREA_CODE: Record<District, Schemas['LwAreaCode']> = { liwan: '440103', nanhai: '440605' };

// Small response schemas: statuses stay strings so an unknown code is UNKNOWN_STATUS, not a bad body.
const submitResponseSchema = z.object({ slbh: z.string().min(1) });
const changeSchema = z.object({
  xh: z.number().int().positive(),
  slbh: z.string().min(1),
  wbbh: z.string(),
  zt: z.string(),
  ztsj: z.string(),
  bz: z.string(),
});
const changesPageSchema = z.object({ items: z.array(changeSchema), next: z.number().int().nonnegative() });
const errorSchema = z.object({ cwdm: z.string(), cwxx: z.string() });

type LiwanChange = z.infer<typeof changeSchema>;

export function toLiwanRequest(s: ApprovalSubmission): Schemas['LwSubmitRequest'] {
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
    sxbm: s.localMatterCode,
    wbbh: s.caseNo,
    sqr,
    bdsj: { ...s.application.form },
    cl: s.application.materials.map((m) => ({ mc: m.name, lx: m.form === 'original' ? 'YJ' : 'FYJ', fs: m.copies })),
    sqsj: formatBeijingLocal(submittedAtMs(SYSTEM, s.submittedAt, parseIsoInstant)),
    sqd: AREA_CODE[s.originDistrict],
  };
}

/** Maps one change (from the feed or a callback) to the shared event. */
export function fromLiwanChange(change: LiwanChange, onBadTime: (why: string) => AdapterError): ApprovalStatusEvent {
  const status = Object.hasOwn(STATUS_FROM_LIWAN, change.zt) ? STATUS_FROM_LIWAN[change.zt as Schemas['LwStatus']] : undefined;
  if (status === undefined) {
    throw new AdapterError('UNKNOWN_STATUS', `${SYSTEM}: unknown status code "${change.zt}" for ${change.slbh} (xh ${change.xh})`);
  }
  const at = parseBeijingLocal(change.ztsj);
  if (at === undefined) throw onBadTime(`ztsj of xh ${change.xh} is not yyyy-MM-dd HH:mm:ss`);
  return {
    eventId: `lw-${change.xh}`,
    caseNo: change.wbbh,
    localNo: change.slbh,
    status,
    at: formatBeijingIso(at),
    note: change.bz,
  };
}

function errorDetail(body: unknown): string {
  const parsed = errorSchema.safeParse(body);
  return parsed.success ? `${parsed.data.cwdm} ${parsed.data.cwxx}` : '';
}

export function createLiwanAdapter(opts: LiwanAdapterOptions): ApprovalAdapter {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = createClient<paths>({
    baseUrl: opts.baseUrl,
    fetch: (request) => (opts.fetch ?? globalThis.fetch)(request),
  });
  const badResponse = (why: string) => new AdapterError('APPROVAL_BAD_RESPONSE', `${SYSTEM}: ${why}`);

  return {
    district: 'liwan',

    async submit(submission) {
      const body = toLiwanRequest(submission);
      const outcome = await callApi(SYSTEM, 'submit', timeoutMs, (signal) =>
        client.POST('/lw/api/v2/applications', { body, signal }),
      );
      if (!outcome.ok) throw httpStatusError(SYSTEM, 'submit', outcome.status, errorDetail(outcome.body));
      if (outcome.status !== 200 && outcome.status !== 201) {
        throw badResponse(`submit answered HTTP ${outcome.status}, expected 200 or 201`);
      }
      const parsed = submitResponseSchema.safeParse(outcome.body);
      if (!parsed.success) throw badResponse(`submit response does not match the spec (${zodIssues(parsed.error)})`);
      return { localNo: parsed.data.slbh };
    },

    async changesSince(cursor) {
      const since = cursor === undefined || cursor === '' ? 0 : Number(cursor);
      if (!Number.isSafeInteger(since) || since < 0) {
        throw new AdapterError('APPROVAL_REJECTED_REQUEST', `${SYSTEM} changes: cursor "${cursor}" is not a sequence number`);
      }
      const outcome = await callApi(SYSTEM, 'changes', timeoutMs, (signal) =>
        client.GET('/lw/api/v2/changes', { params: { query: { since, limit: CHANGES_PAGE_SIZE } }, signal }),
      );
      if (!outcome.ok) throw httpStatusError(SYSTEM, 'changes', outcome.status, errorDetail(outcome.body));
      const parsed = changesPageSchema.safeParse(outcome.body);
      if (!parsed.success) throw badResponse(`changes response does not match the spec (${zodIssues(parsed.error)})`);
      const items = [...parsed.data.items].sort((a, b) => a.xh - b.xh);
      return {
        events: items.map((item) => fromLiwanChange(item, badResponse)),
        cursor: String(Math.max(parsed.data.next, since)),
      };
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
      const parsed = changeSchema.safeParse(parseJsonBody(SYSTEM, rawBody));
      if (!parsed.success) {
        throw new AdapterError('CALLBACK_MALFORMED', `${SYSTEM} callback: body does not match the spec (${zodIssues(parsed.error)})`);
      }
      return [fromLiwanChange(parsed.data, (why) => new AdapterError('CALLBACK_MALFORMED', `${SYSTEM} callback: ${why}`))];
    },
  };
}
