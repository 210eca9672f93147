import { createHmac } from 'node:crypto';
import nock from 'nock';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAdapter } from '../../../adapters/index.js';
import { createNanhaiAdapter } from '../../../adapters/nanhai/adapter.js';
import { COMPANY, PERSON, expectAdapterError, inTimeZone, submission } from './fixtures.js';

const BASE = 'http://nanhai-approval.test';
const SECRET = 'nh-callback-secret';
const SUBMIT_PATH = '/nh/open/v1/case/submit';
const EVENTS_PATH = '/nh/open/v1/events';
/** A fixed clock for callback freshness: 2024-05-06T01:30:00Z. */
const NOW_MS = Date.parse('2024-05-06T01:30:00Z');
const NOW_S = NOW_MS / 1000;

const adapter = (timeoutMs?: number) =>
  createNanhaiAdapter({ baseUrl: BASE, callbackSecret: SECRET, now: () => NOW_MS, ...(timeoutMs ? { timeoutMs } : {}) });

const nhSubmission = (overrides: Parameters<typeof submission>[0] = {}) =>
  submission({ localMatterCode: 'NH-SCJG-QYDJ-001', originDistrict: 'liwan', ...overrides });

const ok = (data: unknown) => ({ code: 0, msg: 'ok', data });

/** Intercepts one submit, captures its body and Idempotency-Key, answers `status` / `reply`. */
function interceptSubmit(status: number, reply: unknown) {
  let captured: Record<string, unknown> | undefined;
  let key: string | undefined;
  nock(BASE)
    .post(SUBMIT_PATH, (body: Record<string, unknown>) => {
      captured = body;
      return true;
    })
    .reply(function (this: { req: { headers: Record<string, string | undefined> } }) {
      key = this.req.headers['idempotency-key'];
      return [status, reply as nock.Body];
    });
  return {
    body: () => {
      expect(captured).toBeDefined();
      return captured!;
    },
    key: () => key,
  };
}

function event(eventId: string, status: string, extra: Partial<Record<string, unknown>> = {}) {
  return {
    eventId,
    caseId: 'NH-2024000001',
    extRef: 'KC-LW-20240506-000001',
    status,
    occurredAt: '2024-05-06T09:30:00.000+08:00',
    remark: '',
    ...extra,
  };
}

