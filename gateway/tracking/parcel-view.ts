/**
 * What both districts show of a parcel: its timeline folded from the case's shared `tracking`
 * events (gateway/tracking/ingest.ts records them where the parcel is followed; the envelope
 * carries them to the other side), and the alerts raised on it. Derived from the events each
 * time, so both gateways agree and a replayed or duplicated event changes nothing.
 */
import { emptyTimeline, mergeEvents, type ParcelTimeline } from '../../courier/tracking-timeline.js';
import { NEEDS_ATTENTION, TRACKING_STATUS_LABEL, type TrackingEvent, type TrackingStatus } from '../../courier/tracking-status.js';
import type { CaseEvent } from '../domain/case.js';
import type { SharedEventData } from '../domain/shared-events.js';

export interface ParcelEventView {
  eventTime: string;
  status: TrackingStatus;
  statusLabel: string;
  /** What the carrier said: its code and text. */
  rawCode: string;
  rawText: string;
  location?: string;
}

export interface ParcelAlertView {
  reason: SharedEventData<'parcel_alert'>['reason'];
  raisedAt: string;
}

export interface ParcelTrackingView {
  status: TrackingStatus;
  statusLabel: string;
  /** Staff must look at it: a status that needs attention, or an alert raised since the last event. */
  needsAttention: boolean;
  lastEventAt: string | null;
  deliveredAt: string | null;
  /** Oldest first. */
  events: ParcelEventView[];
  alerts: ParcelAlertView[];
}

/** The timeline of one hand-off's parcel from the case's events. */
export function parcelTimelineOf(events: readonly CaseEvent[], handoffId: string, waybill: string): ParcelTimeline {
  let timeline = emptyTimeline(waybill);
  for (const e of events) {
    if (e.kind !== 'tracking' || e.data?.['handoffId'] !== handoffId) continue;
    const data = e.data as SharedEventData<'tracking'>;
    // Checked when recorded and when received; a waybill that does not match is skipped, not thrown.
    if (data.waybill !== waybill) continue;
    timeline = mergeEvents(timeline, data.events as TrackingEvent[]).timeline;
  }
  return timeline;
}

export function parcelTrackingView(events: readonly CaseEvent[], handoffId: string, waybill: string): ParcelTrackingView {
  const timeline = parcelTimelineOf(events, handoffId, waybill);
  const last = timeline.events.at(-1);
  const alerts: ParcelAlertView[] = [];
  for (const e of events) {
    if (e.kind !== 'parcel_alert' || e.data?.['handoffId'] !== handoffId) continue;
    alerts.push({ reason: (e.data as SharedEventData<'parcel_alert'>).reason, raisedAt: e.at });
  }
  const delivered = timeline.state.status === 'delivered' ? timeline.events.findLast((e) => e.status === 'delivered') : undefined;
  // A stall alert stands until the parcel moves again.
  const stalledSinceLastEvent = alerts.some((a) => a.reason === 'stalled' && (!last || Date.parse(a.raisedAt) > last.atMs));
  return {
    status: timeline.state.status,
    statusLabel: TRACKING_STATUS_LABEL[timeline.state.status],
    needsAttention: NEEDS_ATTENTION.has(timeline.state.status) || stalledSinceLastEvent,
    lastEventAt: last?.eventTime ?? null,
    deliveredAt: delivered?.eventTime ?? null,
    events: timeline.events.map(({ eventTime, status, rawCode, rawText, location }) => ({
      eventTime,
      status,
      statusLabel: TRACKING_STATUS_LABEL[status],
      rawCode,
      rawText,
      ...(location === undefined ? {} : { location }),
    })),
    alerts,
  };
}

/** The delivery of the case's result to the applicant, when the carrier reported it (ingest.ts records it once). */
export function resultDeliveredOf(events: readonly CaseEvent[]): SharedEventData<'result_delivered'> | null {
  const e = events.find((ev) => ev.kind === 'result_delivered');
  return e?.data ? (e.data as SharedEventData<'result_delivered'>) : null;
}
