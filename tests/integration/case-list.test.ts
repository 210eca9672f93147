/**
 * The staff case list (gateway/cases/case-list.ts) against a real, private Redis: cases are made
 * directly through the case store (no gateways), then listed newest first across the 16 shard
 * indexes, paged with cursors, filtered (districts, matter, state, deadline colour on a fixed
 * clock), with bad cursors and filters refused by code, and a bounded scan per request.
 *
 * One redis-server for the file; every test works under its own key prefix and deletes its keys.
 */
import { supervisionKeys } from '../../gateway/supervision/keys.js';
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadCalendar } from '../../gateway/calendar/calendar-data.js';
import { loadMatterCatalog } from '../../gateway/catalog/catalog.js';
import { listCases, MAX_SCAN, type CaseListFilter, type CaseListPage, type CaseSummary } from '../../gateway/cases/case-list.js';
import { ManualClock } from '../../gateway/clock.js';
import type { Application } from '../../gateway/domain/application.js';
import { formatCaseNo, type CaseState, type Crossing } from '../../gateway/domain/case.js';
import type { District } from '../../gateway/domain/district.js';
import { AppError } from '../../gateway/errors.js';
import { createCaseStore, type CaseStore } from '../../gateway/store/case-store.js';
import { shardOf } from '../../gateway/store/keys.js';
import { startRedis, uniquePrefix, type RedisHandle } from '../helpers/redis.js';
import { rejectionBy } from '../helpers/thrown.js';

const iso = (ms: number) => new Date(ms).toISOString();
const beijing = (local: string) => Date.parse(`${local}+08:00`);
const T0 = beijing('2026-11-02T09:00:00');
const newId = monotonicFactory();
const catalog = loadMatterCatalog();
const calendar = loadCalendar();
const config = { KC_PREWARN_DAYS: 1, KC_RED_GRACE_DAYS: 2, KC_DEADLINE_RECHECK_MS: 3_600_000 };

let server: RedisHandle;
let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startRedis({ appendonly: false });
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  }
});

afterAll(async () => {
  await redis?.quit().catch(() => redis.disconnect());
  await server?.stop();
});

/** A store of its own for one test, and the list's context around it with a clock fixed at `nowMs`. */
function setup(name: string, nowMs = beijing('2026-11-25T10:00:00')) {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const store = createCaseStore(redis, prefix);
  const ctx = { store, catalog, calendar, clock: new ManualClock(nowMs), config };
  return { store, ctx };
}

interface CaseSpec {
  seq: number;
  atMs: number;
  matterId?: string;
  origin?: District;
}

const MATTER_HANDLING: Record<string, District> = { 'KC-M-0001': 'nanhai', 'KC-M-0003': 'liwan' };

/** Takes a case in, as the origin window does (state submitted, indexed under its time). */
async function createCase(store: CaseStore, spec: CaseSpec): Promise<string> {
  const origin = spec.origin ?? 'liwan';
  const matterId = spec.matterId ?? 'KC-M-0001';
  const handling = MATTER_HANDLING[matterId] ?? (origin === 'liwan' ? 'nanhai' : 'liwan');
  const caseNo = formatCaseNo(origin, '20261102', spec.seq);
  const messageId = newId();
  const app: Application = {
    matterId,
    applicant: { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: '91440101MA59ABCD1D', phone: '13912345678' },
    form: { companyName: '佛山南海示例有限公司' },
    materials: [{ name: '公司章程', form: 'original', copies: 1 }],
  };
  const meta: Crossing = { id: messageId, type: 'application', direction: 'out', from: origin, to: handling, seq: 1, delivery: 'queued', attempts: 0, createdAt: iso(spec.atMs) };
  const result = await store.createCase({
    caseNo,
    messageId,
    createdAtMs: spec.atMs,
    matterId,
    origin,
    handling,
    application: app,
    draft: JSON.stringify({ id: messageId, type: 'application', from: origin, to: handling, caseNo, content: { matterId } }),
    meta,
  });
  expect(result).toEqual({ created: true });
  return caseNo;
}

/** The handling approval system moves the case to `state`, at `atMs` (its time is the event's). */
async function moveTo(store: CaseStore, caseNo: string, state: CaseState, atMs: number): Promise<void> {
  const messageId = newId();
  const reply = await store.applyApprovalEvent({
    caseNo,
    eventId: `evt-${messageId}`,
    state,
    localNo: 'NH-2026-000042',
    at: iso(atMs),
    note: '',
    messageId,
    draft: JSON.stringify({ id: messageId, type: 'status', from: 'nanhai', to: 'liwan', caseNo, content: { state } }),
    from: 'nanhai',
    to: 'liwan',
    nowMs: atMs,
    followUpJob: '',
    watchKey: supervisionKeys(store.keys).shardFor(caseNo).watch,
  });
  expect(reply.outcome).toBe('OK');
}

