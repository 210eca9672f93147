/**
 * Bad input at the REST face: each gets a clear error with a stable code, never a 500, and nothing
 * is stored. Also the approval-callback endpoint's authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationFor, postJson } from '../helpers/applications.js';
import { startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'bad-input' });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

/** Number of cases this gateway holds, from its shard indexes. */
async function caseCount(): Promise<number> {
  const store = sys.gateways.liwan.ctx.store;
  const counts = await Promise.all(store.keys.shards.map((s) => store.redis.zcard(s.cases)));
  return counts.reduce((a, b) => a + b, 0);
}

const url = () => `${sys.httpUrl.liwan}/api/v1/cases`;

describe('POST /api/v1/cases with bad input', () => {
  const cases: [string, () => Promise<{ status: number; body: Record<string, any> }>, number, string][] = [
    ['malformed JSON', () => postJson(url(), '{"matterId": "KC-M-0001", '), 400, 'MALFORMED_JSON'],
    ['an empty body', () => postJson(url(), {}), 422, 'VALIDATION_FAILED'],
    ['an unknown matter', () => postJson(url(), applicationFor('nanhai', { matterId: 'KC-M-9999' })), 422, 'UNKNOWN_MATTER'],
    ['a matter this district handles itself', () => postJson(url(), applicationFor('liwan')), 422, 'WRONG_DISTRICT_FOR_MATTER'],
    ['a body over the size limit', () => postJson(url(), applicationFor('nanhai', { form: { companyName: 'x'.repeat(300_000) } })), 413, 'PAYLOAD_TOO_LARGE'],
    ['a JSON array instead of an object', () => postJson(url(), [1, 2, 3]), 422, 'VALIDATION_FAILED'],
    ['an invalid idempotency key', () => postJson(url(), applicationFor('nanhai'), { 'Idempotency-Key': 'x' }), 422, 'VALIDATION_FAILED'],
  ];

  it.each(cases)('when the body is %s, then the answer names the problem with a stable code and nothing is stored', async (_what, send, status, code) => {
    const before = await caseCount();
    const r = await send();
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(typeof r.body.error.message).toBe('string');
    expect(await caseCount()).toBe(before);
  });

  it('when several fields are wrong at once, then every problem is reported in one answer (一次性告知)', async () => {
    const bad = applicationFor('nanhai', {
      applicant: { kind: 'company', name: '某公司', creditCode: '91440101MA59ABCD1X', phone: '12345' },
      form: { companyName: '', registeredCapital: '100', unknownField: 'x' },
      materials: [{ name: '公司章程', form: 'original', copies: 1 }],
    });
    const r = await postJson(url(), bad);
    expect(r.status).toBe(422);
    const fields = (r.body.error.issues as { field: string; code: string }[]).map((i) => `${i.field}:${i.code}`).sort();
    expect(fields).toEqual(
      [
        'applicant.creditCode:INVALID_CREDIT_CODE',
        'applicant.phone:INVALID_MOBILE',
        'form.businessScope:REQUIRED',
        'form.companyName:REQUIRED',
        'form.legalRepresentative:REQUIRED',
        'form.unknownField:UNKNOWN_FIELD',
        'materials:MATERIAL_MISSING',
        'materials:MATERIAL_MISSING',
      ].sort(),
    );
  });

  it('when a route does not exist, then it is 404 ROUTE_NOT_FOUND rather than an HTML page', async () => {
    const r = await postJson(`${sys.httpUrl.liwan}/api/v1/nothing-here`, {});
    expect(r.status).toBe(404);
    expect(r.body.error.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('approval callbacks', () => {
  const callbackUrl = () => `${sys.httpUrl.nanhai}/api/v1/approval-callbacks`;

  it('when a callback carries no signature, then it is refused with CALLBACK_UNAUTHENTICATED and logged', async () => {
    const r = await postJson(callbackUrl(), { eventId: 'e1', caseId: 'NH-1', extRef: 'KC-LW-20261121-000001', status: 'ACCEPTED', occurredAt: new Date().toISOString(), remark: '' });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('CALLBACK_UNAUTHENTICATED');
    expect(sys.logs()).toContain('approval callback rejected');
  });

  it('when a callback is signed with the wrong secret, then it is refused with CALLBACK_UNAUTHENTICATED', async () => {
    const r = await postJson(callbackUrl(), { eventId: 'e1' }, { 'X-NH-Timestamp': String(Math.floor(Date.now() / 1000)), 'X-NH-Sign': 'ab'.repeat(32) });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('CALLBACK_UNAUTHENTICATED');
  });
});
