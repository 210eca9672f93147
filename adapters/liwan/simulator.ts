/**
 * Simulator of 荔湾区政务服务平台 (Liwan approval system) serving ./openapi.yaml on loopback,
 * for tests, the demo and local runs. Shared mechanics live in ../simulator-kit.ts; the matters it
 * knows (codes, form field names, material codes) are the catalog's matters handled by Liwan.
 */
import type { Request, Response } from 'express';
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
  type SimulatorKit,
  type SimulatorOptions,
} from '../simulator-kit.js';
import { issuePaths, loadSpecSchemas } from '../spec-schemas.js';
import type { components } from './generated/approval-api.js';

type Schemas = components['schemas'];
export type LiwanSimulatorOptions = SimulatorOptions;

/** The system's status codes. Keyed by the shared lifecycle; the catalog's `systems.liwan` is the inverse. */
export const LIWAN_STATUS: Record<Lifecycle, Schemas['LwStatus']> = {
  registered: '01',
  accepted: '02',
  supplement_requested: '03',
  supplement_received: '06',
  approved: '04',
  rejected: '05',
};
/** What the `unknown_status` fault puts in place of every status code. */
export const LIWAN_UNKNOWN_STATUS = '99';
/** What the `unknown_field` fault adds to every record of an answer (扩展信息). */
export const LIWAN_UNKNOWN_FIELD = 'kzxx';

/** Error codes (错误代码); see the spec's description. */
export const LW_ERROR = {
  badRequest: 'E1001',
  unknownMatter: 'E1002',
  formMismatch: 'E1003',
  notFound: 'E1004',
  notAwaitingSupplement: 'E1005',
  resultNotReady: 'E1006',
  requestNoConflict: 'E1009',
  internal: 'E5000',
} as const;

const ERROR_CODE: Record<SimErrorReason, string> = { bad_request: LW_ERROR.badRequest, not_found: LW_ERROR.notFound, internal: LW_ERROR.internal };

function lwError(res: Response, httpStatus: number, cwdm: string, cwxx: string): void {
  const body: Schemas['LwError'] = { cwdm, cwxx };
  res.status(httpStatus).json(body);
}

const UINT_RE = /^\d{1,15}$/;
const QQLSH_RE = /^[!-~]{1,64}$/;

/** One change as the feed lists it and the callback pushes it. */
function changeBody(change: SimChange, record: SimRecord): Schemas['LwChange'] {
  return {
    xh: change.seq,
    slbh: record.localNo,
    wbbh: record.externalRef,
    zt: LIWAN_STATUS[change.lifecycle],
    ztsj: formatBeijingLocal(change.at),
    bz: change.note,
  };
}

/** The 请求流水号 of a POST, or an E1001 answer. */
function requestNo(req: Request, res: Response, kit: SimulatorKit): string | undefined {
  const qqlsh = req.get('X-LW-Qqlsh');
  if (qqlsh === undefined || !QQLSH_RE.test(qqlsh)) {
    kit.rejected(req, 'X-LW-Qqlsh missing or not 1-64 printable characters');
    lwError(res, 400, LW_ERROR.badRequest, '请求参数错误: X-LW-Qqlsh 必填 (1-64 个可打印字符)');
    return undefined;
  }
  return qqlsh;
}

function disguise(body: unknown, fault: 'unknown_status' | 'unknown_field'): unknown {
  const spoil = (o: unknown): unknown => {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) return o;
    const copy: Record<string, unknown> = { ...(o as Record<string, unknown>) };
    if (fault === 'unknown_status' && typeof copy['zt'] === 'string') copy['zt'] = LIWAN_UNKNOWN_STATUS;
    if (fault === 'unknown_field' && !('cwdm' in copy)) copy[LIWAN_UNKNOWN_FIELD] = '1';
    if (Array.isArray(copy['items'])) copy['items'] = copy['items'].map(spoil);
    return copy;
  };
  return spoil(body);
}

