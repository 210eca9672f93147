import nock from 'nock';
import { describe, expect, it } from 'vitest';
import { createEmsClient } from '../../../courier/ems/client.js';
import { emsS10, expectCourierError } from './helpers.js';

const BASE = 'http://ems-track.test';
const SUBSCRIBE = '/api/track/v1/subscriptions';
const CALLBACK = 'https://gateway.liwan.test/callbacks/courier/ems';

const client = (timeoutMs?: number, baseUrl = BASE) =>
  createEmsClient({ baseUrl, partnerId: 'KC-LIWAN', apiKey: 'api-key-1', ...(timeoutMs ? { timeoutMs } : {}) });

let serial = 70_000_000;
const newWaybill = () => emsS10(serial++);
const tracesPath = (w: string) => `/api/track/v1/waybills/${w}/traces`;

function subscription(waybillNo: string) {
  return { subscriptionId: 'SUB000000000001', waybillNo, callbackUrl: CALLBACK, subscribedAt: '2024-05-06 10:00:00' };
}

const traces = [
  { opCode: '31', opName: '到达', opDesc: '到达【广州邮件处理中心】', opTime: '2024-05-06 18:00:00', opOrgCity: '广州市' },
  { opCode: '20', opName: '收寄', opDesc: '已收寄', opTime: '2024-05-06 10:00:00' },
];

