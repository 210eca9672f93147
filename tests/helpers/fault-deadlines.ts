/**
 * Deadlines unchanged by a fault: cases whose clock is running (accepted by the handling approval
 * system) before the fault are read on both sides before and after it, and must show the same
 * deadline — and both sides must agree, as they work it out from the same events.
 *
 * `usedDays`, `remainingDays` and `overdue` count up to today (Beijing), so a run that crosses
 * midnight changes them without any fault; they are left out of the comparison. Everything else —
 * start day, deadline day and instant, statutory deadline, pauses, completion — must be equal.
 */
import { expect } from 'vitest';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { DISTRICT_PAIR, takeIn, type CaseLedger, type KnownCase } from './fault-invariants.js';
import type { SystemUnderTest } from './system.js';

export type DeadlineSnapshot = Map<string, Record<District, Record<string, unknown>>>;

function stable(deadline: Record<string, unknown> | null | undefined): Record<string, unknown> {
  if (!deadline) throw new Error('case has no deadline view');
  const { usedDays: _used, remainingDays: _remaining, overdue: _overdue, ...rest } = deadline;
  return rest;
}

/** Cases taken in at each side, filed and accepted by the handling system: their clocks run. */
export async function runningClockCases(sys: SystemUnderTest, ledger: CaseLedger, perDirection = 2): Promise<KnownCase[]> {
  const made: KnownCase[] = [];
  for (const origin of DISTRICT_PAIR) {
    for (let i = 0; i < perDirection; i++) {
      made.push(await takeIn(sys, ledger, origin, i));
    }
  }
  await Promise.all(
    made.map(async ({ origin, caseNo }) => {
      const handling = otherDistrict(origin);
      const registered = await sys.waitForState(handling, caseNo, 'registered', 60_000);
      await sys.advance(handling, registered.handlingLocalNo as string, 'accept');
      await sys.waitForState(handling, caseNo, 'accepted', 60_000);
      await sys.waitForState(origin, caseNo, 'accepted', 60_000);
    }),
  );
  return made;
}

/** The deadline of each case on both sides; both sides must already agree. */
export async function snapshotDeadlines(sys: SystemUnderTest, cases: readonly KnownCase[]): Promise<DeadlineSnapshot> {
  const snapshot: DeadlineSnapshot = new Map();
  for (const { caseNo } of cases) {
    const [liwan, nanhai] = await Promise.all(DISTRICT_PAIR.map(async (d) => stable((await sys.getCase(d, caseNo))?.deadline)));
    expect(liwan, `${caseNo}: both sides show the same deadline`).toEqual(nanhai);
    expect(liwan!['state'], `${caseNo}: the clock runs`).toBe('running');
    snapshot.set(caseNo, { liwan: liwan!, nanhai: nanhai! });
  }
  return snapshot;
}

export async function expectDeadlinesUnchanged(sys: SystemUnderTest, before: DeadlineSnapshot): Promise<void> {
  const cases = [...before.keys()].map((caseNo) => ({ caseNo }) as KnownCase);
  const after = await snapshotDeadlines(sys, cases);
  for (const [caseNo, sides] of before) expect(after.get(caseNo), `deadline of ${caseNo}`).toEqual(sides);
}
