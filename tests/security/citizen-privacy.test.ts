/**
 * Security catalogue — citizen tracking (POST /api/v1/track). Anyone who knows a case number and
 * four phone digits can read it, so:
 * - it shows nothing personal: an application full of distinctive personal data (names, resident ID
 *   numbers, phone numbers, addresses — the applicant's, the operator's and the agent's), with a
 *   parcel whose carrier scans echo them, is looked up at both gateways and every answer is searched
 *   for each value and for anything shaped like an ID or mobile number;
 * - it cannot be used to enumerate: a wrong phone and an unknown number get one answer (status,
 *   code, body), and the per-client and per-case limits answer 429 RATE_LIMITED with Retry-After;
 * - nothing is stored by a refused lookup (store-snapshot.ts; the rate counters aside).
 *
 * Each scenario speaks from its own loopback address (127.0.0.x), so the per-client limit of one
 * never touches another. Timing is not compared here (lookup.ts holds misses to a floor).
 */
import { Redis } from 'ioredis';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../gateway/domain/district.js';
import { postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { dispatchMaterials, recordScans } from '../helpers/handoffs.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { snapshotStore, storeDiff } from './store-snapshot.js';

const PER_CLIENT = 6;
const PER_CASE = 6;

/** GB 11643 resident ID with its check character computed. */
function residentId(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i]!, 0);
  return first17 + '10X98765432'[sum % 11]!;
}

/** Personal data no citizen answer may contain, each distinctive enough that a hit is a leak. */
const PII = {
  applicantName: '欧阳隐私甲',
  applicantId: residentId('44060519850714123'),
  applicantPhone: '13812349876',
  applicantAddress: '广东省佛山市南海区隐私大道99号3栋1201房',
  operatorName: '司马隐私乙',
  operatorId: residentId('44010319900305567'),
  operatorMobile: '13987651234',
  premisesAddress: '佛山市南海区桂城街道保密路88号201室',
  agentName: '诸葛隐私丙',
  agentId: residentId('44060519780923891'),
};
const LAST4 = PII.applicantPhone.slice(-4);
const WRONG4 = '0000';
/** Fragments of the addresses that would betray a partial leak. */
const FRAGMENTS = ['隐私大道99号', '3栋1201房', '保密路88号', '201室'];
const ID_SHAPED = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/;
const MOBILE_SHAPED = /(?<!\d)1[3-9]\d{9}(?!\d)/;

/** 个体工商户设立登记 (KC-M-0007, a person's matter handled by Liwan), taken in at Nanhai, by an agent. */
const application = {
  matterId: 'KC-M-0007',
  applicant: { kind: 'person', name: PII.applicantName, idNumber: PII.applicantId, phone: PII.applicantPhone, address: PII.applicantAddress },
  form: {
    operatorName: PII.operatorName,
    operatorIdNumber: PII.operatorId,
    tradeName: '南海示例小店',
    organizationForm: 'individual',
    capitalAmount: '10',
    employees: '3',
    premisesAddress: PII.premisesAddress,
    operatorMobile: PII.operatorMobile,
    agentApplies: 'true',
    agentName: PII.agentName,
    agentIdNumber: PII.agentId,
  },
  materials: [
    { name: '个体工商户开业登记申请书', form: 'original', copies: 1 },
    { name: '经营者身份证明', form: 'copy', copies: 1 },
    { name: '经营场所使用证明', form: 'copy', copies: 1 },
    { name: '委托代理人证明及其身份证明', form: 'original', copies: 1 },
  ],
};

