import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../../adapters/index.js';
import { createLiwanAdapter } from '../../../adapters/liwan/adapter.js';
import { COMPANY, PERSON, expectAdapterError, inTimeZone, submission } from './fixtures.js';

const BASE = 'http://liwan-approval.test';
const SECRET = 'lw-callback-secret';
const SUBMIT_PATH = '/lw/api/v2/applications';

const adapter = (timeoutMs?: number) =>
  createLiwanAdapter({ baseUrl: BASE, callbackSecret: SECRET, ...(timeoutMs ? { timeoutMs } : {}) });

/** Intercepts one submit, captures its body and answers `status` / `reply`. */
function interceptSubmit(status: number, reply: unknown): { body: () => Record<string, unknown> } {
  let captured: Record<string, unknown> | undefined;
  nock(BASE)
    .post(SUBMIT_PATH, (body: Record<string, unknown>) => {
      captured = body;
      return true;
    })
    .reply(status, reply as nock.Body);
  return {
    body: () => {
      expect(captured).toBeDefined();
      return captured!;
    },
  };
}

function change(xh: number, zt: string, extra: Partial<Record<string, unknown>> = {}) {
  return { xh, slbh: 'LW20240506000001', wbbh: 'KC-NH-20240506-000001', zt, ztsj: '2024-05-06 09:30:00', bz: '', ...extra };
}

