/**
 * The EMS API routes of the simulator (paths of ./openapi.yaml below /api/track/v1): outage and
 * slowness first (a down carrier answers nobody), then the partner credentials, then the bodies,
 * validated against the spec itself. Errors in the EMS shape `{ errorCode, errorMsg, requestId }`.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { formatBeijingLocal } from '../../adapters/beijing-time.js';
import { issuePaths, type SpecSchemas } from '../../adapters/spec-schemas.js';
import { parseWaybill } from '../waybill.js';
import type { components } from './generated/tracking-api.js';
import { EMS_API_KEY_HEADER, EMS_PARTNER_HEADER } from './signature.js';
import type { EmsSimState } from './sim-state.js';

type Schemas = components['schemas'];

export interface SimApiOptions {
  partnerId: string;
  apiKey: string;
  spec: SpecSchemas;
  logger: Logger;
  /** Aborted when the simulator stops, to cut a simulated slow answer short. */
  stopping: AbortSignal;
}

export function emsError(res: Response, httpStatus: number, errorCode: string, errorMsg: string): void {
  const body: Schemas['EmsError'] = { errorCode, errorMsg, requestId: randomUUID() };
  res.status(httpStatus).json(body);
}

/** EMS tracks both EMS and China Post items (one platform): either carrier's rules will do. */
function isTrackableWaybill(waybillNo: string): boolean {
  return parseWaybill('ems', waybillNo).ok || parseWaybill('china_post', waybillNo).ok;
}

export function emsApiRouter(state: EmsSimState, opts: SimApiOptions): Router {
  const { spec, logger } = opts;
  const api = express.Router();

  api.use(async (req, res, next) => {
    if (state.config.outage) return emsError(res, 503, 'E0503', '系统维护中，请稍后再试');
    if (state.config.slowMs > 0) {
      await sleep(state.config.slowMs, undefined, { signal: opts.stopping }).catch(() => undefined);
      if (opts.stopping.aborted) return;
    }
    if (req.get(EMS_PARTNER_HEADER) !== opts.partnerId || req.get(EMS_API_KEY_HEADER) !== opts.apiKey) {
      logger.info({ method: req.method, path: req.path }, 'request without valid partner credentials');
      return emsError(res, 401, 'E0401', '鉴权失败');
    }
    next();
  });
  api.use(express.json({ limit: '64kb' }));

  api.post('/subscriptions', (req, res) => {
    const parsed = spec.schema('EmsSubscribeRequest').safeParse(req.body);
    if (!parsed.success) return emsError(res, 400, 'E0400', `参数错误: ${issuePaths(parsed.error)}`);
    const { waybillNo, callbackUrl } = parsed.data as Schemas['EmsSubscribeRequest'];
    if (!isTrackableWaybill(waybillNo)) return emsError(res, 400, 'E0400', '参数错误: 邮件号不正确');
    const { subscription, created } = state.subscribe(waybillNo, callbackUrl);
    logger.info({ waybillNo, subscriptionId: subscription.subscriptionId, created }, 'waybill subscribed');
    const body: Schemas['EmsSubscription'] = {
      subscriptionId: subscription.subscriptionId,
      waybillNo,
      callbackUrl: subscription.callbackUrl,
      subscribedAt: formatBeijingLocal(subscription.subscribedAt),
    };
    res.status(created ? 201 : 200).json(body);
  });

  api.get('/waybills/:waybillNo/traces', (req, res) => {
    const waybillNo = String(req.params['waybillNo']);
    if (!spec.schema('EmsWaybillNo').safeParse(waybillNo).success) return emsError(res, 400, 'E0400', '参数错误: 邮件号格式不正确');
    const traces = state.history(waybillNo);
    if (!traces) return emsError(res, 404, 'E0404', '运单不存在或暂无轨迹');
    const body: Schemas['EmsTraceHistory'] = { waybillNo, traces };
    res.json(body);
  });

  api.use((_req, res) => emsError(res, 404, 'E0404', '接口不存在'));
  api.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      logger.info({ method: req.method, path: req.path, status }, 'request body refused');
      // 413 (too large) included: the spec documents 400 E0400 for every unreadable body.
      return emsError(res, 400, 'E0400', '参数错误: 请求体过大或不是合法的 JSON');
    }
    logger.error({ err }, 'request failed');
    emsError(res, 500, 'E0500', '系统内部错误');
  });
  return api;
}
