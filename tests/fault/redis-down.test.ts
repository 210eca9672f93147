/**
 * Fault: the gateway's Redis goes away. Invariants: requests get 503 STORE_UNAVAILABLE (never a 500
 * or a hang), nothing half-written; when Redis is back (AOF replayed) the gateway carries on with
 * what it had, without a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'redis-down' });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

describe('redis down', () => {
  it('when Redis is killed, then intake answers 503 STORE_UNAVAILABLE; when it is back, earlier cases are intact and intake works again', async () => {
    const before = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
    expect(before.status).toBe(201);
    const caseNo = before.body.caseNo as string;
    await eventually(async () => (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.state === 'registered', 'registered');
    // Let AOF (appendfsync everysec) write what we have before the crash.
    await new Promise((r) => setTimeout(r, 1_200));

    await redis.kill9();
    const during = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
    expect(during.status).toBe(503);
    expect(during.body.error.code).toBe('STORE_UNAVAILABLE');
    const read = await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`);
    expect(read.status).toBe(503);

    await redis.restart();
    const kept = await eventually(async () => {
      const r = await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`);
      return r.status === 200 ? r.body : undefined;
    }, 'case readable again');
    expect(kept.state).toBe('registered');
    const after = await eventually(async () => {
      const r = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
      return r.status === 201 ? r.body : undefined;
    }, 'intake works again');
    await eventually(async () => (await getJson(`${sys.httpUrl.nanhai}/api/v1/cases/${after.caseNo}`)).body.state === 'registered', 'new case registered');
  });
});
