/**
 * The staff case list (REST GET /api/v1/cases, partner ListCases): every case this gateway holds,
 * newest first, filtered, paged with an opaque cursor.
 *
 * Cases are indexed per shard (zset caseNo → created at, ms; gateway/store/keys.ts), so the list is
 * a merge of the 16 shard indexes in the order (createdAt desc, caseNo desc) — a total order, so a
 * cursor is simply the last position looked at. Filters are applied to the cases as they are read
 * (a few fields each, pipelined per shard; events only where the deadline is needed), and a request
 * looks at no more than a bounded number of cases: a filter that matches little answers with fewer
 * cases (maybe none) and a nextCursor to go on from, instead of walking the whole index at once.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Matter } from '../catalog/schema.js';
import type { Config } from '../config.js';
import type { GatewayContext } from '../context.js';
import { computeDeadline } from '../deadlines/deadline.js';
import { CASE_NO_PATTERN, CASE_STATE_ZH, CASE_STATES, type CaseEvent, type CaseState } from '../domain/case.js';
import { DISTRICTS, type District } from '../domain/district.js';
import { AppError, invalidFields } from '../errors.js';
import type { CaseHead, CaseStore } from '../store/case-store.js';
import { cardSchedule, thresholdsOf } from '../supervision/thresholds.js';

export const DEADLINE_COLOURS = ['green', 'yellow', 'red'] as const;
export type DeadlineColour = (typeof DEADLINE_COLOURS)[number];

export const DEADLINE_COLOUR_ZH: Record<DeadlineColour, string> = { green: '正常', yellow: '即将到期', red: '已超期' };

/** How many cases one request looks at, at most, before it answers with a cursor to go on from. */
export const MAX_SCAN = 2000;
export const MAX_LIMIT = 200;
export const DEFAULT_LIMIT = 50;
/** Cases read per round (heads pipelined per shard), at most. */
const MAX_BATCH = 500;

export interface CaseSummary {
  caseNo: string;
  matterId: string;
  matterName: string;
  originDistrict: District;
  handlingDistrict: District;
  state: CaseState;
  stateLabel: string;
  createdAt: string;
  updatedAt: string;
  /** Null when no deadline runs: clock not started, paused, decided (or a matter no longer in the catalog). */
  deadline: { dueDate: string; colour: DeadlineColour; colourLabel: string } | null;
}

export interface CaseListPage {
  cases: CaseSummary[];
  /** Null when the list is done; otherwise pass it back as `cursor` with the same filter. */
  nextCursor: string | null;
  /** Cases looked at for this page (≤ MAX_SCAN). */
  scanned: number;
}

/** The query as REST and gRPC give it: strings (or a number for limit); '' means unset. */
export interface CaseListFilter {
  handlingDistrict?: unknown;
  originDistrict?: unknown;
  matterId?: unknown;
  state?: unknown;
  deadline?: unknown;
  limit?: unknown;
  cursor?: unknown;
}

type ListContext = Pick<GatewayContext, 'store' | 'catalog' | 'calendar' | 'clock'> & {
  config: Pick<Config, 'KC_PREWARN_DAYS' | 'KC_RED_GRACE_DAYS' | 'KC_DEADLINE_RECHECK_MS'>;
};

const emptyAsUndefined = (v: unknown) => (v === '' || v === null ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(emptyAsUndefined, schema.optional());

export const caseListQuery = z.object({
  handlingDistrict: optional(z.enum(DISTRICTS)),
  originDistrict: optional(z.enum(DISTRICTS)),
  matterId: optional(z.string().regex(/^KC-M-\d{4}$/)),
  state: optional(z.enum(CASE_STATES)),
  deadline: optional(z.enum(DEADLINE_COLOURS)),
  limit: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(1).max(MAX_LIMIT).default(DEFAULT_LIMIT)),
  cursor: optional(z.string().max(512)),
});
type CaseListQuery = z.infer<typeof caseListQuery>;

const FIELD_ZH: Record<string, string> = {
  handlingDistrict: '办理地无效，应为 liwan 或 nanhai',
  originDistrict: '收件地无效，应为 liwan 或 nanhai',
  matterId: '事项编码格式不正确（例如 KC-M-0001）',
  state: '办件状态无效',
  deadline: '办理时限状态无效，应为 green、yellow 或 red',
  limit: `每页条数应为 1 到 ${MAX_LIMIT} 之间的整数`,
  cursor: '翻页游标无效',
};

/** A place in the list's order: the case's index score (created at, ms) and its number. */
interface Position {
  at: number;
  caseNo: string;
}

/** Newest first; equal times by case number, descending — as ZREVRANGEBYSCORE returns them. */
const before = (a: Position, b: Position): boolean => a.at > b.at || (a.at === b.at && a.caseNo > b.caseNo);

