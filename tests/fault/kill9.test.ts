/**
 * Fault: kill -9 of either gateway in the middle of a run of forwards, then restart. Clients retry
 * a failed request with the same Idempotency-Key, as a window client or partner should.
 * Invariants: every application accepted (201) ends up as exactly one case on both sides; no
 * approval system record is created twice; every stored envelope and receipt verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { applicationFor, postJson } from '../helpers/applications.js';
import { checkArchive } from '../helpers/archive.js';
import { eventually } from '../helpers/gateways.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;

beforeAll(async () => {
  sys = await startSystem();
}, 90_000);

afterAll(async () => {
  await sys?.cleanup();
});

/** Forwards with retries on the same idempotency key until the gateway answers. */
async function forward(origin: District, key: string): Promise<string> {
  return eventually(async () => {
    const r = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases`, applicationFor(otherDistrict(origin)), { 'Idempotency-Key': key });
    return r.status === 201 ? (r.body.caseNo as string) : undefined;
  }, `forward ${key}`, 60_000);
}

describe('kill -9 during forwards', () => {
  it('when each gateway is killed mid-run and restarted, then no case is lost, none duplicated, every receipt valid', async () => {
    const run = `run${Date.now()}`;
    const plan: { origin: District; key: string }[] = [];
    for (let i = 0; i < 40; i++) plan.push({ origin: i % 2 === 0 ? 'liwan' : 'nanhai', key: `${run}-${i}` });
    // Fixed points in the run where a gateway dies: the handling side, then the origin side.
    const kills = new Map<number, District>([
      [10, 'nanhai'],
      [25, 'liwan'],
    ]);

    const accepted: { origin: District; caseNo: string; key: string }[] = [];
    const restarts: Promise<void>[] = [];
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < plan.length; i++) {
      const victim = kills.get(i);
      if (victim) {
        await sys.districts[victim].gateway.kill9();
        restarts.push(new Promise((r) => setTimeout(r, 300)).then(() => sys.districts[victim].gateway.start()));
      }
      const { origin, key } = plan[i]!;
      inFlight.push(forward(origin, key).then((caseNo) => void accepted.push({ origin, caseNo, key })));
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(restarts);
    await Promise.all(inFlight);

    // One case per application, whatever the retries.
    expect(accepted).toHaveLength(plan.length);
    expect(new Set(accepted.map((a) => a.caseNo)).size).toBe(plan.length);
    for (const again of accepted.slice(0, 4)) expect(await forward(again.origin, again.key)).toBe(again.caseNo);

    for (const { origin, caseNo } of accepted) {
      const handling = otherDistrict(origin);
      await sys.waitForState(origin, caseNo, 'registered', 60_000);
      await sys.waitForState(handling, caseNo, 'registered', 60_000);
    }
    for (const d of ['liwan', 'nanhai'] as const) {
      const records = await sys.simRecords(d);
      const mine = accepted.filter((a) => otherDistrict(a.origin) === d);
      for (const { caseNo } of mine) expect(records.filter((r) => r.externalRef === caseNo)).toHaveLength(1);
    }
    for (const { origin, caseNo } of accepted) {
      await eventually(async () => {
        const h = await sys.getCase(otherDistrict(origin), caseNo);
        return h?.crossings.every((c: any) => c.delivery === 'receipted' || c.delivery === 'received');
      }, `${caseNo} all receipted`, 30_000);
      for (const d of ['liwan', 'nanhai'] as const) {
        for (const check of await checkArchive(sys.districts[d].redisUrl, 'kc', caseNo)) {
          expect(check).toMatchObject({ envelopeValid: true, receiptValid: true, receiptMatches: true });
        }
      }
    }
  }, 240_000);
});
