/**
 * Fault: kill -9 of either gateway at random points during a run of forwards in both directions,
 * each restarted after a random while. Clients retry a failed request with the same
 * Idempotency-Key, as a window client or partner should. The points, victims and pauses come from
 * a seeded PRNG: the seed is printed, and KC_FAULT_SEED=<n> repeats a run exactly (the timing of
 * the processes aside). CI: 120 forwards with 3–4 kills, for two fixed seeds; KC_LONG_FAULTS=1:
 * 1,000 forwards with 12 kills.
 *
 * Invariants: every application acknowledged (201) is exactly one case on both sides and one
 * record in the handling approval system, and a retry of it names the same case; no record for a
 * case number no client was given; every envelope receipted, every stored envelope and receipt
 * verifies; no dead letters; the deadlines of cases whose clocks ran through the kills unchanged
 * on both sides; the audit chain intact; no personal data in any gateway log.
 */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { faultApplication } from '../helpers/fault-applications.js';
import { expectDeadlinesUnchanged, runningClockCases, snapshotDeadlines, type DeadlineSnapshot } from '../helpers/fault-deadlines.js';
import { expectReplaysSameCase, faultSeeds, forwardThroughKills, LONG_FAULTS, type Kill, type PlannedForward } from '../helpers/fault-forwards.js';
import { CaseLedger, expectNothingLostOrDoubled } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { prng } from '../helpers/prng.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

const FORWARDS = LONG_FAULTS ? 1_000 : 120;
const SEEDS = faultSeeds([20_161_118, 4_406_050]);

let sys: SystemUnderTest;
const ledger = new CaseLedger();
let deadlines: DeadlineSnapshot;

beforeAll(async () => {
  sys = await startSystem();
  deadlines = await snapshotDeadlines(sys, await runningClockCases(sys, ledger, 1));
}, 120_000);

afterAll(async () => {
  await sys?.cleanup();
});

/** The run a seed stands for: who forwards what, and which gateway dies before which forward. */
function planFor(seed: number): { plan: PlannedForward[]; kills: Map<number, Kill> } {
  const random = prng(seed);
  const plan: PlannedForward[] = [];
  for (let i = 0; i < FORWARDS; i++) {
    const origin: District = random() < 0.5 ? 'liwan' : 'nanhai';
    plan.push({ origin, key: `kill9-random-${seed}-${process.pid}-${i}`, body: faultApplication(otherDistrict(origin), i) });
  }
  const killCount = LONG_FAULTS ? 12 : 3 + Math.floor(random() * 2);
  const kills = new Map<number, Kill>();
  while (kills.size < killCount) {
    // Not in the first or last few forwards: each kill lands among forwards in flight.
    const at = 5 + Math.floor(random() * (FORWARDS - 10));
    if (!kills.has(at)) kills.set(at, { victim: random() < 0.5 ? 'liwan' : 'nanhai', downMs: 100 + Math.floor(random() * 900) });
  }
  return { plan, kills };
}

describe('kill -9 of either gateway at seeded random points', () => {
  for (const seed of SEEDS) {
    it(`when gateways are killed at the points seed ${seed} picks during ${FORWARDS} forwards and restarted, then no case is lost or doubled, every receipt is valid and deadlines are unchanged`, async () => {
      const { plan, kills } = planFor(seed);
      const victims = [...kills].map(([at, k]) => `${k.victim}@${at}+${k.downMs}ms`).join(', ');
      console.log(`[kill9-random] seed ${seed} (repeat with KC_FAULT_SEED=${seed}): ${FORWARDS} forwards, kills ${victims}`);

      const cases = await forwardThroughKills(sys, plan, kills, ledger, LONG_FAULTS ? 10 : 20);

      await expectReplaysSameCase(sys, plan.slice(0, 3), cases.slice(0, 3));
      await expectNothingLostOrDoubled(sys, ledger, { cases, state: 'registered', timeoutMs: 120_000 });
      await expectDeadlinesUnchanged(sys, deadlines);
    }, LONG_FAULTS ? 1_800_000 : 240_000);
  }

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
