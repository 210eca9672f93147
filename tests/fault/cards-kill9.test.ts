/**
 * Fault: the handling gateway is killed (-9) while pre-warnings fall due, and restarted.
 * Invariant: every case gets exactly one pre-warning — none lost, none sent twice — on both sides
 * and in the console list. The pre-warning threshold is set wider than the matter's promised limit,
 * so a pre-warning falls due the moment a case is accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually } from '../helpers/gateways.js';
import { assertAuditIntact } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;

beforeAll(async () => {
  sys = await startSystem({ KC_PREWARN_DAYS: '30', KC_DEADLINE_POLL_MS: '100' });
}, 90_000);

afterAll(async () => {
  await sys?.cleanup();
});

const preWarnings = (c: Record<string, any> | undefined) => (c?.events ?? []).filter((e: any) => e.kind === 'card_issued' && e.data?.card === 'pre_warning');

describe('kill -9 while cards fall due', () => {
  it('when the handling gateway dies while accepting cases and comes back, then each case has exactly one pre-warning', async () => {
    const caseNos: string[] = [];
    for (let i = 0; i < 16; i++) {
      const r = await postJson(`${sys.districts.liwan.httpUrl}/api/v1/cases`, applicationFor('nanhai'));
      expect(r.status).toBe(201);
      caseNos.push(r.body.caseNo as string);
    }
    const localNos = await Promise.all(caseNos.map(async (no) => (await sys.waitForState('liwan', no, 'registered', 30_000)).handlingLocalNo as string));

    let restarted: Promise<void> | undefined;
    for (let i = 0; i < localNos.length; i++) {
      if (i === 6) {
        await sys.districts.nanhai.gateway.kill9();
        restarted = new Promise((r) => setTimeout(r, 500)).then(() => sys.districts.nanhai.gateway.start());
      }
      await sys.advance('nanhai', localNos[i]!, 'accept');
      await new Promise((r) => setTimeout(r, 40));
    }
    await restarted;

    for (const caseNo of caseNos) {
      await eventually(async () => preWarnings(await sys.getCase('liwan', caseNo)).length > 0, `pre-warning of ${caseNo} at liwan`, 30_000);
    }
    // Time for a second card to appear, if the watcher were to send one.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const caseNo of caseNos) {
      expect(preWarnings(await sys.getCase('nanhai', caseNo)), caseNo).toHaveLength(1);
      expect(preWarnings(await sys.getCase('liwan', caseNo)), caseNo).toHaveLength(1);
    }
    const cards = (await getJson(`${sys.districts.nanhai.httpUrl}/api/v1/cards?limit=200`)).body.cards as { caseNo: string; card: string }[];
    for (const caseNo of caseNos) expect(cards.filter((c) => c.caseNo === caseNo && c.card === 'pre_warning'), caseNo).toHaveLength(1);
    await assertAuditIntact(sys);
  }, 180_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
