/**
 * The deadline watcher (gateway/supervision/watch.ts) against a real, private Redis, with a
 * ManualClock driving time. The case: KC-M-0001 (promised 3 working days, the clock starts on
 * acceptance), handled by nanhai, accepted Monday 2026-03-02 10:00 Beijing time:
 *   deadline 2026-03-05 (Thu) · pre-warning from 03-03 00:00 (2 working days left) ·
 *   yellow card from 03-06 00:00 · red card from 03-10 00:00 (grace: Fri 03-06 and Mon 03-09).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../gateway/clock.js';
import { recordSharedEvent } from '../../../gateway/cases/shared-events.js';
import { computeDeadline } from '../../../gateway/deadlines/deadline.js';
import { sharedEventContent, sharedEventProblem } from '../../../gateway/domain/shared-events.js';
import type { GatewayContext } from '../../../gateway/context.js';
import { listCards } from '../../../gateway/supervision/cards.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { parseRouting } from '../../../gateway/supervision/routing.js';
import { createDeadlineWatcher, watchAllCases, watchCase } from '../../../gateway/supervision/watch.js';
import { startRedis, type RedisHandle } from '../../helpers/redis.js';
import { application, at, calendar, catalog, createTestContext, dropPrefix, receiveCase, reportStatus, type TestContext } from './harness.js';

const ACCEPTED = at('2026-03-02T10:00');
const PRE_WARNING_AT = at('2026-03-03T00:00');
const YELLOW_AT = at('2026-03-06T00:00');
const RED_AT = at('2026-03-10T00:00');
const SIX_HOURS = 6 * 3_600_000;

const routingYaml = `
version: 1
district: nanhai
default:
  officer: { staffId: NH-DEF-01 }
  sectionHead: { staffId: NH-DEF-02 }
  unitLeader: { staffId: NH-DEF-03 }
departments:
  佛山市南海区市场监督管理局:
    officer: { staffId: NH-SCJG-0101, name: 李承办 }
    sectionHead: { staffId: NH-SCJG-0102, name: 王科长 }
    unitLeader: { staffId: NH-SCJG-0103, name: 陈局长 }
`;
const routing = parseRouting(routingYaml, 'routing.yaml', { district: 'nanhai' }).routing;

let server: RedisHandle;
const opened: TestContext[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterEach(async () => {
  for (const t of opened.splice(0)) {
    await dropPrefix(t.redis, t.prefix);
    await t.close();
  }
});

afterAll(async () => {
  await server?.stop();
});

async function context(opts: { prefix?: string; clock?: ManualClock; name?: string; env?: Record<string, string>; district?: 'nanhai' | 'liwan' } = {}): Promise<TestContext> {
  const t = await createTestContext({ url: server.url, clock: opts.clock ?? new ManualClock(ACCEPTED), ...opts });
  opened.push(t);
  return t;
}

/** The cards recorded in a case's events, as [card, deadline]. */
async function cardEvents(ctx: GatewayContext, caseNo: string): Promise<[string, string][]> {
  const record = await ctx.store.getCase(caseNo);
  return (record?.events ?? []).filter((e) => e.kind === 'card_issued').map((e) => [String(e.data?.card), String(e.data?.deadline)]);
}

async function acceptedCase(t: TestContext, acceptedAt = ACCEPTED): Promise<string> {
  const caseNo = await receiveCase(t.ctx, { atMs: acceptedAt - 3_600_000 });
  await reportStatus(t.ctx, caseNo, 'accepted', acceptedAt);
  await watchCase(t.ctx, caseNo);
  return caseNo;
}

async function watchScore(t: TestContext, caseNo: string): Promise<number | null> {
  const score = await t.redis.zscore(supervisionKeys(t.ctx.store.keys).shardFor(caseNo).watch, caseNo);
  return score === null ? null : Number(score);
}

