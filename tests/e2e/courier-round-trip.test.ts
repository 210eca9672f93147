/**
 * Paper and parcels end to end, on real processes (two gateways, two Redis, two approval
 * simulators, the EMS simulator): a Liwan window sends a case's materials to Nanhai — the first
 * parcel is lost, the second arrives through duplicate pushes and late scans — Nanhai receives and
 * decides it, and posts the licence to the applicant, whose delivery marks the result delivered.
 * The citizen page, in headless Chromium, then shows the case and every parcel's timeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s10CheckDigit } from '../../courier/waybill.js';
import type { District } from '../../gateway/domain/district.js';
import { applicationFor, getJson, PHONE, postJson } from '../helpers/applications.js';
import { lookUp, openTrackingPage, readParcels, readProgress, type TrackingPage } from '../helpers/browser.js';
import { eventually } from '../helpers/gateways.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;
let page: TrackingPage | undefined;

beforeAll(async () => {
  sys = await startSystem({ KC_PARCEL_TICK_MS: '100', KC_PARCEL_POLL_MS: '2000' });
}, 90_000);

afterAll(async () => {
  await page?.close();
  await sys?.cleanup();
});

const url = (d: District) => sys.districts[d].httpUrl;
const sim = (path: string, body?: unknown) => (body === undefined ? getJson(`${sys.courier.url}${path}`) : postJson(`${sys.courier.url}${path}`, body));
const s10 = (serial: number) => `EA${serial}${s10CheckDigit(String(serial))}CN`;

async function scriptParcel(body: Record<string, unknown>): Promise<void> {
  const r = await sim('/_sim/parcels', body);
  expect(r.status, JSON.stringify(r.body)).toBe(201);
}

async function dispatch(d: District, caseNo: string, body: Record<string, unknown>): Promise<string> {
  const r = await postJson(`${url(d)}/api/v1/cases/${caseNo}/handoffs`, { sealNo: 'SEAL-2026-0001', handedBy: 'STAFF-01', takenBy: 'EMS-C-0042', carrier: 'ems', ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  await eventually(async () => (await sim(`/_sim/parcels/${body['waybill'] as string}`)).body.subscribed === true, `subscription of ${body['waybill'] as string}`, 20_000);
  return r.body.handoffId as string;
}

async function parcelAt(d: District, caseNo: string, handoffId: string) {
  return (await sys.getCase(d, caseNo))?.handoffs.find((h: any) => h.handoffId === handoffId);
}

const MANIFEST = [
  { name: '公司登记（备案）申请书', form: 'original', copies: 1, pages: 4 },
  { name: '公司章程', form: 'original', copies: 1, pages: 12 },
];
const LOST = s10(31_000_001);
const MATERIALS = s10(31_000_002);
const RESULT = '1180012345678';

describe('a case whose paper travels Liwan → Nanhai → applicant', () => {
  let caseNo: string;
  let lostId: string;
  let materialsId: string;
  let resultId: string;

  it('when the first parcel of materials is lost, then both districts see it as an exception on their worklists', async () => {
    const created = await postJson(`${url('liwan')}/api/v1/cases`, applicationFor('nanhai'));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    caseNo = created.body.caseNo;
    await sys.waitForState('liwan', caseNo, 'registered', 30_000);

    await scriptParcel({ waybillNo: LOST, journey: 'lost' });
    lostId = await dispatch('liwan', caseNo, { kind: 'materials_to_handling', manifest: MANIFEST, waybill: LOST });
    await sim(`/_sim/parcels/${LOST}/advance`, { all: true });
    for (const d of ['liwan', 'nanhai'] as const) {
      const lost = await eventually(async () => {
        const h = await parcelAt(d, caseNo, lostId);
        // The scan and the alert cross as two envelopes: wait for both, not the first.
        return h?.tracking.status === 'exception' && h.tracking.alerts.some((x: { reason: string }) => x.reason === 'exception') && h;
      }, `lost parcel and its alert at ${d}`, 20_000);
      expect(lost.tracking.alerts).toContainEqual(expect.objectContaining({ reason: 'exception' }));
      const worklist = await eventually(async () => {
        const parcels = (await getJson(`${url(d)}/api/v1/parcels/attention`)).body.parcels as any[];
        return parcels.some((p) => p.handoffId === lostId) && parcels;
      }, `attention list at ${d}`);
      expect(worklist.find((p: any) => p.handoffId === lostId)).toMatchObject({ caseNo, waybill: LOST, status: 'exception' });
    }
  });

  it('when the materials are sent again and the carrier repeats and reorders scans, then both districts hold one ordered timeline', async () => {
    await scriptParcel({
      waybillNo: MATERIALS,
      traces: [
        { opCode: '10', minutesAfterStart: 0, opDesc: '电子运单信息已收到，等待揽收' },
        { opCode: '20', minutesAfterStart: 30, opDesc: '已收寄', recordedTwice: true },
        { opCode: '31', minutesAfterStart: 240, opDesc: '到达【佛山邮件处理中心】', city: '佛山市' },
        // Uploaded late: an earlier scan arriving after a newer one.
        { opCode: '30', minutesAfterStart: 120, opDesc: '离开【广州邮件处理中心】', city: '广州市' },
        { opCode: '40', minutesAfterStart: 300, opDesc: '【南海区桂城营业部】安排投递', city: '佛山市' },
        { opCode: '50', minutesAfterStart: 360, opDesc: '已签收，签收人：南海区政务服务中心收发室', city: '佛山市' },
      ],
    });
    materialsId = await dispatch('liwan', caseNo, { kind: 'materials_to_handling', manifest: MANIFEST, waybill: MATERIALS });
    for (let i = 0; i < 6; i++) await sim(`/_sim/parcels/${MATERIALS}/advance`, { steps: 1, pushTwice: true });

    const atNanhai = await eventually(async () => {
      const h = await parcelAt('nanhai', caseNo, materialsId);
      return h?.tracking.status === 'delivered' && h.tracking.events.length === 6 && h;
    }, 'materials delivered at nanhai', 20_000);
    expect(atNanhai.tracking.events.map((e: any) => e.rawCode)).toEqual(['10', '20', '30', '31', '40', '50']);
    expect((await parcelAt('liwan', caseNo, materialsId)).tracking.events).toEqual(atNanhai.tracking.events);
    const pushes = (await sim('/_sim/pushes')).body.pushes.filter((p: any) => p.waybillNo === MATERIALS && p.outcome === 'delivered');
    expect(pushes.length).toBeGreaterThanOrEqual(12); // every step pushed twice, all taken

    const receipt = await postJson(`${url('nanhai')}/api/v1/cases/${caseNo}/handoffs/${materialsId}/receipt`, {
      receivedBy: 'NH-R-0003',
      sealIntact: true,
      received: MANIFEST.map(({ name, copies, pages }) => ({ name, copies, pages })),
    });
    expect(receipt.status, JSON.stringify(receipt.body)).toBe(201);
    expect(receipt.body).toMatchObject({ status: 'received', lastHolder: 'NH-R-0003' });
  });

  it('when Nanhai approves and posts the licence, then its delivery marks the result delivered on both sides', async () => {
    const localNo = (await sys.simRecords('nanhai')).find((r) => r.externalRef === caseNo)!.localNo;
    await sys.advance('nanhai', localNo, 'accept');
    await sys.waitForState('liwan', caseNo, 'accepted', 30_000);
    await sys.advance('nanhai', localNo, 'approve');
    await eventually(async () => (await sys.getCase('nanhai', caseNo))?.events.some((e: any) => e.kind === 'result_issued'), 'result issued', 30_000);

    await scriptParcel({ waybillNo: RESULT, journey: 'delivered' });
    resultId = await dispatch('nanhai', caseNo, {
      kind: 'result_to_applicant',
      manifest: [{ name: '营业执照', form: 'original', copies: 1, pages: 1 }],
      waybill: RESULT,
      handedBy: 'NH-W-0002',
    });
    await sim(`/_sim/parcels/${RESULT}/advance`, { steps: 3, pushTwice: true });
    await sim(`/_sim/parcels/${RESULT}/advance`, { all: true });
    for (const d of ['liwan', 'nanhai'] as const) {
      const c = await eventually(async () => {
        const view = await sys.getCase(d, caseNo);
        return view?.resultDelivered && view;
      }, `result delivered at ${d}`, 20_000);
      expect(c.state).toBe('approved');
      expect(c.resultDelivered).toMatchObject({ handoffId: resultId, waybill: RESULT });
    }
  });

  it('when the applicant looks the case up on the citizen page, then it shows the case and every parcel with its timeline', async () => {
    page = await openTrackingPage(url('liwan'));
    expect(await lookUp(page, caseNo, PHONE.slice(-4))).toMatchObject({ ok: true });
    const progress = await readProgress(page);
    expect(progress.state).toContain('准予许可');
    expect(progress.milestones.map((m) => m.text).join(' ')).toContain('办理结果已送达申请人');
    const parcels = await readParcels(page);
    expect(parcels).toHaveLength(3);
    const byWaybill = Object.fromEntries(parcels.map((p) => [p.waybill, p]));
    expect(byWaybill[LOST]!.status).toBe('异常');
    expect(byWaybill[MATERIALS]!.status).toBe('已签收');
    // Newest first, as a parcel page shows it; the late scan in its place, duplicates once.
    expect(byWaybill[MATERIALS]!.events.map((e) => e.text)).toEqual([
      '已签收，签收人：南海区政务服务中心收发室',
      '【南海区桂城营业部】安排投递',
      '到达【佛山邮件处理中心】',
      '离开【广州邮件处理中心】',
      '已收寄',
      '电子运单信息已收到，等待揽收',
    ]);
    expect(byWaybill[RESULT]!.status).toBe('已签收');
    const text = await page.bodyText();
    for (const personal of [PHONE, applicationFor('nanhai').applicant.name]) expect(text).not.toContain(personal);
    expect(page.offOrigin()).toEqual([]);
  });
});