function signed(body: string, timestamp: number = NOW_S, secret = SECRET) {
  const ts = String(timestamp);
  return { 'x-nh-timestamp': ts, 'x-nh-sign': createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex') };
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('nanhai adapter — submit mapping', () => {
  it('when a company application is submitted, then the body carries itemCode, extRef, ORG with the credit code, original flags, epoch-ms applyTime, LIWAN and the caseNo as Idempotency-Key', async () => {
    const s = nhSubmission();
    const call = interceptSubmit(200, ok({ caseId: 'NH-2024000001' }));

    await expect(adapter().submit(s)).resolves.toEqual({ localNo: 'NH-2024000001' });

    expect(call.key()).toBe(s.caseNo);
    expect(call.body()).toEqual({
      itemCode: 'NH-SCJG-QYDJ-001',
      extRef: s.caseNo,
      applicant: { type: 'ORG', name: COMPANY.name, certNo: COMPANY.creditCode, mobile: COMPANY.phone, address: COMPANY.address },
      formData: { changeItem: '住所', changeBefore: '旧址', changeAfter: '新址' },
      attachments: [
        { title: '公司变更登记申请书', original: true, count: 1 },
        { title: '股东会决议', original: false, count: 2 },
      ],
      applyTime: Date.parse('2024-05-06T01:30:00.000Z'),
      sourceRegion: 'LIWAN',
    });
  });

  it('when a person applies at a Nanhai window, then type is PERSON, certNo is the ID number, address is left out and sourceRegion is NANHAI', async () => {
    const call = interceptSubmit(200, ok({ caseId: 'NH-2024000002' }));
    await adapter().submit(nhSubmission({ applicant: PERSON, originDistrict: 'nanhai' }));
    expect(call.body()['applicant']).toEqual({ type: 'PERSON', name: PERSON.name, certNo: PERSON.idNumber, mobile: PERSON.phone });
    expect(call.body()['sourceRegion']).toBe('NANHAI');
  });

  it('when the host runs in another time zone, then applyTime is the same epoch milliseconds', async () => {
    await inTimeZone('Pacific/Auckland', async () => {
      const call = interceptSubmit(200, ok({ caseId: 'NH-2024000003' }));
      await adapter().submit(nhSubmission({ submittedAt: '2024-05-06T09:30:00.250+08:00' }));
      expect(call.body()['applyTime']).toBe(Date.UTC(2024, 4, 6, 1, 30, 0, 250));
    });
  });

  it('when a person applicant has no ID number, then the submit is refused locally as APPROVAL_REJECTED_REQUEST', async () => {
    const { idNumber: _omitted, ...noId } = PERSON;
    await expectAdapterError(() => adapter().submit(nhSubmission({ applicant: noId })), 'APPROVAL_REJECTED_REQUEST', false);
  });
});

describe('nanhai adapter — submit errors', () => {
  it('when Nanhai does not answer within the timeout, then APPROVAL_UNAVAILABLE is thrown and is retryable', async () => {
    nock(BASE).post(SUBMIT_PATH).delay(1_000).reply(200, ok({ caseId: 'NH-2024000001' }));
    await expectAdapterError(() => adapter(50).submit(nhSubmission()), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when the connection is refused, then APPROVAL_UNAVAILABLE is thrown', async () => {
    nock(BASE).post(SUBMIT_PATH).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    await expectAdapterError(() => adapter().submit(nhSubmission()), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when Nanhai answers 500 with its envelope, then APPROVAL_UNAVAILABLE is thrown with the code', async () => {
    interceptSubmit(500, { code: 50000, msg: 'internal error', data: null });
    const err = await expectAdapterError(() => adapter().submit(nhSubmission()), 'APPROVAL_UNAVAILABLE', true);
    expect(err.message).toContain('50000');
  });

  it('when Nanhai answers 400, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    interceptSubmit(400, { code: 40000, msg: 'invalid request', data: null });
    await expectAdapterError(() => adapter().submit(nhSubmission()), 'APPROVAL_REJECTED_REQUEST', false);
  });

  it('when Nanhai answers HTTP 200 with business code 20001 (unknown item), then APPROVAL_REJECTED_REQUEST names the code', async () => {
    interceptSubmit(200, { code: 20001, msg: 'item code not found', data: null });
    const err = await expectAdapterError(() => adapter().submit(nhSubmission({ localMatterCode: 'NH-KC-0003' })), 'APPROVAL_REJECTED_REQUEST', false);
    expect(err.message).toContain('20001');
  });

  it('when the answer is not JSON, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    nock(BASE).post(SUBMIT_PATH).reply(200, '<html>gateway</html>', { 'content-type': 'text/html' });
    await expectAdapterError(() => adapter().submit(nhSubmission()), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the answer is not wrapped in {code,msg,data}, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    interceptSubmit(200, { caseId: 'NH-2024000001' });
    await expectAdapterError(() => adapter().submit(nhSubmission()), 'APPROVAL_BAD_RESPONSE');
  });

  it('when code is 0 but data has no caseId, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    interceptSubmit(200, ok(null));
    await expectAdapterError(() => adapter().submit(nhSubmission()), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('nanhai adapter — events feed', () => {
  it('when the feed lists all five statuses, then each maps to the shared status with Nanhai event ids, +08:00 instants and nextCursor', async () => {
    nock(BASE)
      .get(EVENTS_PATH)
      .query({ size: '100' })
      .reply(
        200,
        ok({
          list: [
            event('NHEV000000000001', 'RECEIVED'),
            event('NHEV000000000002', 'ACCEPTED', { occurredAt: '2024-05-06T02:00:00Z' }),
            event('NHEV000000000003', 'NEED_SUPPLEMENT', { remark: '请补充经营场所平面图' }),
            event('NHEV000000000004', 'APPROVED'),
            event('NHEV000000000005', 'DENIED'),
          ],
          nextCursor: 'opaque-5',
        }),
      );

    const page = await adapter().changesSince(undefined);

    expect(page.cursor).toBe('opaque-5');
    expect(page.events.map((e) => [e.eventId, e.status])).toEqual([
      ['NHEV000000000001', 'registered'],
      ['NHEV000000000002', 'accepted'],
      ['NHEV000000000003', 'supplement_requested'],
      ['NHEV000000000004', 'approved'],
      ['NHEV000000000005', 'rejected'],
    ]);
    // A UTC instant from Nanhai is normalised to the same instant at +08:00.
    expect(page.events[1]?.at).toBe('2024-05-06T10:00:00.000+08:00');
    expect(page.events[2]).toEqual({
      eventId: 'NHEV000000000003',
      caseNo: 'KC-LW-20240506-000001',
      localNo: 'NH-2024000001',
      status: 'supplement_requested',
      at: '2024-05-06T09:30:00.000+08:00',
      note: '请补充经营场所平面图',
    });
  });

  it('when a cursor is given, then it is passed back unchanged', async () => {
    nock(BASE).get(EVENTS_PATH).query({ cursor: 'abc_-9', size: '100' }).reply(200, ok({ list: [], nextCursor: 'abc_-9' }));
    await expect(adapter().changesSince('abc_-9')).resolves.toEqual({ events: [], cursor: 'abc_-9' });
  });

  it('when the host runs in another time zone, then occurredAt still maps to the same instant', async () => {
    await inTimeZone('America/Sao_Paulo', async () => {
      nock(BASE).get(EVENTS_PATH).query(true).reply(200, ok({ list: [event('e1', 'ACCEPTED')], nextCursor: 'c1' }));
      const page = await adapter().changesSince(undefined);
      expect(page.events[0]?.at).toBe('2024-05-06T09:30:00.000+08:00');
    });
  });

  it('when an event carries an unknown status, then UNKNOWN_STATUS is thrown naming it', async () => {
    nock(BASE).get(EVENTS_PATH).query(true).reply(200, ok({ list: [event('e1', 'WITHDRAWN')], nextCursor: 'c1' }));
    const err = await expectAdapterError(() => adapter().changesSince(undefined), 'UNKNOWN_STATUS');
    expect(err.message).toContain('WITHDRAWN');
  });

  it('when occurredAt has no offset, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    nock(BASE).get(EVENTS_PATH).query(true).reply(200, ok({ list: [event('e1', 'ACCEPTED', { occurredAt: '2024-05-06 09:30:00' })], nextCursor: 'c1' }));
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the feed answers HTTP 200 with a business error code, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    nock(BASE).get(EVENTS_PATH).query(true).reply(200, { code: 40000, msg: 'invalid cursor', data: null });
    await expectAdapterError(() => adapter().changesSince('stale'), 'APPROVAL_REJECTED_REQUEST');
  });

  it('when the feed answers 502 with an HTML page, then APPROVAL_UNAVAILABLE is thrown', async () => {
    nock(BASE).get(EVENTS_PATH).query(true).reply(502, '<html>Bad Gateway</html>');
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when the page lacks nextCursor, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    nock(BASE).get(EVENTS_PATH).query(true).reply(200, ok({ list: [] }));
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('nanhai adapter — callbacks', () => {
  const body = JSON.stringify(event('NHEV000000000009', 'DENIED', { remark: '材料不齐' }));

  it('when a callback is signed over timestamp.body and is fresh, then it maps to one rejected event', () => {
    expect(adapter().parseCallback(Buffer.from(body), signed(body))).toEqual([
      {
        eventId: 'NHEV000000000009',
        caseNo: 'KC-LW-20240506-000001',
        localNo: 'NH-2024000001',
        status: 'rejected',
        at: '2024-05-06T09:30:00.000+08:00',
        note: '材料不齐',
      },
    ]);
  });

  it('when the timestamp is 299 s old, then the callback is still accepted', () => {
    expect(adapter().parseCallback(Buffer.from(body), signed(body, NOW_S - 299))).toHaveLength(1);
  });

  it('when the timestamp is more than 300 s old, then CALLBACK_UNAUTHENTICATED is thrown even with a valid signature', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, NOW_S - 301)), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the timestamp is more than 300 s in the future, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, NOW_S + 301)), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the sign header is missing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(
      () => adapter().parseCallback(Buffer.from(body), { 'x-nh-timestamp': String(NOW_S) }),
      'CALLBACK_UNAUTHENTICATED',
    );
  });

  it('when the timestamp header is missing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const { 'x-nh-sign': sign } = signed(body);
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { 'x-nh-sign': sign }), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the timestamp was changed after signing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const headers = { ...signed(body), 'x-nh-timestamp': String(NOW_S - 1) };
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), headers), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature was made with another secret, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, NOW_S, 'other')), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature covers the body only (Liwan style), then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const headers = { 'x-nh-timestamp': String(NOW_S), 'x-nh-sign': createHmac('sha256', SECRET).update(body).digest('hex') };
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), headers), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when a signed callback is not JSON, then CALLBACK_MALFORMED is thrown', async () => {
    const junk = 'eventId=1';
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(junk), signed(junk)), 'CALLBACK_MALFORMED');
  });

  it('when a signed callback lacks extRef, then CALLBACK_MALFORMED is thrown', async () => {
    const { extRef: _omitted, ...partial } = event('e1', 'RECEIVED');
    const text = JSON.stringify(partial);
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(text), signed(text)), 'CALLBACK_MALFORMED');
  });

  it('when a signed callback carries an unknown status, then UNKNOWN_STATUS is thrown', async () => {
    const text = JSON.stringify(event('e1', 'ARCHIVED'));
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(text), signed(text)), 'UNKNOWN_STATUS');
  });
});

describe('createAdapter', () => {
  it('when asked for nanhai, then it returns the Nanhai adapter', () => {
    expect(createAdapter('nanhai', { baseUrl: BASE, callbackSecret: SECRET }).district).toBe('nanhai');
  });
});