/** `count` cases, one a minute, taken in in a shuffled order (the index must not depend on it). */
async function manyCases(store: CaseStore, count: number, spec: (n: number) => Partial<CaseSpec> = () => ({})): Promise<string[]> {
  const specs = Array.from({ length: count }, (_, n) => ({ seq: n + 1, atMs: T0 + n * 60_000, ...spec(n) }));
  const shuffled = [...specs].sort((a, b) => ((a.seq * 7919) % 101) - ((b.seq * 7919) % 101) || a.seq - b.seq);
  const made = new Map<number, string>();
  for (let i = 0; i < shuffled.length; i += 200) {
    await Promise.all(shuffled.slice(i, i + 200).map(async (s) => made.set(s.seq, await createCase(store, s))));
  }
  // Newest first: the list's order.
  return specs.map((s) => ({ caseNo: made.get(s.seq)!, atMs: s.atMs })).sort((a, b) => b.atMs - a.atMs || (a.caseNo < b.caseNo ? 1 : -1)).map((c) => c.caseNo);
}

type Ctx = ReturnType<typeof setup>['ctx'];

/** Follows the cursors to the end; returns every page. */
async function allPages(ctx: Ctx, filter: CaseListFilter, opts: { maxScan?: number } = {}): Promise<CaseListPage[]> {
  const pages: CaseListPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await listCases(ctx, { ...filter, ...(cursor ? { cursor } : {}) }, opts);
    pages.push(page);
    cursor = page.nextCursor ?? undefined;
    expect(pages.length).toBeLessThan(1000);
  } while (cursor);
  return pages;
}

const caseNos = (pages: CaseListPage[]) => pages.flatMap((p) => p.cases.map((c) => c.caseNo));

