/**
 * HTTP face of parcel tracking:
 * - `POST /courier/ems/push`: the carrier's signed push. The signature is checked over the raw
 *   bytes before anything is parsed; an unsigned, forged or stale push is refused and logged.
 *   An authentic push for a waybill we do not follow is acknowledged (so the carrier stops
 *   resending it) and logged. A store failure answers 503: the carrier keeps the push and retries,
 *   so no valid event is lost.
 * - `GET /api/v1/parcels/attention`: staff's worklist of parcels with an alert that still needs
 *   looking at (both districts; the alert is a shared event).
 */
import type { StaffGuard } from '../staff/staff-auth.js';
import express, { Router } from 'express';
import { EMS_MAX_PUSH_BYTES, verifyEmsPush } from '../../courier/ems/callback.js';
import { mapEmsTraces } from '../../courier/ems/mapping.js';
import { isCourierError } from '../../courier/errors.js';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
import { handoffsOf } from '../cases/handoffs.js';
import { ingestCarrierEvents } from './ingest.js';
import { recordCourierPush } from '../ops/courier-push.js';
import type { ParcelStore } from './parcel-store.js';

const ATTENTION_LIMIT = 500;

export interface TrackingRouteDeps {
  ctx: GatewayContext;
  parcels: ParcelStore;
  /** The carrier's push secret; undefined when this gateway does not follow parcels. */
  pushSecret: string | undefined;
  /** The staff door (gateway/staff): the worklist is for signed-in staff. */
  guard: StaffGuard;
}

export function trackingRoutes({ ctx, parcels, pushSecret, guard }: TrackingRouteDeps): Router {
  const router = Router();

  router.post('/courier/ems/push', express.raw({ type: () => true, limit: EMS_MAX_PUSH_BYTES }), async (req, res) => {
    if (!pushSecret) throw new AppError('COURIER_UNAVAILABLE', 'this gateway does not follow parcels (KC_COURIER_URL is not set)');
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let push;
    try {
      push = verifyEmsPush(raw, req.headers, { secret: pushSecret, now: () => ctx.clock.now() });
    } catch (err) {
      if (!isCourierError(err)) throw err;
      ctx.logger.warn({ code: err.code, bytes: raw.length, remote: req.socket.remoteAddress }, 'carrier push refused');
      if (err.code === 'COURIER_CALLBACK_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', err.message);
      if (err.code === 'COURIER_CALLBACK_MALFORMED') throw new AppError('COURIER_PUSH_MALFORMED', err.message);
      throw new AppError('COURIER_PUSH_UNAUTHENTICATED', 'push not signed with our partner secret, or signed too long ago');
    }
    await recordCourierPush(ctx);
    const ref = await parcels.findWaybill(push.waybillNo);
    if (!ref) {
      ctx.logger.warn({ pushId: push.pushId, code: 'UNKNOWN_WAYBILL' }, 'carrier push for a waybill not followed here; acknowledged and ignored');
      res.status(202).json({ status: 'ignored', reason: 'UNKNOWN_WAYBILL' });
      return;
    }
    const mapped = mapEmsTraces(push.waybillNo, push.traces);
    for (const s of mapped.skipped) ctx.logger.warn({ ...ref, pushId: push.pushId, code: s.code, index: s.index }, 'carrier trace skipped');
    if (mapped.unknownCodes.length) ctx.logger.warn({ ...ref, codes: mapped.unknownCodes.slice(0, 10) }, 'carrier codes not in our table; kept as exceptions');
    const result = await ingestCarrierEvents(ctx, parcels, ref, mapped.events, 'push');
    if (result.outcome === 'unknown_parcel' || result.outcome === 'over_limit') {
      // Acknowledged, so the carrier stops resending what we will not record; the log says why.
      const reason = result.outcome === 'unknown_parcel' ? 'UNKNOWN_PARCEL' : 'TOO_MANY_EVENTS';
      ctx.logger.warn({ ...ref, pushId: push.pushId, code: reason }, 'carrier push acknowledged and ignored');
      res.status(202).json({ status: 'ignored', reason });
      return;
    }
    // Pushes are flowing: the polling fallback can wait.
    if (result.outcome === 'recorded') await parcels.reschedule(ref, ctx.clock.now() + ctx.config.KC_PARCEL_POLL_MS);
    res.status(200).json({
      status: 'accepted',
      added: result.added,
      duplicates: result.duplicates,
      skipped: mapped.skipped.length + result.refused,
      parcelStatus: result.status,
    });
  });

  router.get('/api/v1/parcels/attention', guard('parcels:read'), async (_req, res) => {
    const parcelsOut = [];
    for (const { ref, sinceMs } of await parcels.listAttention(ATTENTION_LIMIT)) {
      const record = await ctx.store.getCase(ref.caseNo);
      const handoff = record ? handoffsOf(record).find((h) => h.handoffId === ref.handoffId) : undefined;
      // Moving again, delivered, or received by staff: off the list.
      if (!handoff || !handoff.tracking.needsAttention || handoff.status !== 'in_transit') {
        await parcels.clearAttention(ref);
        continue;
      }
      parcelsOut.push({
        caseNo: ref.caseNo,
        handoffId: ref.handoffId,
        kind: handoff.kind,
        carrier: handoff.carrier,
        waybill: handoff.waybill,
        status: handoff.tracking.status,
        statusLabel: handoff.tracking.statusLabel,
        lastEventAt: handoff.tracking.lastEventAt,
        alerts: handoff.tracking.alerts,
        since: new Date(sinceMs).toISOString(),
      });
    }
    res.json({ parcels: parcelsOut });
  });

  return router;
}
