/**
 * Liwan adapter against nock: every mapping (form, materials, times, every status code through the
 * catalog table) and every error path (timeout, 4xx, 5xx, malformed, slow, unknown status, unknown
 * field, not ready, circuit open / half-open / closed, retried submit keeping its idempotency key).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nock from 'nock';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalStatus } from '../../../adapters/adapter.js';
import { createAdapter } from '../../../adapters/index.js';
import { createLiwanAdapter, LIWAN_REQUEST_NO_HEADER } from '../../../adapters/liwan/adapter.js';
import { LIWAN_STATUS } from '../../../adapters/liwan/simulator.js';
import { COMPANY, PERSON, catalog, expectAdapterError, generated, inTimeZone, options, submission, supplement, until } from './fixtures.js';
import type { AdapterOptions } from '../../../adapters/adapter-kit.js';

const BASE = 'http://liwan-approval.test';
const SECRET = 'liwan-callback-secret';
const API = '/lw/api/v2';
const SLBH = 'LW20240506000001';

const adapter = (extra: Partial<AdapterOptions> = {}) => createLiwanAdapter(options('liwan', BASE, extra));

interface Captured {
  body?: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** Intercepts `times` calls of method+path, answering status/reply, and captures each request. */
function intercept(method: 'get' | 'post' | 'put', path: string | RegExp, status: number, reply: unknown, times = 1): Captured[] {
  const seen: Captured[] = [];
  nock(BASE)
    .intercept(path, method.toUpperCase(), (body: Record<string, unknown>) => {
      seen.push({ body, headers: {} });
      return true;
    })
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

function change(xh: number, zt: string, extra: Record<string, unknown> = {}) {
  return { xh, slbh: SLBH, wbbh: 'KC-NH-20240506-000001', zt, ztsj: '2024-05-06 09:30:00', bz: '', ...extra };
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

describe('liwan — submit mapping', () => {
  it('when a KC-M-0003 application is submitted, then the body carries the catalog code, caseNo as wbbh and X-LW-Qqlsh, Liwan field names and values, material codes, Beijing sqsj and the Nanhai area code', async () => {
    const s = submission('liwan');
    const [call] = [intercept('post', `${API}/applications`, 201, { slbh: SLBH })];

    const result = await adapter().submit(s);

    expect(result).toEqual({ localNo: SLBH });
    expect(call[0]!.headers[LIWAN_REQUEST_NO_HEADER.toLowerCase()]).toBe(s.caseNo);
    expect(call[0]!.body).toEqual({
      sxbm: '440103-SCJG-BGDJ-003',
      wbbh: s.caseNo,
      sqr: { lx: '2', mc: COMPANY.name, zjhm: COMPANY.creditCode, sjhm: COMPANY.phone, dz: COMPANY.address },
      bdsj: { bgsx: '02', bgqnr: '旧址', bghnr: '新址', jyrq: '20240430' },
      cl: [
        { clbm: '440103-CL-3001', mc: '公司变更登记申请书', lx: 'YJ', fs: 1 },
        { clbm: '440103-CL-3002', mc: '股东会决议', lx: 'FYJ', fs: 2 },
      ],
      sqsj: '2024-05-06 09:30:00',
      sqd: '440605',
    });
  });

  it('when a KC-M-0004 application is submitted, then a 万元 decimal stays 万元 as a JSON number and the start date is yyyyMMdd', async () => {
    const m = catalog.get('KC-M-0004')!;
    const call = intercept('post', `${API}/applications`, 201, { slbh: SLBH });
    await adapter().submit(
      submission('liwan', {
        matter: m,
        application: {
          matterId: m.id,
          applicant: COMPANY,
          form: { projectName: '示例工程', projectAddress: '荔湾区某路', contractPrice: '1200.50', plannedStart: '2024-07-01' },
          materials: [{ name: '施工合同', form: 'copy', copies: 1 }],
        },
      }),
    );
    expect(call[0]!.body!['sxbm']).toBe('440103-ZJ-SGXK-004');
    expect(call[0]!.body!['bdsj']).toEqual({ gcmc: '示例工程', jsdz: '荔湾区某路', htjg: 1200.5, jhkgrq: '20240701' });
    expect(call[0]!.body!['cl']).toEqual([{ clbm: '440103-CL-4003', mc: '施工合同', lx: 'FYJ', fs: 1 }]);
  });

  it('when a matter uses every field type (generated, Liwan-handled), then integers, booleans and yyyy/MM/dd dates go as Liwan strings', async () => {
    const m = generated(2);
    const call = intercept('post', `${API}/applications`, 201, { slbh: SLBH });
    await adapter().submit(
      submission('liwan', {
        matter: m,
        application: {
          matterId: m.id,
          applicant: COMPANY,
          form: { companyName: '甲', businessScope: '乙', employees: '30', registeredCapital: '50', plannedStart: '2026-06-15', premisesType: 'owned', byAgent: 'false', creditCode: COMPANY.creditCode!, mobile: '13800138000' },
          materials: [{ name: '申请书', form: 'original', copies: 1 }],
        },
      }),
    );
    expect(call[0]!.body!['bdsj']).toEqual({
      qymc: '甲',
      jyfw: '乙',
      cyrs: '30',
      zczb: '50',
      jhksrq: '2026/06/15',
      csxz: '1',
      sfwtdl: '0',
      tyshxydm: COMPANY.creditCode,
      sjhm: '13800138000',
    });
    expect(call[0]!.body!['cl']).toEqual([{ clbm: '440103-CL-00021', mc: '申请书', lx: 'YJ', fs: 1 }]);
  });

  it('when a person applies at a Liwan window, then lx is 1, zjhm is the ID number, dz is left out and sqd is 440103', async () => {
    const call = intercept('post', `${API}/applications`, 201, { slbh: SLBH });
    await adapter().submit(submission('liwan', { applicant: PERSON, originDistrict: 'liwan' }));
    expect(call[0]!.body!['sqr']).toEqual({ lx: '1', mc: PERSON.name, zjhm: PERSON.idNumber, sjhm: PERSON.phone });
    expect(call[0]!.body!['sqd']).toBe('440103');
  });

  it('when the host runs in another time zone, then sqsj is still Beijing local time, across a date boundary too', async () => {
    await inTimeZone('America/Los_Angeles', async () => {
      const call = intercept('post', `${API}/applications`, 201, { slbh: SLBH });
      await adapter().submit(submission('liwan', { submittedAt: '2024-12-31T16:30:15.999Z' }));
      expect(call[0]!.body!['sqsj']).toBe('2025-01-01 00:30:15');
    });
  });

  it('when submittedAt carries its own offset, then sqsj is the same instant in Beijing', async () => {
    const call = intercept('post', `${API}/applications`, 201, { slbh: SLBH });
    await adapter().submit(submission('liwan', { submittedAt: '2024-05-06T03:30:00+02:00' }));
    expect(call[0]!.body!['sqsj']).toBe('2024-05-06 09:30:00');
  });

  it('when the same wbbh was submitted before, then the 200 answer gives the existing slbh', async () => {
    intercept('post', `${API}/applications`, 200, { slbh: SLBH });
    await expect(adapter().submit(submission('liwan'))).resolves.toEqual({ localNo: SLBH });
  });
});

describe('liwan — submit refused before any call', () => {
  const refusedLocally = async (s: ReturnType<typeof submission>, code: 'APPROVAL_REJECTED_REQUEST' | 'UNKNOWN_FIELD') => {
    const scope = nock(BASE).post(`${API}/applications`).reply(201, { slbh: SLBH });
    const err = await expectAdapterError(() => adapter().submit(s), code, false);
    expect(scope.isDone()).toBe(false);
    return err;
  };

  it('when the matter is handled by Nanhai, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    await refusedLocally(submission('liwan', { matter: catalog.get('KC-M-0001')! }), 'APPROVAL_REJECTED_REQUEST');
  });

  it('when the form carries a field the catalog does not know, then UNKNOWN_FIELD is thrown', async () => {
    const s = submission('liwan');
    s.application.form['shareholderCount'] = '3';
    const err = await refusedLocally(s, 'UNKNOWN_FIELD');
    expect(err.message).toContain('shareholderCount');
  });

  it('when an enum value has no Liwan value in the catalog, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    const s = submission('liwan');
    s.application.form['changeItem'] = '住所';
    await refusedLocally(s, 'APPROVAL_REJECTED_REQUEST');
  });

  it('when a material is not on the checklist, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    const s = submission('liwan');
    s.application.materials.push({ name: '身份证复印件', form: 'copy', copies: 1 });
    await refusedLocally(s, 'APPROVAL_REJECTED_REQUEST');
  });

  it('when a company applicant has no credit code, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    const { creditCode: _omitted, ...noCode } = COMPANY;
    await refusedLocally(submission('liwan', { applicant: noCode }), 'APPROVAL_REJECTED_REQUEST');
  });

  it('when submittedAt is not an ISO instant, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    await refusedLocally(submission('liwan', { submittedAt: '2024-05-06 09:30' }), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('liwan — submit errors and retries', () => {
  it('when the first attempt times out and the second answers, then the submit succeeds and both attempts carried the same wbbh and X-LW-Qqlsh', async () => {
    const s = submission('liwan');
    const seen: Captured[] = [];
    nock(BASE)
      .post(`${API}/applications`, (b: Record<string, unknown>) => (seen.push({ body: b, headers: {} }), true))
      .delay(3_000)
      .reply(201, { slbh: SLBH });
    nock(BASE)
      .post(`${API}/applications`, (b: Record<string, unknown>) => (seen.push({ body: b, headers: {} }), true))
      .matchHeader(LIWAN_REQUEST_NO_HEADER, s.caseNo)
      .reply(200, { slbh: SLBH });

    // A timeout far from both answers: on a loaded CI machine a 50 ms one also cut off the fast retry.
    await expect(adapter({ timeoutMs: 400 }).submit(s)).resolves.toEqual({ localNo: SLBH });
    expect(seen).toHaveLength(2);
    expect(seen[1]!.body).toEqual(seen[0]!.body);
    expect(seen[0]!.body!['wbbh']).toBe(s.caseNo);
  });

  it('when Liwan never answers within the timeout, then APPROVAL_UNAVAILABLE is thrown after 1 + 2 attempts and is retryable', async () => {
    const scope = nock(BASE).post(`${API}/applications`).times(3).delay(500).reply(201, { slbh: SLBH });
    const err = await expectAdapterError(() => adapter({ timeoutMs: 30 }).submit(submission('liwan')), 'APPROVAL_UNAVAILABLE', true);
    expect(err.message).toContain('30 ms');
    expect(scope.isDone()).toBe(true);
  });

  it('when a slow answer still comes within the timeout, then it is accepted without a retry', async () => {
    nock(BASE).post(`${API}/applications`).delay(60).reply(201, { slbh: SLBH });
    await expect(adapter({ timeoutMs: 1_000 }).submit(submission('liwan'))).resolves.toEqual({ localNo: SLBH });
  });

  it('when the connection is reset, then APPROVAL_UNAVAILABLE is thrown', async () => {
    nock(BASE).post(`${API}/applications`).times(3).replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when Liwan answers 500 twice and then 201, then the submit succeeds on the third attempt', async () => {
    const calls = intercept('post', `${API}/applications`, 500, { cwdm: 'E5000', cwxx: '系统内部错误' }, 2);
    intercept('post', `${API}/applications`, 201, { slbh: SLBH });
    await expect(adapter().submit(submission('liwan'))).resolves.toEqual({ localNo: SLBH });
    expect(calls).toHaveLength(2);
  });

  it('when Liwan answers 500 every time, then APPROVAL_UNAVAILABLE names E5000 after 3 attempts', async () => {
    const calls = intercept('post', `${API}/applications`, 500, { cwdm: 'E5000', cwxx: '系统内部错误' }, 3);
    const err = await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_UNAVAILABLE', true);
    expect(err.message).toContain('E5000');
    expect(calls).toHaveLength(3);
  });

  it('when a 5xx answer is not JSON (a proxy page), then APPROVAL_UNAVAILABLE is still thrown', async () => {
    nock(BASE).post(`${API}/applications`).times(3).reply(502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' });
    await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_UNAVAILABLE', true);
  });

  it.each([
    [400, 'E1001', '请求参数错误'],
    [409, 'E1009', '请求流水号已用于其他请求'],
    [422, 'E1002', '事项编码不存在'],
    [422, 'E1003', '表单数据或材料编码不符合事项要求'],
  ])('when Liwan answers %i %s, then APPROVAL_REJECTED_REQUEST names the code and nothing is retried', async (status, cwdm, cwxx) => {
    const calls = intercept('post', `${API}/applications`, status, { cwdm, cwxx }, 3);
    const err = await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_REJECTED_REQUEST', false);
    expect(err.message).toContain(cwdm);
    expect(calls).toHaveLength(1);
  });

  it('when the answer is cut off mid-JSON once, then the retry gets the existing slbh', async () => {
    nock(BASE).post(`${API}/applications`).reply(201, '{"slbh": "LW2024', { 'content-type': 'application/json' });
    intercept('post', `${API}/applications`, 200, { slbh: SLBH });
    await expect(adapter().submit(submission('liwan'))).resolves.toEqual({ localNo: SLBH });
  });

  it('when every answer is cut off mid-JSON, then APPROVAL_BAD_RESPONSE is thrown after 3 attempts', async () => {
    const scope = nock(BASE).post(`${API}/applications`).times(3).reply(201, '{"slbh": "LW2024', { 'content-type': 'application/json' });
    await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_BAD_RESPONSE', false);
    expect(scope.isDone()).toBe(true);
  });

  it('when the answer lacks slbh or has a malformed one, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('post', `${API}/applications`, 201, { slbh: 'NH-2024000001' }, 3);
    await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the answer has a field the spec does not know, then UNKNOWN_FIELD names it and nothing is retried', async () => {
    const calls = intercept('post', `${API}/applications`, 201, { slbh: SLBH, djsj: '2024-05-06 09:30:00' }, 3);
    const err = await expectAdapterError(() => adapter().submit(submission('liwan')), 'UNKNOWN_FIELD', false);
    expect(err.message).toContain('djsj');
    expect(calls).toHaveLength(1);
  });

  it('when Liwan answers 202, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('post', `${API}/applications`, 202, { slbh: SLBH }, 3);
    await expectAdapterError(() => adapter().submit(submission('liwan')), 'APPROVAL_BAD_RESPONSE');
  });
});

