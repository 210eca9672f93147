/**
 * Follows the parcels this district dispatched, at the carrier. Each parcel sits in its shard's
 * parcel queue (queued with the dispatch itself, see gateway/cases/handoffs.ts) and is looked at
 * when due, under a lease, so a crash only delays it:
 *
 * 1. not subscribed yet: index the waybill (pushes find their case by it), then subscribe it with
 *    our callback URL; a carrier outage retries with back-off;
 * 2. subscribed: nothing was pushed for KC_PARCEL_POLL_MS (each push moves the next look later),
 *    so poll the history — the fallback when pushes stop — and ingest it like a push;
 * 3. then check for a stall: no carrier event for KC_PARCEL_STALL_MS raises an alert.
 *
 * A parcel is no longer followed once it is delivered, tracking expired, staff received it at the
 * other end, or KC_PARCEL_FOLLOW_MS passed since dispatch.
 */
import { mapEmsTraces } from '../../courier/ems/mapping.js';
import type { EmsClient } from '../../courier/ems/client.js';
import { isCourierError } from '../../courier/errors.js';
import type { GatewayContext } from '../context.js';
import { backoffDelay } from '../workers/backoff.js';
import { dispatchOf } from '../cases/handoffs.js';
import { ingestCarrierEvents, raiseParcelAlert } from './ingest.js';
import { parcelTimelineOf } from './parcel-view.js';
import { parseParcelMember, type FollowState, type ParcelRef, type ParcelStore } from './parcel-store.js';

const BATCH = 32;
const LEASE_MS = 60_000;

export interface FollowerOptions {
  client: EmsClient;
  callbackUrl: string;
  parcels: ParcelStore;
}

export function createParcelFollower(ctx: GatewayContext, { client, callbackUrl, parcels }: FollowerOptions) {
  const cfg = ctx.config;

  /** Subscribes the parcel; true when done, false when it must be tried again later. */
  const subscribe = async (ref: ParcelRef, waybill: string, state: FollowState): Promise<boolean> => {
    await parcels.indexWaybill(waybill, ref);
    try {
      const { created } = await client.subscribe(waybill, callbackUrl);
      await parcels.setState(ref, { ...state, subscribedAt: ctx.clock.now() });
      ctx.logger.info({ ...ref, created }, 'parcel subscribed at the carrier');
      return true;
    } catch (err) {
      if (!isCourierError(err)) throw err;
      const attempts = (state.subscribeAttempts ?? 0) + 1;
      await parcels.setState(ref, { ...state, subscribeAttempts: attempts });
      // Credentials or a refused waybill need people; an outage passes. Both are tried again.
      const log = err.retryable ? ctx.logger.warn.bind(ctx.logger) : ctx.logger.error.bind(ctx.logger);
      log({ ...ref, code: err.code, attempts }, 'parcel subscription failed; will retry');
      await parcels.reschedule(ref, ctx.clock.now() + backoffDelay(attempts, 1_000, cfg.KC_PARCEL_POLL_MS));
      return false;
    }
  };

  const poll = async (ref: ParcelRef, waybill: string): Promise<void> => {
    try {
      const history = await client.history(waybill);
      const mapped = mapEmsTraces(waybill, history.traces);
      for (const s of mapped.skipped) ctx.logger.warn({ ...ref, code: s.code, index: s.index }, 'carrier trace skipped');
      await ingestCarrierEvents(ctx, parcels, ref, mapped.events, 'poll');
    } catch (err) {
      if (!isCourierError(err)) throw err;
      // No traces yet is an answer, not a failure; the stall check below still runs.
      if (err.code !== 'COURIER_WAYBILL_UNKNOWN') ctx.logger.warn({ ...ref, code: err.code }, 'parcel poll failed');
    }
  };

  const lookAt = async (ref: ParcelRef): Promise<void> => {
    const now = ctx.clock.now();
    const dispatch = dispatchOf(await ctx.store.getEvents(ref.caseNo, 0), ref.handoffId);
    if (!dispatch) {
      ctx.logger.error(ref, 'followed parcel without its case or hand-off; no longer followed');
      return parcels.finish(ref);
    }
    const { waybill } = dispatch.step;
    const state = await parcels.getState(ref);
    if (state.subscribedAt === undefined && !(await subscribe(ref, waybill, state))) return;
    if (state.subscribedAt !== undefined) await poll(ref, waybill);

    // Read again: the poll may have recorded events, and staff may have received the parcel meanwhile.
    const events = await ctx.store.getEvents(ref.caseNo, 0);
    const timeline = parcelTimelineOf(events, ref.handoffId, waybill);
    const status = timeline.state.status;
    const received = dispatchOf(events, ref.handoffId)?.received ?? false;
    const dispatchedAt = Date.parse(dispatch.dispatchedAt);
    if (status === 'delivered' || status === 'expired' || received || now - dispatchedAt > cfg.KC_PARCEL_FOLLOW_MS) {
      ctx.logger.info({ ...ref, status, received }, 'parcel no longer followed');
      return parcels.finish(ref);
    }
    const last = timeline.events.at(-1);
    const quietSince = last?.atMs ?? dispatchedAt;
    if (now - quietSince >= cfg.KC_PARCEL_STALL_MS) await raiseParcelAlert(ctx, parcels, ref, waybill, 'stalled', last);
    // Next look: after the poll interval, or when the parcel would count as stalled if sooner.
    const stallAt = quietSince + cfg.KC_PARCEL_STALL_MS;
    await parcels.reschedule(ref, Math.min(now + cfg.KC_PARCEL_POLL_MS, stallAt > now ? stallAt : now + cfg.KC_PARCEL_POLL_MS));
  };

  return {
    async tick(): Promise<boolean> {
      const now = ctx.clock.now();
      const queues = ctx.store.keys.shards.map((s) => s.parcels);
      const claimed = await Promise.all(queues.map((q) => ctx.store.claimDue(q, now, LEASE_MS, BATCH)));
      let any = false;
      for (const [i, members] of claimed.entries()) {
        for (const member of members) {
          any = true;
          const ref = parseParcelMember(member);
          if (ref) await lookAt(ref);
          else {
            ctx.logger.error({ member: member.slice(0, 80) }, 'unreadable parcel queue member dropped');
            await ctx.store.redis.zrem(queues[i]!, member);
          }
        }
      }
      return any;
    },
  };
}
