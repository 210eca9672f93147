/**
 * Fault: the two gateways' clocks disagree. Liwan's gateway runs behind by a test-only preload
 * (tests/helpers/skewed-clock.ts, KC_TEST_CLOCK_OFFSET_MS) — no production setting. Both accept
 * KC_CLOCK_SKEW_SECONDS=30.
 * (Behind rather than ahead: a gateway more than 5 minutes behind would also refuse the freshly
 * made development certificates as not yet valid, which is another scenario; and a clock corrected
 * backwards would leave the retries it scheduled in its future.)
 *
 * Invariants:
 * - within the window (10 s): forwards both ways and status changes work as without skew;
 * - beyond it (60 s): envelopes both ways are refused — ISSUED_AT_STALE where Liwan sends,
 *   ISSUED_AT_FUTURE where it receives — and stay queued. A skew refusal is retried with back-off
 *   and counts against KC_OUTBOX_MAX_ATTEMPTS like other refusals (it is not among the permanent
 *   ones in gateway/outbox/dispatcher.ts), so nothing is dead-lettered before the schedule's span
 *   of all attempts (checked below for the schedule used);
 * - once Liwan runs on the right time again (restarted without the skew), everything queued is
 *   delivered: nothing lost or doubled, every receipt valid, no dead letters, deadlines unchanged,
 *   audit chain intact, no personal data in the logs.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../gateway/domain/district.js';
import { getJson } from '../helpers/applications.js';
import { shortestSpan } from '../helpers/fault-backoff.js';
import { expectDeadlinesUnchanged, runningClockCases, snapshotDeadlines, type DeadlineSnapshot } from '../helpers/fault-deadlines.js';
import { sleep } from '../helpers/fault-forwards.js';
import { CaseLedger, DISTRICT_PAIR, expectNothingLostOrDoubled, type KnownCase, takeIn as takeCaseIn } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { eventually } from '../helpers/gateways.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

const WINDOW_S = 30;
const SCHEDULE = { baseMs: 250, maxMs: 5_000 };
const MAX_ATTEMPTS = 12;
const HOLD_MS = 6_000;
const SKEWED_CLOCK = fileURLToPath(new URL('../helpers/skewed-clock.ts', import.meta.url));

let sys: SystemUnderTest;
const ledger = new CaseLedger();
let deadlines: DeadlineSnapshot;

beforeAll(async () => {
  sys = await startSystem(
    {
      KC_CLOCK_SKEW_SECONDS: String(WINDOW_S),
      KC_OUTBOX_BASE_DELAY_MS: String(SCHEDULE.baseMs),
      KC_OUTBOX_MAX_DELAY_MS: String(SCHEDULE.maxMs),
      KC_OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    },
    { gatewayNodeArgs: { liwan: ['--import', SKEWED_CLOCK] }, gatewayEnv: { liwan: { KC_TEST_CLOCK_OFFSET_MS: '-10000' } } },
  );
  deadlines = await snapshotDeadlines(sys, await runningClockCases(sys, ledger, 1));
}, 120_000);

afterAll(async () => {
  await sys?.cleanup();
});

const takeIn = (origin: District, i: number): Promise<KnownCase> => takeCaseIn(sys, ledger, origin, i);

async function restartLiwan(offsetMs: number): Promise<void> {
  await sys.districts.liwan.gateway.stop();
  await sys.districts.liwan.gateway.start({ env: { KC_TEST_CLOCK_OFFSET_MS: String(offsetMs) } });
}

/** The oldest outgoing envelope of a case at `d` that has no receipt yet. */
async function waiting(d: District, caseNo: string): Promise<Record<string, any> | undefined> {
  return (await sys.getCase(d, caseNo))?.crossings.find((x: any) => x.direction === 'out' && x.delivery !== 'receipted');
}

describe('clock skew between the gateways', () => {
  let handledByNanhai: KnownCase;

  it(`when Liwan’s clock runs 10 s behind, within the ${WINDOW_S} s allowed, then forwards both ways and status changes go through`, async () => {
    const cases = [await takeIn('liwan', 0), await takeIn('nanhai', 0)];
    await expectNothingLostOrDoubled(sys, ledger, { cases, state: 'registered' });
    handledByNanhai = cases[0]!;
    const localNo = (await sys.getCase('nanhai', handledByNanhai.caseNo))!.handlingLocalNo as string;
    await sys.advance('nanhai', localNo, 'accept');
    await sys.waitForState('liwan', handledByNanhai.caseNo, 'accepted', 30_000);

    // The skew is real: Nanhai received Liwan's application about 10 s "before" Liwan signed it.
    const atNanhai = (await sys.getCase('nanhai', handledByNanhai.caseNo))!;
    const application = atNanhai.crossings.find((x: any) => x.direction === 'in' && x.type === 'application');
    const lead = Date.parse(application.createdAt) - Date.parse(application.issuedAt);
    expect(lead, 'Nanhai’s receipt time minus Liwan’s issued-at').toBeGreaterThan(8_000);
    expect(lead).toBeLessThan(WINDOW_S * 1000);
  }, 120_000);

  it(`when Liwan’s clock runs 60 s behind, beyond the window, then envelopes both ways are refused as stale or future, stay queued, and are delivered once its clock is right`, async () => {
    expect(shortestSpan(MAX_ATTEMPTS, SCHEDULE), 'back-off span of all attempts').toBeGreaterThan(HOLD_MS + 8_000);
    await restartLiwan(-60_000);

    const fromLiwan = await takeIn('liwan', 1);
    const fromNanhai = await takeIn('nanhai', 1);
    // A status change of a case handled by Nanhai, for Liwan.
    await sys.advance('nanhai', (await sys.getCase('nanhai', handledByNanhai.caseNo))!.handlingLocalNo, 'request_supplement');

    const refused = [
      { side: 'liwan' as const, caseNo: fromLiwan.caseNo, code: 'ISSUED_AT_STALE' },
      { side: 'nanhai' as const, caseNo: fromNanhai.caseNo, code: 'ISSUED_AT_FUTURE' },
      { side: 'nanhai' as const, caseNo: handledByNanhai.caseNo, code: 'ISSUED_AT_FUTURE' },
    ];
    for (const r of refused) {
      await eventually(async () => (await waiting(r.side, r.caseNo))?.lastError === r.code, `${r.caseNo} refused ${r.code}`, 20_000);
    }
    await sleep(HOLD_MS);
    for (const r of refused) {
      const x = (await waiting(r.side, r.caseNo))!;
      expect(x, `${r.caseNo} still queued at ${r.side}`).toMatchObject({ delivery: expect.not.stringMatching(/dead/), lastError: r.code });
      expect(x.attempts).toBeGreaterThan(1);
      expect(x.attempts).toBeLessThan(MAX_ATTEMPTS);
    }
    expect((await sys.getCase('nanhai', fromLiwan.caseNo)), 'not applied at nanhai').toBeUndefined();
    for (const d of DISTRICT_PAIR) expect((await getJson(`${sys.districts[d].httpUrl}/api/v1/diagnostics`)).body.queues.dead).toBe(0);

    await restartLiwan(0);

    await expectNothingLostOrDoubled(sys, ledger, { cases: [fromLiwan, fromNanhai], state: 'registered', timeoutMs: 60_000 });
    await sys.waitForState('liwan', handledByNanhai.caseNo, 'supplement_requested', 30_000);
    await expectNothingLostOrDoubled(sys, ledger, { cases: [handledByNanhai] });
    await expectDeadlinesUnchanged(sys, deadlines);
  }, 180_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