export interface ListOptions {
  maxScan?: number;
  /** Only cases of the matters the caller may see (a partner's grant), checked with the other filters. */
  allowsMatter?: (matterId: string) => boolean;
}

export async function listCases(ctx: ListContext, filter: CaseListFilter, opts: ListOptions = {}): Promise<CaseListPage> {
  const parsed = caseListQuery.safeParse(filter);
  if (!parsed.success) throw invalidFields(parsed.error.issues, (field) => FIELD_ZH[field] ?? `筛选条件无效：${field}`);
  const q = parsed.data;
  const hash = filterHash(q);
  const start = q.cursor === undefined ? undefined : decodeCursor(q.cursor, hash);
  const maxScan = opts.maxScan ?? MAX_SCAN;
  const nowMs = ctx.clock.now();
  const merge = shardMerge(ctx.store, start);

  const cases: CaseSummary[] = [];
  let scanned = 0;
  let last = start;
  let leftInBatch = false;
  let batchSize = q.limit;
  while (cases.length < q.limit && scanned < maxScan) {
    const batch = await merge.take(Math.min(maxScan - scanned, Math.max(batchSize, q.limit - cases.length)));
    if (batch.length === 0) break;
    // A sparse filter reads more per round.
    batchSize = Math.min(MAX_BATCH, batchSize * 2);
    const heads = await ctx.store.getCaseHeads(batch.map((p) => p.caseNo));
    const wanted = heads.map((h) => (h && matches(h, q) && (opts.allowsMatter?.(h.matterId) ?? true) ? h : null));
    // Decided cases run no deadline (their record state is set with the deciding status event), so their events are not read.
    const eventsFor = wanted.filter((h): h is CaseHead => h !== null && !DECIDED.has(h.state) && ctx.catalog.get(h.matterId) !== undefined);
    const events = new Map<string, CaseEvent[]>();
    if (eventsFor.length > 0) {
      const lists = await ctx.store.getEventsOf(eventsFor.map((h) => h.caseNo));
      eventsFor.forEach((h, n) => events.set(h.caseNo, lists[n]!));
    }
    for (let n = 0; n < batch.length; n++) {
      scanned += 1;
      last = batch[n];
      const head = wanted[n];
      if (!head) continue;
      const summary = summaryOf(ctx, head, events.get(head.caseNo), nowMs);
      if (q.deadline !== undefined && summary.deadline?.colour !== q.deadline) continue;
      cases.push(summary);
      if (cases.length === q.limit) {
        leftInBatch = n < batch.length - 1;
        break;
      }
    }
  }
  const more = last !== undefined && (leftInBatch || (await merge.hasMore()));
  return { cases, nextCursor: more && last ? encodeCursor(last, hash) : null, scanned };
}

const DECIDED: ReadonlySet<CaseState> = new Set(['approved', 'rejected']);

function matches(h: CaseHead, q: CaseListQuery): boolean {
  if (q.handlingDistrict !== undefined && h.handling !== q.handlingDistrict) return false;
  if (q.originDistrict !== undefined && h.origin !== q.originDistrict) return false;
  if (q.matterId !== undefined && h.matterId !== q.matterId) return false;
  if (q.state !== undefined && h.state !== q.state) return false;
  // A decided case has no deadline colour.
  if (q.deadline !== undefined && DECIDED.has(h.state)) return false;
  return true;
}

function summaryOf(ctx: ListContext, h: CaseHead, events: readonly CaseEvent[] | undefined, nowMs: number): CaseSummary {
  const matter = ctx.catalog.get(h.matterId);
  return {
    caseNo: h.caseNo,
    matterId: h.matterId,
    matterName: matter?.name ?? '',
    originDistrict: h.origin,
    handlingDistrict: h.handling,
    state: h.state,
    stateLabel: CASE_STATE_ZH[h.state] ?? h.state,
    createdAt: h.createdAt,
    updatedAt: h.updatedAt,
    deadline: matter && events ? deadlineOf(ctx, matter, events, nowMs) : null,
  };
}

/**
 * The deadline's colour: red once the promised deadline has passed without a decision, yellow from
 * the day the pre-warning falls due (KC_PREWARN_DAYS working days before it, as 电子监察 counts),
 * green before that. Null when no deadline runs.
 */
export function deadlineOf(ctx: Pick<ListContext, 'calendar' | 'config'>, matter: Matter, events: readonly CaseEvent[], nowMs: number): CaseSummary['deadline'] {
  const view = computeDeadline(matter, events, ctx.calendar, nowMs);
  if (view.state !== 'running' || view.deadline === null) return null;
  const schedule = cardSchedule(view.deadline, ctx.calendar, thresholdsOf(ctx.config));
  const colour: DeadlineColour = view.overdue ? 'red' : schedule.dueAt.pre_warning <= nowMs ? 'yellow' : 'green';
  return { dueDate: view.deadline, colour, colourLabel: DEADLINE_COLOUR_ZH[colour] };
}

