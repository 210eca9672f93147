/**
 * What a citizen sees of a case on the tracking page: progress, deadline and parcels — never the
 * application. Anyone who knows a case number and four phone digits can read this, so it is built
 * field by field from an allow-list (no spreading of records or views), and the carrier's free
 * text is scrubbed of the applicant's data and of phone numbers before it is shown.
 */
import { HANDOFF_KIND_ZH, type DispatchedStep, type HandoffKind, type ReceivedStep } from '../../courier/handoff.js';
import type { TrackingStatus } from '../../courier/tracking-status.js';
import type { Carrier } from '../../courier/waybill.js';
import { handoffsOf, type HandoffView } from '../cases/handoffs.js';
import { RATING_ZH, type Rating } from '../cases/rating.js';
import type { GatewayContext } from '../context.js';
import { computeDeadline } from '../deadlines/deadline.js';
import type { Applicant } from '../domain/application.js';
import { CASE_STATE_ZH, type CaseEvent, type CaseRecord, type CaseState } from '../domain/case.js';
import { DISTRICT_NAME_ZH, type District } from '../domain/district.js';
import { SHARED_EVENT_ZH, type SharedEventData } from '../domain/shared-events.js';
import { resultDeliveredOf } from '../tracking/parcel-view.js';

type ViewContext = Pick<GatewayContext, 'catalog' | 'calendar' | 'clock' | 'district'>;

export const CARRIER_ZH: Record<Carrier, string> = { ems: 'EMS', china_post: '中国邮政' };

export interface CitizenMilestone {
  at: string;
  label: string;
}

export interface CitizenParcelEvent {
  eventTime: string;
  status: TrackingStatus;
  statusLabel: string;
  /** The carrier's text, scrubbed (see scrubCarrierText). */
  text: string;
  location: string | null;
}

export interface CitizenParcel {
  kind: HandoffKind;
  kindLabel: string;
  carrier: string;
  carrierLabel: string;
  waybill: string;
  status: TrackingStatus;
  statusLabel: string;
  lastEventAt: string | null;
  deliveredAt: string | null;
  /** Newest first: what a citizen wants to read first. */
  events: CitizenParcelEvent[];
}

export interface CitizenDeadline {
  /** Last day of the promised limit (Beijing date); null before the clock starts or while it is paused. */
  date: string | null;
  state: 'not_started' | 'running' | 'paused' | 'completed';
  promisedDays: number;
  overdue: boolean;
  paused: boolean;
  completedOn: string | null;
  onTime: boolean | null;
}

export interface CitizenView {
  caseNo: string;
  matterName: string;
  state: CaseState;
  stateLabel: string;
  originDistrict: District;
  originDistrictName: string;
  handlingDistrict: District;
  handlingDistrictName: string;
  createdAt: string;
  deadline: CitizenDeadline | null;
  /** Newest first. */
  progress: CitizenMilestone[];
  result: { decision: 'approved' | 'rejected'; decisionLabel: string; documentName: string; issuedAt: string } | null;
  parcels: CitizenParcel[];
  resultDelivered: { deliveredAt: string; waybill: string } | null;
  rating: { canRate: boolean; rating: Rating | null; ratingLabel: string | null };
}

export function citizenView(record: CaseRecord, ctx: ViewContext): CitizenView {
  const matter = ctx.catalog.get(record.matterId);
  const deadline = matter ? computeDeadline(matter, record.events, ctx.calendar, ctx.clock.now()) : null;
  const secrets = [...applicantSecrets(record.application?.applicant), ...formSecrets(record, matter)].sort((x, y) => y.length - x.length);
  return {
    caseNo: record.caseNo,
    matterName: matter?.name ?? '',
    state: record.state,
    stateLabel: CASE_STATE_ZH[record.state] ?? record.state,
    originDistrict: record.origin,
    originDistrictName: DISTRICT_NAME_ZH[record.origin],
    handlingDistrict: record.handling,
    handlingDistrictName: DISTRICT_NAME_ZH[record.handling],
    createdAt: record.createdAt,
    deadline: deadline && {
      date: deadline.deadline,
      state: deadline.state,
      promisedDays: deadline.promisedDays,
      overdue: deadline.overdue,
      paused: deadline.state === 'paused',
      completedOn: deadline.completedOn,
      onTime: deadline.onTime,
    },
    progress: milestonesOf(record.events),
    result: resultOf(record.events),
    parcels: handoffsOf(record).map((h) => parcelOf(h, secrets)),
    resultDelivered: deliveryOf(record.events),
    rating: ratingOf(record, ctx.district),
  };
}

