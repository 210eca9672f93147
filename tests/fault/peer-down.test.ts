/**
 * Fault: the peer gateway is down. Invariants: every case taken in meanwhile is accepted and kept;
 * an unreachable peer never sends envelopes to the dead-letter queue; when the peer returns, every
 * queued envelope is delivered once and applied in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applicationFor, postJson } from '../helpers/applications.js';
import { checkArchive } from '../helpers/archive.js';
import { eventually } from '../helpers/gateways.js';
import { assertAuditIntact } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;

beforeAll(async () => {
  // Few attempts, so that a dead-letter would show quickly if unreachability counted against them.
  sys = await startSystem({ KC_OUTBOX_MAX_ATTEMPTS: '3' });
}, 90_000);

afterAll(async () => {
  await sys?.cleanup();
});

describe('peer gateway down', () => {
  it('when Nanhai is down while Liwan takes in cases, then they queue, never dead-letter, and all arrive once after it returns', async () => {
    await sys.districts.nanhai.gateway.stop();
    const caseNos: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await postJson(`${sys.districts.liwan.httpUrl}/api/v1/cases`, applicationFor('nanhai'));
      expect(r.status).toBe(201);
      caseNos.push(r.body.caseNo);
    }
    // Well past the 3 allowed attempts, still queued.
    await eventually(async () => {
      const c = await sys.getCase('liwan', caseNos[0]!);
      const out = c?.crossings.find((x: any) => x.type === 'application');
      return out && out.attempts >= 5 ? out : undefined;
    }, 'several failed attempts', 30_000);
    for (const caseNo of caseNos) {
      const c = (await sys.getCase('liwan', caseNo))!;
      expect(c.state).toBe('submitted');
      expect(c.crossings[0].delivery).not.toBe('dead_lettered');
    }

    await sys.districts.nanhai.gateway.start();
    for (const caseNo of caseNos) {
      await sys.waitForState('liwan', caseNo, 'registered', 30_000);
      await sys.waitForState('nanhai', caseNo, 'registered', 30_000);
    }
    const records = await sys.simRecords('nanhai');
    for (const caseNo of caseNos) expect(records.filter((r) => r.externalRef === caseNo)).toHaveLength(1);
    await assertAuditIntact(sys);
  });

  it('when the origin is down while the handling side moves a case through four states, then after it returns it applies them in order', async () => {
    const r = await postJson(`${sys.districts.liwan.httpUrl}/api/v1/cases`, applicationFor('nanhai'));
    const caseNo = r.body.caseNo as string;
    const handled = await sys.waitForState('nanhai', caseNo, 'registered');
    await sys.waitForState('liwan', caseNo, 'registered');

    await sys.districts.liwan.gateway.stop();
    for (const action of ['accept', 'request_supplement', 'accept', 'approve']) await sys.advance('nanhai', handled.handlingLocalNo, action);
    await sys.waitForState('nanhai', caseNo, 'approved');
    await sys.districts.liwan.gateway.start();

    const atOrigin = await sys.waitForState('liwan', caseNo, 'approved', 30_000);
    const states = atOrigin.events.filter((e: any) => e.kind === 'status').map((e: any) => e.state);
    expect(states).toEqual(['registered', 'accepted', 'supplement_requested', 'accepted', 'approved']);
    const statusSeqs = atOrigin.crossings.filter((c: any) => c.direction === 'in').map((c: any) => c.seq);
    expect(new Set(statusSeqs).size).toBe(statusSeqs.length);

    await eventually(async () => {
      const h = await sys.getCase('nanhai', caseNo);
      return h?.crossings.every((c: any) => c.delivery === 'receipted' || c.delivery === 'received');
    }, 'all receipted at nanhai');
    for (const check of await checkArchive(sys.districts.liwan.redisUrl, 'kc', caseNo)) {
      expect(check).toMatchObject({ envelopeValid: true, receiptValid: true, receiptMatches: true });
    }
    await assertAuditIntact(sys);
  });

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
