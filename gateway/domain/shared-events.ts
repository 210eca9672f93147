/**
 * Case events that both districts hold alike: recorded where they happen, carried to the other
 * district in a signed `event` envelope and appended there too, so both sides keep the same chain
 * (supplements filed, results issued, clock pauses, hand-offs, parcel tracking, ratings). Each
 * kind has its own data shape, checked when sent and when received. No applicant data goes into
 * them (the carrier's own text aside: see `tracking`).
 */
import { z } from 'zod';
import { handoffStep } from '../../courier/handoff.js';
import { TRACKING_STATUSES } from '../../courier/tracking-status.js';

const instant = z.string().datetime({ offset: true });

const ulid = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/);

/** A normalised carrier event (courier/tracking-status.ts); the timeline merge checks it further. */
const trackingEvent = z.strictObject({
  waybill: z.string().min(1).max(40),
  eventTime: instant,
  status: z.enum(TRACKING_STATUSES),
  rawCode: z.string().max(64),
  rawText: z.string().max(2000),
  location: z.string().max(200).optional(),
});

/** Why staff must look at a parcel (gateway/tracking/alerts.ts). */
export const PARCEL_ALERT_REASONS = ['stalled', 'attempt_failed', 'exception', 'returned', 'expired'] as const;

const materialItem = z.strictObject({ name: z.string().min(1).max(200), form: z.enum(['original', 'copy']), copies: z.number().int().min(1).max(99) });

export const SHARED_EVENT_DATA = {
  /** Origin → handling: the applicant handed in supplementary materials (补正材料) at the window. */
  supplement_filed: z.strictObject({ supplementId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/), materials: z.array(materialItem).min(1).max(50) }),
  /** Handling → origin: the handling system filed them (its receipt number). */
  supplement_registered: z.strictObject({ supplementId: z.string(), receiptNo: z.string().min(1).max(100) }),
  /** Handling → origin: the decision record (决定书 / 证照). */
  result_issued: z.strictObject({
    decision: z.enum(['approved', 'rejected']),
    documentName: z.string().min(1).max(200),
    documentNo: z.string().max(100),
    issuedAt: instant,
  }),
  /** Handling → origin: the clock stops for a statutory suspension (Administrative Licensing Law §45). */
  clock_paused: z.strictObject({ pauseId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/), reason: z.enum(['hearing', 'testing', 'expert_review', 'other_suspension']) }),
  /** Handling → origin: the suspension is over. */
  clock_resumed: z.strictObject({ pauseId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/) }),
  /**
   * Handling → origin: 电子监察 issued a card for the deadline (gateway/supervision): a pre-warning
   * while days remain, a yellow card when the deadline day ended without a decision, a red card
   * after the grace period. `remainingDays` is negative when overdue. No staff names or ids.
   */
  card_issued: z.strictObject({
    card: z.enum(['pre_warning', 'yellow', 'red']),
    deadline: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    remainingDays: z.number().int(),
  }),
  /** Handling → origin: the paper materials reached the handling district (starts the clock where the matter says so). */
  materials_received: z.strictObject({ receivedBy: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/) }),
  /** Either way: a step in the chain of custody of the case's paper (courier/handoff.ts). */
  handoff: handoffStep,
  /**
   * Either way, from the district that dispatched the parcel and follows it at the carrier: the
   * carrier events that were new to its timeline. Both sides fold them into the same timeline.
   * The carrier's text may name the courier or the person who signed: shown, never logged.
   */
  tracking: z.strictObject({ handoffId: ulid, waybill: z.string().min(1).max(40), events: z.array(trackingEvent).min(1).max(1000) }),
  /** Either way: a parcel staff must look at — silent too long, or in a status that needs attention. */
  parcel_alert: z.strictObject({
    handoffId: ulid,
    waybill: z.string().min(1).max(40),
    reason: z.enum(PARCEL_ALERT_REASONS),
    lastEventAt: instant.nullable(),
  }),
  /** Handling → origin: the carrier delivered the result to the applicant. */
  result_delivered: z.strictObject({ handoffId: ulid, waybill: z.string().min(1).max(40), deliveredAt: instant }),
  /** Origin → handling: the applicant's rating of the completed case (满意 / 一般 / 不满意). */
  rated: z.strictObject({ rating: z.enum(['satisfied', 'neutral', 'dissatisfied']), channel: z.enum(['window', 'partner', 'citizen']) }),
} as const;

export type SharedEventKind = keyof typeof SHARED_EVENT_DATA;
export const SHARED_EVENT_KINDS = Object.keys(SHARED_EVENT_DATA) as SharedEventKind[];
export type SharedEventData<K extends SharedEventKind> = z.infer<(typeof SHARED_EVENT_DATA)[K]>;

export const SHARED_EVENT_ZH: Record<SharedEventKind, string> = {
  supplement_filed: '已提交补正材料',
  supplement_registered: '办理地已接收补正材料',
  result_issued: '已出具办理结果',
  clock_paused: '办理时限中止计算',
  clock_resumed: '办理时限恢复计算',
  card_issued: '电子监察预警/亮牌',
  rated: '申请人已评价',
  materials_received: '办理地已收到纸质材料',
  handoff: '材料交接',
  tracking: '物流轨迹更新',
  parcel_alert: '邮件异常提醒',
  result_delivered: '办理结果已送达申请人',
};

/** The content of an `event` envelope. */
export const sharedEventContent = z.strictObject({
  kind: z.enum(SHARED_EVENT_KINDS as [SharedEventKind, ...SharedEventKind[]]),
  /** The sender's id for this event: the key both sides de-duplicate on. */
  eventId: z.string().min(1).max(120),
  at: instant,
  note: z.string().max(1000),
  data: z.record(z.string(), z.unknown()),
});
export type SharedEventContent = z.infer<typeof sharedEventContent>;

/** Checks an event's data against its kind; returns the problem, or undefined when it is fine. */
export function sharedEventProblem(content: SharedEventContent): string | undefined {
  const r = SHARED_EVENT_DATA[content.kind].safeParse(content.data);
  return r.success ? undefined : `${content.kind}.data.${r.error.issues[0]?.path.join('.') ?? ''}: ${r.error.issues[0]?.message ?? ''}`;
}