describe('listCases', () => {
  it('when no case is held, then the page is empty and has no cursor', async () => {
    const { ctx } = setup('empty');
    expect(await listCases(ctx, {})).toEqual({ cases: [], nextCursor: null, scanned: 0 });
  });

  it('when cases are spread over the shards, then they come newest first across all of them, with their summary fields', async () => {
    const { store, ctx } = setup('order');
    const expected = await manyCases(store, 60);
    expect(new Set(expected.map(shardOf)).size).toBeGreaterThan(8);
    const page = await listCases(ctx, { limit: '200' });
    expect(page.cases.map((c) => c.caseNo)).toEqual(expected);
    expect(page).toMatchObject({ nextCursor: null, scanned: 60 });
    const newest: CaseSummary = page.cases[0]!;
    expect(newest).toEqual({
      caseNo: expected[0],
      matterId: 'KC-M-0001',
      matterName: catalog.get('KC-M-0001')!.name,
      originDistrict: 'liwan',
      handlingDistrict: 'nanhai',
      state: 'submitted',
      stateLabel: '已收件',
      createdAt: iso(T0 + 59 * 60_000),
      updatedAt: iso(T0 + 59 * 60_000),
      deadline: null,
    });
    expect(JSON.stringify(page)).not.toContain('广州荔湾示例贸易有限公司');
  });

  it('when 300 cases are paged through with cursors, then every case comes exactly once, in order, and the last page has no cursor', async () => {
    const { store, ctx } = setup('paging');
    const expected = await manyCases(store, 300);
    const pages = await allPages(ctx, { limit: 37 });
    expect(caseNos(pages)).toEqual(expected);
    expect(pages).toHaveLength(Math.ceil(300 / 37));
    expect(pages.slice(0, -1).every((p) => p.cases.length === 37 && p.nextCursor !== null)).toBe(true);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    expect(pages.reduce((n, p) => n + p.scanned, 0)).toBe(300);
  });

  it('when the last page is exactly full, then it has no cursor (no empty page after it)', async () => {
    const { store, ctx } = setup('exact');
    await manyCases(store, 40);
    const pages = await allPages(ctx, { limit: 20 });
    expect(pages.map((p) => p.cases.length)).toEqual([20, 20]);
    expect(pages[1]!.nextCursor).toBeNull();
  });

  it('when many cases share one millisecond, then they are ordered by case number and pages split the group without loss', async () => {
    const { store, ctx } = setup('ties');
    const sameMs = Array.from({ length: 40 }, (_, n) => ({ seq: n + 1, atMs: T0 }));
    const older = { seq: 41, atMs: T0 - 1 };
    const newer = { seq: 42, atMs: T0 + 1 };
    for (const spec of [...sameMs, older, newer]) await createCase(store, spec);
    const group = sameMs.map((s) => formatCaseNo('liwan', '20261102', s.seq)).sort().reverse();
    const expected = [formatCaseNo('liwan', '20261102', 42), ...group, formatCaseNo('liwan', '20261102', 41)];
    expect(caseNos(await allPages(ctx, { limit: 7 }))).toEqual(expected);
    expect(caseNos(await allPages(ctx, { limit: 1 }))).toEqual(expected);
  });

  it('when filtering by handling district, origin district, matter or state, then only matching cases come, in order, across pages', async () => {
    const { store, ctx } = setup('filters');
    const matterOf = (n: number) => (n % 3 === 0 ? 'KC-M-0003' : 'KC-M-0001');
    const originOf = (n: number): District => (n % 2 === 0 ? 'nanhai' : 'liwan');
    const all = await manyCases(store, 90, (n) => ({ matterId: matterOf(n), origin: originOf(n) }));
    const moved = new Set(all.filter((_, i) => i % 4 === 0));
    for (const caseNo of moved) await moveTo(store, caseNo, 'registered', T0 + 200 * 60_000);
    const heads = new Map((await store.getCaseHeads(all)).map((h) => [h!.caseNo, h!]));
    const expectFilter = async (filter: CaseListFilter, keep: (caseNo: string) => boolean) => {
      const want = all.filter(keep);
      expect(want.length).toBeGreaterThan(0);
      expect(want.length).toBeLessThan(all.length);
      const pages = await allPages(ctx, { ...filter, limit: 8 });
      expect(caseNos(pages)).toEqual(want);
    };
    await expectFilter({ handlingDistrict: 'liwan' }, (c) => heads.get(c)!.handling === 'liwan');
    await expectFilter({ originDistrict: 'nanhai' }, (c) => heads.get(c)!.origin === 'nanhai');
    await expectFilter({ matterId: 'KC-M-0003' }, (c) => heads.get(c)!.matterId === 'KC-M-0003');
    await expectFilter({ state: 'registered' }, (c) => moved.has(c));
    await expectFilter({ state: 'registered', originDistrict: 'liwan', handlingDistrict: 'nanhai' }, (c) => moved.has(c) && heads.get(c)!.origin === 'liwan' && heads.get(c)!.handling === 'nanhai');
    // An unset value ('' from a form or a proto3 default) filters nothing.
    expect(caseNos(await allPages(ctx, { handlingDistrict: '', state: '', limit: 200 }))).toEqual(all);
  });

  it('when filtering by deadline colour on a fixed clock, then red is overdue, yellow within the pre-warning days, green otherwise, and decided or unstarted cases have none', async () => {
    // Wednesday 2026-11-25 10:00 Beijing; KC-M-0001 promises 3 working days from acceptance; pre-warning 1 working day before.
    const { store, ctx } = setup('colours', beijing('2026-11-25T10:00:00'));
    const red = await createCase(store, { seq: 1, atMs: beijing('2026-11-16T09:00:00') });
    await moveTo(store, red, 'accepted', beijing('2026-11-16T10:00:00'));
    const yellow = await createCase(store, { seq: 2, atMs: beijing('2026-11-23T09:00:00') });
    await moveTo(store, yellow, 'accepted', beijing('2026-11-23T10:00:00'));
    const green = await createCase(store, { seq: 3, atMs: beijing('2026-11-25T08:00:00') });
    await moveTo(store, green, 'accepted', beijing('2026-11-25T09:00:00'));
    const notStarted = await createCase(store, { seq: 4, atMs: beijing('2026-11-24T09:00:00') });
    const decided = await createCase(store, { seq: 5, atMs: beijing('2026-11-17T09:00:00') });
    await moveTo(store, decided, 'accepted', beijing('2026-11-17T10:00:00'));
    await moveTo(store, decided, 'approved', beijing('2026-11-18T10:00:00'));

    const page = await listCases(ctx, {});
    const byNo = new Map(page.cases.map((c) => [c.caseNo, c.deadline]));
    expect(byNo.get(red)).toEqual({ dueDate: '2026-11-19', colour: 'red', colourLabel: '已超期' });
    expect(byNo.get(yellow)).toEqual({ dueDate: '2026-11-26', colour: 'yellow', colourLabel: '即将到期' });
    expect(byNo.get(green)).toEqual({ dueDate: '2026-11-30', colour: 'green', colourLabel: '正常' });
    expect(byNo.get(notStarted)).toBeNull();
    expect(byNo.get(decided)).toBeNull();

    for (const [colour, caseNo] of [['red', red], ['yellow', yellow], ['green', green]] as const) {
      expect((await listCases(ctx, { deadline: colour })).cases.map((c) => c.caseNo)).toEqual([caseNo]);
    }
    // Friday: yellow's deadline day (Thursday) has ended, and green's pre-warning day has come.
    ctx.clock.set(beijing('2026-11-27T10:00:00'));
    expect((await listCases(ctx, { deadline: 'red' })).cases.map((c) => c.caseNo)).toEqual([yellow, red]);
    expect((await listCases(ctx, { deadline: 'yellow' })).cases.map((c) => c.caseNo)).toEqual([green]);
  });

  it('when a cursor is garbage, tampered with, or from another filter, then INVALID_CURSOR', async () => {
    const { store, ctx } = setup('bad-cursor');
    await manyCases(store, 10);
    const first = await listCases(ctx, { limit: 3, state: 'submitted' });
    expect(first.nextCursor).not.toBeNull();
    const cursor = first.nextCursor!;
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')), no: 'not-a-case' })).toString('base64url');
    for (const bad of ['garbage!', 'Zm9v', tampered, Buffer.from('[1,2]').toString('base64url')]) {
      const err = await rejectionBy(AppError, () => listCases(ctx, { limit: 3, state: 'submitted', cursor: bad }));
      expect(err.code).toBe('INVALID_CURSOR');
    }
    const other = await rejectionBy(AppError, () => listCases(ctx, { limit: 3, cursor }));
    expect(other.code).toBe('INVALID_CURSOR');
    // The same filter with another page size goes on.
    expect((await listCases(ctx, { limit: 100, state: 'submitted', cursor })).cases).toHaveLength(7);
  });

  it('when a filter value is not one the list knows, then VALIDATION_FAILED names every bad field in Chinese', async () => {
    const { ctx } = setup('bad-filter');
    const err = await rejectionBy(AppError, () =>
      listCases(ctx, { handlingDistrict: 'shanghai', originDistrict: ['liwan', 'nanhai'], matterId: 'M1', state: 'lost', deadline: 'blue', limit: '500' }),
    );
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.issues.map((i) => i.field).sort()).toEqual(['deadline', 'handlingDistrict', 'limit', 'matterId', 'originDistrict', 'state']);
    for (const issue of err.issues) expect(issue.message).toMatch(/[\u4e00-\u9fff]/);
    for (const limit of ['0', 'ten', 2.5, -1]) {
      expect((await rejectionBy(AppError, () => listCases(ctx, { limit }))).issues.map((i) => i.field)).toEqual(['limit']);
    }
  });

  it('when a filter matches only old cases, then each request stops after its scan bound with a cursor, and following it finds them', async () => {
    const { store, ctx } = setup('bounded');
    const all = await manyCases(store, 300, (n) => ({ matterId: n < 3 ? 'KC-M-0003' : 'KC-M-0001' }));
    const pages = await allPages(ctx, { matterId: 'KC-M-0003', limit: 50 }, { maxScan: 100 });
    expect(pages.map((p) => [p.cases.length, p.scanned, p.nextCursor !== null])).toEqual([
      [0, 100, true],
      [0, 100, true],
      [3, 100, false],
    ]);
    expect(caseNos(pages)).toEqual(all.slice(-3));
  });

  it(`when more than ${MAX_SCAN} cases do not match, then one request looks at ${MAX_SCAN} of them and hands back a cursor`, async () => {
    const { store, ctx } = setup('max-scan');
    const all = await manyCases(store, MAX_SCAN + 50, (n) => ({ matterId: n === 0 ? 'KC-M-0003' : 'KC-M-0001' }));
    const first = await listCases(ctx, { matterId: 'KC-M-0003' });
    expect(first).toMatchObject({ cases: [], scanned: MAX_SCAN });
    expect(first.nextCursor).not.toBeNull();
    const second = await listCases(ctx, { matterId: 'KC-M-0003', cursor: first.nextCursor });
    expect(second).toMatchObject({ scanned: 50, nextCursor: null });
    expect(second.cases.map((c) => c.caseNo)).toEqual([all.at(-1)]);
  }, 60_000);
});