describe('EMS client — subscribe', () => {
  it('when EMS answers 201, then the subscription is new, and the call carried the partner headers and the body', async () => {
    const w = newWaybill();
    let body: unknown;
    nock(BASE, { reqheaders: { 'x-ems-partner-id': 'KC-LIWAN', 'x-ems-api-key': 'api-key-1' } })
      .post(SUBSCRIBE, (b: unknown) => {
        body = b;
        return true;
      })
      .reply(201, subscription(w));

    await expect(client().subscribe(w, CALLBACK)).resolves.toEqual({ subscriptionId: 'SUB000000000001', created: true });
    expect(body).toEqual({ waybillNo: w, callbackUrl: CALLBACK });
  });

  it('when EMS answers 200 (already subscribed), then created is false', async () => {
    const w = newWaybill();
    nock(BASE).post(SUBSCRIBE).reply(200, subscription(w));
    await expect(client().subscribe(w, CALLBACK)).resolves.toEqual({ subscriptionId: 'SUB000000000001', created: false });
  });

  it('when the API sits behind a path prefix, then the prefix is kept', async () => {
    const w = newWaybill();
    nock(BASE).post(`/proxy/ems${SUBSCRIBE}`).reply(201, subscription(w));
    await expect(client(undefined, `${BASE}/proxy/ems`).subscribe(w, CALLBACK)).resolves.toMatchObject({ created: true });
  });

  it('when the waybill is not in EMS form, then COURIER_REJECTED_REQUEST and no call is made', async () => {
    for (const w of ['ea123456785cn', 'EA 123456785 CN', '../admin', '']) {
      await expectCourierError(() => client().subscribe(w, CALLBACK), 'COURIER_REJECTED_REQUEST', false);
    }
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('when EMS answers 400 E0400, then COURIER_REJECTED_REQUEST names the EMS code', async () => {
    nock(BASE).post(SUBSCRIBE).reply(400, { errorCode: 'E0400', errorMsg: '参数错误: 邮件号不正确', requestId: 'r1' });
    const err = await expectCourierError(() => client().subscribe(newWaybill(), CALLBACK), 'COURIER_REJECTED_REQUEST', false);
    expect(err.message).toContain('E0400');
  });

  it('when EMS answers 404 to a subscribe, then COURIER_REJECTED_REQUEST (only the history has unknown waybills)', async () => {
    nock(BASE).post(SUBSCRIBE).reply(404, { errorCode: 'E0404', errorMsg: '接口不存在' });
    await expectCourierError(() => client().subscribe(newWaybill(), CALLBACK), 'COURIER_REJECTED_REQUEST');
  });

  it('when the answer lacks subscriptionId, then COURIER_BAD_RESPONSE', async () => {
    const w = newWaybill();
    const { subscriptionId: _dropped, ...rest } = subscription(w);
    nock(BASE).post(SUBSCRIBE).reply(201, rest);
    await expectCourierError(() => client().subscribe(w, CALLBACK), 'COURIER_BAD_RESPONSE', false);
  });

  it('when the answer is for another waybill, then COURIER_BAD_RESPONSE', async () => {
    nock(BASE).post(SUBSCRIBE).reply(201, subscription(newWaybill()));
    await expectCourierError(() => client().subscribe(newWaybill(), CALLBACK), 'COURIER_BAD_RESPONSE');
  });

  it('when EMS answers 204 with no body, then COURIER_BAD_RESPONSE', async () => {
    nock(BASE).post(SUBSCRIBE).reply(204);
    await expectCourierError(() => client().subscribe(newWaybill(), CALLBACK), 'COURIER_BAD_RESPONSE');
  });
});

describe('EMS client — history', () => {
  it('when EMS answers the history, then the traces come back as sent, newest first', async () => {
    const w = newWaybill();
    nock(BASE).get(tracesPath(w)).reply(200, { waybillNo: w, traces });
    await expect(client().history(w)).resolves.toEqual({ waybillNo: w, traces });
  });

  it('when a trace carries a code outside the table or an odd time, then the client still returns it (the mapping decides)', async () => {
    const w = newWaybill();
    const odd = [{ opCode: '45', opName: '其他', opDesc: '转投', opTime: '2024-02-30 10:00:00' }];
    nock(BASE).get(tracesPath(w)).reply(200, { waybillNo: w, traces: odd });
    await expect(client().history(w)).resolves.toEqual({ waybillNo: w, traces: odd });
  });

  it('when EMS answers 404 E0404, then COURIER_WAYBILL_UNKNOWN, not retryable', async () => {
    const w = newWaybill();
    nock(BASE).get(tracesPath(w)).reply(404, { errorCode: 'E0404', errorMsg: '运单不存在或暂无轨迹' });
    const err = await expectCourierError(() => client().history(w), 'COURIER_WAYBILL_UNKNOWN', false);
    expect(err.message).toContain('E0404');
  });

  it('when the history misses traces, then COURIER_BAD_RESPONSE', async () => {
    const w = newWaybill();
    nock(BASE).get(tracesPath(w)).reply(200, { waybillNo: w });
    await expectCourierError(() => client().history(w), 'COURIER_BAD_RESPONSE');
  });

  it('when the history holds more than 500 traces, then COURIER_BAD_RESPONSE', async () => {
    const w = newWaybill();
    nock(BASE).get(tracesPath(w)).reply(200, { waybillNo: w, traces: Array.from({ length: 501 }, () => traces[0]) });
    await expectCourierError(() => client().history(w), 'COURIER_BAD_RESPONSE');
  });

  it('when the history is for another waybill, then COURIER_BAD_RESPONSE', async () => {
    const w = newWaybill();
    nock(BASE).get(tracesPath(w)).reply(200, { waybillNo: newWaybill(), traces });
    await expectCourierError(() => client().history(w), 'COURIER_BAD_RESPONSE');
  });
});

describe('EMS client — transport and server errors (both operations)', () => {
  const operations = [
    { name: 'subscribe', intercept: (s: nock.Scope) => s.post(SUBSCRIBE), call: (w: string) => client(200).subscribe(w, CALLBACK) },
    { name: 'history', intercept: (s: nock.Scope, w: string) => s.get(tracesPath(w)), call: (w: string) => client(200).history(w) },
  ] as const;

  describe.each(operations)('$name', ({ intercept, call }) => {
    it('when EMS does not answer within the timeout, then COURIER_UNAVAILABLE, retryable, naming the timeout', async () => {
      const w = newWaybill();
      intercept(nock(BASE), w).delay(1_000).reply(200, {});
      const err = await expectCourierError(() => call(w), 'COURIER_UNAVAILABLE', true);
      expect(err.message).toContain('200 ms');
    });

    it('when the connection is reset, then COURIER_UNAVAILABLE', async () => {
      const w = newWaybill();
      intercept(nock(BASE), w).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
      await expectCourierError(() => call(w), 'COURIER_UNAVAILABLE', true);
    });

    it.each([500, 502, 503, 408, 429])('when EMS answers %i, then COURIER_UNAVAILABLE, retryable', async (status) => {
      const w = newWaybill();
      intercept(nock(BASE), w).reply(status, { errorCode: 'E0503', errorMsg: '系统维护中' });
      await expectCourierError(() => call(w), 'COURIER_UNAVAILABLE', true);
    });

    it('when a proxy answers 502 with an HTML page, then COURIER_UNAVAILABLE (the error body need not be JSON)', async () => {
      const w = newWaybill();
      intercept(nock(BASE), w).reply(502, '<html><body>Bad Gateway</body></html>', { 'content-type': 'text/html' });
      await expectCourierError(() => call(w), 'COURIER_UNAVAILABLE', true);
    });

    it.each([401, 403])('when EMS answers %i, then COURIER_AUTH_FAILED, not retryable', async (status) => {
      const w = newWaybill();
      intercept(nock(BASE), w).reply(status, { errorCode: 'E0401', errorMsg: '鉴权失败' });
      const err = await expectCourierError(() => call(w), 'COURIER_AUTH_FAILED', false);
      expect(err.message).toContain('E0401');
    });

    it('when a 2xx body is not JSON, then COURIER_BAD_RESPONSE', async () => {
      const w = newWaybill();
      intercept(nock(BASE), w).reply(200, '{"waybillNo": "EA', { 'content-type': 'application/json' });
      await expectCourierError(() => call(w), 'COURIER_BAD_RESPONSE', false);
    });

    it('when a 2xx body is a JSON array, then COURIER_BAD_RESPONSE', async () => {
      const w = newWaybill();
      intercept(nock(BASE), w).reply(200, []);
      await expectCourierError(() => call(w), 'COURIER_BAD_RESPONSE');
    });
  });
});
