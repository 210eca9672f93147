/**
 * The deadline watcher: durable timers in Redis, the BullMQ way.
 *
 * Each shard has a sorted set of watched cases (caseNo → when to look next). A tick claims the due
 * members with a lease (claimDue-1.lua), works out each case's deadline again from its events
 * (computeDeadline), issues the cards whose time has come (issueCard-7.lua, once per case, card
 * kind and deadline date), and puts the member back at its next threshold time — or at the latest
 * KC_DEADLINE_RECHECK_MS later when no threshold lies ahead (clock not started, paused, all cards
 * out) — or takes it off when the case is completed (rescheduleWatch-1.lua, which leaves alone a
 * member that watchCase touched meanwhile).
 *
 * A tick reads only the due members (ZRANGE BYSCORE … LIMIT), so its cost grows with the number due,
 * not with the number of open cases. Nothing lives in process memory: after a restart or a crash the
 * members are still there (a claimed one falls due again when its lease runs out), a card whose
 * time passed while no watcher ran is issued at the first tick, and two replicas share the work
 * without issuing anything twice.
 *
 * Only the handling district issues cards (its officers answer for the deadline); a case handled by
 * the other district is dropped from the watch at its first look.
 */
import type { GatewayContext } from '../context.js';
import { computeDeadline } from '../deadlines/deadline.js';
import { originOfCaseNo, type CaseRecord } from '../domain/case.js';
import { callScript } from '../store/scripts.js';
import { issueCard } from './cards.js';
import { supervisionKeys, type SupervisionShardKeys } from './keys.js';
import { loadRouting, type Routing } from './routing.js';
import { planWatch, thresholdsOf, type CardKind, type Thresholds } from './thresholds.js';

/**
 * Look at a case now: call wherever a case this district handles is created or its events change
 * (status, supplements, pauses, decisions). Cheap and idempotent; calling it for a case handled by
 * the other district is harmless (the watcher drops it). Never moves a due check later.
 */
export async function watchCase(ctx: GatewayContext, caseNo: string): Promise<void> {
  await ctx.store.redis.zadd(supervisionKeys(ctx.store.keys).shardFor(caseNo).watch, 'LT', ctx.clock.now(), caseNo);
}

/** watchCase for a case handled here (not taken in here: a case number names its origin), a no-op otherwise. */
export async function watchIfHandledHere(ctx: GatewayContext, caseNo: string): Promise<void> {
  if (originOfCaseNo(caseNo) !== ctx.district) await watchCase(ctx, caseNo);
}

/**
 * Puts every case in the store's case index on the watch (due now), in pages: a one-off for a store
 * that holds cases from before the watcher existed. O(cases); not for every start.
 */
export async function watchAllCases(ctx: GatewayContext, pageSize = 1_000): Promise<number> {
  const sv = supervisionKeys(ctx.store.keys);
  let count = 0;
  for (const shard of ctx.store.keys.shards) {
    const watch = sv.shards[shard.index]!.watch;
    for (let start = 0; ; start += pageSize) {
      const caseNos = await ctx.store.redis.zrange(shard.cases, start, start + pageSize - 1);
      if (caseNos.length === 0) break;
      const now = ctx.clock.now();
      await ctx.store.redis.zadd(watch, 'LT', ...caseNos.flatMap((c) => [now, c]));
      count += caseNos.length;
    }
  }
  return count;
}

export interface DeadlineWatcherOptions {
  /** Card routing; default: loaded from KC_ROUTING_FILE (a bad file throws RoutingError here, at start). */
  routing?: Routing;
  /**
   * How long a claimed case is this watcher's before another may take it (default 10 s). A look
   * takes milliseconds, and a second look is harmless (each card is issued once per case, kind and
   * deadline), so the lease is short: it is how late a card can be when a gateway dies mid-look.
   */
  leaseMs?: number;
  /** Cases claimed per shard per tick (default 100). */
  batch?: number;
  /** Called after a card was issued with a webhook delivery queued (wake the notifier loop). */
  onCardQueued?: () => void;
}

export interface DeadlineWatcher {
  /** One pass over every shard; true if it found due cases (the loop then runs again at once). */
  tick(): Promise<boolean>;
}

export interface WatchOutcome {
  caseNo: string;
  issued: CardKind[];
  /** Next look (ms), or null when the case left the watch. */
  next: number | null;
}

