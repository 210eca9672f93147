/**
 * The supervision Lua scripts on their own, against a real Redis: rescheduleWatch-1 never overwrites
 * a member touched after its claim; failNotification-2 never revives a delivered notification.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createCaseStore, type CaseStore } from '../../../gateway/store/case-store.js';
import { callScript } from '../../../gateway/store/scripts.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { startRedis, uniquePrefix, type RedisHandle } from '../../helpers/redis.js';
import { dropPrefix } from './harness.js';

const T = 1_772_416_800_000;
const CASE = 'KC-LW-20260302-000001';
let server: RedisHandle;
let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});
afterEach(async () => {
  for (const p of prefixes.splice(0)) await dropPrefix(redis, p);
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

function store(name: string): CaseStore {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return createCaseStore(redis, prefix);
}

describe('rescheduleWatch', () => {
  it('when nobody touched the claimed member, then it moves to the next check time, or leaves the watch', async () => {
    const s = store('reschedule-untouched');
    const watch = supervisionKeys(s.keys).shardFor(CASE).watch;
    await redis.zadd(watch, T, CASE);
    expect(await s.claimDue(watch, T, 60_000, 10)).toEqual([CASE]);
    expect(await callScript(redis, 'rescheduleWatch', [watch], [CASE, T + 60_000, T + 86_400_000])).toBe(1);
    expect(await redis.zscore(watch, CASE)).toBe(String(T + 86_400_000));

    expect(await s.claimDue(watch, T + 86_400_000, 60_000, 10)).toEqual([CASE]);
    expect(await callScript(redis, 'rescheduleWatch', [watch], [CASE, T + 86_460_000, ''])).toBe(1);
    expect(await redis.zscore(watch, CASE)).toBeNull();
  });

  it('when the case was watched again after the claim, then its earlier time stands', async () => {
    const s = store('reschedule-touched');
    const watch = supervisionKeys(s.keys).shardFor(CASE).watch;
    await redis.zadd(watch, T, CASE);
    await s.claimDue(watch, T, 60_000, 10);
    await redis.zadd(watch, 'LT', T + 5, CASE); // watchCase while the case was being looked at
    expect(await callScript(redis, 'rescheduleWatch', [watch], [CASE, T + 60_000, T + 86_400_000])).toBe(0);
    expect(await redis.zscore(watch, CASE)).toBe(String(T + 5));
  });

  it('when the member is gone, then nothing is added back', async () => {
    const s = store('reschedule-gone');
    const watch = supervisionKeys(s.keys).shardFor(CASE).watch;
    expect(await callScript(redis, 'rescheduleWatch', [watch], [CASE, T, T + 1])).toBe(0);
    expect(await redis.exists(watch)).toBe(0);
  });
});

describe('failNotification', () => {
  it('when the notification is queued, then its attempts count up and its next attempt is set', async () => {
    const s = store('fail-queued');
    const sv = supervisionKeys(s.keys).shardFor(CASE);
    await redis.zadd(sv.notify, T, 'N1');
    await redis.hset(sv.notifications, 'N1', JSON.stringify({ caseNo: CASE, cardId: 'N1', card: 'red', body: '{"a":"/x"}', attempts: 0 }));
    expect(await callScript(redis, 'failNotification', [sv.notify, sv.notifications], ['N1', 'HTTP_500', T + 1_000, '2026-03-02T02:00:00.000Z'])).toBe(1);
    expect(await callScript(redis, 'failNotification', [sv.notify, sv.notifications], ['N1', 'TIMEOUT', T + 3_000, '2026-03-02T02:00:01.000Z'])).toBe(2);
    expect(await redis.zscore(sv.notify, 'N1')).toBe(String(T + 3_000));
    expect(JSON.parse((await redis.hget(sv.notifications, 'N1'))!)).toEqual({
      caseNo: CASE, cardId: 'N1', card: 'red', body: '{"a":"/x"}', attempts: 2, lastError: 'TIMEOUT', lastAttemptAt: '2026-03-02T02:00:01.000Z',
    });
  });

  it('when another replica delivered it meanwhile, then nothing is queued again', async () => {
    const s = store('fail-delivered');
    const sv = supervisionKeys(s.keys).shardFor(CASE);
    expect(await callScript(redis, 'failNotification', [sv.notify, sv.notifications], ['N1', 'HTTP_500', T + 1_000, '2026-03-02T02:00:00.000Z'])).toBe(0);
    expect(await redis.zcard(sv.notify)).toBe(0);
  });
});
