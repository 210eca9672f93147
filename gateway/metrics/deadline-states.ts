/**
 * Open cases handled here, counted by where their deadline stands — for the kc_cases_by_deadline gauge.
 *
 * There is no running count to read: the deadline watch (gateway/supervision/watch.ts) holds exactly
 * the open cases handled here, but where each one stands needs its events and the calendar. So this
 * is O(open cases handled here) — one read per case, a page at a time — and the result is cached for
 * 60 s, so a scrape every few seconds costs one pass a minute at most (two concurrent scrapes share it).
 */
import type { GatewayContext } from '../context.js';
import { computeDeadline, type DeadlineView } from '../deadlines/deadline.js';
import { supervisionKeys } from '../supervision/keys.js';

export const DEADLINE_BUCKETS = ['not_started', 'paused', 'green', 'yellow', 'red'] as const;
export type DeadlineBucket = (typeof DEADLINE_BUCKETS)[number];

export const DEADLINE_STATES_TTL_MS = 60_000;
const PAGE = 500;

/**
 * green: running with more than the pre-warning days left; yellow: within them (or on the deadline
 * day); red: past the deadline without a decision. Completed cases are in no bucket.
 */
export function deadlineBucket(view: Pick<DeadlineView, 'state' | 'overdue' | 'remainingDays'>, prewarnDays: number): DeadlineBucket | undefined {
  if (view.state === 'completed') return undefined;
  if (view.state === 'not_started' || view.state === 'paused') return view.state;
  if (view.overdue) return 'red';
  return view.remainingDays <= prewarnDays ? 'yellow' : 'green';
}

export type DeadlineCounts = Record<DeadlineBucket, number>;

async function countNow(ctx: GatewayContext): Promise<DeadlineCounts> {
  const counts: DeadlineCounts = { not_started: 0, paused: 0, green: 0, yellow: 0, red: 0 };
  const nowMs = ctx.clock.now();
  for (const shard of supervisionKeys(ctx.store.keys).shards) {
    for (let start = 0; ; start += PAGE) {
      const caseNos = await ctx.store.redis.zrange(shard.watch, start, start + PAGE - 1);
      const records = await Promise.all(caseNos.map((no) => ctx.store.getCase(no)));
      for (const record of records) {
        // The watch may briefly hold a case of the other district (dropped at its first look).
        if (!record || record.handling !== ctx.district) continue;
        const matter = ctx.catalog.get(record.matterId);
        if (!matter) continue;
        try {
          const bucket = deadlineBucket(computeDeadline(matter, record.events, ctx.calendar, nowMs), ctx.config.KC_PREWARN_DAYS);
          if (bucket) counts[bucket] += 1;
        } catch {
          // A date outside the calendar: the watcher logs it; the gauge just leaves the case out.
        }
      }
      if (caseNos.length < PAGE) break;
    }
  }
  return counts;
}

/** Counts, at most DEADLINE_STATES_TTL_MS old (by the real clock: a test's frozen clock must not pin the cache). */
export function deadlineStateCounter(ctx: GatewayContext, ttlMs = DEADLINE_STATES_TTL_MS): () => Promise<DeadlineCounts> {
  let cached: { at: number; counts: DeadlineCounts } | undefined;
  let running: Promise<DeadlineCounts> | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.counts;
    running ??= countNow(ctx)
      .then((counts) => {
        cached = { at: Date.now(), counts };
        return counts;
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
}