export function liwanDistrict(): DistrictSimulator {
  const spec = loadSpecSchemas(new URL('./openapi.yaml', import.meta.url));
  const submitSchema = spec.schema('LwSubmitRequest');
  const supplementSchema = spec.schema('LwSupplementRequest');
  const subscriptionSchema = spec.schema('LwSubscriptionRequest');

  return {
    district: 'liwan',
    basePath: '/lw/api/v2',
    spec,
    statusCode: LIWAN_STATUS,
    formatLocalNo: (n, atMs) => `LW${beijingDate(atMs)}${String(n % 1_000_000).padStart(6, '0')}`,
    formatReceiptNo: (n, atMs) => `BZ${beijingDate(atMs)}${String(n % 1_000_000).padStart(6, '0')}`,
    formatDocumentNo: (n, atMs, decision) =>
      `穗荔${decision === 'approved' ? '审批' : '不许'}〔${beijingDate(atMs).slice(0, 4)}〕${String(n).padStart(6, '0')}号`,
    changeBody,
    callbackHeaders: (rawBody, secret) => ({ 'X-LW-Signature': `sha256=${hmacSha256Hex(secret, rawBody)}` }),
    sendError: (res, httpStatus, reason, message) => lwError(res, httpStatus, ERROR_CODE[reason], message),
    disguise,

    mount(router, kit) {
      router.post('/applications', async (req, res) => {
        const qqlsh = requestNo(req, res, kit);
        if (qqlsh === undefined) return;
        const parsed = submitSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return lwError(res, 400, LW_ERROR.badRequest, `请求参数错误: ${issuePaths(parsed.error)}`);
        }
        const body = parsed.data as Schemas['LwSubmitRequest'];
        const matter = kit.matterByCode(body.sxbm);
        if (!matter) {
          kit.rejected(req, `unknown matter code ${body.sxbm}`);
          return lwError(res, 422, LW_ERROR.unknownMatter, `事项编码不存在: ${body.sxbm}`);
        }
        const materialCodes = body.cl.map((m) => m.clbm);
        const problems = kit.checkApplication(matter, body.bdsj, materialCodes);
        if (problems.length > 0) {
          kit.rejected(req, problems.join('; '));
          return lwError(res, 422, LW_ERROR.formMismatch, `表单数据或材料编码不符合事项要求: ${problems.join('; ')}`);
        }
        const submitted = await kit.submit({
          key: qqlsh,
          externalRef: body.wbbh,
          matterCode: body.sxbm,
          formFields: Object.keys(body.bdsj),
          materialCodes,
          request: body,
        });
        if (submitted.outcome === 'key_conflict') {
          kit.rejected(req, `X-LW-Qqlsh already used for ${submitted.existing.localNo}`);
          return lwError(res, 409, LW_ERROR.requestNoConflict, '请求流水号已用于其他请求');
        }
        const answer: Schemas['LwSubmitResponse'] = { slbh: submitted.record.localNo };
        res.status(submitted.outcome === 'created' ? 201 : 200).json(answer);
      });

      router.get('/applications/:slbh', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['slbh']));
        if (!record) return lwError(res, 404, LW_ERROR.notFound, '办件不存在');
        const request = record.request as Schemas['LwSubmitRequest'];
        const answer: Schemas['LwApplication'] = {
          slbh: record.localNo,
          wbbh: record.externalRef,
          sxbm: record.matterCode,
          zt: LIWAN_STATUS[record.lifecycle],
          ztsj: formatBeijingLocal(record.statusAt),
          sqsj: request.sqsj,
          sqd: request.sqd,
          sqr: request.sqr,
          bdsj: request.bdsj,
          cl: request.cl,
        };
        res.json(answer);
      });

      router.get('/applications/:slbh/status', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['slbh']));
        if (!record) return lwError(res, 404, LW_ERROR.notFound, '办件不存在');
        const answer: Schemas['LwStatusRecord'] = {
          slbh: record.localNo,
          wbbh: record.externalRef,
          sxbm: record.matterCode,
          zt: LIWAN_STATUS[record.lifecycle],
          ztsj: formatBeijingLocal(record.statusAt),
          bz: record.note,
        };
        res.json(answer);
      });

      router.post('/applications/:slbh/supplements', async (req, res) => {
        const qqlsh = requestNo(req, res, kit);
        if (qqlsh === undefined) return;
        const parsed = supplementSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return lwError(res, 400, LW_ERROR.badRequest, `请求参数错误: ${issuePaths(parsed.error)}`);
        }
        const record = kit.findByLocalNo(String(req.params['slbh']));
        if (!record) return lwError(res, 404, LW_ERROR.notFound, '办件不存在');
        const body = parsed.data as Schemas['LwSupplementRequest'];
        const materialCodes = body.cl.map((m) => m.clbm);
        const matter = kit.matterByCode(record.matterCode);
        const problems = matter ? kit.checkMaterials(matter, materialCodes) : [];
        if (problems.length > 0) {
          kit.rejected(req, problems.join('; '));
          return lwError(res, 422, LW_ERROR.formMismatch, `材料编码不符合事项要求: ${problems.join('; ')}`);
        }
        const filed = await kit.supplement(record, { key: qqlsh, supplementId: body.bzbh, materialCodes, note: body.sm, request: body });
        switch (filed.outcome) {
          case 'key_conflict':
            kit.rejected(req, 'X-LW-Qqlsh already used for another supplement');
            return lwError(res, 409, LW_ERROR.requestNoConflict, '请求流水号已用于其他请求');
          case 'not_awaiting':
            kit.rejected(req, `case ${record.localNo} is not waiting for a supplement`);
            return lwError(res, 409, LW_ERROR.notAwaitingSupplement, '办件当前状态不接受补正');
          case 'created':
          case 'existing': {
            const answer: Schemas['LwSupplementResponse'] = { bzslh: filed.supplement.receiptNo, slbh: record.localNo };
            return res.status(filed.outcome === 'created' ? 201 : 200).json(answer);
          }
        }
      });

      router.get('/applications/:slbh/result', (req, res) => {
        const record = kit.findByLocalNo(String(req.params['slbh']));
        if (!record) return lwError(res, 404, LW_ERROR.notFound, '办件不存在');
        const result = record.result;
        if (!result) return lwError(res, 409, LW_ERROR.resultNotReady, '办结结果尚未出具');
        const answer: Schemas['LwResult'] = {
          slbh: record.localNo,
          wbbh: record.externalRef,
          zt: result.decision === 'approved' ? '04' : '05',
          wsmc: result.documentName,
          wsbh: result.documentNo,
          qfsj: formatBeijingLocal(result.issuedAt),
          ly: result.reason,
        };
        res.json(answer);
      });

      router.get('/changes', (req, res) => {
        const { since, limit } = req.query;
        if (typeof since !== 'string' || !UINT_RE.test(since)) {
          kit.rejected(req, 'since missing or not a non-negative integer');
          return lwError(res, 400, LW_ERROR.badRequest, '请求参数错误: since 必须为非负整数');
        }
        let size = 100;
        if (limit !== undefined) {
          if (typeof limit !== 'string' || !UINT_RE.test(limit) || Number(limit) < 1 || Number(limit) > 500) {
            kit.rejected(req, 'limit out of range');
            return lwError(res, 400, LW_ERROR.badRequest, '请求参数错误: limit 取值 1-500');
          }
          size = Number(limit);
        }
        const after = Number(since);
        const items = kit.changesAfter(after, size).map(({ change, record }) => changeBody(change, record));
        const page: Schemas['LwChangesPage'] = { items, next: items.at(-1)?.xh ?? after };
        res.json(page);
      });

      router.put('/subscription', async (req, res) => {
        const parsed = subscriptionSchema.safeParse(req.body);
        if (!parsed.success) {
          kit.rejected(req, issuePaths(parsed.error));
          return lwError(res, 400, LW_ERROR.badRequest, `请求参数错误: ${issuePaths(parsed.error)}`);
        }
        const { hddz } = parsed.data as Schemas['LwSubscriptionRequest'];
        const { url, at } = await kit.registerCallback(hddz);
        const answer: Schemas['LwSubscription'] = { hddz: url, gxsj: formatBeijingLocal(at) };
        res.json(answer);
      });
    },
  };
}

export function startLiwanSimulator(opts: LiwanSimulatorOptions): Promise<SimulatorHandle> {
  return startSimulator(liwanDistrict(), opts);
}
