/**
 * Fault: kill -9 of either gateway in the middle of a run of forwards, then restart. Clients retry
 * a failed request with the same Idempotency-Key, as a window client or partner should.
 * Invariants: every application accepted (201) ends up as exactly one case on both sides; no
 * approval system record is created twice; every stored envelope and receipt verifies.
 * (kill9-random.test.ts does the same at seeded random points; the helpers are shared.)
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { applicationFor } from '../helpers/applications.js';
import { expectReplaysSameCase, forwardThroughKills, type Kill, type PlannedForward } from '../helpers/fault-forwards.js';
import { CaseLedger, expectNothingLostOrDoubled } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;
const ledger = new CaseLedger();

beforeAll(async () => {
  sys = await startSystem();
}, 90_000);

afterAll(async () => {
  await sys?.cleanup();
});

describe('kill -9 during forwards', () => {
  it('when each gateway is killed mid-run and restarted, then no case is lost, none duplicated, every receipt valid', async () => {
    const run = `run${Date.now()}`;
    const plan: PlannedForward[] = [];
    for (let i = 0; i < 40; i++) {
      const origin: District = i % 2 === 0 ? 'liwan' : 'nanhai';
      plan.push({ origin, key: `${run}-${i}`, body: applicationFor(otherDistrict(origin)) });
    }
    // Fixed points in the run where a gateway dies: the handling side, then the origin side.
    const kills = new Map<number, Kill>([
      [10, { victim: 'nanhai', downMs: 300 }],
      [25, { victim: 'liwan', downMs: 300 }],
    ]);

    const cases = await forwardThroughKills(sys, plan, kills, ledger);

    // One case per application, whatever the retries.
    await expectReplaysSameCase(sys, plan.slice(0, 4), cases.slice(0, 4));
    await expectNothingLostOrDoubled(sys, ledger, { state: 'registered' });
  }, 240_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