function signed(body: string, secret = SECRET) {
  return { 'x-lw-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('liwan adapter — submit mapping', () => {
  it('when a company application is submitted, then the Liwan body carries the local matter code, caseNo as wbbh, lx 2 with the credit code, YJ/FYJ materials and the Nanhai area code', async () => {
    const s = submission({ originDistrict: 'nanhai' });
    const call = interceptSubmit(201, { slbh: 'LW20240506000001' });

    const result = await adapter().submit(s);

    expect(result).toEqual({ localNo: 'LW20240506000001' });
    expect(call.body()).toEqual({
      sxbm: '440103-SCJG-BGDJ-003',
      wbbh: s.caseNo,
      sqr: { lx: '2', mc: COMPANY.name, zjhm: COMPANY.creditCode, sjhm: COMPANY.phone, dz: COMPANY.address },
      bdsj: { changeItem: '住所', changeBefore: '旧址', changeAfter: '新址' },
      cl: [
        { mc: '公司变更登记申请书', lx: 'YJ', fs: 1 },
        { mc: '股东会决议', lx: 'FYJ', fs: 2 },
      ],
      sqsj: '2024-05-06 09:30:00',
      sqd: '440605',
    });
  });

  it('when a person applies at a Liwan window, then lx is 1, zjhm is the ID number, dz is left out and sqd is 440103', async () => {
    const call = interceptSubmit(201, { slbh: 'LW20240506000002' });

    await adapter().submit(submission({ applicant: PERSON, originDistrict: 'liwan' }));

    expect(call.body()['sqr']).toEqual({ lx: '1', mc: PERSON.name, zjhm: PERSON.idNumber, sjhm: PERSON.phone });
    expect(call.body()['sqd']).toBe('440103');
  });

  it('when the host runs in another time zone, then sqsj is still Beijing local time, across a date boundary too', async () => {
    await inTimeZone('America/Los_Angeles', async () => {
      const call = interceptSubmit(201, { slbh: 'LW20250101000003' });
      await adapter().submit(submission({ submittedAt: '2024-12-31T16:30:15.999Z' }));
      expect(call.body()['sqsj']).toBe('2025-01-01 00:30:15');
    });
  });

  it('when submittedAt carries its own offset, then sqsj is the same instant in Beijing', async () => {
    const call = interceptSubmit(201, { slbh: 'LW20240506000004' });
    await adapter().submit(submission({ submittedAt: '2024-05-06T03:30:00+02:00' }));
    expect(call.body()['sqsj']).toBe('2024-05-06 09:30:00');
  });

  it('when the same wbbh was submitted before, then the 200 answer gives the existing slbh', async () => {
    interceptSubmit(200, { slbh: 'LW20240506000005' });
    await expect(adapter().submit(submission())).resolves.toEqual({ localNo: 'LW20240506000005' });
  });

  it('when a company applicant has no credit code, then the submit is refused locally as APPROVAL_REJECTED_REQUEST', async () => {
    const { creditCode: _omitted, ...noCode } = COMPANY;
    await expectAdapterError(() => adapter().submit(submission({ applicant: noCode })), 'APPROVAL_REJECTED_REQUEST', false);
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('when submittedAt is not an ISO instant, then the submit is refused locally as APPROVAL_REJECTED_REQUEST', async () => {
    await expectAdapterError(() => adapter().submit(submission({ submittedAt: '2024-05-06 09:30' })), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('liwan adapter — submit errors', () => {
  it('when Liwan does not answer within the timeout, then APPROVAL_UNAVAILABLE is thrown and is retryable', async () => {
    nock(BASE).post(SUBMIT_PATH).delay(1_000).reply(201, { slbh: 'LW20240506000001' });
    const err = await expectAdapterError(() => adapter(50).submit(submission()), 'APPROVAL_UNAVAILABLE', true);
    expect(err.message).toContain('50 ms');
  });

  it('when the connection fails, then APPROVAL_UNAVAILABLE is thrown', async () => {
    nock(BASE).post(SUBMIT_PATH).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    await expectAdapterError(() => adapter().submit(submission()), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when Liwan answers 500, then APPROVAL_UNAVAILABLE is thrown', async () => {
    interceptSubmit(500, { cwdm: 'E5000', cwxx: '系统内部错误' });
    const err = await expectAdapterError(() => adapter().submit(submission()), 'APPROVAL_UNAVAILABLE', true);
    expect(err.message).toContain('E5000');
  });

  it('when Liwan answers 400, then APPROVAL_REJECTED_REQUEST is thrown and is not retryable', async () => {
    interceptSubmit(400, { cwdm: 'E1001', cwxx: '请求参数错误' });
    await expectAdapterError(() => adapter().submit(submission()), 'APPROVAL_REJECTED_REQUEST', false);
  });

  it('when the matter code is unknown to Liwan (422 E1002), then APPROVAL_REJECTED_REQUEST names the Liwan error code', async () => {
    interceptSubmit(422, { cwdm: 'E1002', cwxx: '事项编码不存在' });
    const err = await expectAdapterError(() => adapter().submit(submission({ localMatterCode: 'LW-KC-0001' })), 'APPROVAL_REJECTED_REQUEST');
    expect(err.message).toContain('E1002');
  });

  it('when the answer is not JSON, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    nock(BASE).post(SUBMIT_PATH).reply(201, '{"slbh": "LW2024', { 'content-type': 'application/json' });
    await expectAdapterError(() => adapter().submit(submission()), 'APPROVAL_BAD_RESPONSE', false);
  });

  it('when the answer lacks slbh, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    interceptSubmit(201, { bh: 'LW20240506000001' });
    await expectAdapterError(() => adapter().submit(submission()), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('liwan adapter — changes feed', () => {
  it('when the feed lists all five status codes, then each maps to the shared status with lw-<xh> ids, +08:00 instants and the next cursor', async () => {
    nock(BASE)
      .get('/lw/api/v2/changes')
      .query({ since: '0', limit: '100' })
      .reply(200, {
        items: [
          change(1, '01'),
          change(2, '02', { ztsj: '2024-05-06 10:00:00' }),
          change(3, '03', { ztsj: '2024-05-07 00:05:09', bz: '请补正股东会决议原件' }),
          change(4, '04'),
          change(5, '05'),
        ],
        next: 5,
      });

    const page = await adapter().changesSince(undefined);

    expect(page.cursor).toBe('5');
    expect(page.events.map((e) => [e.eventId, e.status])).toEqual([
      ['lw-1', 'registered'],
      ['lw-2', 'accepted'],
      ['lw-3', 'supplement_requested'],
      ['lw-4', 'approved'],
      ['lw-5', 'rejected'],
    ]);
    expect(page.events[2]).toEqual({
      eventId: 'lw-3',
      caseNo: 'KC-NH-20240506-000001',
      localNo: 'LW20240506000001',
      status: 'supplement_requested',
      at: '2024-05-07T00:05:09.000+08:00',
      note: '请补正股东会决议原件',
    });
    expect(Date.parse(page.events[2]!.at)).toBe(Date.parse('2024-05-06T16:05:09Z'));
  });

  it('when a cursor is given, then it is sent as since and an empty page keeps the cursor', async () => {
    nock(BASE).get('/lw/api/v2/changes').query({ since: '42', limit: '100' }).reply(200, { items: [], next: 42 });
    await expect(adapter().changesSince('42')).resolves.toEqual({ events: [], cursor: '42' });
  });

  it('when the host runs in another time zone, then ztsj is still read as Beijing time', async () => {
    await inTimeZone('Europe/London', async () => {
      nock(BASE).get('/lw/api/v2/changes').query(true).reply(200, { items: [change(7, '02')], next: 7 });
      const page = await adapter().changesSince('6');
      expect(page.events[0]?.at).toBe('2024-05-06T09:30:00.000+08:00');
    });
  });

  it('when a change carries an unknown status code, then UNKNOWN_STATUS is thrown naming it', async () => {
    nock(BASE).get('/lw/api/v2/changes').query(true).reply(200, { items: [change(1, '01'), change(2, '09')], next: 2 });
    const err = await expectAdapterError(() => adapter().changesSince(undefined), 'UNKNOWN_STATUS', false);
    expect(err.message).toContain('"09"');
  });

  it('when ztsj is not yyyy-MM-dd HH:mm:ss, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    nock(BASE).get('/lw/api/v2/changes').query(true).reply(200, { items: [change(1, '01', { ztsj: '2024-02-30 09:30:00' })], next: 1 });
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the page lacks next, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    nock(BASE).get('/lw/api/v2/changes').query(true).reply(200, { items: [] });
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the feed answers 503, then APPROVAL_UNAVAILABLE is thrown', async () => {
    nock(BASE).get('/lw/api/v2/changes').query(true).reply(503, 'Service Unavailable');
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when the cursor is not a sequence number, then APPROVAL_REJECTED_REQUEST is thrown without a call', async () => {
    await expectAdapterError(() => adapter().changesSince('abc'), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('liwan adapter — callbacks', () => {
  const body = JSON.stringify(change(12, '04', { bz: '准予许可' }));

  it('when a callback is signed with the shared secret, then it maps to one approved event', () => {
    const events = adapter().parseCallback(Buffer.from(body), signed(body));
    expect(events).toEqual([
      {
        eventId: 'lw-12',
        caseNo: 'KC-NH-20240506-000001',
        localNo: 'LW20240506000001',
        status: 'approved',
        at: '2024-05-06T09:30:00.000+08:00',
        note: '准予许可',
      },
    ]);
  });

  it('when the signature header uses another letter case, then it is still found', () => {
    const headers = { 'X-LW-Signature': signed(body)['x-lw-signature'] };
    expect(adapter().parseCallback(Buffer.from(body), headers)).toHaveLength(1);
  });

  it('when the signature header is missing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), {}), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature was made with another secret, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, 'other')), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the body was changed after signing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const tampered = body.replace('"04"', '"05"');
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(tampered), signed(body)), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature lacks the sha256= prefix or is not hex, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const hex = signed(body)['x-lw-signature'].slice('sha256='.length);
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { 'x-lw-signature': hex }), 'CALLBACK_UNAUTHENTICATED');
    await expectAdapterError(
      () => adapter().parseCallback(Buffer.from(body), { 'x-lw-signature': `sha256=${'zz'.repeat(32)}` }),
      'CALLBACK_UNAUTHENTICATED',
    );
  });

  it('when a signed callback is not JSON, then CALLBACK_MALFORMED is thrown', async () => {
    const junk = '{"xh": 1,';
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(junk), signed(junk)), 'CALLBACK_MALFORMED');
  });

  it('when a signed callback misses fields, then CALLBACK_MALFORMED is thrown', async () => {
    const partial = JSON.stringify({ xh: 1, slbh: 'LW20240506000001', zt: '01' });
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(partial), signed(partial)), 'CALLBACK_MALFORMED');
  });

  it('when a signed callback carries an unknown status, then UNKNOWN_STATUS is thrown', async () => {
    const odd = JSON.stringify(change(3, '99'));
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(odd), signed(odd)), 'UNKNOWN_STATUS');
  });
});

describe('createAdapter', () => {
  it('when asked for liwan, then it returns the Liwan adapter', () => {
    expect(createAdapter('liwan', { baseUrl: BASE, callbackSecret: SECRET }).district).toBe('liwan');
  });
});
