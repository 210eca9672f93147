import { createHash, verify, X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'forward' });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

async function simRecords(d: District) {
  return (await getJson(`${sys.simulators[d].url}/_sim/records`)).body.records as { localNo: string; externalRef: string; submitCount: number; status: string }[];
}

async function advance(d: District, localNo: string, action: string, note = '') {
  const r = await postJson(`${sys.simulators[d].url}/_sim/cases/${localNo}/advance`, { action, note });
  expect(r.status).toBeLessThan(300);
}

describe.each(DISTRICTS)('forwarding from %s', (origin) => {
  const handling = otherDistrict(origin);

  it('when window staff forward a matter of the other district, then its approval system holds it and both gateways show the same case', async () => {
    const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(handling));
    expect(created.status).toBe(201);
    const caseNo = created.body.caseNo as string;
    expect(caseNo).toMatch(origin === 'liwan' ? /^KC-LW-\d{8}-\d{6}$/ : /^KC-NH-\d{8}-\d{6}$/);
    expect(created.body.state).toBe('submitted');

    const record = await eventually(async () => (await simRecords(handling)).find((r) => r.externalRef === caseNo), 'approval record');
    const atOrigin = await eventually(async () => {
      const r = await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`);
      return r.body.handlingLocalNo ? r.body : undefined;
    }, 'local number at origin');
    const atHandling = (await getJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}`)).body;

    expect(atOrigin.handlingLocalNo).toBe(record.localNo);
    expect(atHandling.handlingLocalNo).toBe(record.localNo);
    expect(atOrigin.state).toBe('registered');
    expect(atHandling.state).toBe('registered');
    expect(atHandling.originDistrict).toBe(origin);
    expect(atHandling.application).toEqual(atOrigin.application);
    // The application crossed once and was receipted; the registration came back and was receipted.
    const out = atOrigin.crossings.find((c: any) => c.type === 'application');
    expect(out).toMatchObject({ direction: 'out', delivery: 'receipted', seq: 1 });
    const inn = atHandling.crossings.find((c: any) => c.type === 'application');
    expect(inn).toMatchObject({ direction: 'in', id: out.id, bodySha256: out.bodySha256, receiptId: out.receiptId });
    await eventually(async () => {
      const h = (await getJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}`)).body;
      return h.crossings.find((c: any) => c.type === 'status' && c.delivery === 'receipted');
    }, 'status envelope receipted');
    expect(record.submitCount).toBe(1);
  });

  it('when the approval system accepts, asks for supplements and approves, then both gateways follow every state', async () => {
    const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(handling));
    const caseNo = created.body.caseNo as string;
    const record = await eventually(async () => (await simRecords(handling)).find((r) => r.externalRef === caseNo), 'approval record');
    const stateAt = async (d: District) => (await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}`)).body.state as string;
    await eventually(async () => (await stateAt(origin)) === 'registered', 'registered at origin');

    for (const [action, state] of [
      ['accept', 'accepted'],
      ['request_supplement', 'supplement_requested'],
      ['accept', 'accepted'],
      ['approve', 'approved'],
    ] as const) {
      await advance(handling, record.localNo, action, action === 'request_supplement' ? '请补充股东会决议原件' : '');
      await eventually(async () => (await stateAt(origin)) === state && (await stateAt(handling)) === state, `${state} on both sides`);
    }
    const atOrigin = (await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`)).body;
    const states = atOrigin.events.filter((e: any) => e.kind === 'status').map((e: any) => e.state);
    expect(states).toEqual(['registered', 'accepted', 'supplement_requested', 'accepted', 'approved']);
    expect(atOrigin.events.find((e: any) => e.state === 'supplement_requested').note).toBe('请补充股东会决议原件');
  });
});

describe('rejection', () => {
  it('when the handling approval system rejects a case, then both gateways show it rejected and a later status cannot revive it', async () => {
    const created = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases`, applicationFor('liwan'));
    const caseNo = created.body.caseNo as string;
    const record = await eventually(async () => (await simRecords('liwan')).find((r) => r.externalRef === caseNo), 'approval record');
    await advance('liwan', record.localNo, 'reject', '材料不符合法定形式');
    for (const d of DISTRICTS) {
      await eventually(async () => (await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}`)).body.state === 'rejected', `rejected at ${d}`);
    }
    const refused = await postJson(`${sys.simulators.liwan.url}/_sim/cases/${record.localNo}/advance`, { action: 'approve' });
    expect(refused.status).toBe(409);
    const atOrigin = (await getJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}`)).body;
    expect(atOrigin.state).toBe('rejected');
    expect(atOrigin.events.find((e: any) => e.state === 'rejected').note).toBe('材料不符合法定形式');
  });
});

describe('status fallback by polling', () => {
  it('when the approval system stops pushing callbacks, then polling its change feed still carries the status across', async () => {
    const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
    const caseNo = created.body.caseNo as string;
    const record = await eventually(async () => (await simRecords('nanhai')).find((r) => r.externalRef === caseNo), 'approval record');
    await postJson(`${sys.simulators.nanhai.url}/_sim/config`, { callbacksEnabled: false });
    try {
      await advance('nanhai', record.localNo, 'accept');
      await eventually(async () => (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.state === 'accepted', 'accepted via polling');
    } finally {
      await postJson(`${sys.simulators.nanhai.url}/_sim/config`, { callbacksEnabled: true });
    }
  });
});

describe('stored envelopes over REST', () => {
  it('when staff fetch a crossing, then they get the verbatim signed body, signature and chain, which verify on both sides', async () => {
    const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
    const caseNo = created.body.caseNo as string;
    const record = await eventually(async () => {
      const r = (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body;
      return r.crossings[0]?.delivery === 'receipted' ? r : undefined;
    }, 'application receipted');
    const messageId = record.crossings[0].id as string;
    for (const d of DISTRICTS) {
      const r = await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}/envelopes/${messageId}`);
      expect(r.status).toBe(200);
      const body = Buffer.from(r.body.envelope.bodyBase64, 'base64');
      const signer = new X509Certificate(r.body.envelope.certChainPem[0]);
      expect(verify('sha256', body, signer.publicKey, Buffer.from(r.body.envelope.signatureBase64, 'base64'))).toBe(true);
      expect(createHash('sha256').update(body).digest('hex')).toBe(record.crossings[0].bodySha256);
      const receiptBody = Buffer.from(r.body.receipt.bodyBase64, 'base64');
      const receiptSigner = new X509Certificate(r.body.receipt.certChainPem[0]);
      expect(verify('sha256', receiptBody, receiptSigner.publicKey, Buffer.from(r.body.receipt.signatureBase64, 'base64'))).toBe(true);
      expect(r.body.receipt.body.envelopeSha256).toBe(record.crossings[0].bodySha256);
    }
    const missing = await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}/envelopes/01ARZ3NDEKTSV4RRFFQ69G5FAV`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('MESSAGE_NOT_FOUND');
  });
});

describe('partner-visible history', () => {
  it('when a case number does not exist, then both a well-formed and a malformed number get CASE_NOT_FOUND', async () => {
    for (const caseNo of ['KC-LW-20261121-999999', 'nonsense']) {
      const r = await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`);
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('CASE_NOT_FOUND');
    }
  });
});
