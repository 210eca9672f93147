/**
 * What staff do to a case after intake: supplements, hand-offs of the paper, receipt of the
 * materials, clock pauses and the applicant's rating. Routes only translate; the services in
 * gateway/cases decide who may do what, where.
 */
import express, { Router } from 'express';
import type { GatewayContext } from '../context.js';
import { pauseClock, resumeClock } from '../cases/clock.js';
import { dispatchHandoff, receiveHandoff } from '../cases/handoffs.js';
import { recordMaterialsReceived } from '../cases/materials.js';
import { rateCase } from '../cases/rating.js';
import { fileSupplement } from '../cases/supplements.js';
import type { StaffGuard } from '../staff/staff-auth.js';

export function caseActionRoutes(ctx: GatewayContext, guard: StaffGuard): Router {
  const router = Router();

  // 补正: the applicant hands in the supplementary materials at the origin window.
  router.post('/api/v1/cases/:caseNo/supplements', guard('cases:supplement'), express.json({ limit: '64kb' }), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    const { supplementId } = await fileSupplement(ctx, caseNo, req.body);
    res.status(202).json({ caseNo, supplementId });
  });

  // Chain of custody: the paper leaves (manifest, seal, waybill) and arrives (seal, manifest check).
  router.post('/api/v1/cases/:caseNo/handoffs', guard('handoffs:write'), express.json({ limit: '64kb' }), async (req, res) => {
    res.status(201).json(await dispatchHandoff(ctx, String(req.params.caseNo), req.body));
  });

  router.post('/api/v1/cases/:caseNo/handoffs/:handoffId/receipt', guard('handoffs:write'), express.json({ limit: '64kb' }), async (req, res) => {
    res.status(201).json(await receiveHandoff(ctx, String(req.params.caseNo), String(req.params.handoffId), req.body));
  });

  // The paper arrived at the handling district (the clock's start for some matters).
  router.post('/api/v1/cases/:caseNo/materials-received', guard('cases:handle'), express.json({ limit: '4kb' }), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    const outcome = await recordMaterialsReceived(ctx, caseNo, req.body);
    res.status(outcome === 'recorded' ? 201 : 200).json({ caseNo, outcome });
  });

  // §45 suspensions, recorded by the handling district.
  router.post('/api/v1/cases/:caseNo/clock/pauses', guard('cases:handle'), express.json({ limit: '16kb' }), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    res.status(201).json({ caseNo, ...(await pauseClock(ctx, caseNo, req.body)) });
  });

  router.post('/api/v1/cases/:caseNo/clock/pauses/:pauseId/resume', guard('cases:handle'), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    const pauseId = String(req.params.pauseId);
    await resumeClock(ctx, caseNo, pauseId);
    res.status(200).json({ caseNo, pauseId, resumed: true });
  });

  // 满意 / 一般 / 不满意, at the window where the case was taken in.
  router.post('/api/v1/cases/:caseNo/rating', guard('cases:rate'), express.json({ limit: '4kb' }), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    res.status(201).json({ caseNo, ...(await rateCase(ctx, caseNo, req.body, 'window')) });
  });

  return router;
}
