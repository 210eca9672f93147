/**
 * When a case's clock stood still, read from its events:
 * - 补正: from the handling district's supplement request until the applicant hands the
 *   supplementary materials in at the window (or the handling system reports them received or
 *   accepts the case again, whichever comes first);
 * - suspensions under the Administrative Licensing Law §45 (hearing, testing, expert review…):
 *   from a clock_paused shared event to its clock_resumed;
 * - courier time, for matters whose rule leaves it out: from the hand-off of the paper to its
 *   receipt (hand-off events, once couriers are tracked).
 * A pause still open has no end.
 */
import { shanghaiDateOfInstant, type CalendarDate } from '../calendar/dates.js';
import type { Matter } from '../catalog/schema.js';
import type { CaseEvent } from '../domain/case.js';

export const PAUSE_REASONS = ['supplement', 'hearing', 'testing', 'expert_review', 'other_suspension', 'courier'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export const PAUSE_REASON_ZH: Record<PauseReason, string> = {
  supplement: '补正材料',
  hearing: '听证',
  testing: '检验检测',
  expert_review: '专家评审',
  other_suspension: '其他法定中止情形',
  courier: '材料寄递',
};

export interface Pause {
  reason: PauseReason;
  from: CalendarDate;
  fromAt: string;
  to?: CalendarDate;
  toAt?: string;
}

const ENDS_SUPPLEMENT = new Set(['accepted', 'supplement_received', 'approved', 'rejected']);

function open(reason: PauseReason, at: string): Pause {
  return { reason, from: shanghaiDateOfInstant(at), fromAt: at };
}

function close(p: Pause, at: string): Pause {
  return { ...p, to: shanghaiDateOfInstant(at), toAt: at };
}

/** The pauses, in time order; events after `completedAt` are not looked at. */
export function pausesOf(matter: Matter, events: readonly CaseEvent[], completedAt: string | undefined): Pause[] {
  // Times come with different offsets (Z from gateways, +08:00 from approval systems): compare instants.
  const until = completedAt === undefined ? Infinity : Date.parse(completedAt);
  const ordered = [...events].filter((e) => Date.parse(e.at) <= until).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const pauses: Pause[] = [];
  let supplement: Pause | undefined;
  const suspensions = new Map<string, Pause>();
  let courier: Pause | undefined;

  for (const e of ordered) {
    if (e.kind === 'status' && e.state === 'supplement_requested') {
      supplement ??= open('supplement', e.at);
    } else if (supplement && ((e.kind === 'status' && ENDS_SUPPLEMENT.has(e.state)) || e.kind === 'supplement_filed')) {
      pauses.push(close(supplement, e.at));
      supplement = undefined;
    } else if (e.kind === 'clock_paused') {
      const id = String(e.data?.pauseId ?? '');
      const reason = String(e.data?.reason ?? 'other_suspension') as PauseReason;
      if (id && !suspensions.has(id)) suspensions.set(id, open((PAUSE_REASONS as readonly string[]).includes(reason) ? reason : 'other_suspension', e.at));
    } else if (e.kind === 'clock_resumed') {
      const id = String(e.data?.pauseId ?? '');
      const p = suspensions.get(id);
      if (p) {
        pauses.push(close(p, e.at));
        suspensions.delete(id);
      }
    } else if (!matter.clock.courierTimeCounts && e.kind === 'handoff' && e.data?.step === 'dispatched') {
      courier ??= open('courier', e.at);
    } else if (courier && e.kind === 'handoff' && e.data?.step === 'received') {
      pauses.push(close(courier, e.at));
      courier = undefined;
    }
  }
  for (const p of [supplement, ...suspensions.values(), courier]) if (p) pauses.push(p);
  return pauses.sort((a, b) => Date.parse(a.fromAt) - Date.parse(b.fromAt));
}