export function createDeadlineWatcher(ctx: GatewayContext, opts: DeadlineWatcherOptions = {}): DeadlineWatcher & { lastTick(): WatchOutcome[] } {
  const thresholds: Thresholds = thresholdsOf(ctx.config);
  const leaseMs = opts.leaseMs ?? 10_000;
  const batch = opts.batch ?? 100;
  const webhook = ctx.config.KC_NOTIFY_URL !== undefined;
  const routing = opts.routing ?? loadRouting(ctx.config.KC_ROUTING_FILE, { district: ctx.district, catalog: ctx.catalog }).routing;
  const sv = supervisionKeys(ctx.store.keys);
  let last: WatchOutcome[] = [];

  const reschedule = async (shard: SupervisionShardKeys, caseNo: string, leaseUntil: number, next: number | null) => {
    await callScript(ctx.store.redis, 'rescheduleWatch', [shard.watch], [caseNo, leaseUntil, next === null ? '' : Math.ceil(next)]);
  };

  const look = async (shard: SupervisionShardKeys, caseNo: string, nowMs: number, leaseUntil: number): Promise<WatchOutcome> => {
    const record: CaseRecord | null = await ctx.store.getCase(caseNo);
    if (!record || record.handling !== ctx.district) {
      await reschedule(shard, caseNo, leaseUntil, null);
      return { caseNo, issued: [], next: null };
    }
    const matter = ctx.catalog.get(record.matterId);
    if (!matter) {
      ctx.logger.error({ caseNo, matterId: record.matterId }, 'deadline watch: matter not in the catalog; looking again later');
      const next = nowMs + thresholds.recheckMs;
      await reschedule(shard, caseNo, leaseUntil, next);
      return { caseNo, issued: [], next };
    }
    const view = computeDeadline(matter, record.events, ctx.calendar, nowMs);
    const plan = planWatch(view, ctx.calendar, thresholds, nowMs);
    const issued: CardKind[] = [];
    if (view.deadline !== null) {
      for (const kind of plan.due) {
        const r = await issueCard(ctx, { caseNo, matter, kind, view: { ...view, deadline: view.deadline }, routing, webhook });
        if (r.outcome === 'ISSUED') {
          issued.push(kind);
          ctx.metrics.cardIssued(kind);
          const staffIds = Object.fromEntries(r.card.recipients.map((p) => [p.role, p.staffId]));
          // No personal data: case number, card, deadline, staff ids (never names).
          ctx.logger[kind === 'pre_warning' ? 'info' : 'warn'](
            { caseNo, card: kind, deadline: view.deadline, remainingDays: view.remainingDays, cardId: r.card.id, routedBy: r.card.routedBy, staffIds },
            `deadline card issued: ${kind}`,
          );
          ctx.wake.dispatcher();
          if (webhook) opts.onCardQueued?.();
        } else if (r.outcome === 'COMPLETED') {
          // Decided between our read and the script: no card, and nothing more to watch.
          await reschedule(shard, caseNo, leaseUntil, null);
          return { caseNo, issued, next: null };
        }
      }
    }
    await reschedule(shard, caseNo, leaseUntil, plan.nextCheckMs);
    return { caseNo, issued, next: plan.nextCheckMs };
  };

  return {
    async tick() {
      const nowMs = ctx.clock.now();
      const leaseUntil = nowMs + leaseMs;
      const claimed = await Promise.all(
        sv.shards.map(async (shard) => ({ shard, caseNos: await ctx.store.claimDue(shard.watch, nowMs, leaseMs, batch) })),
      );
      const work = claimed.flatMap(({ shard, caseNos }) => caseNos.map((caseNo) => ({ shard, caseNo })));
      const outcomes = await Promise.all(
        work.map(({ shard, caseNo }) =>
          look(shard, caseNo, nowMs, leaseUntil).catch(async (err: unknown) => {
            if (err instanceof RangeError) {
              // A date outside the calendar cannot be fixed by retrying at once.
              ctx.logger.error({ caseNo, err: err.message }, 'deadline watch: cannot place the deadline on the calendar; looking again later');
              await reschedule(shard, caseNo, leaseUntil, nowMs + thresholds.recheckMs).catch(() => undefined);
            } else {
              // The lease runs out and the case is looked at again.
              ctx.logger.error({ caseNo, err }, 'deadline watch failed for a case; retrying when its lease runs out');
            }
            return { caseNo, issued: [], next: leaseUntil };
          }),
        ),
      );
      last = outcomes;
      return work.length > 0;
    },
    lastTick: () => last,
  };
}

/**
 * When the calendar in force differs from the one the watch was planned with (a new year's notice
 * arrived in the operator file, so provisional deadlines change), every case is looked at again.
 * The first start with a store that has no version yet does the same, so cases taken in before
 * the watch existed are watched too. The version is kept in Redis, so this runs once per change,
 * not on every start. Returns how many cases were put back on the watch (0 when nothing changed).
 */
export async function rewatchIfCalendarChanged(ctx: GatewayContext): Promise<number> {
  const key = `${ctx.store.keys.prefix}:calendar:version`;
  const previous = (await ctx.store.redis.set(key, ctx.calendar.version, 'GET')) as string | null;
  if (previous === ctx.calendar.version) return 0;
  const count = await watchAllCases(ctx);
  ctx.logger.info({ previous, current: ctx.calendar.version, years: ctx.calendar.years(), cases: count }, 'calendar changed; every deadline is looked at again');
  return count;
}