/** The label of a milestone, or undefined for events a citizen has no use for (deliveries, cards, scans, alerts). */
function milestoneLabel(e: CaseEvent): string | undefined {
  switch (e.kind) {
    case 'created':
      return `窗口${CASE_STATE_ZH.submitted}`;
    // The origin records the receipt of its application envelope, the handling side its arrival.
    case 'forwarded':
    case 'received':
      return CASE_STATE_ZH.forwarded;
    case 'status':
      return CASE_STATE_ZH[e.state];
    case 'handoff': {
      const step = e.data as DispatchedStep | ReceivedStep | undefined;
      if (step?.step === 'dispatched') return `${HANDOFF_KIND_ZH[step.handoffKind] ?? SHARED_EVENT_ZH.handoff}：已交寄`;
      // The materials' arrival has its own milestone (materials_received); a receipt shows nothing more.
      return undefined;
    }
    case 'supplement_filed':
    case 'supplement_registered':
    case 'result_issued':
    case 'clock_paused':
    case 'clock_resumed':
    case 'materials_received':
    case 'result_delivered':
    case 'rated':
      return SHARED_EVENT_ZH[e.kind];
    default:
      return undefined;
  }
}

function milestonesOf(events: readonly CaseEvent[]): CitizenMilestone[] {
  const out: { at: string; label: string; ms: number; i: number }[] = [];
  events.forEach((e, i) => {
    const label = milestoneLabel(e);
    if (label) out.push({ at: e.at, label, ms: Date.parse(e.at), i });
  });
  // Status events carry the time they happened at the handling side: order by instant, then arrival.
  out.sort((a, b) => b.ms - a.ms || b.i - a.i);
  return out.map(({ at, label }) => ({ at, label }));
}

function resultOf(events: readonly CaseEvent[]): CitizenView['result'] {
  const e = events.findLast((ev) => ev.kind === 'result_issued');
  if (!e?.data) return null;
  const d = e.data as SharedEventData<'result_issued'>;
  return { decision: d.decision, decisionLabel: CASE_STATE_ZH[d.decision], documentName: d.documentName, issuedAt: d.issuedAt };
}

function deliveryOf(events: readonly CaseEvent[]): CitizenView['resultDelivered'] {
  const d = resultDeliveredOf(events);
  return d && { deliveredAt: d.deliveredAt, waybill: d.waybill };
}

/** Rated where the case was taken in, once, after the decision (gateway/cases/rating.ts). */
function ratingOf(record: CaseRecord, here: District): CitizenView['rating'] {
  const rated = record.events.find((e) => e.kind === 'rated');
  const rating = (rated?.data as SharedEventData<'rated'> | undefined)?.rating ?? null;
  const completed = record.state === 'approved' || record.state === 'rejected';
  return { canRate: !rating && completed && record.origin === here, rating, ratingLabel: rating ? RATING_ZH[rating] : null };
}

function parcelOf(h: HandoffView, secrets: readonly string[]): CitizenParcel {
  const t = h.tracking;
  return {
    kind: h.kind,
    kindLabel: HANDOFF_KIND_ZH[h.kind],
    carrier: h.carrier,
    carrierLabel: CARRIER_ZH[h.carrier as Carrier] ?? h.carrier,
    waybill: h.waybill,
    status: t.status,
    statusLabel: t.statusLabel,
    lastEventAt: t.lastEventAt,
    deliveredAt: t.deliveredAt,
    events: t.events
      .map((e) => ({
        eventTime: e.eventTime,
        status: e.status,
        statusLabel: e.statusLabel,
        text: scrubCarrierText(e.rawText, secrets),
        location: e.location === undefined ? null : scrubCarrierText(e.location, secrets),
      }))
      .reverse(),
  };
}

/** The applicant's data as it might be echoed by a carrier (a recipient's name, a phone, an address). */
function applicantSecrets(a: Applicant | undefined): string[] {
  if (!a) return [];
  const values = [a.name, a.idNumber, a.creditCode, a.phone, a.address];
  // Longest first, so a name inside an address does not leave the rest of the address behind.
  return values.filter((v): v is string => typeof v === 'string' && v.trim().length >= 2).sort((x, y) => y.length - x.length);
}

/** Form fields whose values may name or locate a person (an operator, an agent, premises): free text and identifiers. */
const PERSONAL_FIELD_TYPES: ReadonlySet<string> = new Set(['text', 'textarea', 'mobile', 'phone', 'idNumber', 'creditCode']);

/** The application's form values that a carrier might echo too (an agent who signs, the premises' address). */
function formSecrets(record: CaseRecord, matter: ReturnType<ViewContext['catalog']['get']>): string[] {
  const form = record.application?.form ?? {};
  const types = new Map((matter?.fields ?? []).map((f) => [f.key, f.type]));
  return Object.entries(form)
    .filter(([key, v]) => PERSONAL_FIELD_TYPES.has(types.get(key) ?? 'text') && typeof v === 'string' && v.trim().length >= 2)
    .map(([, v]) => v);
}

const MOBILE = /(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)/g;
const ID_NUMBER = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;
const FIXED_LINE = /(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)/g;

/**
 * Carrier texts may name the person who signed or give a courier's phone ("签收人：张三，电话…").
 * The page is open to anyone with four digits, so the applicant's own data and anything shaped
 * like a phone or ID number is masked before it is shown.
 */
export function scrubCarrierText(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  return out.replace(MOBILE, '***').replace(ID_NUMBER, '***').replace(FIXED_LINE, '***');
}
