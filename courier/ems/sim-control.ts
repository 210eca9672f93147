/**
 * The simulator's control API under /_sim (the `simulator` tag of ./openapi.yaml): script a
 * parcel, release it step by step, read the push log, switch outages and slowness. Not part of
 * EMS; never affected by the simulated outage. Errors as `{ error: { code, message } }`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { parseIsoInstant } from '../../adapters/beijing-time.js';
import { issuePaths, type SpecSchemas } from '../../adapters/spec-schemas.js';
import type { components } from './generated/tracking-api.js';
import { customJourney, journeyLength, readyMadeJourney } from './sim-journeys.js';
import type { EmsSimState } from './sim-state.js';

type Schemas = components['schemas'];

const DEFAULT_STEP_MINUTES = 180;
const MINUTE_MS = 60_000;

function simError(res: Response, httpStatus: number, code: string, message: string): void {
  const body: Schemas['SimError'] = { error: { code, message } };
  res.status(httpStatus).json(body);
}

export function controlRouter(state: EmsSimState, spec: SpecSchemas, logger: Logger, now: () => number): Router {
  const control = express.Router();
  control.use(express.json({ limit: '256kb' }));

  control.get('/health', (_req, res) => {
    const body: Schemas['SimHealth'] = { status: 'ok', carrier: 'ems', parcels: state.parcels.size, subscriptions: state.subscriptions.size };
    res.json(body);
  });

  control.post('/parcels', (req, res) => {
    const parsed = spec.schema('SimCreateParcelRequest').safeParse(req.body);
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const input = parsed.data as Schemas['SimCreateParcelRequest'];
    if ((input.journey === undefined) === (input.traces === undefined)) {
      return simError(res, 400, 'bad_request', 'give exactly one of journey and traces');
    }
    const stepMinutes = input.stepMinutes ?? DEFAULT_STEP_MINUTES;
    const length = input.journey ? journeyLength(input.journey) : input.traces!.length;
    // By default the last scripted trace lands at "now": released traces are never in the future.
    const startMs = input.startAt === undefined ? now() - (length - 1) * stepMinutes * MINUTE_MS : parseIsoInstant(input.startAt);
    if (startMs === undefined) return simError(res, 400, 'bad_request', 'startAt is not an ISO 8601 instant with an offset');
    const script = input.journey ? readyMadeJourney(input.journey, startMs, stepMinutes) : customJourney(input.traces!, startMs, stepMinutes);
    const parcel = state.addParcel(input.waybillNo, script);
    if (!parcel) return simError(res, 409, 'conflict', `parcel ${input.waybillNo} already exists`);
    logger.info({ waybillNo: parcel.waybillNo, journey: input.journey ?? 'custom', traces: script.length }, 'parcel scripted');
    res.status(201).json(state.view(parcel));
  });

  control.get('/parcels/:waybillNo', (req, res) => {
    const parcel = state.parcels.get(String(req.params['waybillNo']));
    if (!parcel) return simError(res, 404, 'not_found', 'no such parcel');
    res.json(state.view(parcel));
  });

  control.post('/parcels/:waybillNo/advance', (req, res) => {
    const parsed = spec.schema('SimAdvanceRequest').safeParse(req.body ?? {});
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const input = parsed.data as Schemas['SimAdvanceRequest'];
    const parcel = state.parcels.get(String(req.params['waybillNo']));
    if (!parcel) return simError(res, 404, 'not_found', 'no such parcel');
    const remaining = parcel.script.length - parcel.next;
    if (remaining === 0) return simError(res, 409, 'conflict', 'nothing left to release: the parcel is silent from here on');
    const released = state.advance(parcel, input.all ? remaining : (input.steps ?? 1), input.pushTwice ? 2 : 1);
    logger.info({ waybillNo: parcel.waybillNo, codes: released.map((t) => t.opCode) }, 'parcel advanced');
    res.json(state.view(parcel));
  });

  control.get('/pushes', (_req, res) => {
    const body: Schemas['SimPushLog'] = { pushes: state.pushLog };
    res.json(body);
  });

  control.post('/config', (req, res) => {
    const parsed = spec.schema('SimConfigRequest').safeParse(req.body);
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const update = parsed.data as Schemas['SimConfigRequest'];
    if (update.outage !== undefined) state.config.outage = update.outage;
    if (update.pushesEnabled !== undefined) state.config.pushesEnabled = update.pushesEnabled;
    if (update.slowMs !== undefined) state.config.slowMs = update.slowMs;
    logger.info({ ...state.config }, 'simulator configured');
    res.json(state.config);
  });

  control.use((_req, res) => simError(res, 404, 'not_found', 'no such control endpoint'));
  control.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return simError(res, 400, 'bad_request', 'request body is not valid JSON');
    logger.error({ err }, 'control endpoint failed');
    simError(res, 500, 'internal', 'internal error');
  });
  return control;
}
