/**
 * Chain of custody across both gateways: the origin window dispatches the paper with a manifest,
 * a seal and a waybill; the handling district receives it and checks seal and manifest. Both sides
 * hold the same chain; a broken seal or a missing document is an exception both sides see; the
 * receipt of the materials starts the clock of matters that count from the paper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'handoffs' });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

const MANIFEST = [
  { name: '公司登记（备案）申请书', form: 'original', copies: 1, pages: 4 },
  { name: '公司章程', form: 'original', copies: 1, pages: 12 },
  { name: '法定代表人身份证明', form: 'copy', copies: 1, pages: 1 },
];
const dispatch = (caseNo: string, overrides: Record<string, unknown> = {}) =>
  postJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}/handoffs`, {
    kind: 'materials_to_handling',
    manifest: MANIFEST,
    sealNo: 'LW-SEAL-000123',
    handedBy: 'LW-W-0007',
    takenBy: 'EMS-C-0042',
    carrier: 'ems',
    waybill: 'EA 1234 5678 5CN',
    ...overrides,
  });
const handoffsAt = async (d: 'liwan' | 'nanhai', caseNo: string) => (await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}`)).body.handoffs as any[];

async function newCase(): Promise<string> {
  const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
  expect(created.status).toBe(201);
  return created.body.caseNo as string;
}

describe('materials to the handling district', () => {
  it('when the paper is dispatched and received intact and complete, then both sides show it received, held by the receiver', async () => {
    const caseNo = await newCase();
    const sent = await dispatch(caseNo);
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body).toMatchObject({ status: 'in_transit', waybill: 'EA123456785CN', carrier: 'ems', lastHolder: 'EMS-C-0042' });

    const arrived = await eventually(async () => (await handoffsAt('nanhai', caseNo))?.[0], 'hand-off at nanhai');
    expect(arrived.handoffId).toBe(sent.body.handoffId);
    const received = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs/${sent.body.handoffId}/receipt`, {
      receivedBy: 'NH-R-0003',
      sealIntact: true,
      received: MANIFEST.map(({ name, copies, pages }) => ({ name, copies, pages })),
    });
    expect(received.status, JSON.stringify(received.body)).toBe(201);
    expect(received.body).toMatchObject({ status: 'received', lastHolder: 'NH-R-0003', discrepancies: [] });

    const atOrigin = await eventually(async () => (await handoffsAt('liwan', caseNo)).find((h) => h.status === 'received'), 'received at liwan');
    expect(atOrigin).toEqual(received.body);
    // The materials' receipt follows in its own envelope: the clock's start, once.
    const origin = await eventually(async () => {
      const c = (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body;
      return c.events.some((e: any) => e.kind === 'materials_received') ? c : undefined;
    }, 'materials_received at liwan');
    expect(origin.events.filter((e: any) => e.kind === 'materials_received')).toHaveLength(1);

    const twice = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs/${sent.body.handoffId}/receipt`, { receivedBy: 'NH-R-0003', sealIntact: true, received: [] });
    expect(twice.body.error.code).toBe('CASE_STATE_CONFLICT');
  });

  it('when the seal is broken and a document is missing, then the hand-off is an exception on both sides, naming each discrepancy', async () => {
    const caseNo = await newCase();
    const sent = await dispatch(caseNo);
    await eventually(async () => (await handoffsAt('nanhai', caseNo))?.[0], 'hand-off at nanhai');
    const received = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs/${sent.body.handoffId}/receipt`, {
      receivedBy: 'NH-R-0003',
      sealIntact: false,
      received: [{ name: '公司登记（备案）申请书', copies: 1, pages: 4 }, { name: '公司章程', copies: 1, pages: 12 }],
    });
    expect(received.body).toMatchObject({ status: 'exception', sealIntact: false, discrepancies: [{ name: '法定代表人身份证明', problem: 'missing' }] });
    const atOrigin = await eventually(async () => (await handoffsAt('liwan', caseNo)).find((h) => h.status === 'exception'), 'exception at liwan');
    expect(atOrigin.discrepancies).toEqual(received.body.discrepancies);
  });

  it('when the waybill check digit is wrong, the kind is sent from the wrong side, or the receipt is for an unknown hand-off, then each has its code', async () => {
    const caseNo = await newCase();
    const bad = await dispatch(caseNo, { waybill: 'EA123456784CN' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.issues).toEqual([expect.objectContaining({ field: 'waybill', code: 'WAYBILL_BAD_CHECK_DIGIT' })]);
    const person = await dispatch(caseNo, { handedBy: '张三' });
    expect(person.body.error.issues.map((i: any) => i.field)).toEqual(['handedBy']);

    const result = await dispatch(caseNo, { kind: 'result_to_applicant' });
    expect(result.body.error.code).toBe('CASE_STATE_CONFLICT');
    const wrongSide = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs`, {
      kind: 'materials_to_handling',
      manifest: MANIFEST,
      sealNo: 'NH-SEAL-1',
      handedBy: 'NH-W-1',
      takenBy: 'EMS-C-1',
      carrier: 'ems',
      waybill: 'EA123456785CN',
    });
    expect(wrongSide.body.error.code).toBe('CASE_STATE_CONFLICT');
    const unknown = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs/01M7Z6P0JTHBB5T5DPV760947G/receipt`, { receivedBy: 'NH-R-1', sealIntact: true, received: [] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('HANDOFF_NOT_FOUND');
  });
});