describe('deadline watcher', () => {
  it('when time passes the pre-warning, the deadline and the grace period, then exactly one card of each kind is issued, each at its time', async () => {
    const t = await context({ name: 'one-of-each' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNo = await acceptedCase(t);

    t.clock.set(ACCEPTED + 60_000);
    expect(await watcher.tick()).toBe(true);
    expect(await cardEvents(t.ctx, caseNo)).toEqual([]);
    expect(await watchScore(t, caseNo)).toBe(PRE_WARNING_AT);

    t.clock.set(PRE_WARNING_AT - 1);
    expect(await watcher.tick()).toBe(false);
    t.clock.set(PRE_WARNING_AT);
    await watcher.tick();
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['pre_warning', '2026-03-05']]);
    expect(await watchScore(t, caseNo)).toBe(YELLOW_AT);

    // The case's events change (or anyone asks again): the same card for the same deadline is not sent twice.
    await watchCase(t.ctx, caseNo);
    await watcher.tick();
    await watcher.tick();

    t.clock.set(YELLOW_AT - 1);
    await watcher.tick();
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['pre_warning', '2026-03-05']]);
    t.clock.set(YELLOW_AT);
    await watcher.tick();
    expect(await watchScore(t, caseNo)).toBe(RED_AT);
    t.clock.set(RED_AT + 5_000);
    await watcher.tick();
    await watchCase(t.ctx, caseNo);
    await watcher.tick();
    t.clock.advance(SIX_HOURS);
    await watcher.tick();

    expect(await cardEvents(t.ctx, caseNo)).toEqual([
      ['pre_warning', '2026-03-05'],
      ['yellow', '2026-03-05'],
      ['red', '2026-03-05'],
    ]);
    // All cards out, no decision: looked at again every re-check period, never more often.
    expect(await watchScore(t, caseNo)).toBe(RED_AT + 5_000 + 2 * SIX_HOURS);

    const cards = await listCards(t.ctx, { limit: 10 });
    expect(cards.map((c) => [c.card, c.caseNo, c.deadline, c.remainingDays, c.issuedAt])).toEqual([
      ['red', caseNo, '2026-03-05', -3, new Date(RED_AT + 5_000).toISOString()],
      ['yellow', caseNo, '2026-03-05', -1, new Date(YELLOW_AT).toISOString()],
      ['pre_warning', caseNo, '2026-03-05', 2, new Date(PRE_WARNING_AT).toISOString()],
    ]);
    expect(cards[0]).toMatchObject({
      district: 'nanhai',
      department: '佛山市南海区市场监督管理局',
      routedBy: 'department',
      recipients: [
        { role: 'officer', staffId: 'NH-SCJG-0101', name: '李承办' },
        { role: 'sectionHead', staffId: 'NH-SCJG-0102', name: '王科长' },
        { role: 'unitLeader', staffId: 'NH-SCJG-0103', name: '陈局长' },
      ],
    });
    // Each card is one `event` envelope to the origin district (after the status envelope).
    const record = await t.ctx.store.getCase(caseNo);
    expect(record!.crossings.filter((c) => c.type === 'event').map((c) => [c.direction, c.to, c.delivery])).toEqual([
      ['out', 'liwan', 'queued'],
      ['out', 'liwan', 'queued'],
      ['out', 'liwan', 'queued'],
    ]);
    expect(t.wakes.dispatcher).toBe(3);
  });

  it('when a card is issued, then its log line names the case, card, deadline and staff ids, and no person', async () => {
    const t = await context({ name: 'log-line' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNo = await acceptedCase(t);
    t.clock.set(YELLOW_AT);
    await watcher.tick();

    const lines = t.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('deadline card issued'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      caseNo,
      card: 'yellow',
      deadline: '2026-03-05',
      remainingDays: -1,
      routedBy: 'department',
      staffIds: { officer: 'NH-SCJG-0101', sectionHead: 'NH-SCJG-0102', unitLeader: 'NH-SCJG-0103' },
    });
    const all = JSON.stringify(t.logs);
    for (const name of ['李承办', '王科长', '陈局长', '张三丰', '13912345678']) expect(all).not.toContain(name);
  });

  it('when the case is decided before its deadline, then it gets no card and leaves the watch', async () => {
    const t = await context({ name: 'completed' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNo = await acceptedCase(t);
    t.clock.set(ACCEPTED + 60_000);
    await watcher.tick();
    await reportStatus(t.ctx, caseNo, 'approved', at('2026-03-02T16:00'));
    await watchCase(t.ctx, caseNo);
    t.clock.set(at('2026-03-02T16:00:01'));
    await watcher.tick();
    expect(await watchScore(t, caseNo)).toBeNull();

    for (const time of [PRE_WARNING_AT, YELLOW_AT, RED_AT, RED_AT + SIX_HOURS]) {
      t.clock.set(time);
      await watchCase(t.ctx, caseNo);
      await watcher.tick();
    }
    expect(await cardEvents(t.ctx, caseNo)).toEqual([]);
    expect(await listCards(t.ctx, { limit: 10 })).toEqual([]);
  });

  it('when the decision comes after the yellow card, then no red card follows', async () => {
    const t = await context({ name: 'late-decision' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNo = await acceptedCase(t);
    t.clock.set(YELLOW_AT + 1_000);
    await watcher.tick();
    await reportStatus(t.ctx, caseNo, 'rejected', at('2026-03-06T11:00'));
    await watchCase(t.ctx, caseNo);
    t.clock.set(RED_AT + 1_000);
    await watcher.tick();
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['yellow', '2026-03-05']]);
    expect(await watchScore(t, caseNo)).toBeNull();
  });

  it('when the clock is paused and resumed, then no card comes while paused and the moved deadline warns again', async () => {
    const t = await context({ name: 'pause-rearms' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNo = await acceptedCase(t);
    t.clock.set(PRE_WARNING_AT + 60_000);
    await watcher.tick();
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['pre_warning', '2026-03-05']]);

    // 专家评审 from Tuesday 03-03 10:00 to Tuesday 03-10 10:00: 5 working days off, deadline → 03-12.
    const pauseId = t.ctx.newId();
    t.clock.set(at('2026-03-03T10:00'));
    await recordSharedEvent(t.ctx, { caseNo, kind: 'clock_paused', eventId: `pause:${pauseId}`, data: { pauseId, reason: 'expert_review' } });
    await watchCase(t.ctx, caseNo);
    await watcher.tick();
    expect(await watchScore(t, caseNo)).toBe(at('2026-03-03T10:00') + SIX_HOURS);
    // While paused: past the old yellow and red times, looked at every 6 h, nothing issued.
    for (let time = at('2026-03-03T10:00'); time < at('2026-03-10T10:00'); time += SIX_HOURS) {
      t.clock.set(time);
      await watcher.tick();
    }
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['pre_warning', '2026-03-05']]);

    t.clock.set(at('2026-03-10T10:00'));
    await recordSharedEvent(t.ctx, { caseNo, kind: 'clock_resumed', eventId: `resume:${pauseId}`, data: { pauseId } });
    await watchCase(t.ctx, caseNo);
    await watcher.tick();
    const view = computeDeadline(catalog.get('KC-M-0001')!, (await t.ctx.store.getCase(caseNo))!.events, calendar, t.clock.now());
    expect(view).toMatchObject({ state: 'running', deadline: '2026-03-12', remainingDays: 2 });
    t.clock.set(at('2026-03-13T00:00'));
    await watcher.tick();

    expect(await cardEvents(t.ctx, caseNo)).toEqual([
      ['pre_warning', '2026-03-05'],
      ['pre_warning', '2026-03-12'],
      ['yellow', '2026-03-12'],
    ]);
  });

  it('when two watchers on one Redis tick at once, even with no lease between them, then each card is issued once', async () => {
    const a = await context({ name: 'two-replicas' });
    const b = await context({ prefix: a.prefix, clock: a.clock });
    const watchers = [createDeadlineWatcher(a.ctx, { routing }), createDeadlineWatcher(b.ctx, { routing })];
    // A lease of 0 ms: both claim every due case, so both try every card.
    const greedy = [createDeadlineWatcher(a.ctx, { routing, leaseMs: 0 }), createDeadlineWatcher(b.ctx, { routing, leaseMs: 0 })];
    const caseNos: string[] = [];
    for (let n = 0; n < 12; n++) caseNos.push(await acceptedCase(n % 2 === 0 ? a : b));

    for (const time of [ACCEPTED + 1, PRE_WARNING_AT, YELLOW_AT + 7, RED_AT + 9]) {
      a.clock.set(time);
      await Promise.all([...watchers, ...greedy].map((w) => w.tick()));
      for (const [i, caseNo] of caseNos.entries()) await watchCase(i % 2 === 0 ? a.ctx : b.ctx, caseNo);
      await Promise.all([...greedy, ...greedy, ...watchers].map((w) => w.tick()));
    }
    for (const caseNo of caseNos) {
      expect(await cardEvents(a.ctx, caseNo)).toEqual([
        ['pre_warning', '2026-03-05'],
        ['yellow', '2026-03-05'],
        ['red', '2026-03-05'],
      ]);
    }
    expect(await listCards(a.ctx, { limit: 200 })).toHaveLength(36);
    const issued = [...a.logs, ...b.logs].filter((l) => typeof l.msg === 'string' && l.msg.startsWith('deadline card issued'));
    expect(issued).toHaveLength(36);
  });

  it('when a card falls due while no watcher runs, then the first tick after the start issues it, once', async () => {
    const before = await context({ name: 'down-across-due' });
    const caseNo = await acceptedCase(before);
    before.clock.set(PRE_WARNING_AT + 1_000);
    await createDeadlineWatcher(before.ctx, { routing }).tick();

    // The gateway is down from Wednesday to Friday noon; a new process, a new connection, a new watcher.
    const clock = new ManualClock(at('2026-03-06T12:00'));
    const after = await context({ prefix: before.prefix, clock });
    const watcher = createDeadlineWatcher(after.ctx, { routing });
    expect(await watcher.tick()).toBe(true);
    expect(await watcher.tick()).toBe(false);
    expect(await cardEvents(after.ctx, caseNo)).toEqual([
      ['pre_warning', '2026-03-05'],
      ['yellow', '2026-03-05'],
    ]);
    expect(await watchScore(after, caseNo)).toBe(RED_AT);
  });

  it('when the gateway was down from before the pre-warning until after the deadline, then the yellow card is sent and the stale pre-warning is not', async () => {
    const t = await context({ name: 'stale-prewarning' });
    const caseNo = await acceptedCase(t);
    t.clock.set(at('2026-03-06T08:30'));
    await createDeadlineWatcher(t.ctx, { routing }).tick();
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['yellow', '2026-03-05']]);
  });

  it('when a watcher dies after claiming a due case, then the case is taken again when the lease runs out and the card is issued once', async () => {
    const t = await context({ name: 'lease-expiry' });
    const caseNo = await acceptedCase(t);
    t.clock.set(PRE_WARNING_AT);
    // A watcher claims with a 60 s lease and dies before doing anything.
    expect(await t.ctx.store.claimDue(supervisionKeys(t.ctx.store.keys).shardFor(caseNo).watch, t.clock.now(), 60_000, 100)).toEqual([caseNo]);

    const watcher = createDeadlineWatcher(t.ctx, { routing, leaseMs: 60_000 });
    expect(await watcher.tick()).toBe(false);
    expect(await cardEvents(t.ctx, caseNo)).toEqual([]);
    t.clock.advance(60_000);
    expect(await watcher.tick()).toBe(true);
    expect(await cardEvents(t.ctx, caseNo)).toEqual([['pre_warning', '2026-03-05']]);
  });

  it('when a case is watched before its clock starts, then it is looked at every re-check period until it is accepted', async () => {
    const t = await context({ name: 'not-started' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNo = await receiveCase(t.ctx, { atMs: ACCEPTED - 3_600_000 });
    await watchCase(t.ctx, caseNo);
    await watcher.tick();
    expect(await watchScore(t, caseNo)).toBe(ACCEPTED + SIX_HOURS);
    await reportStatus(t.ctx, caseNo, 'accepted', ACCEPTED + 60_000);
    await watchCase(t.ctx, caseNo);
    expect(await watchScore(t, caseNo)).toBe(ACCEPTED);
    await watcher.tick();
    expect(await watchScore(t, caseNo)).toBe(PRE_WARNING_AT);
  });

  it('when a case handled by the other district is watched here, then it leaves the watch with no card', async () => {
    const t = await context({ name: 'origin-side', district: 'liwan' });
    const caseNo = 'KC-LW-20260302-000901';
    // Origin side: created here, handled by nanhai.
    await t.ctx.store.createCase({
      caseNo,
      messageId: t.ctx.newId(),
      createdAtMs: ACCEPTED,
      matterId: 'KC-M-0001',
      origin: 'liwan',
      handling: 'nanhai',
      application: application(),
      draft: '{}',
      meta: { id: 'x', type: 'application', direction: 'out', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'queued', attempts: 0, createdAt: new Date(ACCEPTED).toISOString() },
    });
    await watchCase(t.ctx, caseNo);
    t.clock.set(RED_AT);
    await createDeadlineWatcher(t.ctx, { routing: parseRouting(routingYaml.replace('district: nanhai', 'district: liwan'), 'r.yaml', { district: 'liwan' }).routing }).tick();
    expect(await watchScore(t, caseNo)).toBeNull();
    expect(await cardEvents(t.ctx, caseNo)).toEqual([]);
  });

  it('when a card is issued, then its event envelope passes the receiving side’s checks for shared events', async () => {
    const t = await context({ name: 'envelope-content' });
    const caseNo = await acceptedCase(t);
    t.clock.set(YELLOW_AT);
    await createDeadlineWatcher(t.ctx, { routing }).tick();
    const record = await t.ctx.store.getCase(caseNo);
    const eventCrossing = record!.crossings.find((c) => c.type === 'event')!;
    const draft = JSON.parse((await t.redis.hget(t.ctx.store.keys.case(caseNo).record, `draft:${eventCrossing.id}`))!) as { content: unknown; to: string; type: string };
    expect(draft).toMatchObject({ type: 'event', to: 'liwan' });
    const content = sharedEventContent.parse(draft.content);
    expect(sharedEventProblem(content)).toBeUndefined();
    expect(content).toEqual({
      kind: 'card_issued',
      eventId: 'card:yellow:2026-03-05',
      at: new Date(YELLOW_AT).toISOString(),
      note: '黄牌：办理期限 2026-03-05',
      data: { card: 'yellow', deadline: '2026-03-05', remainingDays: -1 },
    });
  });

  it('when the console pages through cards, then each card comes once, newest first', async () => {
    const t = await context({ name: 'console-pages' });
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    const caseNos: string[] = [];
    for (let n = 0; n < 7; n++) caseNos.push(await acceptedCase(t));
    t.clock.set(RED_AT);
    await watcher.tick();
    // 7 cases × (yellow, red): the stale pre-warnings are dropped.
    const seen: string[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await listCards(t.ctx, { limit: 4, ...(before ? { before } : {}) });
      if (page.length === 0) break;
      seen.push(...page.map((c) => c.id));
      before = page.at(-1)!.id;
    }
    expect(seen).toHaveLength(14);
    expect(new Set(seen).size).toBe(14);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('when cases predate the watcher, then watchAllCases puts each on the watch once', async () => {
    const t = await context({ name: 'seed' });
    const caseNos = [await receiveCase(t.ctx), await receiveCase(t.ctx), await receiveCase(t.ctx)];
    expect(await watchAllCases(t.ctx, 2)).toBe(3);
    for (const caseNo of caseNos) expect(await watchScore(t, caseNo)).toBe(ACCEPTED);
  });
});
