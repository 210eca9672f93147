/**
 * Staff reading cases: the case list (newest first, filtered, paged with a cursor) and a case's
 * timeline. Routes only translate; gateway/cases/case-list.ts and gateway/views/case-timeline.ts
 * do the work. Both need the `cases:read` permission (the guard comes from the staff sign-in).
 */
import { Router } from 'express';
import type { StaffGuard } from '../staff/staff-auth.js';
import type { GatewayContext } from '../context.js';
import { listCases, type CaseListFilter } from '../cases/case-list.js';
import { requireCase } from '../cases/require-case.js';
import { caseTimeline, type CaseTimeline } from '../views/case-timeline.js';
import { caseView } from '../views/case-view.js';

export function caseListRoutes(ctx: GatewayContext, guard: StaffGuard): Router {
  const router = Router();

  // GET /api/v1/cases?handlingDistrict=&originDistrict=&matterId=&state=&deadline=&limit=&cursor=
  router.get('/api/v1/cases', guard('cases:read'), async (req, res) => {
    res.json(await listCases(ctx, req.query as CaseListFilter));
  });

  router.get('/api/v1/cases/:caseNo/timeline', guard('cases:read'), async (req, res) => {
    const record = await requireCase(ctx, String(req.params.caseNo));
    // The timeline never shows the application: the view is built without it.
    const body: CaseTimeline = { caseNo: record.caseNo, entries: caseTimeline(caseView(record, ctx, { includeApplication: false })) };
    res.json(body);
  });

  return router;
}
