/**
 * Simulator of 南海区行政审批系统 (Nanhai approval system) serving ./openapi.yaml on loopback,
 * for tests, the demo and local runs. Shared mechanics live in ../simulator-kit.ts.
 */
import type { Response } from 'express';
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
  type SimulatorOptions,
} from '../simulator-kit.js';
import { issuePaths, loadSpecSchemas } from '../spec-schemas.js';
import type { components } from './generated/approval-api.js';

type Schemas = components['schemas'];
export type NanhaiSimulatorOptions = SimulatorOptions;

/** Item codes the Nanhai system knows. */
export const NANHAI_KNOWN_ITEMS: ReadonlySet<string> = new Set(['NH-SCJG-QYDJ-001', 'NH-SCJG-SPJY-002']);

/** Business codes (see the spec's description). */
export const NH_CODE = {
  ok: 0,
  unknownItem: 20001,
  idempotencyConflict: 20002,
  badRequest: 40000,
  notFound: 40400,
  internal: 50000,
} as const;

const STATUS: Record<Lifecycle, Schemas['NhStatus']> = {
  registered: 'RECEIVED',
  accepted: 'ACCEPTED',
  supplement_requested: 'NEED_SUPPLEMENT',
  approved: 'APPROVED',
  rejected: 'DENIED',
};

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

/** One change as the feed lists it and the callback pushes it. */
function changeBody(change: SimChange, record: SimRecord): Schemas['NhEvent'] {
  return {
    eventId: eventId(change.seq),
    caseId: record.localNo,
    extRef: record.externalRef,
    status: STATUS[change.lifecycle],
    occurredAt: formatBeijingIso(change.at),
    remark: change.note,
  };
}

export function nanhaiDistrict(): DistrictSimulator {
  const spec = loadSpecSchemas(new URL('./openapi.yaml', import.meta.url));
  const submitSchema = spec.schema('NhSubmitRequest');

  return {
    district: 'nanhai',
    basePath: '/nh/open/v1',
    spec,
    statusCode: STATUS,
    // NH- + year + 6-digit sequence = 10 digits.
    formatLocalNo: (n, atMs) => `NH-${formatBeijingIso(atMs).slice(0, 4)}${String(n % 1_000_000).padStart(6, '0')}`,
    changeBody,
    callbackHeaders(rawBody, secret, nowMs) {
      const timestamp = String(Math.floor(nowMs / 1000));
      return { 'X-NH-Timestamp': timestamp, 'X-NH-Sign': hmacSha256Hex(secret, `${timestamp}.${rawBody}`) };
    },
    sendError: (res, httpStatus, reason, message) => nhError(res, httpStatus, ERROR_CODE[reason], message),

    mount(router, kit) {
      router.post('/case/submit', async (req, res) => {
        const key = req.get('Idempotency-Key');
        if (!key || key.length > 64) {
          kit.rejected(req, 'Idempotency-Key missing or too long');
          return nhError(res, 400, NH_CODE.badRequest, 'Idempotency-Key header is required (1-64 characters)');
        }
        const parsed = submitSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return nhError(res, 400, NH_CODE.badRequest, `invalid request: ${issuePaths(parsed.error)}`);
        }
        const body = parsed.data as Schemas['NhSubmitRequest'];
        // Business errors: HTTP 200 with a non-zero code.
        if (!NANHAI_KNOWN_ITEMS.has(body.itemCode)) {
          kit.rejected(req, `unknown item code ${body.itemCode}`);
          return nhError(res, 200, NH_CODE.unknownItem, `item code not found: ${body.itemCode}`);
        }
        const existing = kit.findByKey(key);
        if (existing && existing.externalRef !== body.extRef) {
          kit.rejected(req, `Idempotency-Key reused by another extRef (case ${existing.localNo})`);
          return nhError(res, 200, NH_CODE.idempotencyConflict, 'Idempotency-Key already used for another extRef');
        }
        const { record } = await kit.submit({
          idempotencyKey: key,
          externalRef: body.extRef,
          matterCode: body.itemCode,
          request: body,
        });
        ok<Schemas['NhCaseRef']>(res, { caseId: record.localNo });
      });

      router.get('/case/:caseId', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['caseId']));
        if (!record) return nhError(res, 404, NH_CODE.notFound, 'case not found');
        const request = record.request as Schemas['NhSubmitRequest'];
        ok<Schemas['NhCase']>(res, {
          caseId: record.localNo,
          extRef: record.externalRef,
          itemCode: record.matterCode,
          status: STATUS[record.lifecycle],
          updatedAt: formatBeijingIso(record.statusAt),
          applyTime: request.applyTime,
          sourceRegion: request.sourceRegion,
          applicant: request.applicant,
          formData: request.formData,
          attachments: request.attachments,
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
    },
  };
}

export function startNanhaiSimulator(opts: NanhaiSimulatorOptions): Promise<SimulatorHandle> {
  return startSimulator(nanhaiDistrict(), opts);
}
