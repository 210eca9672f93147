/**
 * 电子监察: supervision figures and the cards list (diagnostics live in ops-routes.ts).
 */
import { Router } from 'express';
import type { GatewayContext } from '../context.js';
import { shanghaiDateOf } from '../calendar/dates.js';
import { isDistrict } from '../domain/district.js';
import { AppError } from '../errors.js';
import { listCards } from '../supervision/cards.js';
import { supervisionFigures } from '../supervision/figures.js';
import type { StaffGuard } from '../staff/staff-auth.js';

export function supervisionRoutes(ctx: GatewayContext, guard: StaffGuard): Router {
  const router = Router();

  router.get('/api/v1/supervision/figures', guard('supervision:read'), async (req, res) => {
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
  router.get('/api/v1/cards', guard('supervision:read'), async (req, res) => {
    const limit = Math.min(Math.max(Number(req.query.limit ?? 50) || 50, 1), 200);
    const before = typeof req.query.before === 'string' ? req.query.before : undefined;
    res.json({ cards: await listCards(ctx, { limit, ...(before ? { before } : {}) }) });
  });

  return router;
}
