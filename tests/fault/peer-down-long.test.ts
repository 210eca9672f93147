/**
 * Fault: the peer gateway (Nanhai) is down for a long period (~15 s in CI with a fast back-off;
 * 3 minutes with KC_LONG_FAULTS=1) while Liwan takes in many cases for it and moves the cases Liwan
 * handles through four status changes each.
 *
 * Invariants:
 * - intake goes on: every application is acknowledged and queued; the outbox grows;
 * - the back-off holds: an envelope's failed attempts never come faster than the dispatcher's
 *   schedule allows (gateway/outbox/dispatcher.ts, gateway/workers/backoff.ts: at least half of
 *   min(max, base·2ⁿ) after the n-th failure), and keep coming (more of them than
 *   KC_OUTBOX_MAX_ATTEMPTS) — an unreachable peer never uses attempts up;
 * - nothing is dead-lettered, during or after;
 * - when Nanhai is back, everything is delivered and applied once, and each case's status envelopes
 *   are applied in sequence order (the states in the order they happened, their sequence numbers
 *   rising); every receipt valid; deadlines unchanged; audit chain intact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, postJson } from '../helpers/applications.js';
import { faultApplication } from '../helpers/fault-applications.js';
import { mostAttemptsWithin } from '../helpers/fault-backoff.js';
import { expectDeadlinesUnchanged, runningClockCases, snapshotDeadlines, type DeadlineSnapshot } from '../helpers/fault-deadlines.js';
import { LONG_FAULTS, sleep } from '../helpers/fault-forwards.js';
import { CaseLedger, expectNothingLostOrDoubled, forEachLimited, type KnownCase } from '../helpers/fault-invariants.js';
import { itKeepsPersonalDataOutOfLogs } from '../helpers/fault-privacy.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

const DOWN_MS = LONG_FAULTS ? 180_000 : 15_000;
const APPLICATIONS = LONG_FAULTS ? 300 : 30;
const STATUS_CASES = LONG_FAULTS ? 20 : 4;
const SCHEDULE = LONG_FAULTS ? { baseMs: 500, maxMs: 30_000 } : { baseMs: 100, maxMs: 2_000 };
const MAX_ATTEMPTS = 3;
const STEPS = ['accept', 'request_supplement', 'accept', 'approve'] as const;

let sys: SystemUnderTest;
const ledger = new CaseLedger();
let deadlines: DeadlineSnapshot;

beforeAll(async () => {
  sys = await startSystem({
    KC_OUTBOX_BASE_DELAY_MS: String(SCHEDULE.baseMs),
    KC_OUTBOX_MAX_DELAY_MS: String(SCHEDULE.maxMs),
    // Few attempts: a dead letter would show at once if unreachability counted against them.
    KC_OUTBOX_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  });
  deadlines = await snapshotDeadlines(sys, await runningClockCases(sys, ledger, 1));
}, 120_000);

afterAll(async () => {
  await sys?.cleanup();
});

const diagnostics = async () => (await getJson(`${sys.districts.liwan.httpUrl}/api/v1/diagnostics`)).body;

describe('peer gateway down for a long period', () => {
  it(`when Nanhai is down for ${DOWN_MS / 1000} s while Liwan takes in ${APPLICATIONS} cases and moves ${STATUS_CASES} through four states, then the queue grows, back-off holds, nothing dead-letters and all arrive in order after`, async () => {
    // Cases Liwan handles, registered on both sides before the outage.
    const handledByLiwan: (KnownCase & { localNo: string })[] = [];
    for (let i = 0; i < STATUS_CASES; i++) {
      const r = await postJson(`${sys.districts.nanhai.httpUrl}/api/v1/cases`, faultApplication('liwan', i));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      handledByLiwan.push({ ...ledger.add('nanhai', r.body.caseNo as string), localNo: '' });
    }
    for (const c of handledByLiwan) {
      c.localNo = (await sys.waitForState('liwan', c.caseNo, 'registered', 60_000)).handlingLocalNo as string;
      await sys.waitForState('nanhai', c.caseNo, 'registered', 60_000);
    }
    const queuedBefore = (await diagnostics()).queues.outbox as number;

    await sys.districts.nanhai.gateway.stop();
    const downAt = Date.now();
    // Spread over the outage: applications for Nanhai, and status changes of Liwan's cases.
    const taken: KnownCase[] = [];
    const work: (() => Promise<void>)[] = [
      ...Array.from({ length: APPLICATIONS }, (_, i) => async () => {
        const r = await postJson(`${sys.districts.liwan.httpUrl}/api/v1/cases`, faultApplication('nanhai', i));
        expect(r.status, JSON.stringify(r.body)).toBe(201);
        taken.push(ledger.add('liwan', r.body.caseNo as string));
      }),
      ...STEPS.flatMap((step) => handledByLiwan.map((c) => () => sys.advance('liwan', c.localNo, step))),
    ];
    // Status steps stay in order per case: they are queued after the applications, step by step.
    const gapMs = Math.floor((DOWN_MS * 0.6) / work.length);
    for (const job of work) {
      await job();
      await sleep(gapMs);
    }
    for (const c of handledByLiwan) await sys.waitForState('liwan', c.caseNo, 'approved', 30_000);
    const remaining = DOWN_MS - (Date.now() - downAt);
    if (remaining > 0) await sleep(remaining);

    // The queue grew by at least every application and status change, and nothing is dead.
    const during = await diagnostics();
    expect(during.queues.outbox).toBeGreaterThanOrEqual(queuedBefore + APPLICATIONS + STATUS_CASES * STEPS.length);
    expect(during.queues.dead).toBe(0);
    // Back-off: never faster than the schedule, and still retrying past KC_OUTBOX_MAX_ATTEMPTS.
    let mostAttempts = 0;
    await forEachLimited([...taken, ...handledByLiwan], 8, async ({ caseNo }) => {
      const c = (await sys.getCase('liwan', caseNo))!;
      for (const x of c.crossings.filter((x: any) => x.direction === 'out' && x.delivery !== 'receipted')) {
        expect(x.delivery, `${caseNo} ${x.type}`).not.toBe('dead_lettered');
        if (!x.lastAttemptAt) continue;
        const span = Date.parse(x.lastAttemptAt) - Date.parse(x.createdAt);
        expect(x.attempts, `${caseNo} ${x.type} ${x.seq}: ${x.attempts} attempts in ${span} ms`).toBeLessThanOrEqual(mostAttemptsWithin(span, SCHEDULE));
        expect(x.lastError).toBe('PEER_UNAVAILABLE');
        mostAttempts = Math.max(mostAttempts, x.attempts as number);
      }
    });
    expect(mostAttempts, 'attempts of the oldest envelopes').toBeGreaterThan(MAX_ATTEMPTS);

    await sys.districts.nanhai.gateway.start();

    for (const c of handledByLiwan) {
      const atOrigin = await sys.waitForState('nanhai', c.caseNo, 'approved', 60_000);
      const statuses = atOrigin.events.filter((e: any) => e.kind === 'status');
      expect(statuses.map((e: any) => e.state), c.caseNo).toEqual(['registered', 'accepted', 'supplement_requested', 'accepted', 'approved']);
      const seqOf = new Map<string, number>(atOrigin.crossings.filter((x: any) => x.direction === 'in').map((x: any) => [x.id, x.seq]));
      const seqs = statuses.map((e: any) => seqOf.get(e.messageId));
      expect(seqs.every((s: number | undefined, i: number) => s !== undefined && (i === 0 || s > seqs[i - 1]!)), `${c.caseNo} applied in sequence order: ${seqs.join(',')}`).toBe(true);
    }
    await expectNothingLostOrDoubled(sys, ledger, { cases: [...taken, ...handledByLiwan], timeoutMs: 120_000 });
    await expectDeadlinesUnchanged(sys, deadlines);
    expect((await diagnostics()).queues).toMatchObject({ dead: 0 });
  }, LONG_FAULTS ? 900_000 : 240_000);

  itKeepsPersonalDataOutOfLogs(() => sys.gatewayLogs());
});
