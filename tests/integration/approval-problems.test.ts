/**
 * A status code the catalog does not know is an error staff see, never a dropped event: the change
 * feed stays where it is, diagnostics list the problem, and once the system answers with codes the
 * catalog knows, the held-back change comes through.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { hmacSha256Hex } from '../../adapters/adapter-kit.js';
import { CALLBACK_SECRET, eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'approval-problems' });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

describe('unmapped approval statuses', () => {
  it('when the change feed carries an unknown status code, then diagnostics show it and the change is applied once the code is known', async () => {
    const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
    const caseNo = created.body.caseNo as string;
    const registered = await eventually(async () => {
      const c = (await getJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}`)).body;
      return c.state === 'registered' ? c : undefined;
    }, 'registered');

    const sim = sys.simulators.nanhai.url;
    expect((await postJson(`${sim}/_sim/config`, { callbacksEnabled: false, fault: 'unknown_status' })).status).toBe(200);
    expect((await postJson(`${sim}/_sim/cases/${registered.handlingLocalNo}/advance`, { action: 'accept' })).status).toBe(200);

    const diagnostics = await eventually(async () => {
      const d = (await getJson(`${sys.httpUrl.nanhai}/api/v1/diagnostics`)).body;
      return d.approval.unmapped.length > 0 ? d : undefined;
    }, 'unmapped status in diagnostics');
    expect(diagnostics.approval.unmapped[0]).toMatchObject({ code: 'UNKNOWN_STATUS', via: 'change_feed' });
    expect((await getJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}`)).body.state).toBe('registered');

    expect((await postJson(`${sim}/_sim/config`, { fault: 'none' })).status).toBe(200);
    await eventually(async () => (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.state === 'accepted', 'accepted at origin');
    expect(sys.logs()).toContain('approval system sent what the catalog cannot map');
  });

  it('when a callback is signed but carries a status the catalog does not know, then it is refused with APPROVAL_UNMAPPED and listed', async () => {
    const body = JSON.stringify({ xh: 9001, slbh: 'LW20261121000999', wbbh: 'KC-NH-20261121-000999', zt: '99', ztsj: '2026-11-21 10:00:00', bz: '' });
    const res = await fetch(`${sys.httpUrl.liwan}/api/v1/approval-callbacks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'X-LW-Signature': `sha256=${hmacSha256Hex(CALLBACK_SECRET, body)}` },
      body,
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any).error.code).toBe('APPROVAL_UNMAPPED');
    const d = (await getJson(`${sys.httpUrl.liwan}/api/v1/diagnostics`)).body;
    expect(d).toMatchObject({ district: 'liwan', approval: { circuit: 'closed' }, catalogVersion: expect.any(String) });
    expect(d.approval.unmapped[0]).toMatchObject({ code: 'UNKNOWN_STATUS', via: 'callback' });
    expect(d.calendar.years).toContain(2026);
  });
});
