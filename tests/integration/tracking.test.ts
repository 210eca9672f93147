/**
 * Parcel tracking across both gateways with the EMS simulator: the dispatching district subscribes
 * the waybill, takes signed pushes (and polls when they stop), records what is new as shared
 * events, so both districts show the same de-duplicated, time-ordered timeline; stalled and lost
 * parcels alert staff on both sides; a delivered result marks the case's result delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { startEmsSimulator, type EmsSimulatorHandle } from '../../courier/ems/simulator.js';
import { s10CheckDigit } from '../../courier/waybill.js';
import type { District } from '../../gateway/domain/district.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { dispatchMaterials as dispatchAt } from '../helpers/handoffs.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const PARTNER = { id: 'KC-TEST', apiKey: 'test-api-key-0001', secret: 'test-push-secret-0123456789' };
const STALL_MS = 3_000;

let redis: RedisHandle;
let ems: EmsSimulatorHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  ems = await startEmsSimulator({ partnerId: PARTNER.id, apiKey: PARTNER.apiKey, pushSecret: PARTNER.secret, pushRetry: { attempts: 20, baseDelayMs: 100, maxDelayMs: 500 } });
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'tracking',
    env: {
      KC_COURIER_URL: ems.url,
      KC_COURIER_PARTNER_ID: PARTNER.id,
      KC_COURIER_API_KEY: PARTNER.apiKey,
      KC_COURIER_PUSH_SECRET: PARTNER.secret,
      KC_PARCEL_POLL_MS: '1000',
      KC_PARCEL_STALL_MS: String(STALL_MS),
      KC_PARCEL_TICK_MS: '100',
    },
    envFor: (_d, httpUrl) => ({ KC_COURIER_CALLBACK_URL: `${httpUrl}/courier/ems/push` }),
  });
});

afterAll(async () => {
  await sys?.stop();
  await ems?.stop();
  await redis?.stop();
});

let serial = 20_000_000;
function nextWaybill(): string {
  const digits = String(serial++);
  return `EA${digits}${s10CheckDigit(digits)}CN`;
}

const sim = (path: string, body?: unknown) => (body === undefined ? getJson(`${ems.url}${path}`) : postJson(`${ems.url}${path}`, body));

async function newCase(): Promise<string> {
  const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
  expect(created.status).toBe(201);
  return created.body.caseNo as string;
}

const dispatchMaterials = (caseNo: string, waybill: string): Promise<string> => dispatchAt(sys.httpUrl.liwan, caseNo, { waybill });

async function trackingAt(d: District, caseNo: string, handoffId: string) {
  const view = (await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}`)).body;
  return { view, tracking: view.handoffs?.find((h: any) => h.handoffId === handoffId)?.tracking };
}

const subscribed = (waybill: string) => eventually(async () => (await sim(`/_sim/parcels/${waybill}`)).body.subscribed === true, `subscription of ${waybill}`);

describe('a parcel followed through pushes', () => {
  it('when the carrier pushes duplicates and late scans, then both districts show one time-ordered timeline', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    // Scans uploaded late (times going backwards) and one recorded twice; every push the full history.
    expect(
      (
        await sim('/_sim/parcels', {
          waybillNo: waybill,
          traces: [
            { opCode: '10', minutesAfterStart: 0 },
            { opCode: '20', minutesAfterStart: 60, recordedTwice: true },
            { opCode: '31', minutesAfterStart: 300, opDesc: '到达【广州邮件处理中心】' },
            { opCode: '30', minutesAfterStart: 180, opDesc: '离开【佛山邮件处理中心】' },
            { opCode: '40', minutesAfterStart: 400 },
          ],
        })
      ).status,
    ).toBe(201);
    const handoffId = await dispatchMaterials(caseNo, waybill);
    await subscribed(waybill);

    for (let i = 0; i < 5; i++) expect((await sim(`/_sim/parcels/${waybill}/advance`, { steps: 1, pushTwice: i % 2 === 0 })).status).toBe(200);

    const at = await eventually(async () => {
      const t = (await trackingAt('nanhai', caseNo, handoffId)).tracking;
      return t?.events.length === 5 && t;
    }, 'five events at nanhai');
    expect(at.events.map((e: any) => e.rawCode)).toEqual(['10', '20', '30', '31', '40']);
    expect(at.status).toBe('out_for_delivery');
    expect(at.statusLabel).toBe('派送中');
    const times = at.events.map((e: any) => Date.parse(e.eventTime));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // The same timeline on the dispatching side.
    expect((await trackingAt('liwan', caseNo, handoffId)).tracking.events).toEqual(at.events);
  });
});

describe('pushes that must not be believed', () => {
  const push = (body: string, headers: Record<string, string>) =>
    fetch(`${sys.httpUrl.liwan}/courier/ems/push`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const signed = (body: string, ts = Date.now()) => ({
    'x-ems-timestamp': String(ts),
    'x-ems-signature': createHmac('sha256', PARTNER.secret).update(`${ts}\n`).update(body).digest('base64'),
  });

  it('when a push is unsigned, forged or stale, then it is refused with 401 and a stable code', async () => {
    const body = JSON.stringify({ pushId: 'P1', waybillNo: 'EA123456785CN', pushTime: '2026-11-20 10:00:00', traces: [] });
    for (const headers of [{}, { ...signed(body), 'x-ems-signature': Buffer.alloc(32).toString('base64') }, signed(body, Date.now() - 3_600_000)]) {
      const res = await push(body, headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.code).toBe('COURIER_PUSH_UNAUTHENTICATED');
    }
    expect(sys.logs()).toContain('carrier push refused');
  });

  it('when an authentic push is not JSON, too large, or for a waybill nobody follows, then it gets a clear answer and nothing is recorded', async () => {
    const notJson = 'not json';
    const bad = await push(notJson, signed(notJson));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.code).toBe('COURIER_PUSH_MALFORMED');

    const huge = 'x'.repeat(600 * 1024);
    expect((await push(huge, signed(huge))).status).toBe(413);

    const unknown = JSON.stringify({ pushId: 'P2', waybillNo: nextWaybill(), pushTime: '2026-11-20 10:00:00', traces: [{ opCode: '10', opName: '下单', opDesc: 'x', opTime: '2026-11-20 09:00:00' }] });
    const ignored = await push(unknown, signed(unknown));
    expect(ignored.status).toBe(202);
    expect(await ignored.json()).toEqual({ status: 'ignored', reason: 'UNKNOWN_WAYBILL' });
  });

  it('when a push carries a trace with an impossible time, then that trace is skipped and the rest recorded', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    await sim('/_sim/parcels', { waybillNo: waybill, traces: [{ opCode: '10' }, { opCode: '20', opTime: '2026-02-30 10:00:00' }, { opCode: '30' }] });
    const handoffId = await dispatchMaterials(caseNo, waybill);
    await subscribed(waybill);
    await sim(`/_sim/parcels/${waybill}/advance`, { all: true });
    const t = await eventually(async () => (await trackingAt('liwan', caseNo, handoffId)).tracking?.events.length === 2 && (await trackingAt('liwan', caseNo, handoffId)).tracking, 'two good events');
    expect(t.events.map((e: any) => e.rawCode)).toEqual(['10', '30']);
    expect(sys.logs()).toContain('COURIER_EVENT_BAD_TIME');
  });
});

describe('a parcel whose hand-off is closed', () => {
  it('when a late scan is pushed after staff received the parcel, then it is recorded and nothing breaks', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    await sim('/_sim/parcels', { waybillNo: waybill, journey: 'delivered' });
    const handoffId = await dispatchMaterials(caseNo, waybill);
    await subscribed(waybill);
    await sim(`/_sim/parcels/${waybill}/advance`, { steps: 4 });
    await eventually(async () => (await trackingAt('nanhai', caseNo, handoffId)).tracking?.events.length === 4, 'four scans at nanhai');
    const receipt = await postJson(`${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs/${handoffId}/receipt`, {
      receivedBy: 'NH-R-0003',
      sealIntact: true,
      received: [{ name: '公司章程', copies: 1, pages: 12 }],
    });
    expect(receipt.status).toBe(201);
    await sim(`/_sim/parcels/${waybill}/advance`, { all: true });
    const t = await eventually(async () => {
      const tracking = (await trackingAt('liwan', caseNo, handoffId)).tracking;
      return tracking?.status === 'delivered' && tracking;
    }, 'the late scans recorded');
    expect(t.events).toHaveLength(6);
    const pushes = (await sim('/_sim/pushes')).body.pushes.filter((p: any) => p.waybillNo === waybill);
    expect(pushes.every((p: any) => p.outcome === 'delivered')).toBe(true);
  });
});

describe('when pushes stop', () => {
  it('then polling brings the events in', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    await sim('/_sim/parcels', { waybillNo: waybill, journey: 'delivered' });
    const handoffId = await dispatchMaterials(caseNo, waybill);
    await subscribed(waybill);
    await sim('/_sim/config', { pushesEnabled: false });
    try {
      await sim(`/_sim/parcels/${waybill}/advance`, { all: true });
      const t = await eventually(async () => (await trackingAt('nanhai', caseNo, handoffId)).tracking?.status === 'delivered', 'delivered by polling');
      expect(t).toBe(true);
    } finally {
      await sim('/_sim/config', { pushesEnabled: true });
    }
    expect((await sim(`/_sim/parcels/${waybill}`)).body.pushesDelivered).toBe(0);
  });

  it('when the carrier is down at dispatch, then the subscription is retried until it is up', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    await sim('/_sim/parcels', { waybillNo: waybill, journey: 'delivered' });
    await sim('/_sim/config', { outage: true });
    try {
      await dispatchMaterials(caseNo, waybill);
      await eventually(async () => sys.logs().includes('parcel subscription failed; will retry'), 'a failed subscription');
      expect((await sim(`/_sim/parcels/${waybill}`)).body.subscribed).toBe(false);
    } finally {
      await sim('/_sim/config', { outage: false });
    }
    await subscribed(waybill);
  });
});

describe('parcels staff must look at', () => {
  it('when a parcel goes silent, then a stalled alert reaches both districts and their worklists', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    await sim('/_sim/parcels', { waybillNo: waybill, journey: 'silent' });
    const handoffId = await dispatchMaterials(caseNo, waybill);
    await subscribed(waybill);
    await sim(`/_sim/parcels/${waybill}/advance`, { all: true });
    for (const d of ['liwan', 'nanhai'] as const) {
      const t = await eventually(async () => {
        const tracking = (await trackingAt(d, caseNo, handoffId)).tracking;
        return tracking?.alerts.some((a: any) => a.reason === 'stalled') && tracking;
      }, `stalled alert at ${d}`, STALL_MS + 10_000);
      expect(t.needsAttention).toBe(true);
      const list = (await getJson(`${sys.httpUrl[d]}/api/v1/parcels/attention`)).body.parcels;
      expect(list).toContainEqual(expect.objectContaining({ caseNo, handoffId, waybill }));
    }
    // One alert for one silence, however many times the follower looked.
    await new Promise((r) => setTimeout(r, 1_500));
    const alerts = (await trackingAt('liwan', caseNo, handoffId)).tracking.alerts;
    expect(alerts.filter((a: any) => a.reason === 'stalled')).toHaveLength(1);
  });

  it('when a parcel is lost, then it is an exception on both sides', async () => {
    const caseNo = await newCase();
    const waybill = nextWaybill();
    await sim('/_sim/parcels', { waybillNo: waybill, journey: 'lost' });
    const handoffId = await dispatchMaterials(caseNo, waybill);
    await subscribed(waybill);
    await sim(`/_sim/parcels/${waybill}/advance`, { all: true });
    const t = await eventually(async () => {
      const tracking = (await trackingAt('nanhai', caseNo, handoffId)).tracking;
      return tracking?.alerts.some((a: any) => a.reason === 'exception') && tracking;
    }, 'lost parcel alert at nanhai');
    expect(t.status).toBe('exception');
    expect(t.events.at(-1)).toMatchObject({ rawCode: '71', status: 'exception' });
    expect((await getJson(`${sys.httpUrl.liwan}/api/v1/parcels/attention`)).body.parcels).toContainEqual(expect.objectContaining({ handoffId, status: 'exception' }));
  });
});
