/**
 * Faults outside the gateways: the approval systems down (process stopped), answering 500,
 * answering slower than the adapter's timeout (10 s, adapters/adapter-kit.ts), not pushing status
 * callbacks; and the courier's tracking API down. The simulators' own /_sim knobs make the faults
 * (adapters/README.md, courier/README.md); no new knob was needed.
 *
 * Invariants:
 * - no gateway crashes (the same processes run before and after each fault);
 * - submissions are retried, and once the system answers again each case is filed exactly once
 *   (one record per case, also when the gateway gave up on a slow answer and asked again);
 * - meanwhile staff see the failing link in diagnostics (the approval circuit open, the last
 *   failure) — the case view itself shows nothing more: the product reports the approval link per
 *   gateway, not per case;
 * - with callbacks stopped, polling the change feed (KC_APPROVAL_POLL_MS) still brings every status
 *   change across to both sides;
 * - with the courier API down, parcels keep the tracking state they had, and following resumes by
 *   the gateway's own polling once it is back;
 * - throughout: nothing lost or doubled, every receipt valid, no dead letters, deadlines unchanged,
 *   audit chain intact, no personal data in the logs.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s10CheckDigit } from '../../courier/waybill.js';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { getJson, postJson } from '../helpers/applications.js';
import { expectDeadlinesUnchanged, runningClockCases, snapshotDeadlines, type DeadlineSnapshot } from '../helpers/fault-deadlines.js';
import { sleep } from '../helpers/fault-forwards.js';
import { CaseLedger, DISTRICT_PAIR, expectNothingLostOrDoubled, type KnownCase, takeIn as takeCaseIn } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { eventually } from '../helpers/gateways.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;
const ledger = new CaseLedger();
let deadlines: DeadlineSnapshot;
let pids: Record<District, number | undefined>;

beforeAll(async () => {
  sys = await startSystem(
    { KC_PARCEL_TICK_MS: '100', KC_PARCEL_POLL_MS: '2000' },
    // Liwan reads its change feed only hourly, so that the only calls to its approval system are the
    // submissions a scripted fault is meant to hit; Nanhai polls fast, for the callbacks-stop case.
    { gatewayEnv: { liwan: { KC_APPROVAL_POLL_MS: '3600000' } } },
  );
  deadlines = await snapshotDeadlines(sys, await runningClockCases(sys, ledger, 1));
  pids = { liwan: sys.districts.liwan.gateway.pid, nanhai: sys.districts.nanhai.gateway.pid };
}, 120_000);

afterAll(async () => {
  await sys?.cleanup();
});

const simConfig = (d: District, body: Record<string, unknown>) => postJson(`${sys.districts[d].approvalUrl}/_sim/config`, body);
const approvalHealth = async (d: District) => (await getJson(`${sys.districts[d].httpUrl}/api/v1/diagnostics`)).body.approval;

const takeIn = (origin: District, i: number): Promise<KnownCase> => takeCaseIn(sys, ledger, origin, i);

async function expectSameProcesses(): Promise<void> {
  for (const d of DISTRICT_PAIR) {
    expect(sys.districts[d].gateway.pid, `gateway-${d} never restarted`).toBe(pids[d]);
    expect((await getJson(`${sys.districts[d].httpUrl}/healthz`)).status).toBe(200);
  }
}

describe('approval systems and courier API failing', () => {
  it('when Nanhai’s approval system is stopped and Liwan’s answers 500, then submissions are retried, diagnostics show the failing link, and each case is filed exactly once after they recover', async () => {
    await sys.districts.nanhai.simulator.stop();
    await simConfig('liwan', { fault: 'error500' });
    let cases: KnownCase[] = [];
    try {
      cases = [...(await Promise.all([0, 1, 2].map((i) => takeIn('liwan', i)))), ...(await Promise.all([0, 1, 2].map((i) => takeIn('nanhai', i))))];

      for (const d of DISTRICT_PAIR) {
        const health = await eventually(async () => {
          const h = await approvalHealth(d);
          return h.circuit === 'open' && h;
        }, `approval circuit open at ${d}`, 30_000);
        expect(health.lastFailure).toMatchObject({ code: 'APPROVAL_UNAVAILABLE' });
      }
      await eventually(async () => sys.gatewayLogs().includes('approval system job will be retried'), 'submission retries in the log', 30_000);
      for (const { origin, caseNo } of cases) {
        const handling = otherDistrict(origin);
        const c = await sys.getCase(handling, caseNo);
        expect(c?.state, `${caseNo} waits at ${handling}`).not.toBe('registered');
      }
      expect((await sys.simRecords('liwan')).filter((r) => cases.some((c) => c.caseNo === r.externalRef)), 'nothing filed while answering 500').toEqual([]);
    } finally {
      // Recovered whatever happened, so that the next scenarios start from working systems.
      await sys.districts.nanhai.simulator.start();
      await simConfig('liwan', { fault: 'none' });
    }

    // The circuit half-opens 30 s after it opened (adapters/adapter-kit.ts); then everything goes through.
    await expectNothingLostOrDoubled(sys, ledger, { cases, state: 'registered', timeoutMs: 90_000 });
    for (const d of DISTRICT_PAIR) await eventually(async () => (await approvalHealth(d)).circuit === 'closed', `approval circuit closed at ${d}`, 30_000);
    await expectDeadlinesUnchanged(sys, deadlines);
    await expectSameProcesses();
  }, 180_000);

  it('when Liwan’s approval system answers a submission slower than the adapter’s timeout, then the gateway retries and the case is filed exactly once', async () => {
    await simConfig('liwan', { fault: 'slow', slowMs: 12_000, faultTimes: 1 });
    const simLogBefore = readFileSync(sys.districts.liwan.simulator.logFile, 'utf8').length;
    const takenInAt = Date.now();
    const c = await takeIn('nanhai', 7);
    await sys.waitForState('liwan', c.caseNo, 'registered', 60_000);
    // Registered only after the adapter gave up on the slow answer (10 s) and asked again.
    expect(Date.now() - takenInAt).toBeGreaterThanOrEqual(10_000);
    const simLog = readFileSync(sys.districts.liwan.simulator.logFile, 'utf8').slice(simLogBefore);
    const slowed = simLog.split('\n').filter((l) => l.includes('"msg":"scripted fault"') && l.includes('"fault":"slow"'));
    expect(slowed, 'the slowed request was the submission').toEqual([expect.stringMatching(/"method":"POST","path":"\/applications"/)]);
    expect((await sys.simRecords('liwan')).filter((r) => r.externalRef === c.caseNo)).toHaveLength(1);
    await expectNothingLostOrDoubled(sys, ledger, { cases: [c], state: 'registered' });
    await expectSameProcesses();
  }, 120_000);

  it('when Nanhai’s approval system stops pushing callbacks, then polling its change feed still brings each status change to both sides', async () => {
    const c = await takeIn('liwan', 8);
    const localNo = (await sys.waitForState('nanhai', c.caseNo, 'registered', 60_000)).handlingLocalNo as string;
    await simConfig('nanhai', { callbacksEnabled: false });
    try {
      await sys.advance('nanhai', localNo, 'accept');
      await sys.waitForState('nanhai', c.caseNo, 'accepted', 30_000);
      await sys.waitForState('liwan', c.caseNo, 'accepted', 30_000);
      await sys.advance('nanhai', localNo, 'approve');
      await sys.waitForState('liwan', c.caseNo, 'approved', 30_000);
    } finally {
      await simConfig('nanhai', { callbacksEnabled: true });
    }
    const atOrigin = (await sys.getCase('liwan', c.caseNo))!;
    expect(atOrigin.events.filter((e: any) => e.kind === 'status').map((e: any) => e.state)).toEqual(['registered', 'accepted', 'approved']);
    await expectNothingLostOrDoubled(sys, ledger, { cases: [c] });
    await expectSameProcesses();
  }, 120_000);

  it('when the courier API is down, then parcels keep their tracking state, the gateways stay up, and following resumes once it is back', async () => {
    const courier = (path: string, body?: unknown) => (body === undefined ? getJson(`${sys.courier.url}${path}`) : postJson(`${sys.courier.url}${path}`, body));
    const waybill = (serial: number) => `EA${serial}${s10CheckDigit(String(serial))}CN`;
    const c = await takeIn('liwan', 9);
    await sys.waitForState('liwan', c.caseNo, 'registered', 60_000);
    const parcel = async (d: District, handoffId: string) => (await sys.getCase(d, c.caseNo))?.handoffs.find((h: any) => h.handoffId === handoffId);
    const dispatch = async (wb: string) => {
      expect((await courier('/_sim/parcels', { waybillNo: wb, journey: 'delivered' })).status).toBe(201);
      const r = await postJson(`${sys.districts.liwan.httpUrl}/api/v1/cases/${c.caseNo}/handoffs`, {
        kind: 'materials_to_handling',
        manifest: [{ name: '个体工商户开业登记申请书', form: 'original', copies: 1, pages: 2 }],
        sealNo: 'LW-SEAL-000901',
        handedBy: 'LW-W-0007',
        takenBy: 'EMS-C-0042',
        carrier: 'ems',
        waybill: wb,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.handoffId as string;
    };

    const first = waybill(41_000_001);
    const firstId = await dispatch(first);
    await eventually(async () => (await courier(`/_sim/parcels/${first}`)).body.subscribed === true, 'first parcel subscribed', 20_000);
    await courier(`/_sim/parcels/${first}/advance`, { steps: 2 });
    const before: Record<string, unknown> = {};
    for (const d of DISTRICT_PAIR) {
      before[d] = (await eventually(async () => {
        const p = await parcel(d, firstId);
        return p?.tracking.events.length === 2 && p;
      }, `two scans at ${d}`, 20_000)).tracking;
    }

    // Down, and the carrier's pushes off: only the gateway's own polling can bring the rest later.
    await courier('/_sim/config', { outage: true, pushesEnabled: false });
    try {
      await courier(`/_sim/parcels/${first}/advance`, { all: true });
      const second = waybill(41_000_002);
      const secondId = await dispatch(second);
      // Several poll periods (KC_PARCEL_POLL_MS 2 s) into the outage: nothing moved, nobody crashed.
      await sleep(6_000);
      for (const d of DISTRICT_PAIR) expect((await parcel(d, firstId)).tracking, `parcel at ${d} during the outage`).toEqual(before[d]);
      expect((await courier(`/_sim/parcels/${second}`)).body.subscribed).toBe(false);
      await expectSameProcesses();

      await courier('/_sim/config', { outage: false });
      for (const d of DISTRICT_PAIR) {
        await eventually(async () => (await parcel(d, firstId))?.tracking.status === 'delivered', `first parcel delivered at ${d}`, 30_000);
      }
      await eventually(async () => (await courier(`/_sim/parcels/${second}`)).body.subscribed === true, 'second parcel subscribed after the outage', 30_000);
      expect((await parcel('nanhai', secondId))?.tracking.events ?? []).toEqual([]);
    } finally {
      await courier('/_sim/config', { outage: false, pushesEnabled: true });
    }
    await expectNothingLostOrDoubled(sys, ledger, { cases: [c] });
    await expectDeadlinesUnchanged(sys, deadlines);
    await expectSameProcesses();
  }, 120_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
