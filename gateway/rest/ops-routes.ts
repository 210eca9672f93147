/**
 * Operations: GET /metrics (Prometheus text, public like /healthz and /readyz — no personal data in
 * any series) and GET /api/v1/diagnostics (what an operator checks first; staff with diagnostics:read).
 */
import { Router } from 'express';
import type { StaffGuard } from '../staff/staff-auth.js';
import { listApprovalProblems } from '../approval/problems.js';
import type { GatewayContext } from '../context.js';
import { certificateReport } from '../ops/certificates.js';
import { lastCourierPushAt } from '../ops/courier-push.js';
import { auditStatus } from '../audit/status.js';

export interface OpsRouteDeps {
  ctx: GatewayContext;
  /** The staff door (gateway/staff), applied to the diagnostics route only. */
  guard: StaffGuard;
}

export function opsRoutes({ ctx, guard }: OpsRouteDeps): Router {
  const router = Router();
  const registry = ctx.metrics.registry;

  router.get('/metrics', async (_req, res) => {
    const text = await registry.metrics();
    res.type(registry.contentType).send(text);
  });

  // The approval link, the peer link, queues, certificates, the carrier's pushes and the data versions in force.
  router.get('/api/v1/diagnostics', guard('diagnostics:read'), async (_req, res) => {
    const [unmapped, queues, courierLastPushAt, audit] = await Promise.all([listApprovalProblems(ctx), ctx.store.outboxDepth(), lastCourierPushAt(ctx), auditStatus(ctx)]);
    res.json({
      district: ctx.district,
      approval: { ...ctx.adapter.health(), unmapped },
      peer: ctx.metrics.peerLink.snapshot(),
      queues,
      courier: { lastPushAt: courierLastPushAt },
      certificates: certificateReport(ctx),
      catalogVersion: ctx.catalog.version,
      calendar: { version: ctx.calendar.version, years: ctx.calendar.years() },
      audit,
    });
  });

  return router;
}
