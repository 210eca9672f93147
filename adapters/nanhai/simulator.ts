/**
 * Simulator of 南海区行政审批系统 (Nanhai approval system) serving ./openapi.yaml on loopback,
 * for tests, the demo and local runs. Shared mechanics live in ../simulator-kit.ts; the items it
 * knows (codes, form field names, material codes) are the catalog's matters handled by Nanhai.
 */
import type { Request, Response } from 'express';
import { formatBeijingIso } from '../beijing-time.js';
import { hmacSha256Hex } from '../adapter-kit.js';
import {
  startSimulator,
  type DistrictSimulator,
  type Lifecycle,
  type SimChange,
  type SimErrorReason,
  type SimRecord,
  type SimulatorHandle,
  type SimulatorKit,
  type SimulatorOptions,
} from '../simulator-kit.js';
import { issuePaths, loadSpecSchemas } from '../spec-schemas.js';
import { NH_CODE } from './adapter.js';
import type { components } from './generated/approval-api.js';

type Schemas = components['schemas'];
export type NanhaiSimulatorOptions = SimulatorOptions;
export { NH_CODE };

/** The system's status words. Keyed by the shared lifecycle; the catalog's `systems.nanhai` is the inverse. */
export const NANHAI_STATUS: Record<Lifecycle, Schemas['NhStatus']> = {
  registered: 'RECEIVED',
  accepted: 'ACCEPTED',
  supplement_requested: 'NEED_SUPPLEMENT',
  supplement_received: 'SUPPLEMENTED',
  approved: 'APPROVED',
  rejected: 'DENIED',
};
/** What the `unknown_status` fault puts in place of every status word. */
export const NANHAI_UNKNOWN_STATUS = 'SUSPENDED';
/** What the `unknown_field` fault adds to every record of an answer. */
export const NANHAI_UNKNOWN_FIELD = 'extInfo';

const ERROR_CODE: Record<SimErrorReason, number> = {
  bad_request: NH_CODE.badRequest,
  not_found: NH_CODE.notFound,
  internal: NH_CODE.internal,
};

function nhError(res: Response, httpStatus: number, code: number, msg: string): void {
  const body: Schemas['NhErrorEnvelope'] = { code, msg, data: null };
  res.status(httpStatus).json(body);
}

function ok<T>(res: Response, data: T): void {
  res.status(200).json({ code: NH_CODE.ok, msg: 'ok', data });
}

const CURSOR_PREFIX = 'nh-events:';
const encodeCursor = (seq: number): string => Buffer.from(`${CURSOR_PREFIX}${seq}`).toString('base64url');
function decodeCursor(cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^nh-events:(\d{1,15})$/.exec(text);
  return m ? Number(m[1]) : undefined;
}

const eventId = (seq: number): string => `NHEV${String(seq).padStart(12, '0')}`;
const KEY_RE = /^[!-~]{1,64}$/;

/** One change as the feed lists it and the callback pushes it. */
function changeBody(change: SimChange, record: SimRecord): Schemas['NhEvent'] {
  return {
    eventId: eventId(change.seq),
    caseId: record.localNo,
    extRef: record.externalRef,
    status: NANHAI_STATUS[change.lifecycle],
    occurredAt: formatBeijingIso(change.at),
    remark: change.note,
  };
}

/** The Idempotency-Key of a POST, or a 40000 answer. */
function idempotencyKey(req: Request, res: Response, kit: SimulatorKit): string | undefined {
  const key = req.get('Idempotency-Key');
  if (key === undefined || !KEY_RE.test(key)) {
    kit.rejected(req, 'Idempotency-Key missing or not 1-64 printable characters');
    nhError(res, 400, NH_CODE.badRequest, 'Idempotency-Key header is required (1-64 printable characters)');
    return undefined;
  }
  return key;
}

function disguise(body: unknown, fault: 'unknown_status' | 'unknown_field'): unknown {
  const spoil = (o: unknown): unknown => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
    const copy: Record<string, unknown> = { ...(o as Record<string, unknown>) };
    if (fault === 'unknown_status') {
      for (const key of ['status', 'decision']) if (typeof copy[key] === 'string') copy[key] = NANHAI_UNKNOWN_STATUS;
    } else {
      copy[NANHAI_UNKNOWN_FIELD] = {};
    }
    if (Array.isArray(copy['list'])) copy['list'] = copy['list'].map(spoil);
    return copy;
  };
  // The envelope stays as it is; its data is the record.
  if (body !== null && typeof body === 'object' && 'data' in body) {
    const envelope = body as { data: unknown };
    return envelope.data === null ? body : { ...envelope, data: spoil(envelope.data) };
  }
  return body;
}

