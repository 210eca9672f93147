/**
 * The deadline side of the metrics against a real, private Redis with a ManualClock: open cases by
 * deadline state (read from the deadline watch on scrape, cached for a minute) and cards issued by
 * kind (counted by the watcher). KC-M-0001: promised 3 working days, the clock starts on acceptance;
 * 2 pre-warning days, 2 grace days. Looked at on Tuesday 2026-03-10 09:00 Beijing time.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/clock.js';
import { deadlineStateCounter } from '../../gateway/metrics/deadline-states.js';
import { parseRouting } from '../../gateway/supervision/routing.js';
import { createDeadlineWatcher, watchCase } from '../../gateway/supervision/watch.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { at, createTestContext, dropPrefix, receiveCase, reportStatus, type TestContext } from './supervision/harness.js';

const NOW = at('2026-03-10T09:00');

const routing = parseRouting(
  `
version: 1
district: nanhai
default:
  officer: { staffId: NH-DEF-01 }
  sectionHead: { staffId: NH-DEF-02 }
  unitLeader: { staffId: NH-DEF-03 }
`,
  'routing.yaml',
  { district: 'nanhai' },
).routing;

let server: RedisHandle;
const opened: TestContext[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterEach(async () => {
  for (const t of opened.splice(0)) {
    await dropPrefix(t.redis, t.prefix);
    await t.close();
  }
});

afterAll(async () => {
  await server?.stop();
});

async function context(): Promise<TestContext> {
  const t = await createTestContext({ url: server.url, clock: new ManualClock(NOW), name: 'ops-deadlines' });
  opened.push(t);
  return t;
}

/** A case handled here, accepted at `acceptedAt` (or never), on the watch. */
async function watchedCase(t: TestContext, acceptedAt?: number): Promise<string> {
  const caseNo = await receiveCase(t.ctx, { atMs: (acceptedAt ?? NOW) - 3_600_000 });
  if (acceptedAt !== undefined) await reportStatus(t.ctx, caseNo, 'accepted', acceptedAt);
  await watchCase(t.ctx, caseNo);
  return caseNo;
}

async function series(t: TestContext, name: string): Promise<Record<string, number>> {
  const metric = (await t.ctx.metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.state ?? v.labels.kind), v.value]));
}

describe('cases by deadline state', () => {
  it('when open cases stand at every point of their deadline, then the gauge counts each state', async () => {
    const t = await context();
    t.ctx.metrics.observe(t.ctx);
    await watchedCase(t); // not accepted yet: no clock
    await watchedCase(t, at('2026-03-10T08:00')); // deadline 03-13: 3 days left
    await watchedCase(t, at('2026-03-09T10:00')); // deadline 03-12: 2 days left, the pre-warning day
    await watchedCase(t, at('2026-03-02T10:00')); // deadline 03-05: overdue
    const decided = await watchedCase(t, at('2026-03-02T10:00'));
    await reportStatus(t.ctx, decided, 'approved', at('2026-03-04T10:00'));

    expect(await series(t, 'kc_cases_by_deadline')).toEqual({ not_started: 1, paused: 0, green: 1, yellow: 1, red: 1 });
  });

  it('when cases change within the minute, then the counts are served from the cache until it runs out', async () => {
    const t = await context();
    const cached = deadlineStateCounter(t.ctx);
    const fresh = deadlineStateCounter(t.ctx, 0);
    await watchedCase(t, at('2026-03-10T08:00'));
    expect((await cached()).green).toBe(1);
    await watchedCase(t, at('2026-03-10T08:30'));
    expect((await cached()).green).toBe(1);
    expect((await fresh()).green).toBe(2);
  });
});

describe('cards issued', () => {
  it('when the watcher issues a pre-warning, a yellow and a red card, then each kind is counted once, however often it ticks', async () => {
    const t = await context();
    await watchedCase(t, at('2026-03-09T10:00')); // pre-warning due
    await watchedCase(t, at('2026-03-02T10:00')); // yellow and red due
    await watchedCase(t, at('2026-03-10T08:00')); // nothing due
    const watcher = createDeadlineWatcher(t.ctx, { routing });
    await watcher.tick();
    await watchedCase(t, at('2026-03-10T08:30'));
    await watcher.tick();

    expect(await series(t, 'kc_cards_issued_total')).toEqual({ pre_warning: 1, yellow: 1, red: 1 });
  });
});
