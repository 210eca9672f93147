/**
 * Fault: a district's Redis dies under load and comes back from its AOF, and a district's Redis is
 * away for a while (~8 s in CI, 60 s with KC_LONG_FAULTS=1).
 *
 * Redis runs as scripts/local-system.ts starts it (and as production should): `--appendonly yes
 * --appendfsync everysec`. With everysec, Redis write(2)s each command to the AOF before it
 * answers, and fsyncs once a second; a SIGKILL of the redis-server process therefore loses nothing
 * it answered (the kernel still holds the written pages), while a crash of the whole machine could
 * lose up to the last second — which this test does not simulate and does not claim.
 *
 * Invariants:
 * - killed and restarted under load: every application acknowledged (201) is there afterwards,
 *   once, on both sides, filed once with the handling approval system; envelopes and receipts
 *   verify; no dead letters; deadlines of running cases unchanged; audit chain intact.
 * - away for a while: every intake and read at that gateway answered while its Redis is away is a
 *   503 STORE_UNAVAILABLE (never a 500; none takes longer than 30 s — each waits while the Redis
 *   client retries, several seconds); the peer's envelopes to it fail and are kept for retry, not
 *   lost: a refusal STORE_UNAVAILABLE is retried without limit like an unreachable peer
 *   (gateway/outbox/dispatcher.ts), never dead-lettered. Afterwards everything taken in before and
 *   every status change made meanwhile arrives, and deadlines are unchanged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { getJson, postJson } from '../helpers/applications.js';
import { faultApplication } from '../helpers/fault-applications.js';
import { shortestSpan } from '../helpers/fault-backoff.js';
import { expectDeadlinesUnchanged, runningClockCases, snapshotDeadlines, type DeadlineSnapshot } from '../helpers/fault-deadlines.js';
import { expectReplaysSameCase, forwardThroughKills, LONG_FAULTS, sleep, type Kill, type PlannedForward } from '../helpers/fault-forwards.js';
import { CaseLedger, expectNothingLostOrDoubled, forEachLimited, type KnownCase, takeIn as takeCaseIn } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { prng } from '../helpers/prng.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

const OUTAGE_MS = LONG_FAULTS ? 60_000 : 8_000;
// Production's schedule for the long outage; a faster one in CI that still outlasts its outage.
const SCHEDULE = LONG_FAULTS ? { baseMs: 500, maxMs: 60_000 } : { baseMs: 50, maxMs: 4_000 };
// Few attempts on purpose: an outage far longer than two attempts' back-off must still dead-letter
// nothing, because the peer's STORE_UNAVAILABLE is not counted against them.
const MAX_ATTEMPTS = 2;

let sys: SystemUnderTest;
const ledger = new CaseLedger();
let deadlines: DeadlineSnapshot;

beforeAll(async () => {
  sys = await startSystem({
    KC_OUTBOX_BASE_DELAY_MS: String(SCHEDULE.baseMs),
    KC_OUTBOX_MAX_DELAY_MS: String(SCHEDULE.maxMs),
    KC_OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  });
  deadlines = await snapshotDeadlines(sys, await runningClockCases(sys, ledger, 1));
}, 120_000);

afterAll(async () => {
  await sys?.cleanup();
});

const takeIn = (origin: District, i: number): Promise<KnownCase> => takeCaseIn(sys, ledger, origin, i);

describe('Redis killed and restarted, Redis away', () => {
  it('when each district’s Redis is killed -9 while forwards are in flight and restarted from its AOF, then no acknowledged case is lost or doubled', async () => {
    const forwards = LONG_FAULTS ? 400 : 60;
    const random = prng(7_050_301);
    const plan: PlannedForward[] = Array.from({ length: forwards }, (_, i) => {
      const origin: District = random() < 0.5 ? 'liwan' : 'nanhai';
      return { origin, key: `redis-restart-${process.pid}-${i}`, body: faultApplication(otherDistrict(origin), i) };
    });
    const kills = new Map<number, Kill>([
      [Math.floor(forwards / 3), { victim: 'liwan', process: 'redis', downMs: 1_000 }],
      [Math.floor((2 * forwards) / 3), { victim: 'nanhai', process: 'redis', downMs: 1_000 }],
    ]);

    const cases = await forwardThroughKills(sys, plan, kills, ledger, 30);

    await expectReplaysSameCase(sys, plan.slice(0, 3), cases.slice(0, 3));
    await expectNothingLostOrDoubled(sys, ledger, { cases, state: 'registered' });
    await expectDeadlinesUnchanged(sys, deadlines);
  }, 240_000);

  it(`when Liwan’s Redis is away for ${OUTAGE_MS / 1000} s, then its intake answers 503 STORE_UNAVAILABLE throughout and afterwards everything taken in and every status change made meanwhile arrives`, async () => {
    // Two attempts span far less than the outage: only not counting STORE_UNAVAILABLE keeps them alive.
    expect(shortestSpan(MAX_ATTEMPTS, SCHEDULE), 'back-off span of all attempts').toBeLessThan(OUTAGE_MS);

    // Cases the other side will move on while Liwan's store is away, and cases just taken in.
    const toAdvance = await Promise.all([0, 1, 2, 3].map((i) => takeIn('liwan', i)));
    const handled = await Promise.all(toAdvance.map(async (c) => (await sys.waitForState('nanhai', c.caseNo, 'registered', 60_000)).handlingLocalNo as string));
    await Promise.all(toAdvance.map((c) => sys.waitForState('liwan', c.caseNo, 'registered', 60_000)));
    const justTakenIn = await Promise.all([4, 5, 6].map((i) => takeIn('liwan', i)));

    const liwan = sys.districts.liwan;
    await liwan.redis!.kill9();
    const started = Date.now();
    for (const localNo of handled) await sys.advance('nanhai', localNo, 'accept');

    // Asked every half second while it is away, without waiting for answers (each one takes a
    // while: the gateway's Redis client retries before it gives up). Every answer that comes
    // while the store is away is a 503; requests still waiting when it returns may succeed.
    let back = false;
    const asked: Promise<{ what: string; answeredWhileAway: boolean; ms: number; caseNo?: string }>[] = [];
    for (let i = 0; Date.now() - started < OUTAGE_MS; i++) {
      const at = Date.now();
      const answered = (what: string, caseNo?: string) => ({ what, answeredWhileAway: !back, ms: Date.now() - at, caseNo });
      asked.push(
        postJson(`${liwan.httpUrl}/api/v1/cases`, faultApplication('nanhai', i), { 'Idempotency-Key': `redis-away-${process.pid}-${i}` }).then((r) =>
          answered(`intake ${r.status} ${r.body.error?.code ?? ''}`, r.status === 201 ? (r.body.caseNo as string) : undefined),
        ),
        getJson(`${liwan.httpUrl}/api/v1/cases/${justTakenIn[0]!.caseNo}`).then((r) => answered(`read ${r.status} ${r.body.error?.code ?? ''}`)),
      );
      await sleep(500);
    }
    // Meanwhile Nanhai's status envelopes to the store-less Liwan fail and are kept for retry: refused
    // STORE_UNAVAILABLE, or timed out (PEER_UNAVAILABLE) when Liwan's Redis client takes longer to
    // give up than KC_PEER_TIMEOUT_MS.
    const waiting = (await sys.getCase('nanhai', toAdvance[0]!.caseNo))!.crossings.find((x: any) => x.direction === 'out' && x.type === 'status' && x.delivery !== 'receipted');
    expect(waiting, 'a status envelope waiting at nanhai').toBeDefined();
    expect(['STORE_UNAVAILABLE', 'PEER_UNAVAILABLE']).toContain(waiting.lastError);
    expect(waiting.delivery).not.toBe('dead_lettered');

    await liwan.redis!.start();
    back = true;

    const answers = await Promise.all(asked);
    const whileAway = answers.filter((a) => a.answeredWhileAway);
    console.log(`[redis-restart] ${answers.length} requests while Redis was away; slowest answer ${Math.max(...answers.map((a) => a.ms))} ms`);
    expect(whileAway.length, 'answers while Redis was away').toBeGreaterThanOrEqual(2);
    expect(new Set(whileAway.map((a) => a.what.replace(/^\w+ /, '')))).toEqual(new Set(['503 STORE_UNAVAILABLE']));
    expect(Math.max(...answers.map((a) => a.ms)), 'no request hangs').toBeLessThan(30_000);
    // An intake that waited through the outage and was carried out once Redis was back is a case like any other.
    for (const a of answers) if (a.caseNo) ledger.add('liwan', a.caseNo);

    await forEachLimited(toAdvance, 4, async (c) => void (await sys.waitForState('liwan', c.caseNo, 'accepted', 60_000)));
    await expectNothingLostOrDoubled(sys, ledger, { cases: [...toAdvance, ...justTakenIn] });
    await expectDeadlinesUnchanged(sys, deadlines);
  }, LONG_FAULTS ? 600_000 : 180_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
