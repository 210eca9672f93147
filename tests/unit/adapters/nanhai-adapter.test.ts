/**
 * Nanhai adapter against nock: every mapping (form with 万元→元 scaling, epoch-ms and ISO times,
 * booleans, material codes, every status word through the catalog table) and every error path
 * (HTTP errors and business codes in the {code,msg,data} wrapper, timeout, malformed, slow, unknown
 * status, unknown field, not ready, circuit breaker, retried submit keeping its Idempotency-Key).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../../../adapters/adapter-kit.js';
import { createAdapter } from '../../../adapters/index.js';
import { createNanhaiAdapter, NANHAI_MAX_SKEW_SECONDS, NH_CODE } from '../../../adapters/nanhai/adapter.js';
import { NANHAI_STATUS } from '../../../adapters/nanhai/simulator.js';
import { COMPANY, PERSON, catalog, expectAdapterError, generated, inTimeZone, options, submission, supplement, until } from './fixtures.js';

const BASE = 'http://nanhai-approval.test';
const SECRET = 'nanhai-callback-secret';
const API = '/nh/open/v1';
const CASE_ID = 'NH-2024000001';
const NOW_MS = Date.parse('2024-05-06T01:30:00Z');

const adapter = (extra: Partial<AdapterOptions> = {}) => createNanhaiAdapter(options('nanhai', BASE, { now: () => NOW_MS, ...extra }));

const wrap = (data: unknown, code = 0, msg = 'ok') => ({ code, msg, data });

interface Captured {
  body?: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** Intercepts `times` calls of method+path, answering status/reply, and captures each request. */
function intercept(method: 'get' | 'post', path: string, status: number, reply: unknown, times = 1): Captured[] {
  const seen: Captured[] = [];
  nock(BASE)
    .intercept(path, method.toUpperCase(), (body: Record<string, unknown>) => (seen.push({ body, headers: {} }), true))
    .query(true)
    .times(times)
    .reply(function () {
      const last = seen[seen.length - 1];
      if (last) last.headers = { ...this.req.headers };
      else seen.push({ headers: { ...this.req.headers } });
      return [status, reply as nock.Body];
    });
  return seen;
}

function event(id: string, status: string, extra: Record<string, unknown> = {}) {
  return { eventId: id, caseId: CASE_ID, extRef: 'KC-LW-20240506-000001', status, occurredAt: '2024-05-06T09:30:00.000+08:00', remark: '', ...extra };
}

function signed(body: string, timestampSeconds = Math.floor(NOW_MS / 1000), secret = SECRET) {
  const ts = String(timestampSeconds);
  return { 'x-nh-timestamp': ts, 'x-nh-sign': createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex') };
}

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});