let redis: RedisHandle;
let client: Redis;
let sys: TwoGateways;
/** The case above, known at both gateways, with a parcel whose scans echo the personal data. */
let caseNo: string;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'sec-citizen',
    env: {
      KC_TRACK_LIMIT_PER_CLIENT: String(PER_CLIENT),
      KC_TRACK_CLIENT_WINDOW_SECONDS: '600',
      KC_TRACK_LIMIT_PER_CASE: String(PER_CASE),
      KC_TRACK_CASE_WINDOW_SECONDS: '3600',
    },
  });
  const created = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases`, application);
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  caseNo = created.body.caseNo as string;
  await eventually(async () => (await sys.gateways.liwan.ctx.store.getCase(caseNo))?.application, `${caseNo} at liwan`, 30_000);
  const waybill = 'EA123456785CN';
  const handoffId = await dispatchMaterials(sys.httpUrl.nanhai, caseNo, { waybill, sealNo: 'NH-SEAL-000123', handedBy: 'NH-W-0001' });
  await recordScans(sys.gateways.nanhai.ctx, caseNo, handoffId, waybill, [
    { eventTime: '2026-03-16T11:00:00+08:00', status: 'picked_up', rawCode: '10', rawText: `已收寄，寄件人${PII.applicantName}，电话${PII.applicantPhone}`, location: PII.applicantAddress },
    {
      eventTime: '2026-03-16T18:20:00+08:00',
      status: 'in_transit',
      rawCode: '20',
      rawText: `离开南海处理中心，收件人${PII.agentName}（身份证${PII.agentId}），联系${PII.operatorMobile}，地址${PII.premisesAddress}`,
      location: '佛山处理中心',
    },
  ]);
}, 120_000);

afterAll(async () => {
  await sys?.stop();
  client?.disconnect();
  await redis?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

let nextClient = 20;
const newClient = () => `127.0.0.${nextClient++}`;

/** POST JSON to a gateway from a given loopback address. */
function post(d: District, path: string, body: unknown, from: string): Promise<Answer> {
  const url = new URL(path, sys.httpUrl[d]);
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', 'content-length': payload.length } },
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
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
const track = (d: District, body: unknown, from: string) => post(d, '/api/v1/track', body, from);

/** The personal data (or anything shaped like it) found in `text`. */
function leaks(text: string): string[] {
  const found = Object.entries(PII)
    .filter(([, v]) => text.includes(v))
    .map(([k]) => k);
  found.push(...FRAGMENTS.filter((f) => text.includes(f)));
  const id = ID_SHAPED.exec(text);
  if (id) found.push(`ID-shaped ${id[0]}`);
  const mobile = MOBILE_SHAPED.exec(text);
  if (mobile) found.push(`mobile-shaped ${mobile[0]}`);
  return found;
}

const prefixOf = (d: District) => sys.gateways[d].ctx.config.KC_REDIS_PREFIX;

describe('privacy of citizen answers', () => {
  it('when a case full of personal data is looked up at its origin and at its handling gateway, then the answers show progress and parcel but no name, ID number, phone number or address, not even in the carrier\'s scan texts', async () => {
    for (const d of ['nanhai', 'liwan'] as const) {
      const res = await track(d, { caseNo, phoneLast4: LAST4 }, newClient());
      expect(res.status, res.text).toBe(200);
      expect(res.body.caseNo).toBe(caseNo);
      expect(leaks(res.text), `${d}: ${res.text}`).toEqual([]);
    }
    // The parcel is shown (at the origin, which follows it), with its scans masked rather than dropped.
    const origin = await track('nanhai', { caseNo, phoneLast4: LAST4 }, newClient());
    const parcel = origin.body.parcels[0];
    expect(parcel).toMatchObject({ waybill: 'EA123456785CN' });
    expect(parcel.events.map((e: { text: string }) => e.text)).toEqual([expect.stringContaining('***'), expect.stringContaining('***')]);
    // The staff view of the same case does hold the data: the check above is not vacuous.
    const staff = (await sys.gateways.nanhai.ctx.store.getCase(caseNo))!;
    expect(JSON.stringify(staff.application)).toContain(PII.applicantId);
  });

  it('when a lookup is refused (wrong digits, malformed input), then the refusal carries no personal data either', async () => {
    const from = newClient();
    for (const body of [{ caseNo, phoneLast4: WRONG4 }, { caseNo, phoneLast4: PII.applicantPhone }, { caseNo: PII.applicantId, phoneLast4: LAST4 }]) {
      const res = await track('nanhai', body, from);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(leaks(res.text), res.text).toEqual([]);
    }
  });
});

describe('enumeration', () => {
  it('rejects-tracking-with-wrong-phone-digits-like-unknown-case: when the digits are wrong for a real case or the case number was never issued, then both get 404 TRACKING_NOT_FOUND with the same body and headers, and nothing is stored', async () => {
    const before = await snapshotStore(client, prefixOf('nanhai'));
    const wrongDigits = await track('nanhai', { caseNo, phoneLast4: WRONG4 }, newClient());
    const unknownCase = await track('nanhai', { caseNo: caseNo.replace(/\d{6}$/, '999999'), phoneLast4: LAST4 }, newClient());
    for (const res of [wrongDigits, unknownCase]) {
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 404, code: 'TRACKING_NOT_FOUND' });
    }
    expect(unknownCase.body).toEqual(wrongDigits.body);
    const shape = (a: Answer) => ({ type: a.headers['content-type'], cache: a.headers['cache-control'], retryAfter: a.headers['retry-after'], names: Object.keys(a.headers).filter((h) => h !== 'date' && h !== 'etag').sort() });
    expect(shape(unknownCase)).toEqual(shape(wrongDigits));
    expect(storeDiff(before, await snapshotStore(client, prefixOf('nanhai')))).toEqual([]);
  });

  it(`rejects-tracking-over-client-limit: when one client address makes more than ${PER_CLIENT} lookups, then 429 RATE_LIMITED with Retry-After, even with the right digits, and nothing is stored`, async () => {
    const from = newClient();
    const before = await snapshotStore(client, prefixOf('liwan'));
    for (let i = 0; i < PER_CLIENT; i++) {
      // Walking through case numbers: each one a different, never issued number.
      const res = await track('liwan', { caseNo: caseNo.replace(/\d{6}$/, String(900_000 + i)), phoneLast4: LAST4 }, from);
      expect(res.body?.error?.code).toBe('TRACKING_NOT_FOUND');
    }
    const limited = await track('liwan', { caseNo, phoneLast4: LAST4 }, from);
    expect({ status: limited.status, code: limited.body?.error?.code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(String(limited.headers['retry-after'])).toMatch(/^\d+$/);
    expect(leaks(limited.text)).toEqual([]);
    expect(storeDiff(before, await snapshotStore(client, prefixOf('liwan')))).toEqual([]);
    // Another address is not limited by it.
    expect((await track('liwan', { caseNo, phoneLast4: LAST4 }, newClient())).status).toBe(200);
  });

  it(`rejects-tracking-over-case-limit: when one case number is tried more than ${PER_CASE} times from different addresses (guessing its digits), then 429 RATE_LIMITED with Retry-After, even with the right digits from a new address`, async () => {
    // A case of its own (the other scenarios look the shared one up too), and a number never issued.
    const created = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases`, application);
    expect(created.status).toBe(201);
    const own = created.body.caseNo as string;
    const target = own.replace(/\d{6}$/, '123456'); // never issued: limited exactly like a real one
    for (const [n, c] of [[0, own], [1, target]] as const) {
      for (let i = 0; i < PER_CASE; i++) {
        const res = await track('nanhai', { caseNo: c, phoneLast4: String(1000 + n * 100 + i) }, newClient());
        expect(res.body?.error?.code).toBe('TRACKING_NOT_FOUND');
      }
    }
    const realCase = await track('nanhai', { caseNo: own, phoneLast4: LAST4 }, newClient());
    const neverIssued = await track('nanhai', { caseNo: target, phoneLast4: LAST4 }, newClient());
    for (const res of [realCase, neverIssued]) {
      expect({ status: res.status, code: res.body?.error?.code }).toEqual({ status: 429, code: 'RATE_LIMITED' });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    }
    expect(neverIssued.body).toEqual(realCase.body);
  });
});
