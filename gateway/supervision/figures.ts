/**
 * Supervision figures (电子监察统计) for a period: per handling district, department and matter —
 * cases completed, completed on time, on-time rate, average working days used, pre-warnings,
 * yellow and red cards, open cases now overdue, and the applicants' ratings.
 *
 * Worked out from the cases themselves (their events and the deadline rules), so the figures can
 * never disagree with what a case shows. That reads every case in the store: fine for the
 * thousands of cases a district pair handles a year; a deployment of the province's size would
 * keep running totals instead (noted in the closing note of the deadline issue).
 */
import type { GatewayContext } from '../context.js';
import { shanghaiDateOf, shanghaiDateOfInstant } from '../calendar/dates.js';
import type { CaseRecord } from '../domain/case.js';
import type { District } from '../domain/district.js';
import { computeDeadline } from '../deadlines/deadline.js';
import { AppError } from '../errors.js';

export interface FigureRow {
  handlingDistrict: District;
  department: string;
  matterId: string;
  matterName: string;
  completed: number;
  completedOnTime: number;
  /** completedOnTime / completed, or null when nothing was completed. */
  onTimeRate: number | null;
  /** Average working days used by the completed cases, or null. */
  averageDaysUsed: number | null;
  preWarnings: number;
  yellowCards: number;
  redCards: number;
  /** Open cases overdue now (counted in the period that contains today). */
  openOverdue: number;
  ratings: { satisfied: number; neutral: number; dissatisfied: number };
  /** satisfied / all ratings, or null when there are none. */
  satisfactionRate: number | null;
}

export interface FigureQuery {
  /** YYYY-MM (Beijing). */
  period: string;
  handlingDistrict?: District;
  matterId?: string;
}

const PAGE = 500;
const round = (n: number) => Math.round(n * 1000) / 1000;

async function* allCases(ctx: GatewayContext): AsyncGenerator<CaseRecord> {
  for (const shard of ctx.store.keys.shards) {
    for (let start = 0; ; start += PAGE) {
      const caseNos = await ctx.store.redis.zrange(shard.cases, start, start + PAGE - 1);
      const records = await Promise.all(caseNos.map((no) => ctx.store.getCase(no)));
      for (const r of records) if (r) yield r;
      if (caseNos.length < PAGE) break;
    }
  }
}

export async function supervisionFigures(ctx: GatewayContext, q: FigureQuery): Promise<{ period: string; rows: FigureRow[] }> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(q.period)) {
    throw new AppError('VALIDATION_FAILED', 'period must be YYYY-MM', [{ field: 'period', code: 'INVALID', message: '统计期间须为 YYYY-MM' }]);
  }
  const now = ctx.clock.now();
  const inPeriod = (iso: string) => shanghaiDateOfInstant(iso).startsWith(q.period);
  const currentPeriod = shanghaiDateOf(now).startsWith(q.period);
  const rows = new Map<string, FigureRow & { daysUsed: number }>();

  for await (const record of allCases(ctx)) {
    if (q.handlingDistrict && record.handling !== q.handlingDistrict) continue;
    if (q.matterId && record.matterId !== q.matterId) continue;
    const matter = ctx.catalog.get(record.matterId);
    if (!matter) continue;
    const department = matter.districts[record.handling].department;
    const key = `${record.handling}|${department}|${matter.id}`;
    let row = rows.get(key);
    const touch = () => {
      row ??= {
        handlingDistrict: record.handling,
        department,
        matterId: matter.id,
        matterName: matter.name,
        completed: 0,
        completedOnTime: 0,
        onTimeRate: null,
        averageDaysUsed: null,
        preWarnings: 0,
        yellowCards: 0,
        redCards: 0,
        openOverdue: 0,
        ratings: { satisfied: 0, neutral: 0, dissatisfied: 0 },
        satisfactionRate: null,
        daysUsed: 0,
      };
      rows.set(key, row);
      return row;
    };

    const deadline = computeDeadline(matter, record.events, ctx.calendar, now);
    if (deadline.state === 'completed' && deadline.completedOn?.startsWith(q.period)) {
      const r = touch();
      r.completed += 1;
      r.daysUsed += deadline.usedDays;
      if (deadline.onTime) r.completedOnTime += 1;
    }
    if (currentPeriod && deadline.state === 'running' && deadline.overdue) touch().openOverdue += 1;
    for (const e of record.events) {
      if (!inPeriod(e.at)) continue;
      if (e.kind === 'card_issued') {
        const card = e.data?.card;
        if (card === 'pre_warning') touch().preWarnings += 1;
        else if (card === 'yellow') touch().yellowCards += 1;
        else if (card === 'red') touch().redCards += 1;
      } else if (e.kind === 'rated') {
        const rating = e.data?.rating;
        if (rating === 'satisfied' || rating === 'neutral' || rating === 'dissatisfied') touch().ratings[rating] += 1;
      }
    }
  }

  const out: FigureRow[] = [...rows.values()].map(({ daysUsed, ...r }) => {
    const rated = r.ratings.satisfied + r.ratings.neutral + r.ratings.dissatisfied;
    return {
      ...r,
      onTimeRate: r.completed ? round(r.completedOnTime / r.completed) : null,
      averageDaysUsed: r.completed ? round(daysUsed / r.completed) : null,
      satisfactionRate: rated ? round(r.ratings.satisfied / rated) : null,
    };
  });
  out.sort((a, b) => a.handlingDistrict.localeCompare(b.handlingDistrict) || a.department.localeCompare(b.department) || a.matterId.localeCompare(b.matterId));
  return { period: q.period, rows: out };
}