describe('liwan — status codes through the catalog table', () => {
  it('when the spec, the catalog table and the simulator are compared, then all three know the same six codes for the same statuses', () => {
    const spec = parseYaml(readFileSync(new URL('../../../adapters/liwan/openapi.yaml', import.meta.url), 'utf8')) as {
      components: { schemas: { LwStatus: { enum: string[] } } };
    };
    const table = catalog.statuses('liwan');
    expect([...spec.components.schemas.LwStatus.enum].sort()).toEqual(Object.keys(table).sort());
    expect(Object.fromEntries(Object.entries(LIWAN_STATUS).map(([status, code]) => [code, status]))).toEqual(table);
  });

  it('when the feed lists all six codes, then each maps to its shared status with lw-<xh> ids, +08:00 instants and the next cursor', async () => {
    intercept('get', `${API}/changes`, 200, {
      items: [
        change(1, '01'),
        change(2, '02', { ztsj: '2024-05-06 10:00:00' }),
        change(3, '03', { ztsj: '2024-05-07 00:05:09', bz: '请补正股东会决议原件' }),
        change(4, '06'),
        change(5, '04'),
        change(6, '05'),
      ],
      next: 6,
    });

    const page = await adapter().changesSince(undefined);

    expect(page.cursor).toBe('6');
    expect(page.events.map((e) => [e.eventId, e.status])).toEqual([
      ['lw-1', 'registered'],
      ['lw-2', 'accepted'],
      ['lw-3', 'supplement_requested'],
      ['lw-4', 'supplement_received'],
      ['lw-5', 'approved'],
      ['lw-6', 'rejected'],
    ]);
    expect(page.events[2]).toEqual({
      eventId: 'lw-3',
      caseNo: 'KC-NH-20240506-000001',
      localNo: SLBH,
      status: 'supplement_requested',
      at: '2024-05-07T00:05:09.000+08:00',
      note: '请补正股东会决议原件',
    });
    expect(Date.parse(page.events[2]!.at)).toBe(Date.parse('2024-05-06T16:05:09Z'));
  });

  it('when the catalog table says otherwise, then the adapter follows the table, not code', async () => {
    const statuses: Record<string, ApprovalStatus> = { A1: 'registered', Z9: 'approved' };
    intercept('get', `${API}/changes`, 200, { items: [change(1, 'Z9')], next: 1 });
    const page = await adapter({ statuses }).changesSince(undefined);
    expect(page.events[0]?.status).toBe('approved');
  });

  it('when a cursor is given, then it is sent as since with limit 100 and an empty page keeps the cursor', async () => {
    nock(BASE).get(`${API}/changes`).query({ since: '42', limit: '100' }).reply(200, { items: [], next: 42 });
    await expect(adapter().changesSince('42')).resolves.toEqual({ events: [], cursor: '42' });
  });

  it('when the host runs in another time zone, then ztsj is still read as Beijing time', async () => {
    await inTimeZone('Europe/London', async () => {
      intercept('get', `${API}/changes`, 200, { items: [change(7, '02')], next: 7 });
      const page = await adapter().changesSince('6');
      expect(page.events[0]?.at).toBe('2024-05-06T09:30:00.000+08:00');
    });
  });

  it('when a change carries an unknown status code, then UNKNOWN_STATUS names it and nothing is retried', async () => {
    const calls = intercept('get', `${API}/changes`, 200, { items: [change(1, '01'), change(2, '09')], next: 2 }, 3);
    const err = await expectAdapterError(() => adapter().changesSince(undefined), 'UNKNOWN_STATUS', false);
    expect(err.message).toContain('"09"');
    expect(calls).toHaveLength(1);
  });

  it('when a change carries a field the spec does not know, then UNKNOWN_FIELD names it', async () => {
    intercept('get', `${API}/changes`, 200, { items: [change(1, '01', { clr: '王五' })], next: 1 });
    const err = await expectAdapterError(() => adapter().changesSince(undefined), 'UNKNOWN_FIELD', false);
    expect(err.message).toContain('items.0.clr');
    expect(err.message).not.toContain('王五');
  });

  it('when ztsj is not a real yyyy-MM-dd HH:mm:ss, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('get', `${API}/changes`, 200, { items: [change(1, '01', { ztsj: '2024-02-30 09:30:00' })], next: 1 }, 3);
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the page lacks next, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('get', `${API}/changes`, 200, { items: [] }, 3);
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the feed answers 503, then APPROVAL_UNAVAILABLE is thrown', async () => {
    nock(BASE).get(`${API}/changes`).query(true).times(3).reply(503, 'Service Unavailable');
    await expectAdapterError(() => adapter().changesSince(undefined), 'APPROVAL_UNAVAILABLE', true);
  });

  it('when the cursor is not a sequence number, then APPROVAL_REJECTED_REQUEST is thrown without a call', async () => {
    for (const cursor of ['abc', '-1', '1.5', '1e3']) await expectAdapterError(() => adapter().changesSince(cursor), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('liwan — getStatus', () => {
  const record = (zt: string, extra: Record<string, unknown> = {}) => ({ slbh: SLBH, wbbh: 'KC-NH-20240506-000001', sxbm: '440103-SCJG-BGDJ-003', zt, ztsj: '2024-05-07 14:00:00', bz: '请补正', ...extra });

  it.each(Object.entries(LIWAN_STATUS))('when the status record says %s\'s code, then getStatus answers that status with a +08:00 instant', async (status, zt) => {
    intercept('get', `${API}/applications/${SLBH}/status`, 200, record(zt));
    await expect(adapter().getStatus(SLBH)).resolves.toEqual({ caseNo: 'KC-NH-20240506-000001', localNo: SLBH, status, at: '2024-05-07T14:00:00.000+08:00' });
  });

  it('when the record carries an unknown status or an unknown field, then UNKNOWN_STATUS / UNKNOWN_FIELD is thrown', async () => {
    intercept('get', `${API}/applications/${SLBH}/status`, 200, record('99'));
    await expectAdapterError(() => adapter().getStatus(SLBH), 'UNKNOWN_STATUS');
    intercept('get', `${API}/applications/${SLBH}/status`, 200, record('02', { blyj: '同意' }));
    await expectAdapterError(() => adapter().getStatus(SLBH), 'UNKNOWN_FIELD');
  });

  it('when the application does not exist, then the 404 E1004 is APPROVAL_REJECTED_REQUEST', async () => {
    intercept('get', `${API}/applications/${SLBH}/status`, 404, { cwdm: 'E1004', cwxx: '办件不存在' });
    const err = await expectAdapterError(() => adapter().getStatus(SLBH), 'APPROVAL_REJECTED_REQUEST', false);
    expect(err.message).toContain('E1004');
  });

  it('when the record is of another application, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('get', `${API}/applications/${SLBH}/status`, 200, record('02', { slbh: 'LW20240506000009' }), 3);
    await expectAdapterError(() => adapter().getStatus(SLBH), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the local number is not a Liwan slbh, then APPROVAL_REJECTED_REQUEST is thrown without a call', async () => {
    for (const localNo of ['NH-2024000001', '../changes', '']) await expectAdapterError(() => adapter().getStatus(localNo), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('liwan — supplements', () => {
  it('when a supplement is filed, then bzbh and X-LW-Qqlsh are the supplement id, materials carry clbm and tjsj is Beijing local time', async () => {
    const sup = supplement('liwan', SLBH);
    const call = intercept('post', `${API}/applications/${SLBH}/supplements`, 201, { bzslh: 'BZ20240508000001', slbh: SLBH });
    await expect(adapter().submitSupplement(sup)).resolves.toEqual({ receiptNo: 'BZ20240508000001' });
    expect(call[0]!.headers[LIWAN_REQUEST_NO_HEADER.toLowerCase()]).toBe(sup.supplementId);
    expect(call[0]!.body).toEqual({
      bzbh: sup.supplementId,
      cl: [{ clbm: '440103-CL-3002', mc: '股东会决议', lx: 'FYJ', fs: 2 }],
      sm: '补正股东会决议原件',
      tjsj: '2024-05-08 10:00:00',
    });
  });

  it('when the first answer is lost (500) and the retry answers 200, then the same receipt comes back and both attempts used the same bzbh and X-LW-Qqlsh', async () => {
    const sup = supplement('liwan', SLBH);
    const first = intercept('post', `${API}/applications/${SLBH}/supplements`, 500, { cwdm: 'E5000', cwxx: '系统内部错误' });
    const second = intercept('post', `${API}/applications/${SLBH}/supplements`, 200, { bzslh: 'BZ20240508000001', slbh: SLBH });
    await expect(adapter().submitSupplement(sup)).resolves.toEqual({ receiptNo: 'BZ20240508000001' });
    expect(second[0]!.body).toEqual(first[0]!.body);
    expect(second[0]!.headers[LIWAN_REQUEST_NO_HEADER.toLowerCase()]).toBe(first[0]!.headers[LIWAN_REQUEST_NO_HEADER.toLowerCase()]);
  });

  it('when the application is not waiting for a supplement (409 E1005), then APPROVAL_REJECTED_REQUEST names the code', async () => {
    intercept('post', `${API}/applications/${SLBH}/supplements`, 409, { cwdm: 'E1005', cwxx: '办件当前状态不接受补正' });
    const err = await expectAdapterError(() => adapter().submitSupplement(supplement('liwan', SLBH)), 'APPROVAL_REJECTED_REQUEST', false);
    expect(err.message).toContain('E1005');
  });

  it('when a supplement has no materials or one off the checklist, then APPROVAL_REJECTED_REQUEST is thrown without a call', async () => {
    await expectAdapterError(() => adapter().submitSupplement(supplement('liwan', SLBH, { materials: [] })), 'APPROVAL_REJECTED_REQUEST');
    await expectAdapterError(
      () => adapter().submitSupplement(supplement('liwan', SLBH, { materials: [{ name: '户口本', form: 'copy', copies: 1 }] })),
      'APPROVAL_REJECTED_REQUEST',
    );
  });

  it('when the receipt is of another application or has an unknown field, then APPROVAL_BAD_RESPONSE / UNKNOWN_FIELD is thrown', async () => {
    intercept('post', `${API}/applications/${SLBH}/supplements`, 201, { bzslh: 'BZ20240508000001', slbh: 'LW20240506000002' }, 3);
    await expectAdapterError(() => adapter().submitSupplement(supplement('liwan', SLBH)), 'APPROVAL_BAD_RESPONSE');
    intercept('post', `${API}/applications/${SLBH}/supplements`, 201, { bzslh: 'BZ20240508000001', slbh: SLBH, zt: '06' });
    await expectAdapterError(() => adapter().submitSupplement(supplement('liwan', SLBH)), 'UNKNOWN_FIELD');
  });
});

describe('liwan — results', () => {
  const result = (zt: string, extra: Record<string, unknown> = {}) => ({
    slbh: SLBH,
    wbbh: 'KC-NH-20240506-000001',
    zt,
    wsmc: zt === '04' ? '营业执照（变更）' : '不予行政许可决定书',
    wsbh: '穗荔审批〔2024〕000001号',
    qfsj: '2024-05-10 16:20:00',
    ly: zt === '04' ? '' : '材料不符合法定形式',
    ...extra,
  });

  it('when the result of an approval is fetched, then decision, document name and number and the issued time map', async () => {
    intercept('get', `${API}/applications/${SLBH}/result`, 200, result('04'));
    await expect(adapter().fetchResult(SLBH)).resolves.toEqual({
      caseNo: 'KC-NH-20240506-000001',
      localNo: SLBH,
      decision: 'approved',
      documentName: '营业执照（变更）',
      documentNo: '穗荔审批〔2024〕000001号',
      issuedAt: '2024-05-10T16:20:00.000+08:00',
      reason: '',
    });
  });

  it('when the result of a rejection is fetched, then the decision is rejected with its reason', async () => {
    intercept('get', `${API}/applications/${SLBH}/result`, 200, result('05'));
    await expect(adapter().fetchResult(SLBH)).resolves.toMatchObject({ decision: 'rejected', reason: '材料不符合法定形式' });
  });

  it('when no result has been issued yet (409 E1006), then APPROVAL_NOT_READY is thrown, retryable, and not retried inside', async () => {
    const calls = intercept('get', `${API}/applications/${SLBH}/result`, 409, { cwdm: 'E1006', cwxx: '办结结果尚未出具' }, 3);
    await expectAdapterError(() => adapter().fetchResult(SLBH), 'APPROVAL_NOT_READY', true);
    expect(calls).toHaveLength(1);
  });

  it('when the result carries a code that is not a decision, an unknown code or an unknown field, then BAD_RESPONSE / UNKNOWN_STATUS / UNKNOWN_FIELD', async () => {
    intercept('get', `${API}/applications/${SLBH}/result`, 200, result('02'), 3);
    await expectAdapterError(() => adapter().fetchResult(SLBH), 'APPROVAL_BAD_RESPONSE');
    intercept('get', `${API}/applications/${SLBH}/result`, 200, result('99'));
    await expectAdapterError(() => adapter().fetchResult(SLBH), 'UNKNOWN_STATUS');
    intercept('get', `${API}/applications/${SLBH}/result`, 200, result('04', { yxq: '长期' }));
    await expectAdapterError(() => adapter().fetchResult(SLBH), 'UNKNOWN_FIELD');
  });
});

describe('liwan — callback registration', () => {
  it('when a callback URL is registered, then it is PUT as hddz and the echo is checked', async () => {
    const call = intercept('put', `${API}/subscription`, 200, { hddz: 'https://gw.example/cb', gxsj: '2024-05-06 09:30:00' });
    await expect(adapter().registerCallback('https://gw.example/cb')).resolves.toBeUndefined();
    expect(call[0]!.body).toEqual({ hddz: 'https://gw.example/cb' });
  });

  it('when the address in force is another one, then APPROVAL_BAD_RESPONSE is thrown', async () => {
    intercept('put', `${API}/subscription`, 200, { hddz: 'https://elsewhere.example/cb', gxsj: '2024-05-06 09:30:00' }, 3);
    await expectAdapterError(() => adapter().registerCallback('https://gw.example/cb'), 'APPROVAL_BAD_RESPONSE');
  });

  it('when the URL is not http(s), then APPROVAL_REJECTED_REQUEST is thrown without a call', async () => {
    for (const url of ['ftp://gw.example/cb', 'not a url']) await expectAdapterError(() => adapter().registerCallback(url), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('liwan — callbacks', () => {
  const body = JSON.stringify(change(12, '04', { bz: '准予许可' }));

  it('when a callback is signed with the shared secret, then it maps to one approved event', () => {
    expect(adapter().parseCallback(Buffer.from(body), signed(body))).toEqual([
      { eventId: 'lw-12', caseNo: 'KC-NH-20240506-000001', localNo: SLBH, status: 'approved', at: '2024-05-06T09:30:00.000+08:00', note: '准予许可' },
    ]);
  });

  it('when a callback reports 06, then it is supplement_received', () => {
    const b = JSON.stringify(change(13, '06'));
    expect(adapter().parseCallback(Buffer.from(b), signed(b))[0]?.status).toBe('supplement_received');
  });

  it('when the signature header uses another letter case, then it is still found', () => {
    expect(adapter().parseCallback(Buffer.from(body), { 'X-LW-Signature': signed(body)['x-lw-signature'] })).toHaveLength(1);
  });

  it('when the signature header is missing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), {}), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature was made with another secret, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), signed(body, 'other')), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the body was changed after signing, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body.replace('"04"', '"05"')), signed(body)), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when the signature lacks the sha256= prefix or is not hex, then CALLBACK_UNAUTHENTICATED is thrown', async () => {
    const hex = signed(body)['x-lw-signature'].slice('sha256='.length);
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { 'x-lw-signature': hex }), 'CALLBACK_UNAUTHENTICATED');
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(body), { 'x-lw-signature': `sha256=${'zz'.repeat(32)}` }), 'CALLBACK_UNAUTHENTICATED');
  });

  it('when a signed callback is not JSON or misses fields, then CALLBACK_MALFORMED is thrown', async () => {
    for (const b of ['{"xh": 1,', JSON.stringify({ xh: 1, slbh: SLBH, zt: '01' })]) {
      await expectAdapterError(() => adapter().parseCallback(Buffer.from(b), signed(b)), 'CALLBACK_MALFORMED');
    }
  });

  it('when a signed callback carries an unknown status, then UNKNOWN_STATUS is thrown', async () => {
    const b = JSON.stringify(change(3, '99'));
    await expectAdapterError(() => adapter().parseCallback(Buffer.from(b), signed(b)), 'UNKNOWN_STATUS');
  });

  it('when a signed callback carries a field the spec does not know, then UNKNOWN_FIELD is thrown', async () => {
    const b = JSON.stringify(change(3, '02', { czry: '王五' }));
    const err = await expectAdapterError(() => adapter().parseCallback(Buffer.from(b), signed(b)), 'UNKNOWN_FIELD');
    expect(err.message).toContain('czry');
  });
});

describe('liwan — circuit breaker', () => {
  const breaky = (extra: Partial<AdapterOptions> = {}) =>
    adapter({ retry: { retries: 0 }, breaker: { volumeThreshold: 3, resetTimeoutMs: 80 }, ...extra });

  it('when the feed fails three times, then the circuit opens and the next call is APPROVAL_CIRCUIT_OPEN (retryable) without any HTTP', async () => {
    const a = breaky();
    nock(BASE).get(`${API}/changes`).query(true).times(3).reply(503, { cwdm: 'E5000', cwxx: '系统内部错误' });
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_UNAVAILABLE');
    const untouched = nock(BASE).get(`${API}/changes`).query(true).reply(200, { items: [], next: 0 });

    const err = await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_CIRCUIT_OPEN', true);

    expect(err.message).toContain('changes');
    expect(untouched.isDone()).toBe(false);
    expect(a.health()).toMatchObject({
      circuit: 'open',
      since: expect.stringMatching(/\+08:00$/),
      window: { failures: 3, shortCircuited: 1 },
      lastFailure: { code: 'APPROVAL_UNAVAILABLE', operation: 'changes' },
    });
  });

  it('when the reset timeout passes, then the circuit is half-open, a successful trial closes it', async () => {
    const a = breaky();
    nock(BASE).get(`${API}/changes`).query(true).times(3).reply(500, {});
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_UNAVAILABLE');
    expect(a.health().circuit).toBe('open');

    await until(() => a.health().circuit === 'half_open');
    intercept('get', `${API}/changes`, 200, { items: [], next: 0 });
    await expect(a.changesSince(undefined)).resolves.toEqual({ events: [], cursor: '0' });
    expect(a.health().circuit).toBe('closed');
  });

  it('when the half-open trial fails, then the circuit opens again', async () => {
    const a = breaky();
    nock(BASE).get(`${API}/changes`).query(true).times(4).replyWithError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' });
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_UNAVAILABLE');
    await until(() => a.health().circuit === 'half_open');
    await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_UNAVAILABLE');
    expect(a.health().circuit).toBe('open');
    await expectAdapterError(() => a.getStatus(SLBH), 'APPROVAL_CIRCUIT_OPEN');
  });

  it('when the circuit opens during the in-adapter retries, then the operation ends with APPROVAL_CIRCUIT_OPEN', async () => {
    const a = adapter({ retry: { retries: 5, baseDelayMs: 1 }, breaker: { volumeThreshold: 3, resetTimeoutMs: 10_000 } });
    const scope = nock(BASE).post(`${API}/applications`).times(3).reply(500, { cwdm: 'E5000', cwxx: '系统内部错误' });
    await expectAdapterError(() => a.submit(submission('liwan')), 'APPROVAL_CIRCUIT_OPEN', true);
    expect(scope.isDone()).toBe(true);
  });

  it.each([
    ['4xx answers', 404, { cwdm: 'E1004', cwxx: '办件不存在' }, 'APPROVAL_REJECTED_REQUEST'],
    ['not-ready answers', 409, { cwdm: 'E1006', cwxx: '办结结果尚未出具' }, 'APPROVAL_NOT_READY'],
  ] as const)('when %s repeat, then the circuit stays closed', async (_what, status, reply, code) => {
    const a = breaky();
    intercept('get', `${API}/applications/${SLBH}/result`, status, reply, 6);
    for (let i = 0; i < 6; i++) await expectAdapterError(() => a.fetchResult(SLBH), code);
    expect(a.health()).toMatchObject({ circuit: 'closed', window: { failures: 0 } });
  });

  it('when unknown statuses and fields repeat, then the circuit stays closed (the system answers; the mapping is behind)', async () => {
    const a = breaky();
    intercept('get', `${API}/changes`, 200, { items: [change(1, '99')], next: 1 }, 3);
    intercept('get', `${API}/changes`, 200, { items: [change(1, '01', { x: 1 })], next: 1 }, 3);
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'UNKNOWN_STATUS');
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'UNKNOWN_FIELD');
    expect(a.health().circuit).toBe('closed');
  });

  it('when malformed bodies repeat, then they count against the circuit', async () => {
    const a = breaky();
    nock(BASE).get(`${API}/changes`).query(true).times(3).reply(200, '{"items": [', { 'content-type': 'application/json' });
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_BAD_RESPONSE');
    expect(a.health()).toMatchObject({ circuit: 'open', lastFailure: { code: 'APPROVAL_BAD_RESPONSE' } });
  });

  it('when one adapter\'s circuit is open, then another adapter to the same system is not affected', async () => {
    const a = breaky();
    const b = breaky();
    nock(BASE).get(`${API}/changes`).query(true).times(3).reply(500, {});
    for (let i = 0; i < 3; i++) await expectAdapterError(() => a.changesSince(undefined), 'APPROVAL_UNAVAILABLE');
    expect([a.health().circuit, b.health().circuit]).toEqual(['open', 'closed']);
  });

  it('when nothing has happened yet, then health says closed with an empty window', () => {
    expect(adapter().health()).toEqual({ circuit: 'closed', window: { attempts: 0, failures: 0, shortCircuited: 0 } });
  });
});

describe('createAdapter', () => {
  it('when asked for liwan with the catalog table, then it returns the Liwan adapter', () => {
    expect(createAdapter('liwan', { baseUrl: BASE, callbackSecret: SECRET, statuses: catalog.statuses('liwan') }).district).toBe('liwan');
  });
});
