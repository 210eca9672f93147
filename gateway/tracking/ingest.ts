/**
 * Carrier events for a parcel this gateway follows, from a push or a poll, become shared events
 * of the case: the events new to the parcel's timeline (`tracking`), an alert when the parcel
 * enters a status staff must look at (`parcel_alert`), and, for a result posted to the applicant,
 * its delivery (`result_delivered`). Both districts fold the same events into the same timeline.
 *
 * Safe to repeat and to race: each shared event's id is derived from its content, so a retried
 * push, a push racing a poll, or two replicas record each thing once (or record overlapping
 * batches that the timeline fold de-duplicates).
 */
import { createHash } from 'node:crypto';
import { CourierError } from '../../courier/errors.js';
import { NEEDS_ATTENTION, type TrackingEvent } from '../../courier/tracking-status.js';
import { mergeEvents, toTimelineEvent, type MergeResult, type ParcelTimeline, type TimelineEvent } from '../../courier/tracking-timeline.js';
import type { GatewayContext } from '../context.js';
import { PARCEL_ALERT_REASONS } from '../domain/shared-events.js';
import { dispatchOf } from '../cases/handoffs.js';
import { recordSharedEvent } from '../cases/shared-events.js';
import { parcelTimelineOf } from './parcel-view.js';
import type { ParcelRef, ParcelStore } from './parcel-store.js';

export interface IngestOutcome {
  /** over_limit: the parcel would pass MAX_EVENTS_PER_PARCEL — a feed gone wrong; logged, not recorded. */
  outcome: 'recorded' | 'nothing_new' | 'unknown_parcel' | 'over_limit';
  added: number;
  duplicates: number;
  /** Events refused one by one (bad time, too long a text); logged by code, never their text. */
  refused: number;
  status?: string;
}

type AlertReason = (typeof PARCEL_ALERT_REASONS)[number];
const isAlertReason = (s: string): s is AlertReason => (PARCEL_ALERT_REASONS as readonly string[]).includes(s);

/** A shared event id from the content it records: the same content gives the same id. */
function contentId(prefix: string, events: readonly TimelineEvent[]): string {
  const h = createHash('sha256');
  for (const e of events) h.update(`${e.atMs}\u0000${e.rawCode}\u0000${e.rawText}\u0001`);
  return `${prefix}:${h.digest('hex').slice(0, 24)}`;
}

/**
 * Merges a batch; when an event in it is bad (an impossible time, too long a text), that event is
 * refused and logged by code — never its text — and the rest of the batch goes on. The whole batch
 * is tried first: checking each event on its own costs as much again, and bad events are rare.
 */
function mergeGood(ctx: GatewayContext, ref: ParcelRef, timeline: ParcelTimeline, events: readonly TrackingEvent[]): { merged: MergeResult; refused: number } {
  try {
    return { merged: mergeEvents(timeline, events), refused: 0 };
  } catch (err) {
    if (!(err instanceof CourierError) || err.code === 'TRACKING_TOO_MANY_EVENTS') throw err;
  }
  const good: TrackingEvent[] = [];
  for (const e of events) {
    try {
      toTimelineEvent(timeline.waybill, e);
      good.push(e);
    } catch (err) {
      if (!(err instanceof CourierError)) throw err;
      ctx.logger.warn({ ...ref, code: err.code, rawCode: String(e.rawCode).slice(0, 8) }, 'carrier event refused');
    }
  }
  return { merged: mergeEvents(timeline, good), refused: events.length - good.length };
}

export async function ingestCarrierEvents(
  ctx: GatewayContext,
  parcels: ParcelStore,
  ref: ParcelRef,
  events: readonly TrackingEvent[],
  source: 'push' | 'poll',
): Promise<IngestOutcome> {
  // The events are all a parcel needs (the record hash holds envelopes too, and costs twice as much to read).
  const caseEvents = await ctx.store.getEvents(ref.caseNo, 0);
  const dispatch = dispatchOf(caseEvents, ref.handoffId);
  if (!dispatch) return { outcome: 'unknown_parcel', added: 0, duplicates: 0, refused: 0 };
  const { waybill, handoffKind } = dispatch.step;
  let mergedGood: ReturnType<typeof mergeGood>;
  try {
    mergedGood = mergeGood(ctx, ref, parcelTimelineOf(caseEvents, ref.handoffId, waybill), events);
  } catch (err) {
    if (!(err instanceof CourierError && err.code === 'TRACKING_TOO_MANY_EVENTS')) throw err;
    ctx.logger.error({ ...ref, source, code: err.code }, 'carrier events beyond the limit of a parcel; not recorded');
    return { outcome: 'over_limit', added: 0, duplicates: 0, refused: events.length };
  }
  const { merged, refused } = mergedGood;
  const status = merged.timeline.state.status;
  const log = { ...ref, source, added: merged.added.length, duplicates: merged.duplicates, late: merged.late, status };
  if (merged.added.length === 0) {
    ctx.logger.debug(log, 'carrier events: nothing new');
    return { outcome: 'nothing_new', added: 0, duplicates: merged.duplicates, refused, status };
  }
  const added = merged.added.map(({ atMs: _atMs, ...event }) => event);
  await recordSharedEvent(ctx, {
    caseNo: ref.caseNo,
    kind: 'tracking',
    eventId: contentId(`tracking:${ref.handoffId}`, merged.added),
    data: { handoffId: ref.handoffId, waybill, events: added },
    note: status,
  });
  ctx.logger.info(log, 'carrier events recorded');

  const last = merged.timeline.events.at(-1)!;
  if (merged.statusChanged && isAlertReason(status) && NEEDS_ATTENTION.has(status)) {
    await raiseParcelAlert(ctx, parcels, ref, waybill, status, last);
  }
  if (status === 'delivered' && handoffKind === 'result_to_applicant') {
    await recordSharedEvent(ctx, {
      caseNo: ref.caseNo,
      kind: 'result_delivered',
      eventId: `result-delivered:${ref.handoffId}`,
      data: { handoffId: ref.handoffId, waybill, deliveredAt: last.eventTime },
    });
  }
  return { outcome: 'recorded', added: added.length, duplicates: merged.duplicates, refused, status };
}

/**
 * An alert staff on both sides see: once per reason and per last event (a parcel that goes silent
 * again after moving raises a new stall alert; the same silence raises one).
 */
export async function raiseParcelAlert(
  ctx: GatewayContext,
  parcels: ParcelStore,
  ref: ParcelRef,
  waybill: string,
  reason: AlertReason,
  lastEvent: TimelineEvent | undefined,
): Promise<void> {
  const outcome = await recordSharedEvent(ctx, {
    caseNo: ref.caseNo,
    kind: 'parcel_alert',
    eventId: `parcel-alert:${ref.handoffId}:${reason}:${lastEvent?.atMs ?? 0}`,
    data: { handoffId: ref.handoffId, waybill, reason, lastEventAt: lastEvent?.eventTime ?? null },
  });
  if (outcome !== 'OK') return;
  await parcels.markAttention(ref, ctx.clock.now());
  ctx.logger.warn({ ...ref, reason, code: 'PARCEL_ALERT' }, 'parcel needs staff attention');
}