describe('nanhai — submit mapping', () => {
  it('when a KC-M-0001 application is submitted, then the body carries the catalog code, extRef, Idempotency-Key, Nanhai field names with 万元→元 and the enum word, material codes, epoch-ms applyTime and LIWAN', async () => {
    const s = submission('nanhai');
    const call = intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));

    await expect(adapter().submit(s)).resolves.toEqual({ localNo: CASE_ID });

    expect(call[0]!.headers['idempotency-key']).toBe(s.caseNo);
    expect(call[0]!.body).toEqual({
      itemCode: 'NH-SCJG-QYDJ-001',
      extRef: s.caseNo,
      applicant: { type: 'ORG', name: COMPANY.name, certNo: COMPANY.creditCode, mobile: COMPANY.phone, address: COMPANY.address },
      formData: { enterpriseName: '佛山南海示例有限公司', registeredCapitalYuan: 1_005_000, businessScope: '贸易', legalPerson: '李四', premisesType: 'LEASE' },
      attachments: [
        { materialCode: 'NH-M-QY01', title: '公司登记（备案）申请书', original: true, count: 1 },
        { materialCode: 'NH-M-QY04', title: '住所使用证明', original: false, count: 1 },
      ],
      applyTime: NOW_MS,
      sourceRegion: 'LIWAN',
    });
  });

  it('when a KC-M-0002 application is submitted, then the business category takes its numeric-string code and the floor area a JSON number', async () => {
    const m = catalog.get('KC-M-0002')!;
    const call = intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));
    await adapter().submit(
      submission('nanhai', {
        matter: m,
        application: {
          matterId: m.id,
          applicant: COMPANY,
          form: { premisesAddress: '南海区桂城街道1号', businessCategory: 'catering', floorArea: '85.5' },
          materials: [{ name: '经营场所平面图', form: 'original', copies: 1 }],
        },
      }),
    );
    expect(call[0]!.body!['formData']).toEqual({ premisesAddress: '南海区桂城街道1号', businessCategory: '3', floorAreaSqm: 85.5 });
    expect(call[0]!.body!['attachments']).toEqual([{ materialCode: 'NH-M-SP03', title: '经营场所平面图', original: true, count: 1 }]);
  });

  it('when a matter uses every field type (generated, Nanhai-handled), then integers are numbers, booleans JSON booleans and dates Beijing-midnight epoch ms', async () => {
    const m = generated(1);
    const call = intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));
    await adapter().submit(
      submission('nanhai', {
        matter: m,
        application: {
          matterId: m.id,
          applicant: COMPANY,
          form: {
            companyName: '甲',
            businessScope: '乙',
            employees: '30',
            registeredCapital: '0.3',
            plannedStart: '2026-06-15',
            premisesType: 'leased',
            leaseEnds: '2027-01-31',
            byAgent: 'true',
            agentIdNumber: PERSON.idNumber!,
            creditCode: COMPANY.creditCode!,
            mobile: '13800138000',
            telephone: '0757-86280000',
            postcode: '528200',
          },
          materials: [{ name: '场所使用证明', form: 'copy', copies: 2 }],
        },
      }),
    );
    expect(call[0]!.body!['formData']).toEqual({
      enterpriseName: '甲',
      businessScope: '乙',
      employeeCount: 30,
      registeredCapitalYuan: 3_000,
      plannedStart: Date.parse('2026-06-14T16:00:00Z'),
      premisesType: 'LEASE',
      leaseEnds: '2027-01-31',
      byAgent: true,
      agentIdNo: PERSON.idNumber,
      uscc: COMPANY.creditCode,
      mobile: '13800138000',
      telephone: '0757-86280000',
      postalCode: '528200',
    });
    expect(call[0]!.body!['attachments']).toEqual([{ materialCode: 'NH-M-SC00014', title: '场所使用证明', original: false, count: 2 }]);
  });

  it('when a person applies at a Nanhai window, then type is PERSON, certNo the ID number, no address and sourceRegion NANHAI', async () => {
    const call = intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));
    await adapter().submit(submission('nanhai', { applicant: PERSON, originDistrict: 'nanhai' }));
    expect(call[0]!.body!['applicant']).toEqual({ type: 'PERSON', name: PERSON.name, certNo: PERSON.idNumber, mobile: PERSON.phone });
    expect(call[0]!.body!['sourceRegion']).toBe('NANHAI');
  });

  it('when submittedAt carries another offset or the host another zone, then applyTime is the same epoch ms', async () => {
    await inTimeZone('America/New_York', async () => {
      const call = intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));
      await adapter().submit(submission('nanhai', { submittedAt: '2024-05-06T09:30:00+08:00' }));
      expect(call[0]!.body!['applyTime']).toBe(NOW_MS);
    });
  });
});

