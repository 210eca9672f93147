/**
 * A new year's calendar (the operator file) changes provisional deadlines: when the gateway starts
 * with a calendar other than the one its watch was planned with, every case is looked at again,
 * once — and the case view shows the recomputed, no longer provisional deadline.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { computeDeadline } from '../../../gateway/deadlines/deadline.js';
import { rewatchIfCalendarChanged } from '../../../gateway/supervision/watch.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { startRedis, type RedisHandle } from '../../helpers/redis.js';
import { at, catalog, createTestContext, dropPrefix, receiveCase, reportStatus, type TestContext } from './harness.js';

const withOperator2027 = loadCalendar({ operatorFile: join(import.meta.dirname, '../../unit/calendar/fixtures/operator-2027.yaml') });

let redis: RedisHandle;
let t: TestContext;

beforeAll(async () => {
  redis = await startRedis();
  t = await createTestContext({ url: redis.url, name: 'calendar-change' });
});

afterAll(async () => {
  await dropPrefix(t.redis, t.prefix);
  await t.close();
  await redis.stop();
});

const watched = async () => {
  const sv = supervisionKeys(t.ctx.store.keys);
  let n = 0;
  for (const s of sv.shards) n += await t.redis.zcard(s.watch);
  return n;
};

describe('calendar changes', () => {
  it('when the calendar version is new or changes, then every case is watched again once; the same version again changes nothing', async () => {
    const caseNo = await receiveCase(t.ctx, { atMs: at('2026-12-20T09:00') });
    await reportStatus(t.ctx, caseNo, 'accepted', at('2026-12-21T10:00'));
    for (const s of supervisionKeys(t.ctx.store.keys).shards) await t.redis.del(s.watch);

    // First start on a store without a version: cases from before the watch are watched too.
    expect(await rewatchIfCalendarChanged(t.ctx)).toBe(1);
    expect(await watched()).toBe(1);
    for (const s of supervisionKeys(t.ctx.store.keys).shards) await t.redis.del(s.watch);
    expect(await rewatchIfCalendarChanged(t.ctx)).toBe(0);
    expect(await watched()).toBe(0);
    const ctx2027 = { ...t.ctx, calendar: withOperator2027 };
    expect(await rewatchIfCalendarChanged(ctx2027)).toBe(1);
    expect(await watched()).toBe(1);
    expect(await rewatchIfCalendarChanged(ctx2027)).toBe(0);

    // What staff see: the same case, computed on each calendar.
    const record = (await t.ctx.store.getCase(caseNo))!;
    const matter = catalog.get(record.matterId)!;
    const before = computeDeadline({ ...matter, timeLimits: { statutoryDays: 20, promisedDays: 10 } }, record.events, t.ctx.calendar, at('2026-12-21T11:00'));
    const after = computeDeadline({ ...matter, timeLimits: { statutoryDays: 20, promisedDays: 10 } }, record.events, withOperator2027, at('2026-12-21T11:00'));
    expect(before.provisional).toBe(true);
    expect(after.provisional).toBe(false);
  });
});
