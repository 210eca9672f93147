/**
 * Forwards as a well-behaved client makes them while a fault is going on: each application is sent
 * with its own Idempotency-Key and sent again, with the same key, until the origin answers 201.
 * A run of forwards can have gateways killed (-9) at chosen points and restarted after a while.
 */
import { expect } from 'vitest';
import type { District } from '../../gateway/domain/district.js';
import { postJson } from './applications.js';
import { eventually } from './gateways.js';
import type { CaseLedger, KnownCase } from './fault-invariants.js';
import type { SystemUnderTest } from './system.js';

/** Long runs and long outages only with KC_LONG_FAULTS=1; CI runs the short variants. */
export const LONG_FAULTS = process.env['KC_LONG_FAULTS'] === '1';

/** KC_FAULT_SEED when given (one seed, to repeat a run), else the fixed CI seeds. */
export function faultSeeds(ciSeeds: readonly number[]): number[] {
  const given = process.env['KC_FAULT_SEED'];
  if (given === undefined || given === '') return [...ciSeeds];
  const seed = Number(given);
  if (!Number.isSafeInteger(seed)) throw new Error(`KC_FAULT_SEED must be an integer, not ${given}`);
  return [seed];
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PlannedForward {
  origin: District;
  key: string;
  body: unknown;
}

/** Sends `body` to the origin until it answers 201, always with the same key; the case number. */
export async function forwardUntilAccepted(sys: SystemUnderTest, { origin, key, body }: PlannedForward, timeoutMs = 90_000): Promise<string> {
  return eventually(async () => {
    const r = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases`, body, { 'Idempotency-Key': key });
    return r.status === 201 ? (r.body.caseNo as string) : undefined;
  }, `forward ${key}`, timeoutMs);
}

export interface Kill {
  victim: District;
  /** Which of the district's processes dies (default its gateway). */
  process?: 'gateway' | 'redis';
  /** How long it stays dead before it is started again. */
  downMs: number;
}

/**
 * Starts the forwards one after another, `gapMs` apart, without waiting for their answers. Before
 * forward i, the process `kills.get(i)` names is killed (-9) and started again `downMs` later (a
 * Redis from its AOF, in the same folder and on the same port); a victim
 * still coming back from its last kill is killed as soon as it is up (the forwards go on
 * meanwhile). Resolves when every forward is accepted and every gateway is up again; each accepted
 * case joins `ledger`, and the cases come back in plan order.
 */
export async function forwardThroughKills(
  sys: SystemUnderTest,
  plan: readonly PlannedForward[],
  kills: ReadonlyMap<number, Kill>,
  ledger: CaseLedger,
  gapMs = 20,
): Promise<KnownCase[]> {
  const lifeOf = new Map<string, Promise<void>>();
  const accepted: Promise<KnownCase>[] = [];
  for (let i = 0; i < plan.length; i++) {
    const kill = kills.get(i);
    if (kill) {
      const which = kill.process ?? 'gateway';
      const victim = sys.districts[kill.victim][which];
      if (!victim) throw new Error(`no ${which} of ${kill.victim} to kill`);
      const name = `${kill.victim}/${which}`;
      const previous = lifeOf.get(name) ?? Promise.resolve();
      lifeOf.set(
        name,
        previous.then(async () => {
          await victim.kill9();
          await sleep(kill.downMs);
          await victim.start();
        }),
      );
    }
    const forward = plan[i]!;
    accepted.push(forwardUntilAccepted(sys, forward).then((caseNo) => ledger.add(forward.origin, caseNo)));
    await sleep(gapMs);
  }
  await Promise.all(lifeOf.values());
  return Promise.all(accepted);
}

/** A retry of an acknowledged forward, long after, still names the same case. */
export async function expectReplaysSameCase(sys: SystemUnderTest, plan: readonly PlannedForward[], cases: readonly KnownCase[]): Promise<void> {
  for (let i = 0; i < plan.length; i++) expect(await forwardUntilAccepted(sys, plan[i]!), plan[i]!.key).toBe(cases[i]!.caseNo);
}
