/**
 * Fault: a process running the deadline watcher is killed with SIGKILL just as a card falls due for
 * many cases at once — somewhere in the middle of claiming, issuing and rescheduling — and a new
 * process starts a minute later (past any lease). Invariant: every case ends with exactly one card
 * of each kind, however the kill fell. Real processes, a real Redis with AOF.
 *
 * (The same test against a whole gateway process needs the watcher wired into gateway/gateway.ts;
 * this one runs the watcher loop alone, as the gateway will.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../gateway/clock.js';
import { listCards } from '../../../gateway/supervision/cards.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { watchCase } from '../../../gateway/supervision/watch.js';
import { eventually } from '../../helpers/gateways.js';
import { spawnTs, type TsProcess } from '../../helpers/process.js';
import { startRedis, type RedisHandle } from '../../helpers/redis.js';
import { at, createTestContext, dropPrefix, receiveCase, reportStatus, type TestContext } from './harness.js';

const ACCEPTED = at('2026-03-02T10:00');
const YELLOW_AT = at('2026-03-06T00:00');
const CASES = 240;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RedisHandle;
let t: TestContext;
const children: TsProcess[] = [];

beforeAll(async () => {
  server = await startRedis();
  t = await createTestContext({ url: server.url, name: 'watcher-kill9', clock: new ManualClock(ACCEPTED) });
}, 60_000);

afterAll(async () => {
  for (const c of children) await c.kill9();
  if (t) {
    await dropPrefix(t.redis, t.prefix);
    await t.close();
  }
  await server?.stop();
});

function startWatcher(name: string, virtualStart: number): Promise<TsProcess> {
  return spawnTs('tests/integration/supervision/fixtures/watcher-process.ts', {
    name,
    env: { SV_REDIS_URL: server.url, SV_PREFIX: t.prefix, SV_VIRTUAL_START: String(virtualStart), SV_TICK_MS: '50' },
    readyLine: /^watcher ready/,
  }).then((p) => {
    children.push(p);
    return p;
  });
}

/** Cards of each case, from the case events (what the origin district is sent). */
async function cardsByCase(caseNos: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const caseNo of caseNos) {
    const events = await t.ctx.store.getEvents(caseNo, 0);
    out.set(caseNo, events.filter((e) => e.kind === 'card_issued').map((e) => String(e.data?.card)));
  }
  return out;
}

describe('deadline watcher killed across a due time', () => {
  it('when the watcher process is killed as yellow cards fall due and another starts later, then each case has exactly one card of each kind', async () => {
    const caseNos: string[] = [];
    for (let n = 0; n < CASES; n++) {
      const caseNo = await receiveCase(t.ctx, { atMs: ACCEPTED - 3_600_000 });
      await reportStatus(t.ctx, caseNo, 'accepted', ACCEPTED);
      await watchCase(t.ctx, caseNo);
      caseNos.push(caseNo);
    }

    // Virtual time 4 s before the deadline day ends: pre-warnings at once, yellow cards 4 s later.
    const first = await startWatcher('watcher-1', YELLOW_AT - 4_000);
    const ready = /virtualNow=(\d+) realNow=(\d+)/.exec(first.logs())!;
    const yellowInRealTime = Number(ready[2]) + (YELLOW_AT - Number(ready[1]));
    await eventually(async () => [...(await cardsByCase(caseNos)).values()].every((c) => c.length === 1), 'pre-warnings', 15_000);
    // Kill it as soon as the first yellow card is out: in the middle of the pass over the cases.
    await sleep(Math.max(0, yellowInRealTime - Date.now() - 20));
    const consoleSets = supervisionKeys(t.ctx.store.keys).shards.map((s) => s.cards);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const counts = await Promise.all(consoleSets.map((k) => t.redis.zcard(k)));
      if (counts.reduce((a, b) => a + b, 0) > CASES) break;
      await sleep(1);
    }
    await first.kill9();
    const atKill = [...(await cardsByCase(caseNos)).values()].filter((c) => c.includes('yellow')).length;

    // Back a minute later: any lease the dead process held has run out.
    const second = await startWatcher('watcher-2', YELLOW_AT + 61_000);
    await eventually(async () => [...(await cardsByCase(caseNos)).values()].every((c) => c.length === 2), 'yellow cards', 20_000);
    await sleep(300); // a few more ticks: nothing more may come
    await second.stop();

    const cards = await cardsByCase(caseNos);
    for (const caseNo of caseNos) expect(cards.get(caseNo), caseNo).toEqual(['pre_warning', 'yellow']);
    // The console lists each card once too.
    const listed: string[] = [];
    for (let page = await listCards(t.ctx, { limit: 200 }); page.length > 0; page = await listCards(t.ctx, { limit: 200, before: page.at(-1)!.id })) {
      listed.push(...page.map((c) => `${c.caseNo}|${c.card}`));
    }
    expect(listed).toHaveLength(2 * CASES);
    expect(new Set(listed).size).toBe(2 * CASES);
    const issuedLines = [first, second].flatMap((p) => p.logs().split('\n')).filter((l) => l.includes('deadline card issued'));
    // Never more issue lines than cards (the dead process's last lines may never have reached the pipe).
    expect(issuedLines.length).toBeLessThanOrEqual(2 * CASES);
    // How far the dead process got (for the log; the invariant holds wherever the kill fell).
    console.log(`killed with ${atKill}/${CASES} yellow cards issued`);
  }, 90_000);
});