// ---------------------------------------------------------------------------------------------
// The merge of the shard indexes

interface ShardCursor {
  key: string;
  /** Last position read from this shard (or the page's start). */
  after: Position | undefined;
  buffer: Position[];
  exhausted: boolean;
}

/**
 * Reads the shard indexes in chunks, after `start`, and hands out positions in the list's order.
 * A shard is only read again when its buffer runs dry, and all dry shards are read at once.
 */
function shardMerge(store: CaseStore, start: Position | undefined) {
  const shards: ShardCursor[] = store.keys.shards.map((s) => ({ key: s.cases, after: start, buffer: [], exhausted: false }));

  const refill = async (chunk: number) => {
    await Promise.all(shards.filter((s) => s.buffer.length === 0 && !s.exhausted).map((s) => readShard(s, chunk)));
  };

  const readShard = async (s: ShardCursor, chunk: number) => {
    const after = s.after;
    let read: Position[];
    let older: Position[];
    if (after === undefined) {
      read = older = pairs(await store.redis.zrevrangebyscore(s.key, '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, chunk));
    } else {
      // Members at the very time of the last position come first, but only those after it in the order
      // (a read may stop inside a group of equal times; groups are small: one millisecond of one shard).
      const replies = (await store.redis
        .pipeline()
        .zrevrangebyscore(s.key, after.at, after.at, 'WITHSCORES')
        .zrevrangebyscore(s.key, `(${after.at}`, '-inf', 'WITHSCORES', 'LIMIT', 0, chunk)
        .exec()) as [Error | null, string[]][];
      for (const [err] of replies) if (err) throw err;
      older = pairs(replies[1]![1]);
      read = [...pairs(replies[0]![1]).filter((p) => before(after, p)), ...older];
    }
    s.buffer = read;
    if (read.length > 0) s.after = read[read.length - 1];
    s.exhausted = older.length < chunk;
  };

  return {
    /** Up to n positions, in order. */
    async take(n: number): Promise<Position[]> {
      const out: Position[] = [];
      // About twice a shard's share of n per read keeps round trips few without reading far ahead.
      const chunk = Math.min(256, Math.max(16, Math.ceil(n / 8)));
      while (out.length < n) {
        await refill(chunk);
        let best: ShardCursor | undefined;
        for (const s of shards) if (s.buffer.length > 0 && (!best || before(s.buffer[0]!, best.buffer[0]!))) best = s;
        if (!best) break;
        // Take from the newest shard until another shard's head comes first or a buffer runs dry.
        while (out.length < n && best.buffer.length > 0) {
          const head = best.buffer[0]!;
          if (shards.some((s) => s !== best && s.buffer.length > 0 && before(s.buffer[0]!, head))) break;
          out.push(best.buffer.shift()!);
        }
      }
      return out;
    },
    async hasMore(): Promise<boolean> {
      await refill(1);
      return shards.some((s) => s.buffer.length > 0);
    },
  };
}

function pairs(flat: string[]): Position[] {
  const out: Position[] = [];
  for (let n = 0; n + 1 < flat.length; n += 2) out.push({ caseNo: flat[n]!, at: Number(flat[n + 1]) });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The cursor: base64url JSON of the last position and a hash of the filter it belongs to

const cursorBody = z.strictObject({ v: z.literal(1), at: z.number().int().nonnegative(), no: z.string().regex(CASE_NO_PATTERN), f: z.string() });

function filterHash(q: CaseListQuery): string {
  const f = [q.handlingDistrict, q.originDistrict, q.matterId, q.state, q.deadline].map((v) => v ?? '');
  return createHash('sha256').update(JSON.stringify(f)).digest('base64url').slice(0, 16);
}

function encodeCursor(p: Position, hash: string): string {
  return Buffer.from(JSON.stringify({ v: 1, at: p.at, no: p.caseNo, f: hash })).toString('base64url');
}

function decodeCursor(cursor: string, hash: string): Position {
  let body: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError('INVALID_CURSOR', 'the cursor was not handed out by this list');
  }
  const parsed = cursorBody.safeParse(body);
  if (!parsed.success) throw new AppError('INVALID_CURSOR', 'the cursor was not handed out by this list');
  if (parsed.data.f !== hash) throw new AppError('INVALID_CURSOR', 'the cursor belongs to another filter; start again without it');
  return { at: parsed.data.at, caseNo: parsed.data.no };
}
