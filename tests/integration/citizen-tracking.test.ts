/**
 * Citizen tracking (办件查询) on two real gateways and a real Redis: the case number and the last
 * four phone digits show the case's progress and parcel, and nothing of the applicant; a wrong
 * number and a wrong phone are one answer; limits per client and per case hold; bad bodies get
 * their codes; the completed case is rated once, where it was taken in.
 *
 * Each test speaks from its own loopback address (127.0.0.x: Linux routes all of 127/8 to lo), so
 * the per-client limit of one test never touches another.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_FOUND_MESSAGE } from '../../gateway/citizen/lookup.js';
import type { District } from '../../gateway/domain/district.js';
import { ADDRESS, applicationFor, COMPANY_NAME, CREDIT_CODES, getJson, PHONE, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { dispatchMaterials, recordScans } from '../helpers/handoffs.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const PER_CLIENT = 8;
const PER_CASE = 5;
const LAST4 = PHONE.slice(-4);
const WRONG4 = LAST4 === '0000' ? '1111' : '0000';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'citizen-tracking',
    env: {
      KC_TRACK_LIMIT_PER_CLIENT: String(PER_CLIENT),
      KC_TRACK_CLIENT_WINDOW_SECONDS: '600',
      KC_TRACK_LIMIT_PER_CASE: String(PER_CASE),
      KC_TRACK_CASE_WINDOW_SECONDS: '3600',
    },
  });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
  ms: number;
}

let nextClient = 10;
/** A client address of its own (127.0.0.x) for one test. */
const newClient = () => `127.0.0.${nextClient++}`;

