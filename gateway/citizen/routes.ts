/**
 * Citizen tracking (办件查询): the page at GET /track and its two calls. POST only, so the phone
 * digits travel in the body and never in a URL, a proxy log or the browser history. Every answer
 * is Chinese; errors flow to the app's error middleware as AppErrors.
 */
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Cluster, Redis } from 'ioredis';
import { readFileSync } from 'node:fs';
import { rateCase } from '../cases/rating.js';
import type { GatewayContext } from '../context.js';
import { DISTRICT_NAME_ZH } from '../domain/district.js';
import { AppError } from '../errors.js';
import { citizenView, type CitizenView } from './citizen-view.js';
import { findForCitizen, lookupBody, parseBody, ratingBody } from './lookup.js';
import { clientKey, createTrackingLimits, type TrackingLimitKind } from './rate-limits.js';

export interface CitizenDeps {
  ctx: GatewayContext;
  /** The gateway's own client: limits are counted where every replica sees them. */
  redis: Redis | Cluster;
  /** Floor of a miss, so a wrong number and a wrong phone take the same time (default 150 ms). */
  missFloorMs?: number;
}

export const RATE_LIMITED_MESSAGE = '查询过于频繁，请稍后再试';

/** Nothing on the page comes from elsewhere or runs inline; nothing may frame it. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const PAGE_DIR = new URL('./page/', import.meta.url);
const ASSETS = {
  '/track': { file: 'track.html', type: 'text/html; charset=utf-8' },
  '/track/track.js': { file: 'track.js', type: 'text/javascript; charset=utf-8' },
  '/track/track.css': { file: 'track.css', type: 'text/css; charset=utf-8' },
} as const;

export function citizenRoutes({ ctx, redis, missFloorMs = 150 }: CitizenDeps): Router {
  const router = Router();
  const limits = createTrackingLimits(redis, ctx.config);

  for (const [path, asset] of Object.entries(ASSETS)) {
    // Read once at start: a missing file stops the gateway now, not a citizen later.
    const body = readFileSync(new URL(asset.file, PAGE_DIR));
    router.get(path, (_req, res) => {
      res.set({
        'Content-Type': asset.type,
        'Content-Security-Policy': PAGE_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      });
      res.send(body);
    });
  }

  const enforce = async (res: Response, kind: TrackingLimitKind, key: string, caseNo?: string): Promise<void> => {
    const outcome = await limits.consume(kind, key);
    if (outcome.ok) return;
    ctx.logger.info({ ...(caseNo ? { caseNo } : {}), outcome: 'rate_limited', limit: kind }, 'citizen tracking lookup');
    res.set('Retry-After', String(outcome.retryAfterSeconds));
    throw new AppError('RATE_LIMITED', RATE_LIMITED_MESSAGE);
  };

  // Counted before the body is even read: malformed requests spend the client's allowance too.
  const limitClient: RequestHandler = async (req, res, next) => {
    res.set('Cache-Control', 'no-store');
    await enforce(res, 'client', clientKey(req.ip));
    next();
  };
  const body = [limitClient, jsonBody()];
  const opts = { missFloorMs };

  router.post('/api/v1/track', ...body, async (req, res) => {
    const input = parseBody(lookupBody, req.body);
    await enforce(res, 'case', input.caseNo, input.caseNo);
    const record = await findForCitizen(ctx, input, opts);
    res.json(citizenView(record, ctx));
  });

  router.post('/api/v1/track/rating', ...body, async (req, res) => {
    const input = parseBody(ratingBody, req.body);
    await enforce(res, 'case', input.caseNo, input.caseNo);
    const record = await findForCitizen(ctx, input, opts);
    refuseRating(citizenView(record, ctx), DISTRICT_NAME_ZH[record.origin]);
    try {
      await rateCase(ctx, input.caseNo, { rating: input.rating }, 'citizen');
    } catch (err) {
      // A rating racing another one: the same answer as when it was already there.
      if (err instanceof AppError && err.code === 'ALREADY_RATED') throw new AppError('ALREADY_RATED', ALREADY_RATED_MESSAGE);
      throw err;
    }
    ctx.logger.info({ caseNo: input.caseNo, outcome: 'rated' }, 'citizen rating recorded');
    const updated = await ctx.store.getCase(input.caseNo);
    res.json(citizenView(updated ?? record, ctx));
  });

  return router;
}

const ALREADY_RATED_MESSAGE = '该办件已评价，每个办件只能评价一次';

/** Why this case cannot be rated here and now, in words for the citizen (rateCase checks the same). */
function refuseRating(view: CitizenView, originName: string): void {
  if (view.rating.rating) throw new AppError('ALREADY_RATED', ALREADY_RATED_MESSAGE);
  if (view.rating.canRate) return;
  if (view.state !== 'approved' && view.state !== 'rejected') throw new AppError('CASE_STATE_CONFLICT', '办件办结后才能评价');
  throw new AppError('CASE_STATE_CONFLICT', `请在收件地（${originName}）的办件查询页面评价`);
}

/** JSON bodies only, small, with body-parser's failures turned into Chinese answers. */
function jsonBody(): RequestHandler {
  // Any content type is read as JSON: a form post or plain text is a malformed request, not an empty one.
  const parse = express.json({ limit: '2kb', type: () => true });
  return (req: Request, res: Response, next: NextFunction) => {
    parse(req, res, (err?: unknown) => next(err === undefined ? undefined : bodyError(err)));
  };
}

function bodyError(err: unknown): unknown {
  switch ((err as { type?: string } | null)?.type) {
    case 'entity.parse.failed':
      return new AppError('MALFORMED_JSON', '请求内容不是有效的 JSON');
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', '请求内容过大');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('MALFORMED_JSON', '请求内容的编码不受支持');
    default:
      return err;
  }
}