describe('nanhai — submit refused before any call', () => {
  const refusedLocally = async (s: ReturnType<typeof submission>, code: 'APPROVAL_REJECTED_REQUEST' | 'UNKNOWN_FIELD') => {
    const scope = nock(BASE).post(`${API}/case/submit`).reply(200, wrap({ caseId: CASE_ID }));
    await expectAdapterError(() => adapter().submit(s), code, false);
    expect(scope.isDone()).toBe(false);
  };

  it('when the matter is handled by Liwan, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    await refusedLocally(submission('nanhai', { matter: catalog.get('KC-M-0003')! }), 'APPROVAL_REJECTED_REQUEST');
  });

  it('when the form carries a field the catalog does not know, then UNKNOWN_FIELD is thrown', async () => {
    const s = submission('nanhai');
    s.application.form['capitalCurrency'] = 'CNY';
    await refusedLocally(s, 'UNKNOWN_FIELD');
  });

  it('when the registered capital is not a number, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    const s = submission('nanhai');
    s.application.form['registeredCapital'] = '一百万';
    await refusedLocally(s, 'APPROVAL_REJECTED_REQUEST');
  });

  it('when a person applicant has no ID number, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    const { idNumber: _omitted, ...noId } = PERSON;
    await refusedLocally(submission('nanhai', { applicant: noId }), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('nanhai — submit errors, business codes and retries', () => {
  it('when the first attempt times out and the second answers, then the submit succeeds and both attempts carried the same Idempotency-Key and body', async () => {
    const s = submission('nanhai');
    const seen: Array<Record<string, unknown>> = [];
    nock(BASE).post(`${API}/case/submit`, (b: Record<string, unknown>) => (seen.push(b), true)).delay(3_000).reply(200, wrap({ caseId: CASE_ID }));
    nock(BASE)
      .post(`${API}/case/submit`, (b: Record<string, unknown>) => (seen.push(b), true))
      .matchHeader('Idempotency-Key', s.caseNo)
      .reply(200, wrap({ caseId: CASE_ID }));
    // A timeout far from both answers: on a loaded CI machine a 50 ms one also cut off the fast retry.
    await expect(adapter({ timeoutMs: 400 }).submit(s)).resolves.toEqual({ localNo: CASE_ID });
    expect(seen).toHaveLength(2);
    expect(seen[1]).toEqual(seen[0]);
  });

  it('when Nanhai never answers within the timeout, then APPROVAL_UNAVAILABLE is thrown after 3 attempts', async () => {
    const scope = nock(BASE).post(`${API}/case/submit`).times(3).delay(500).reply(200, wrap({ caseId: CASE_ID }));
    await expectAdapterError(() => adapter({ timeoutMs: 30 }).submit(submission('nanhai')), 'APPROVAL_UNAVAILABLE', true);
    expect(scope.isDone()).toBe(true);
  });

  it('when Nanhai answers HTTP 500 {code 50000} once, then the retry succeeds', async () => {
    const first = intercept('post', `${API}/case/submit`, 500, wrap(null, NH_CODE.internal, 'internal error'));
    intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));
    await expect(adapter().submit(submission('nanhai'))).resolves.toEqual({ localNo: CASE_ID });
    expect(first).toHaveLength(1);
  });

  it('when Nanhai answers HTTP 200 with business code 50000 every time, then APPROVAL_UNAVAILABLE is thrown after 3 attempts', async () => {
    const calls = intercept('post', `${API}/case/submit`, 200, wrap(null, NH_CODE.internal, 'internal error'), 3);
    const err = await expectAdapterError(() => adapter().submit(submission('nanhai')), 'APPROVAL_UNAVAILABLE', true);
    expect(err.message).toContain('50000');
    expect(calls).toHaveLength(3);
  });

  it.each([
    [NH_CODE.unknownItem, 'item code not found'],
    [NH_CODE.idempotencyConflict, 'Idempotency-Key already used for another request'],
    [NH_CODE.formMismatch, 'formData or attachments do not fit the item'],
  ])('when Nanhai answers HTTP 200 with business code %i, then APPROVAL_REJECTED_REQUEST names it and nothing is retried', async (code, msg) => {
    const calls = intercept('post', `${API}/case/submit`, 200, wrap(null, code, msg), 3);
    const err = await expectAdapterError(() => adapter().submit(submission('nanhai')), 'APPROVAL_REJECTED_REQUEST', false);
    expect(err.message).toContain(String(code));
    expect(calls).toHaveLength(1);
  });

  it('when Nanhai answers HTTP 400 {code 40000}, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    intercept('post', `${API}/case/submit`, 400, wrap(null, NH_CODE.badRequest, 'invalid request'));
    const err = await expectAdapterError(() => adapter().submit(submission('nanhai')), 'APPROVAL_REJECTED_REQUEST', false);
    expect(err.message).toContain('40000');
  });

  it('when the answer is not a {code,msg,data} envelope, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('post', `${API}/case/submit`, 200, { caseId: CASE_ID }, 3);
    await expectAdapterError(() => adapter().submit(submission('nanhai')), 'APPROVAL_BAD_RESPONSE', false);
  });

  it('when the answer is cut off mid-JSON once, then the retry gets the case', async () => {
    nock(BASE).post(`${API}/case/submit`).reply(200, '{"code":0,"msg":"ok","data":{"caseId":"NH-20', { 'content-type': 'application/json' });
    intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID }));
    await expect(adapter().submit(submission('nanhai'))).resolves.toEqual({ localNo: CASE_ID });
  });

  it('when the envelope or its data carries a field the spec does not know, then UNKNOWN_FIELD names it', async () => {
    intercept('post', `${API}/case/submit`, 200, { ...wrap({ caseId: CASE_ID }), traceId: 'abc' });
    expect((await expectAdapterError(() => adapter().submit(submission('nanhai')), 'UNKNOWN_FIELD')).message).toContain('traceId');
    intercept('post', `${API}/case/submit`, 200, wrap({ caseId: CASE_ID, status: 'RECEIVED' }));
    expect((await expectAdapterError(() => adapter().submit(submission('nanhai')), 'UNKNOWN_FIELD')).message).toContain('status');
  });

  it('when the case id has the wrong shape, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('post', `${API}/case/submit`, 200, wrap({ caseId: 'LW20240506000001' }), 3);
    await expectAdapterError(() => adapter().submit(submission('nanhai')), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('nanhai — status words through the catalog table', () => {
  it('when the spec, the catalog table and the simulator are compared, then all three know the same six words for the same statuses', () => {
    const spec = parseYaml(readFileSync(new URL('../../../adapters/nanhai/openapi.yaml', import.meta.url), 'utf8')) as {
      components: { schemas: { NhStatus: { enum: string[] } } };
    };
    const table = catalog.statuses('nanhai');
    expect([...spec.components.schemas.NhStatus.enum].sort()).toEqual(Object.keys(table).sort());
    expect(Object.fromEntries(Object.entries(NANHAI_STATUS).map(([status, word]) => [word, status]))).toEqual(table);
  });

  it('when the feed lists all six words, then each maps to its shared status, times are normalised to +08:00 and the cursor is passed on', async () => {
    nock(BASE)
      .get(`${API}/events`)
      .query({ size: '100' })
      .reply(
        200,
        wrap({
          list: [
            event('E1', 'RECEIVED'),
            event('E2', 'ACCEPTED', { occurredAt: '2024-05-06T10:00:00+08:00' }),
            event('E3', 'NEED_SUPPLEMENT', { remark: '请补正公司章程' }),
            event('E4', 'SUPPLEMENTED'),
            event('E5', 'APPROVED'),
            event('E6', 'DENIED'),
          ],
          nextCursor: 'c-6',
        }),
      );

    const page = await adapter().changesSince(undefined);

    expect(page.cursor).toBe('c-6');
    expect(page.events.map((e) => [e.eventId, e.status])).toEqual([
      ['E1', 'registered'],
      ['E2', 'accepted'],
      ['E3', 'supplement_requested'],
      ['E4', 'supplement_received'],
      ['E5', 'approved'],
      ['E6', 'rejected'],
    ]);
    expect(page.events[1]!.at).toBe('2024-05-06T10:00:00.000+08:00');
    expect(page.events[2]).toEqual({
      eventId: 'E3',
      caseNo: 'KC-LW-20240506-000001',
      localNo: CASE_ID,
      status: 'supplement_requested',
      at: '2024-05-06T09:30:00.000+08:00',
      note: '请补正公司章程',
    });
  });

  it('when a cursor is given, then it is sent unchanged with size 100', async () => {
    nock(BASE).get(`${API}/events`).query({ cursor: 'bmgtZXZlbnRzOjQy', size: '100' }).reply(200, wrap({ list: [], nextCursor: 'bmgtZXZlbnRzOjQy' }));
    await expect(adapter().changesSince('bmgtZXZlbnRzOjQy')).resolves.toEqual({ events: [], cursor: 'bmgtZXZlbnRzOjQy' });
  });

  it('when an event carries an unknown status, then UNKNOWN_STATUS names it and nothing is retried', async () => {
    const calls = intercept('get', `${API}/events`, 200, wrap({ list: [event('E1', 'ARCHIVED')], nextCursor: 'c' }), 3);
    expect((await expectAdapterError(() => adapter().changesSince(undefined), 'UNKNOWN_STATUS', false)).message).toContain('"ARCHIVED"');
    expect(calls).toHaveLength(1);
  });

  it('when an event carries a field the spec does not know, then UNKNOWN_FIELD names it', async () => {
    intercept('get', `${API}/events`, 200, wrap({ list: [event('E1', 'ACCEPTED', { handler: '王五' })], nextCursor: 'c' }));
    const err = await expectAdapterError(() => adapter().changesSince(undefined), 'UNKNOWN_FIELD', false);
    expect(err.message).toContain('list.0.handler');
    expect(err.message).not.toContain('王五');
  });

  it('when occurredAt is not ISO with the +08:00 offset the spec requires, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    for (const occurredAt of ['2024-05-06 09:30:00', '2024-05-06T01:30:00Z', '2024-02-30T09:30:00+08:00']) {
      intercept('get', `${API}/events`, 200, wrap({ list: [event('E1', 'ACCEPTED', { occurredAt })], nextCursor: 'c' }), 3);
      await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
    }
  });

  it('when the cursor is refused (HTTP 400 {40000}), then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    intercept('get', `${API}/events`, 400, wrap(null, NH_CODE.badRequest, 'invalid cursor'));
    await expectAdapterError(() => adapter().changesSince('forged'), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('nanhai — getStatus', () => {
  const record = (status: string, extra: Record<string, unknown> = {}) =>
    wrap({ caseId: CASE_ID, extRef: 'KC-LW-20240506-000001', itemCode: 'NH-SCJG-QYDJ-001', status, updatedAt: '2024-05-07T14:00:00.000+08:00', remark: '', ...extra });

  it.each(Object.entries(NANHAI_STATUS))('when the case status says %s\'s word, then getStatus answers that status', async (status, word) => {
    intercept('get', `${API}/case/${CASE_ID}/status`, 200, record(word));
    await expect(adapter().getStatus(CASE_ID)).resolves.toEqual({ caseNo: 'KC-LW-20240506-000001', localNo: CASE_ID, status, at: '2024-05-07T14:00:00.000+08:00' });
  });

  it('when the status record carries an unknown word or an unknown field, then UNKNOWN_STATUS / UNKNOWN_FIELD is thrown', async () => {
    intercept('get', `${API}/case/${CASE_ID}/status`, 200, record('SUSPENDED'));
    await expectAdapterError(() => adapter().getStatus(CASE_ID), 'UNKNOWN_STATUS');
    intercept('get', `${API}/case/${CASE_ID}/status`, 200, record('ACCEPTED', { officer: 'x' }));
    await expectAdapterError(() => adapter().getStatus(CASE_ID), 'UNKNOWN_FIELD');
  });

  it('when the case does not exist (HTTP 404 {40400}), then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    intercept('get', `${API}/case/${CASE_ID}/status`, 404, wrap(null, NH_CODE.notFound, 'case not found'));
    expect((await expectAdapterError(() => adapter().getStatus(CASE_ID), 'APPROVAL_REJECTED_REQUEST')).message).toContain('40400');
  });

  it('when the local number is not a Nanhai case id, then APPROVAL_REJECTED_REQUEST is thrown without a call', async () => {
    await expectAdapterError(() => adapter().getStatus('LW20240506000001'), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('nanhai — supplements', () => {
  it('when a supplement is filed, then supplementRef and Idempotency-Key are the supplement id, attachments carry materialCode and submitTime is epoch ms', async () => {
    const sup = supplement('nanhai', CASE_ID);
    const call = intercept('post', `${API}/case/${CASE_ID}/supplement`, 200, wrap({ receiptNo: 'SUP-202400000001', caseId: CASE_ID }));
    await expect(adapter().submitSupplement(sup)).resolves.toEqual({ receiptNo: 'SUP-202400000001' });
    expect(call[0]!.headers['idempotency-key']).toBe(sup.supplementId);
    expect(call[0]!.body).toEqual({
      supplementRef: sup.supplementId,
      attachments: [{ materialCode: 'NH-M-QY04', title: '住所使用证明', original: false, count: 1 }],
      remark: '补正股东会决议原件',
      submitTime: Date.parse('2024-05-08T02:00:00.000Z'),
    });
  });

  it('when the first answer is lost (connection reset) and the retry answers, then both attempts used the same Idempotency-Key and body', async () => {
    const sup = supplement('nanhai', CASE_ID);
    const seen: Array<Record<string, unknown>> = [];
    nock(BASE).post(`${API}/case/${CASE_ID}/supplement`, (b: Record<string, unknown>) => (seen.push(b), true)).replyWithError({ code: 'ECONNRESET', message: 'reset' });
    nock(BASE)
      .post(`${API}/case/${CASE_ID}/supplement`, (b: Record<string, unknown>) => (seen.push(b), true))
      .matchHeader('Idempotency-Key', sup.supplementId)
      .reply(200, wrap({ receiptNo: 'SUP-202400000001', caseId: CASE_ID }));
    await expect(adapter().submitSupplement(sup)).resolves.toEqual({ receiptNo: 'SUP-202400000001' });
    expect(seen[1]).toEqual(seen[0]);
  });

  it('when the case is not waiting for a supplement (business code 30002), then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    intercept('post', `${API}/case/${CASE_ID}/supplement`, 200, wrap(null, NH_CODE.notAwaitingSupplement, 'case is not waiting for a supplement'));
    expect((await expectAdapterError(() => adapter().submitSupplement(supplement('nanhai', CASE_ID)), 'APPROVAL_REJECTED_REQUEST', false)).message).toContain('30002');
  });

  it('when the receipt is of another case, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('post', `${API}/case/${CASE_ID}/supplement`, 200, wrap({ receiptNo: 'SUP-202400000001', caseId: 'NH-2024000009' }), 3);
    await expectAdapterError(() => adapter().submitSupplement(supplement('nanhai', CASE_ID)), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('nanhai — results', () => {
  const result = (decision: string, extra: Record<string, unknown> = {}) =>
    wrap({
      caseId: CASE_ID,
      extRef: 'KC-LW-20240506-000001',
      decision,
      documentName: decision === 'APPROVED' ? '营业执照' : '不予行政许可决定书',
      documentNo: 'NHXK2024000001',
      issuedAt: '2024-05-10T16:20:00+08:00',
      reason: decision === 'APPROVED' ? '' : '名称与已登记企业相同',
      ...extra,
    });

  it('when the result of an approval is fetched, then it maps with the issued time normalised', async () => {
    intercept('get', `${API}/case/${CASE_ID}/result`, 200, result('APPROVED'));
    await expect(adapter().fetchResult(CASE_ID)).resolves.toEqual({
      caseNo: 'KC-LW-20240506-000001',
      localNo: CASE_ID,
      decision: 'approved',
      documentName: '营业执照',
      documentNo: 'NHXK2024000001',
      issuedAt: '2024-05-10T16:20:00.000+08:00',
      reason: '',
    });
  });

  it('when the result of a denial is fetched, then the decision is rejected with its reason', async () => {
    intercept('get', `${API}/case/${CASE_ID}/result`, 200, result('DENIED'));
    await expect(adapter().fetchResult(CASE_ID)).resolves.toMatchObject({ decision: 'rejected', reason: '名称与已登记企业相同' });
  });

  it('when no result has been issued yet (business code 30001), then APPROVAL_NOT_READY is thrown, retryable, and not retried inside', async () => {
    const calls = intercept('get', `${API}/case/${CASE_ID}/result`, 200, wrap(null, NH_CODE.resultNotReady, 'result not issued yet'), 3);
    await expectAdapterError(() => adapter().fetchResult(CASE_ID), 'APPROVAL_NOT_READY', true);
    expect(calls).toHaveLength(1);
  });

  it('when the decision is not a decision, unknown, or the record has an unknown field, then BAD_RESPONSE / UNKNOWN_STATUS / UNKNOWN_FIELD', async () => {
    intercept('get', `${API}/case/${CASE_ID}/result`, 200, result('ACCEPTED'), 3);
    await expectAdapterError(() => adapter().fetchResult(CASE_ID), 'APPROVAL_BAD_RESPONSE');
    intercept('get', `${API}/case/${CASE_ID}/result`, 200, result('REVOKED'));
    await expectAdapterError(() => adapter().fetchResult(CASE_ID), 'UNKNOWN_STATUS');
    intercept('get', `${API}/case/${CASE_ID}/result`, 200, result('APPROVED', { validUntil: '2044-05-10' }));
    await expectAdapterError(() => adapter().fetchResult(CASE_ID), 'UNKNOWN_FIELD');
  });
});

describe('nanhai — callback registration', () => {
  it('when a callback URL is registered, then it is posted as callbackUrl and the echo is checked', async () => {
    const call = intercept('post', `${API}/callback/register`, 200, wrap({ callbackUrl: 'https://gw.example/cb', registeredAt: '2024-05-06T09:30:00.000+08:00' }));
    await expect(adapter().registerCallback('https://gw.example/cb')).resolves.toBeUndefined();
    expect(call[0]!.body).toEqual({ callbackUrl: 'https://gw.example/cb' });
  });

  it('when the URL in force is another one, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('post', `${API}/callback/register`, 200, wrap({ callbackUrl: 'https://x.example/', registeredAt: '2024-05-06T09:30:00.000+08:00' }), 3);
    await expectAdapterError(() => adapter().registerCallback('https://gw.example/cb'), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('nanhai — callbacks', () => {
  const body = JSON.stringify(event('NHEV000000000012', 'APPROVED', { remark: '准予许可' }));

  it('when a callback is signed over timestamp.body within the window, then it maps to one approved event', () => {
    expect(adapter().parseCallback(Buffer.from(body), signed(body))).toEqual([
      { eventId: 'NHEV000000000012', caseNo: 'KC-LW-20240506-000001', localNo: CASE_ID, status: 'approved', at: '2024-05-06T09:30:00.000+08:00', note: '准予许可' },
    ]);
  });

  it('when a callback reports SUPPLEMENTED, then it is supplement_received', () => {
    const b = JSON.stringify(event('E9', 'SUPPLEMENTED'));
    expect(adapter().parseCallback(Buffer.from(b), signed(b))[0]?.status).toBe('supplement_received');
  });

  it('when a header is missing or the timestamp is not epoch seconds, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const h = signed(body);
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { 'x-nh-sign': h['x-nh-sign'] }), 'CALLBACK_UNAUTHENTICATED');
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { 'x-nh-timestamp': h['x-nh-timestamp'] }), 'CALLBACK_UNAUTHENTICATED');
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { ...h, 'x-nh-timestamp': '2024-05-06' }), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature is made with another secret or over another body, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, undefined, 'other')), 'CALLBACK_UNAUTHENTICATED');
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body.replace('APPROVED', 'DENIED')), signed(body)), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the timestamp is further than 300 s from our clock (either way), then CALLBACK_UNAUTHENTICATED is thrown; at 300 s it is accepted', async () => {
    const t = Math.floor(NOW_MS / 1000);
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, t - NANHAI_MAX_SKEW_SECONDS - 1)), 'CALLBACK_UNAUTHENTICATED');
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, t + NANHAI_MAX_SKEW_SECONDS + 1)), 'CALLBACK_UNAUTHENTICATED');
    expect(adapter().parseCallback(Buffer.from(body), signed(body, t - NANHAI_MAX_SKEW_SECONDS))).toHaveLength(1);
  });

  it('when a signed callback is not JSON or misses fields, then CALLBACK_MALFORMED is thrown', async () => {
    for (const b of ['{"eventId":', JSON.stringify({ eventId: 'E1', status: 'ACCEPTED' })]) {
      await expectAdapterError(() => adapter().parseCallback(Buffer.from(b), signed(b)), 'CALLBACK_MALFORMED');
    }
  });

  it('when a signed callback carries an unknown status or field, then UNKNOWN_STATUS / UNKNOWN_FIELD is thrown', async () => {
    const odd = JSON.stringify(event('E1', 'ARCHIVED'));
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(odd), signed(odd)), 'UNKNOWN_STATUS');
    const extra = JSON.stringify(event('E1', 'ACCEPTED', { operator: 'x' }));
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(extra), signed(extra)), 'UNKNOWN_FIELD');
  });
});