/** POST to a gateway from a given loopback address; `body` as given when it is a string. */
function post(d: District, path: string, body: unknown, from: string, contentType = 'application/json'): Promise<Answer> {
  const url = new URL(path, sys.httpUrl[d]);
  const payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': contentType, 'content-length': payload.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = null;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed, ms: performance.now() - started });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
const track = (d: District, body: unknown, from: string) => post(d, '/api/v1/track', body, from);
const rate = (d: District, body: unknown, from: string) => post(d, '/api/v1/track/rating', body, from);

async function newCase(): Promise<string> {
  const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.caseNo as string;
}
const caseAt = async (d: District, caseNo: string) => (await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}`)).body;
const waitFor = (d: District, caseNo: string, what: string, test: (c: Record<string, any>) => boolean) =>
  eventually(async () => {
    const c = await caseAt(d, caseNo);
    return test(c) ? c : undefined;
  }, `${what} at ${d}`, 15_000);

const WAYBILL = 'EA123456785CN';

/** A case with its materials dispatched at Liwan and two carrier scans, the last echoing the applicant. */
async function caseWithParcel(): Promise<string> {
  const caseNo = await newCase();
  const handoffId = await dispatchMaterials(sys.httpUrl.liwan, caseNo, { waybill: WAYBILL });
  await recordScans(sys.gateways.liwan.ctx, caseNo, handoffId, WAYBILL, [
    { eventTime: '2026-03-16T11:00:00+08:00', status: 'picked_up', rawCode: '10', rawText: '已收寄', location: '广州市荔湾区邮政局' },
    { eventTime: '2026-03-16T18:20:00+08:00', status: 'in_transit', rawCode: '20', rawText: `离开广州处理中心，收件人${COMPANY_NAME}，电话${PHONE}`, location: '广州处理中心' },
  ]);
  return caseNo;
}

describe('looking a case up', () => {
  it('when the case number and the last four digits match, then the progress and the parcel are shown, and nothing of the applicant', async () => {
    const caseNo = await caseWithParcel();
    const from = newClient();
    const res = await track('liwan', { caseNo, phoneLast4: LAST4 }, from);
    expect(res.status, res.text).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({ caseNo, originDistrictName: '广州市荔湾区', handlingDistrictName: '佛山市南海区', stateLabel: expect.any(String) });
    expect(res.body.progress.at(-1)).toMatchObject({ label: '窗口已收件' });
    expect(res.body.parcels).toHaveLength(1);
    expect(res.body.parcels[0]).toMatchObject({ kindLabel: '申请材料寄送办理地', carrierLabel: 'EMS', waybill: WAYBILL, status: 'in_transit', statusLabel: '运输中' });
    expect(res.body.parcels[0].events.map((e: any) => e.statusLabel)).toEqual(['运输中', '已揽收']);
    expect(res.body.parcels[0].events[0].text).toBe('离开广州处理中心，收件人***，电话***');

    const form = applicationFor('nanhai').form as unknown as Record<string, string>;
    for (const secret of [COMPANY_NAME, PHONE, ADDRESS, CREDIT_CODES[0], form.legalRepresentative!, form.companyName!, 'LW-SEAL-000777', 'LW-W-0007', 'EMS-C-0042', '公司章程']) {
      expect(res.text, `leaks ${secret}`).not.toContain(secret);
    }

    // The handling district answers too, from its own copy of the case.
    const there = await eventually(async () => {
      const r = await track('nanhai', { caseNo, phoneLast4: LAST4 }, from);
      return r.status === 200 && r.body.parcels[0]?.events.length === 2 ? r : undefined;
    }, 'the parcel at nanhai');
    expect(there.body.parcels[0].statusLabel).toBe('运输中');
    expect(there.text).not.toContain(COMPANY_NAME);

    const lines = sys.logs().split('\n').filter((l) => l.includes('citizen tracking') && l.includes(caseNo));
    expect(lines.some((l) => l.includes('"outcome":"found"'))).toBe(true);
    for (const l of lines) expect(l).not.toMatch(new RegExp(`${LAST4}|${COMPANY_NAME}`));
  });

  it('when the phone digits are wrong or the case does not exist, then both answers are byte for byte the same 404, after the same floor of time', async () => {
    const caseNo = await newCase();
    const from = newClient();
    const wrongPhone = await track('liwan', { caseNo, phoneLast4: WRONG4 }, from);
    const unknownCase = await track('liwan', { caseNo: caseNo.replace(/\d{6}$/, '999999'), phoneLast4: LAST4 }, from);
    expect(wrongPhone.status).toBe(404);
    expect(wrongPhone.body.error).toEqual({ code: 'TRACKING_NOT_FOUND', message: NOT_FOUND_MESSAGE });
    expect(unknownCase.status).toBe(404);
    expect(unknownCase.text).toBe(wrongPhone.text);
    for (const h of ['content-type', 'content-length', 'etag', 'retry-after']) expect(unknownCase.headers[h], h).toEqual(wrongPhone.headers[h]);
    expect(wrongPhone.ms).toBeGreaterThanOrEqual(140);
    expect(unknownCase.ms).toBeGreaterThanOrEqual(140);
  });
});

describe('rate limits', () => {
  it('when one client makes more lookups than its limit, then it gets 429 with Retry-After, and another client is not held back', async () => {
    const from = newClient();
    for (let i = 0; i < PER_CLIENT; i++) {
      const r = await track('liwan', { caseNo: `KC-LW-20200101-${String(900000 + i)}`, phoneLast4: '1234' }, from);
      expect(r.status, r.text).toBe(404);
    }
    const over = await track('liwan', { caseNo: 'KC-LW-20200101-900100', phoneLast4: '1234' }, from);
    expect(over.status).toBe(429);
    expect(over.body.error).toEqual({ code: 'RATE_LIMITED', message: '查询过于频繁，请稍后再试' });
    const retryAfter = Number(over.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    // Even a malformed body from that client is held back before it is read.
    expect((await post('liwan', '/api/v1/track', 'not json', from)).status).toBe(429);
    expect((await track('liwan', { caseNo: 'KC-LW-20200101-900100', phoneLast4: '1234' }, newClient())).status).toBe(404);
  });

  it.each([
    ['an existing case', true],
    ['a number no case has', false],
  ])('when %s is looked up more often than the per-case limit, from many clients and with any digits, then it gets 429', async (_, exists) => {
    const caseNo = exists ? await newCase() : 'KC-NH-20200101-777777';
    for (let i = 0; i < PER_CASE; i++) {
      const r = await track('liwan', { caseNo, phoneLast4: i % 2 ? LAST4 : String(1000 + i) }, newClient());
      expect(r.status).toBe(exists && i % 2 ? 200 : 404);
    }
    const over = await track('liwan', { caseNo, phoneLast4: LAST4 }, newClient());
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe('RATE_LIMITED');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(600);
    // The same number typed in lower case is the same number.
    expect((await track('liwan', { caseNo: caseNo.toLowerCase(), phoneLast4: LAST4 }, newClient())).status).toBe(429);
  });
});

describe('bad requests', () => {
  it.each([
    ['fields are missing', 422, 'VALIDATION_FAILED', '{}', 'application/json'],
    ['the phone digits are not four digits', 422, 'VALIDATION_FAILED', JSON.stringify({ caseNo: 'KC-LW-20260101-000001', phoneLast4: '12a4' }), 'application/json'],
    ['the case number has the wrong shape', 422, 'VALIDATION_FAILED', JSON.stringify({ caseNo: 'KC-XX-1', phoneLast4: '1234' }), 'application/json'],
    ['the body is not JSON', 400, 'MALFORMED_JSON', '{caseNo:', 'application/json'],
    ['the body is a form post', 400, 'MALFORMED_JSON', 'caseNo=KC-LW-20260101-000001&phoneLast4=1234', 'application/x-www-form-urlencoded'],
    ['the charset is not UTF-8', 400, 'MALFORMED_JSON', '{}', 'application/json; charset=latin1'],
    ['the body is too big', 413, 'PAYLOAD_TOO_LARGE', JSON.stringify({ caseNo: 'KC-LW-20260101-000001', phoneLast4: '1234', pad: 'x'.repeat(5000) }), 'application/json'],
  ])('when %s, then the answer is %s %s with a Chinese message', async (_, status, code, body, contentType) => {
    const r = await post('liwan', '/api/v1/track', body, newClient(), contentType);
    expect(r.status, r.text).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toMatch(/[\u4e00-\u9fff]/);
    for (const issue of r.body.error.issues ?? []) expect(issue.message).toMatch(/[\u4e00-\u9fff]/);
  });
});

describe('rating from the tracking page', () => {
  it('when the case is approved, then the citizen rates it once where it was taken in; a second rating is ALREADY_RATED', async () => {
    const caseNo = await newCase();
    const from = newClient();
    const early = await rate('liwan', { caseNo, phoneLast4: LAST4, rating: 'satisfied' }, from);
    expect(early.status).toBe(409);
    expect(early.body.error).toEqual({ code: 'CASE_STATE_CONFLICT', message: '办件办结后才能评价' });

    const registered = await waitFor('liwan', caseNo, 'registered', (c) => c.state === 'registered');
    for (const action of ['accept', 'approve']) {
      const r = await postJson(`${sys.simulators.nanhai.url}/_sim/cases/${registered.handlingLocalNo}/advance`, { action, note: '' });
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    }
    await waitFor('liwan', caseNo, 'approved', (c) => c.state === 'approved');

    const wrongPhone = await rate('liwan', { caseNo, phoneLast4: WRONG4, rating: 'satisfied' }, from);
    expect(wrongPhone.status).toBe(404);
    expect(wrongPhone.body.error.code).toBe('TRACKING_NOT_FOUND');

    const rated = await rate('liwan', { caseNo, phoneLast4: LAST4, rating: 'satisfied' }, from);
    expect(rated.status, rated.text).toBe(200);
    expect(rated.body.rating).toEqual({ canRate: false, rating: 'satisfied', ratingLabel: '满意' });
    expect(rated.body.stateLabel).toBe('准予许可');

    const again = await rate('liwan', { caseNo, phoneLast4: LAST4, rating: 'dissatisfied' }, from);
    expect(again.status).toBe(409);
    expect(again.body.error).toEqual({ code: 'ALREADY_RATED', message: '该办件已评价，每个办件只能评价一次' });

    // Both sides hold the one rating; the handling side shows it and offers none.
    const atNanhai = await waitFor('nanhai', caseNo, 'rated', (c) => c.events.some((e: any) => e.kind === 'rated'));
    expect(atNanhai.events.filter((e: any) => e.kind === 'rated').map((e: any) => e.data)).toEqual([{ rating: 'satisfied', channel: 'citizen' }]);
    expect((await track('nanhai', { caseNo, phoneLast4: LAST4 }, from)).body.rating).toEqual({ canRate: false, rating: 'satisfied', ratingLabel: '满意' });
  });

  it('when a completed case is rated at the handling district, then it is refused, naming where to rate', async () => {
    const caseNo = await newCase();
    const registered = await waitFor('liwan', caseNo, 'registered', (c) => c.state === 'registered');
    for (const action of ['accept', 'approve']) {
      await postJson(`${sys.simulators.nanhai.url}/_sim/cases/${registered.handlingLocalNo}/advance`, { action, note: '' });
    }
    await waitFor('nanhai', caseNo, 'approved', (c) => c.state === 'approved');
    const r = await rate('nanhai', { caseNo, phoneLast4: LAST4, rating: 'neutral' }, newClient());
    expect(r.status).toBe(409);
    expect(r.body.error).toEqual({ code: 'CASE_STATE_CONFLICT', message: '请在收件地（广州市荔湾区）的办件查询页面评价' });
  });
});

describe('the page', () => {
  it('when /track is fetched, then the page and its assets come with their content types and a strict CSP', async () => {
    for (const [path, type] of [
      ['/track', 'text/html'],
      ['/track/track.js', 'text/javascript'],
      ['/track/track.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${sys.httpUrl.liwan}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe(`${type}; charset=utf-8`);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await res.text();
      // Nothing from elsewhere: no absolute URLs to other hosts in the page or its assets.
      expect(text, path).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//i);
      expect(text, path).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    }
    const html = await (await fetch(`${sys.httpUrl.liwan}/track`)).text();
    expect(html).toContain('<title>跨城通办 办件查询</title>');
    expect(html).toContain('lang="zh-CN"');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
  });
});