export function nanhaiDistrict(): DistrictSimulator {
  const spec = loadSpecSchemas(new URL('./openapi.yaml', import.meta.url));
  const submitSchema = spec.schema('NhSubmitRequest');
  const supplementSchema = spec.schema('NhSupplementRequest');
  const registrationSchema = spec.schema('NhCallbackRegistration');

  return {
    district: 'nanhai',
    basePath: '/nh/open/v1',
    spec,
    statusCode: NANHAI_STATUS,
    // NH- + year + 6-digit sequence = 10 digits.
    formatLocalNo: (n, atMs) => `NH-${formatBeijingIso(atMs).slice(0, 4)}${String(n % 1_000_000).padStart(6, '0')}`,
    formatReceiptNo: (n, atMs) => `SUP-${formatBeijingIso(atMs).slice(0, 4)}${String(n % 100_000_000).padStart(8, '0')}`,
    formatDocumentNo: (n, atMs, decision) => `NH${decision === 'approved' ? 'XK' : 'BY'}${formatBeijingIso(atMs).slice(0, 4)}${String(n).padStart(6, '0')}`,
    changeBody,
    callbackHeaders(rawBody, secret, nowMs) {
      const timestamp = String(Math.floor(nowMs / 1000));
      return { 'X-NH-Timestamp': timestamp, 'X-NH-Sign': hmacSha256Hex(secret, `${timestamp}.${rawBody}`) };
    },
    sendError: (res, httpStatus, reason, message) => nhError(res, httpStatus, ERROR_CODE[reason], message),
    disguise,

    mount(router, kit) {
      router.post('/case/submit', async (req, res) => {
        const key = idempotencyKey(req, res, kit);
        if (key === undefined) return;
        const parsed = submitSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return nhError(res, 400, NH_CODE.badRequest, `invalid request: ${issuePaths(parsed.error)}`);
        }
        const body = parsed.data as Schemas['NhSubmitRequest'];
        // Business errors: HTTP 200 with a non-zero code.
        const matter = kit.matterByCode(body.itemCode);
        if (!matter) {
          kit.rejected(req, `unknown item code ${body.itemCode}`);
          return nhError(res, 200, NH_CODE.unknownItem, `item code not found: ${body.itemCode}`);
        }
        const materialCodes = body.attachments.map((a) => a.materialCode);
        const problems = kit.checkApplication(matter, body.formData, materialCodes);
        if (problems.length > 0) {
          kit.rejected(req, problems.join('; '));
          return nhError(res, 200, NH_CODE.formMismatch, `formData or attachments do not fit the item: ${problems.join('; ')}`);
        }
        const submitted = await kit.submit({
          key,
          externalRef: body.extRef,
          matterCode: body.itemCode,
          formFields: Object.keys(body.formData),
          materialCodes,
          request: body,
        });
        if (submitted.outcome === 'key_conflict') {
          kit.rejected(req, `Idempotency-Key already used for ${submitted.existing.localNo}`);
          return nhError(res, 200, NH_CODE.idempotencyConflict, 'Idempotency-Key already used for another request');
        }
        ok<Schemas['NhCaseRef']>(res, { caseId: submitted.record.localNo });
      });

      router.get('/case/:caseId', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['caseId']));
        if (!record) return nhError(res, 404, NH_CODE.notFound, 'case not found');
        const request = record.request as Schemas['NhSubmitRequest'];
        ok<Schemas['NhCase']>(res, {
          caseId: record.localNo,
          extRef: record.externalRef,
          itemCode: record.matterCode,
          status: NANHAI_STATUS[record.lifecycle],
          updatedAt: formatBeijingIso(record.statusAt),
          applyTime: request.applyTime,
          sourceRegion: request.sourceRegion,
          applicant: request.applicant,
          formData: request.formData,
          attachments: request.attachments,
        });
      });

      router.get('/case/:caseId/status', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['caseId']));
        if (!record) return nhError(res, 404, NH_CODE.notFound, 'case not found');
        ok<Schemas['NhCaseStatus']>(res, {
          caseId: record.localNo,
          extRef: record.externalRef,
          itemCode: record.matterCode,
          status: NANHAI_STATUS[record.lifecycle],
          updatedAt: formatBeijingIso(record.statusAt),
          remark: record.note,
        });
      });

      router.post('/case/:caseId/supplement', async (req, res) => {
        const key = idempotencyKey(req, res, kit);
        if (key === undefined) return;
        const parsed = supplementSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return nhError(res, 400, NH_CODE.badRequest, `invalid request: ${issuePaths(parsed.error)}`);
        }
        const record = kit.findByLocalNo(String(req.params['caseId']));
        if (!record) return nhError(res, 404, NH_CODE.notFound, 'case not found');
        const body = parsed.data as Schemas['NhSupplementRequest'];
        const materialCodes = body.attachments.map((a) => a.materialCode);
        const matter = kit.matterByCode(record.matterCode);
        const problems = matter ? kit.checkMaterials(matter, materialCodes) : [];
        if (problems.length > 0) {
          kit.rejected(req, problems.join('; '));
          return nhError(res, 200, NH_CODE.formMismatch, `attachments do not fit the item: ${problems.join('; ')}`);
        }
        const filed = await kit.supplement(record, { key, supplementId: body.supplementRef, materialCodes, note: body.remark, request: body });
        switch (filed.outcome) {
          case 'key_conflict':
            kit.rejected(req, 'Idempotency-Key already used for another supplement');
            return nhError(res, 200, NH_CODE.idempotencyConflict, 'Idempotency-Key already used for another request');
          case 'not_awaiting':
            kit.rejected(req, `case ${record.localNo} is not waiting for a supplement`);
            return nhError(res, 200, NH_CODE.notAwaitingSupplement, 'case is not waiting for a supplement');
          case 'created':
          case 'existing':
            return ok<Schemas['NhSupplementReceipt']>(res, { receiptNo: filed.supplement.receiptNo, caseId: record.localNo });
        }
      });

      router.get('/case/:caseId/result', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['caseId']));
        if (!record) return nhError(res, 404, NH_CODE.notFound, 'case not found');
        const result = record.result;
        if (!result) return nhError(res, 200, NH_CODE.resultNotReady, 'result not issued yet');
        ok<Schemas['NhResult']>(res, {
          caseId: record.localNo,
          extRef: record.externalRef,
          decision: result.decision === 'approved' ? 'APPROVED' : 'DENIED',
          documentName: result.documentName,
          documentNo: result.documentNo,
          issuedAt: formatBeijingIso(result.issuedAt),
          reason: result.reason,
        });
      });

      router.get('/events', (req, res) => {
        const { cursor, size } = req.query;
        let after = 0;
        if (cursor !== undefined && cursor !== '') {
          const decoded = typeof cursor === 'string' ? decodeCursor(cursor) : undefined;
          if (decoded === undefined) {
            kit.rejected(req, 'cursor not recognised');
            return nhError(res, 400, NH_CODE.badRequest, 'invalid cursor');
          }
          after = decoded;
        }
        let pageSize = 50;
        if (size !== undefined) {
          if (typeof size !== 'string' || !/^\d{1,4}$/.test(size) || Number(size) < 1 || Number(size) > 200) {
            kit.rejected(req, 'size out of range');
            return nhError(res, 400, NH_CODE.badRequest, 'size must be 1-200');
          }
          pageSize = Number(size);
        }
        const found = kit.changesAfter(after, pageSize);
        const last = found.at(-1)?.change.seq ?? after;
        ok<Schemas['NhEventsPage']>(res, {
          list: found.map(({ change, record }) => changeBody(change, record)),
          nextCursor: encodeCursor(last),
        });
      });

      router.post('/callback/register', async (req, res) => {
        const parsed = registrationSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return nhError(res, 400, NH_CODE.badRequest, `invalid request: ${issuePaths(parsed.error)}`);
        }
        const { callbackUrl } = parsed.data as Schemas['NhCallbackRegistration'];
        const { url, at } = await kit.registerCallback(callbackUrl);
        ok<Schemas['NhCallbackSubscription']>(res, { callbackUrl: url, registeredAt: formatBeijingIso(at) });
      });
    },
  };
}

export function startNanhaiSimulator(opts: NanhaiSimulatorOptions): Promise<SimulatorHandle> {
  return startSimulator(nanhaiDistrict(), opts);
}
