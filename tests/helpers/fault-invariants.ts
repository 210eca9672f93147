/**
 * The invariants every fault scenario checks once its fault is over (tests/fault/):
 * - no case lost: every application the origin acknowledged (201) exists on both sides and reached
 *   the handling approval system;
 * - none applied twice: one approval-system record per case (externalRef), and no record for a
 *   case number the clients were never given (which is what a doubled intake would leave);
 * - every envelope receipted, every stored envelope and receipt verifying (checkArchive);
 * - no dead letters;
 * - the audit chain intact (assertAuditIntact).
 * Deadlines have their own helper (./fault-deadlines.ts), logs theirs (./fault-privacy.ts).
 */
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { verifyAuditLog } from '../../gateway/audit/verify.js';
import { createKeys } from '../../gateway/store/keys.js';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { getJson, postJson } from './applications.js';
import { faultApplication } from './fault-applications.js';
import { checkArchive } from './archive.js';
import { eventually } from './gateways.js';
import type { SystemUnderTest } from './system.js';

export const DISTRICT_PAIR = ['liwan', 'nanhai'] as const satisfies readonly District[];

export interface KnownCase {
  origin: District;
  caseNo: string;
}

/**
 * Every case a scenario file made and was told the number of. Checks compare the approval systems'
 * records against it, so a case nobody was told about (a doubled intake) shows up.
 */
export class CaseLedger {
  readonly cases: KnownCase[] = [];
  add(origin: District, caseNo: string): KnownCase {
    const c = { origin, caseNo };
    this.cases.push(c);
    return c;
  }
  handledBy(d: District): KnownCase[] {
    return this.cases.filter((c) => otherDistrict(c.origin) === d);
  }
}

/**
 * The audit chain of both gateways verifies from its first entry to its head, every checkpoint the
 * gateway signed matches it, and the peer's checkpoints it holds only ever grew. Checkpoint
 * signatures are checked without the trust store: a scenario may have made the CRL stale on purpose.
 */
export async function assertAuditIntact(sys: SystemUnderTest): Promise<void> {
  for (const d of DISTRICT_PAIR) {
    const redis = new Redis(sys.districts[d].redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const report = await verifyAuditLog({ redis, keys: createKeys('kc').audit, district: d, peer: otherDistrict(d) });
      expect(report, `audit chain at ${d}`).toMatchObject({ ok: true, uncheckedBefore: 0 });
      expect(report.count, `audit entries at ${d}`).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
  }
}

/** Takes in the `i`-th fault application at `origin`'s window (for the other district) and records it. */
export async function takeIn(sys: SystemUnderTest, ledger: CaseLedger, origin: District, i: number): Promise<KnownCase> {
  const r = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases`, faultApplication(otherDistrict(origin), i));
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return ledger.add(origin, r.body.caseNo as string);
}

/** Runs `fn` for each item, `concurrency` at a time; rejects with the first failure. */
export async function forEachLimited<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

const settled = (c: Record<string, any> | undefined) =>
  !!c && (c.crossings as any[]).every((x) => x.delivery === 'receipted' || x.delivery === 'received');

/**
 * Waits until every case is on both sides in `state` (or, with 'any', past submission) and every
 * envelope of it, either way, is receipted.
 */
export async function expectLanded(sys: SystemUnderTest, cases: readonly KnownCase[], state = 'registered', timeoutMs = 90_000): Promise<void> {
  await forEachLimited(cases, 8, async ({ origin, caseNo }) => {
    for (const d of [origin, otherDistrict(origin)]) {
      await eventually(async () => {
        const c = await sys.getCase(d, caseNo);
        return c && (state === 'any' ? c.state !== 'submitted' : c.state === state) && settled(c);
      }, `${caseNo} ${state} and all receipted at ${d}`, timeoutMs);
    }
  });
}

/** One approval-system record per known case, and none for a case number nobody was given. */
export async function expectFiledOnce(sys: SystemUnderTest, ledger: CaseLedger): Promise<void> {
  for (const d of DISTRICT_PAIR) {
    const records = await sys.simRecords(d);
    const known = new Set(ledger.handledBy(d).map((c) => c.caseNo));
    const perRef = new Map<string, number>();
    for (const r of records) perRef.set(r.externalRef, (perRef.get(r.externalRef) ?? 0) + 1);
    const twice = [...perRef].filter(([, n]) => n > 1).map(([ref]) => ref);
    expect(twice, `cases filed twice at ${d}`).toEqual([]);
    const unknown = [...perRef.keys()].filter((ref) => !known.has(ref));
    expect(unknown, `records at ${d} for case numbers no client was given`).toEqual([]);
    const missing = [...known].filter((no) => !perRef.has(no));
    expect(missing, `cases never filed at ${d}`).toEqual([]);
  }
}

/** Every envelope and receipt of each case, stored on either side, verifies as a third party would. */
export async function expectArchivesValid(sys: SystemUnderTest, cases: readonly KnownCase[]): Promise<void> {
  await forEachLimited(cases, 4, async ({ caseNo }) => {
    for (const d of DISTRICT_PAIR) {
      const checks = await checkArchive(sys.districts[d].redisUrl, 'kc', caseNo);
      expect(checks.length, `${caseNo} has stored envelopes at ${d}`).toBeGreaterThan(0);
      for (const check of checks) expect(check, `${caseNo} at ${d}`).toMatchObject({ envelopeValid: true, receiptValid: true, receiptMatches: true });
    }
  });
}

export async function expectNoDeadLetters(sys: SystemUnderTest): Promise<void> {
  for (const d of DISTRICT_PAIR) {
    const r = await getJson(`${sys.districts[d].httpUrl}/api/v1/dead-letters`);
    expect(r.status).toBe(200);
    expect(r.body.deadLetters, `dead letters at ${d}`).toEqual([]);
  }
}

/**
 * All of the above: waits for the cases to land (`opts.cases`, default the whole ledger — a test
 * may look closely at its own cases only), then checks records against the whole ledger.
 */
export async function expectNothingLostOrDoubled(
  sys: SystemUnderTest,
  ledger: CaseLedger,
  opts: { cases?: readonly KnownCase[]; state?: string; timeoutMs?: number } = {},
): Promise<void> {
  const caseNos = ledger.cases.map((c) => c.caseNo);
  expect(new Set(caseNos).size, 'one case number per application').toBe(caseNos.length);
  const cases = opts.cases ?? ledger.cases;
  await expectLanded(sys, cases, opts.state ?? 'any', opts.timeoutMs);
  await expectFiledOnce(sys, ledger);
  await expectArchivesValid(sys, cases);
  await expectNoDeadLetters(sys);
  await assertAuditIntact(sys);
}