describe('nanhai — circuit breaker', () => {
  const breaky = () => adapter({ retry: { retries: 0 }, breaker: { volumeThreshold: 3, resetTimeoutMs: 80 } });

  it('when business code 50000 repeats at HTTP 200, then the circuit opens, calls are held back, and after the reset timeout a good trial closes it', async () => {
    const a = breaky();
    intercept('get', `${API}/events`, 200, wrap(null, NH_CODE.internal, 'internal error'), 3);
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_UNAVAILABLE');
    const untouched = nock(BASE).get(`${API}/events`).query(true).reply(200, wrap({ list: [], nextCursor: 'c' }));
    await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_CIRCUIT_OPEN', true);
    expect(untouched.isDone()).toBe(false);
    expect(a.health()).toMatchObject({ circuit: 'open', lastFailure: { code: 'APPROVAL_UNAVAILABLE', operation: 'events' } });

    await until(() => a.health().circuit === 'half_open');
    await expect(a.changesSince(undefined)).resolves.toEqual({ events: [], cursor: 'c' });
    expect(a.health().circuit).toBe('closed');
  });

  it.each([
    ['business refusals (20001)', wrap(null, NH_CODE.unknownItem, 'item code not found'), 'APPROVAL_REJECTED_REQUEST'],
    ['not-ready answers (30001)', wrap(null, NH_CODE.resultNotReady, 'result not issued yet'), 'APPROVAL_NOT_READY'],
  ] as const)('when %s repeat, then the circuit stays closed', async (_what, reply, code) => {
    const a = breaky();
    intercept('get', `${API}/case/${CASE_ID}/result`, 200, reply, 6);
    for (let i = 0; i < 6; i++) await expectAdapterError(() => a.fetchResult(CASE_ID), code);
    expect(a.health().circuit).toBe('closed');
  });
});

describe('createAdapter', () => {
  it('when asked for nanhai with the catalog table, then it returns the Nanhai adapter', () => {
    expect(createAdapter('nanhai', { baseUrl: BASE, callbackSecret: SECRET, statuses: catalog.statuses('nanhai') }).district).toBe('nanhai');
  });
});
