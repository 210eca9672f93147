/**
 * Simulator of 荔湾区政务服务平台 (Liwan approval system) serving ./openapi.yaml on loopback,
 * for tests, the demo and local runs. Shared mechanics live in ../simulator-kit.ts.
 */
import type { Response } from 'express';
import { beijingDate, formatBeijingLocal } from '../beijing-time.js';
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
export type LiwanSimulatorOptions = SimulatorOptions;

/** Matter codes the Liwan system knows (事项编码). */
export const LIWAN_KNOWN_MATTERS: ReadonlySet<string> = new Set(['440103-SCJG-BGDJ-003', '440103-ZJ-SGXK-004']);

const STATUS: Record<Lifecycle, Schemas['LwStatus']> = {
  registered: '01',
  accepted: '02',
  supplement_requested: '03',
  approved: '04',
  rejected: '05',
};

const ERROR_CODE: Record<SimErrorReason, string> = { bad_request: 'E1001', not_found: 'E1004', internal: 'E5000' };

function lwError(res: Response, httpStatus: number, cwdm: string, cwxx: string): void {
  const body: Schemas['LwError'] = { cwdm, cwxx };
  res.status(httpStatus).json(body);
}

const UINT_RE = /^\d{1,15}$/;

/** One change as the feed lists it and the callback pushes it. */
function changeBody(change: SimChange, record: SimRecord): Schemas['LwChange'] {
  return {
    xh: change.seq,
    slbh: record.localNo,
    wbbh: record.externalRef,
    zt: STATUS[change.lifecycle],
    ztsj: formatBeijingLocal(change.at),
    bz: change.note,
  };
}

export function liwanDistrict(): DistrictSimulator {
  const spec = loadSpecSchemas(new URL('./openapi.yaml', import.meta.url));
  const submitSchema = spec.schema('LwSubmitRequest');

  return {
    district: 'liwan',
    basePath: '/lw/api/v2',
    spec,
    statusCode: STATUS,
    formatLocalNo: (n, atMs) => `LW${beijingDate(atMs)}${String(n % 1_000_000).padStart(6, '0')}`,
    changeBody,
    callbackHeaders: (rawBody, secret) => ({ 'X-LW-Signature': `sha256=${hmacSha256Hex(secret, rawBody)}` }),
    sendError: (res, httpStatus, reason, message) => lwError(res, httpStatus, ERROR_CODE[reason], message),

    mount(router, kit) {
      router.post('/applications', async (req, res) => {
        const parsed = submitSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return lwError(res, 400, 'E1001', `请求参数错误: ${issuePaths(parsed.error)}`);
        }
        const body = parsed.data as Schemas['LwSubmitRequest'];
        if (!LIWAN_KNOWN_MATTERS.has(body.sxbm)) {
          kit.rejected(req, `unknown matter code ${body.sxbm}`);
          return lwError(res, 422, 'E1002', `事项编码不存在: ${body.sxbm}`);
        }
        const { record, created } = await kit.submit({
          idempotencyKey: body.wbbh,
          externalRef: body.wbbh,
          matterCode: body.sxbm,
          request: body,
        });
        const answer: Schemas['LwSubmitResponse'] = { slbh: record.localNo };
        res.status(created ? 201 : 200).json(answer);
      });

      router.get('/applications/:slbh', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['slbh']));
        if (!record) return lwError(res, 404, 'E1004', '办件不存在');
        const request = record.request as Schemas['LwSubmitRequest'];
        const answer: Schemas['LwApplication'] = {
          slbh: record.localNo,
          wbbh: record.externalRef,
          sxbm: record.matterCode,
          zt: STATUS[record.lifecycle],
          ztsj: formatBeijingLocal(record.statusAt),
          sqsj: request.sqsj,
          sqd: request.sqd,
          sqr: request.sqr,
          bdsj: request.bdsj,
          cl: request.cl,
        };
        res.json(answer);
      });

      router.get('/changes', (req, res) => {
        const { since, limit } = req.query;
        if (typeof since !== 'string' || !UINT_RE.test(since)) {
          kit.rejected(req, 'since missing or not a non-negative integer');
          return lwError(res, 400, 'E1001', '请求参数错误: since 必须为非负整数');
        }
        let size = 100;
        if (limit !== undefined) {
          if (typeof limit !== 'string' || !UINT_RE.test(limit) || Number(limit) < 1 || Number(limit) > 500) {
            kit.rejected(req, 'limit out of range');
            return lwError(res, 400, 'E1001', '请求参数错误: limit 取值 1-500');
          }
          size = Number(limit);
        }
        const after = Number(since);
        const items = kit.changesAfter(after, size).map(({ change, record }) => changeBody(change, record));
        const page: Schemas['LwChangesPage'] = { items, next: items.at(-1)?.xh ?? after };
        res.json(page);
      });
    },
  };
}

export function startLiwanSimulator(opts: LiwanSimulatorOptions): Promise<SimulatorHandle> {
  return startSimulator(liwanDistrict(), opts);
}
