/**
 * 电子监察 and operations: supervision figures, the cards list, and diagnostics.
 */
import { Router } from 'express';
import type { GatewayContext } from '../context.js';
import { shanghaiDateOf } from '../calendar/dates.js';
import { isDistrict } from '../domain/district.js';
import { AppError } from '../errors.js';
import { listApprovalProblems } from '../approval/problems.js';
import { listCards } from '../supervision/cards.js';
import { supervisionFigures } from '../supervision/figures.js';

export function supervisionRoutes(ctx: GatewayContext): Router {
  const router = Router();

  router.get('/api/v1/supervision/figures', async (req, res) => {
    const { period, handlingDistrict, matterId } = req.query;
    if (handlingDistrict !== undefined && !isDistrict(handlingDistrict)) {
      throw new AppError('VALIDATION_FAILED', 'unknown district', [{ field: 'handlingDistrict', code: 'INVALID', message: '办理地无效' }]);
    }
    res.json(
      await supervisionFigures(ctx, {
        period: typeof period === 'string' ? period : shanghaiDateOf(ctx.clock.now()).slice(0, 7),
        ...(handlingDistrict !== undefined ? { handlingDistrict } : {}),
        ...(typeof matterId === 'string' && matterId ? { matterId } : {}),
      }),
    );
  });

  // 电子监察 cards of the cases this district handles, newest first; page with ?before=<cardId>.
  router.get('/api/v1/cards', async (req, res) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 200);
    const before = typeof req.query.before === 'string' ? req.query.before : undefined;
    res.json({ cards: await listCards(ctx, { limit, ...(before ? { before } : {}) }) });
  });

  // What an operator checks first: the approval link, queues, and the data versions in force.
  router.get('/api/v1/diagnostics', async (_req, res) => {
    res.json({
      district: ctx.district,
      approval: { ...ctx.adapter.health(), unmapped: await listApprovalProblems(ctx) },
      queues: await ctx.store.outboxDepth(),
      catalogVersion: ctx.catalog.version,
      calendar: { version: ctx.calendar.version, years: ctx.calendar.years() },
    });
  });

  return router;
}
