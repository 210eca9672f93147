/**
 * The one parcel status model every carrier is mapped to, its Chinese labels for citizens, the
 * tracking event, and the rule that folds a time-ordered list of events into the parcel's current
 * status. Carrier codes never leave the carrier's folder except as `rawCode` / `rawText`.
 *
 * The fold (advanceStatus) — why each rule:
 * - Normal flow only moves forward: pending < info_received < picked_up < in_transit <
 *   {out_for_delivery, available_for_pickup, attempt_failed} < delivered. A scan of a lower rank
 *   after a higher one (a parcel back at the delivery office after a failed attempt, a late upload
 *   of an earlier sorting scan) joins the timeline but does not move the status back.
 * - The three "at the last mile" statuses share a rank: between them the latest event wins
 *   (a failed attempt followed by a new delivery round is out_for_delivery again).
 * - `exception` (lost, damaged, refused, held) is entered from any status, delivered included:
 *   staff must see it whatever came before.
 * - Out of `exception`: a later normal event means the carrier is moving the parcel again, so the
 *   status goes back to the normal flow — at the highest normal status reached so far, never
 *   lower (the exception does not erase progress).
 * - `returned` is entered from any status and is sticky for normal events: the return trip's own
 *   transit and delivery scans are normal scans, but the parcel is still on its way back. Only a
 *   later `exception` (lost on the way back) overrides it, and a later normal event then leads
 *   back to `returned`, not to the forward flow.
 * - `expired` (the carrier stopped tracking with no final status) replaces only a forward-flow
 *   status short of delivered: it never hides delivered, returned or an exception (a lost parcel
 *   whose tracking then ends is still lost). A later normal event revives the parcel like after
 *   an exception.
 * - `delivered` is final for normal events.
 */

export const TRACKING_STATUSES = [
  'pending',
  'info_received',
  'picked_up',
  'in_transit',
  'out_for_delivery',
  'available_for_pickup',
  'attempt_failed',
  'delivered',
  'exception',
  'returned',
  'expired',
] as const;
export type TrackingStatus = (typeof TRACKING_STATUSES)[number];

/** Statuses of the forward flow (everything but exception, returned and expired). */
export type FlowStatus = Exclude<TrackingStatus, 'exception' | 'returned' | 'expired'>;

/** What citizens and staff read (citizen tracking page, staff console). */
export const TRACKING_STATUS_LABEL: Readonly<Record<TrackingStatus, string>> = {
  pending: '暂无物流信息',
  info_received: '已下单',
  picked_up: '已揽收',
  in_transit: '运输中',
  out_for_delivery: '派送中',
  available_for_pickup: '待自提',
  attempt_failed: '投递失败',
  delivered: '已签收',
  exception: '异常',
  returned: '已退回',
  expired: '已过期',
};

/** Rank of each forward-flow status; the last-mile statuses share rank 4. */
export const FLOW_RANK: Readonly<Record<FlowStatus, number>> = {
  pending: 0,
  info_received: 1,
  picked_up: 2,
  in_transit: 3,
  out_for_delivery: 4,
  available_for_pickup: 4,
  attempt_failed: 4,
  delivered: 5,
};

/** Statuses staff must look at (the lead's alerts hang off these). */
export const NEEDS_ATTENTION: ReadonlySet<TrackingStatus> = new Set(['attempt_failed', 'exception', 'returned', 'expired']);

export function isTrackingStatus(value: unknown): value is TrackingStatus {
  return typeof value === 'string' && (TRACKING_STATUSES as readonly string[]).includes(value);
}

export function isFlowStatus(status: TrackingStatus): status is FlowStatus {
  return Object.hasOwn(FLOW_RANK, status);
}

/** One scan or status report from a carrier, normalised. */
export interface TrackingEvent {
  /** Normalised waybill number (see waybill.ts). */
  waybill: string;
  /** When it happened: ISO 8601 instant with the +08:00 offset, e.g. `2024-05-06T09:30:00.000+08:00`. */
  eventTime: string;
  status: TrackingStatus;
  /** The carrier's own code, kept so that staff and support can read what the carrier said. */
  rawCode: string;
  /** The carrier's own text. May carry the courier's or recipient's name: show it, never log it. */
  rawText: string;
  /** The carrier's facility (city and office), when it gives one. */
  location?: string;
}

/** What the fold carries from one event to the next. */
export interface StatusState {
  status: TrackingStatus;
  /** The highest forward-flow status reached, whatever came in between. */
  progress: FlowStatus;
  /** Has the parcel been sent back? Sticky: the return trip's scans do not undo it. */
  returned: boolean;
}

export const INITIAL_STATUS_STATE: StatusState = Object.freeze({ status: 'pending', progress: 'pending', returned: false });

function forward(progress: FlowStatus, incoming: FlowStatus): FlowStatus {
  const from = FLOW_RANK[progress];
  const to = FLOW_RANK[incoming];
  // Equal rank: only the last-mile statuses share one, and there the newest wins.
  return to >= from ? incoming : progress;
}

/** Folds one event (in time order) into the state. Pure; returns `state` itself when nothing changes. */
export function advanceStatus(state: StatusState, incoming: TrackingStatus): StatusState {
  switch (incoming) {
    case 'exception':
      return state.status === 'exception' ? state : { ...state, status: 'exception' };
    case 'returned':
      return state.status === 'returned' && state.returned ? state : { ...state, status: 'returned', returned: true };
    case 'expired':
      if (!isFlowStatus(state.status) || state.status === 'delivered') return state;
      return { ...state, status: 'expired' };
    default: {
      if (state.returned) return state.status === 'returned' ? state : { ...state, status: 'returned' };
      if (state.progress === 'delivered') return state.status === 'delivered' ? state : { ...state, status: 'delivered' };
      const progress = forward(state.progress, incoming);
      if (progress === state.progress && state.status === progress) return state;
      return { ...state, status: progress, progress };
    }
  }
}
