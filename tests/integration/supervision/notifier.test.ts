/**
 * The card webhook (gateway/supervision/notifier.ts): a local HTTP receiver on 127.0.0.1 that
 * answers as a test tells it (200, 500, or not at all), a real Redis, a ManualClock for the back-off.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../gateway/clock.js';
import { ConfigError } from '../../../gateway/config.js';
import type { CardNotificationBody, QueuedNotification } from '../../../gateway/supervision/cards.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { createNotifier, verifySignature } from '../../../gateway/supervision/notifier.js';
import { parseRouting } from '../../../gateway/supervision/routing.js';
import { createDeadlineWatcher, watchCase } from '../../../gateway/supervision/watch.js';
import { startRedis, type RedisHandle } from '../../helpers/redis.js';
import { at, createTestContext, dropPrefix, receiveCase, reportStatus, type TestContext } from './harness.js';

const SECRET = 'notify-secret-0123456789abcdef';
const ACCEPTED = at('2026-03-02T10:00');
const YELLOW_AT = at('2026-03-06T00:00');
const MAX_DELAY = 30_000;

const routing = parseRouting(
  `
version: 1
district: nanhai
default:
  officer: { staffId: NH-DEF-01, name: 值班员 }
  sectionHead: { staffId: NH-DEF-02 }
  unitLeader: { staffId: NH-DEF-03 }
`,
  'routing.yaml',
  { district: 'nanhai' },
).routing;

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
}

/** Answers each request with the next behaviour: a status code, or 'hang' (never answers). */
class Receiver {
  readonly requests: Received[] = [];
  plan: (number | 'hang')[] = [];
  private hung: ServerResponse[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), path: req.url ?? '' });
        const next = this.plan.shift() ?? 200;
        if (next === 'hang') {
          this.hung.push(res);
          return;
        }
        res.writeHead(next, { 'content-type': 'text/plain' }).end(next === 200 ? 'ok' : 'boom');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/kc/cards`;
  }

  async stop(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let server: RedisHandle;
let receiver: Receiver;
const opened: TestContext[] = [];

beforeAll(async () => {
  server = await startRedis();
});

afterEach(async () => {
  for (const t of opened.splice(0)) {
    await dropPrefix(t.redis, t.prefix);
    await t.close();
  }
  await receiver?.stop();
});

afterAll(async () => {
  await server?.stop();
});

async function setup(name: string, env: Record<string, string> = {}): Promise<TestContext> {
  receiver = new Receiver();
  await receiver.start();
  const t = await createTestContext({
    url: server.url,
    name,
    clock: new ManualClock(ACCEPTED),
    env: {
      KC_NOTIFY_URL: receiver.url,
      KC_NOTIFY_SECRET: SECRET,
      KC_NOTIFY_BASE_DELAY_MS: '1000',
      KC_NOTIFY_MAX_DELAY_MS: String(MAX_DELAY),
      KC_NOTIFY_TIMEOUT_MS: '300',
      ...env,
    },
  });
  opened.push(t);
  return t;
}

/** A case past its deadline, with its yellow card issued and its webhook delivery queued. */
async function yellowCard(t: TestContext): Promise<{ caseNo: string; cardId: string }> {
  const caseNo = await receiveCase(t.ctx, { atMs: ACCEPTED - 3_600_000 });
  await reportStatus(t.ctx, caseNo, 'accepted', ACCEPTED);
  await watchCase(t.ctx, caseNo);
  t.clock.set(YELLOW_AT);
  let queued = 0;
  await createDeadlineWatcher(t.ctx, { routing, onCardQueued: () => queued++ }).tick();
  expect(queued).toBe(1);
  const sv = supervisionKeys(t.ctx.store.keys).shardFor(caseNo);
  const [cardId] = await t.redis.zrange(sv.notify, 0, -1);
  return { caseNo, cardId: cardId! };
}

async function queued(t: TestContext, caseNo: string): Promise<{ ids: string[]; record: QueuedNotification | null }> {
  const sv = supervisionKeys(t.ctx.store.keys).shardFor(caseNo);
  const ids = await t.redis.zrange(sv.notify, 0, -1);
  const json = ids[0] ? await t.redis.hget(sv.notifications, ids[0]) : null;
  return { ids, record: json ? (JSON.parse(json) as QueuedNotification) : null };
}

describe('card webhook', () => {
  it('when the receiver answers 500 twice, then the card is retried with back-off until delivered, the same signed body every time', async () => {
    const t = await setup('retry-500');
    const { caseNo, cardId } = await yellowCard(t);
    const notifier = createNotifier(t.ctx);
    receiver.plan = [500, 503, 200];

    expect(await notifier.tick()).toBe(true);
    expect(receiver.requests).toHaveLength(1);
    expect((await queued(t, caseNo)).record).toMatchObject({ attempts: 1, lastError: 'HTTP_500' });
    // Not due again before its back-off (at least half the first delay).
    t.clock.advance(499);
    expect(await notifier.tick()).toBe(false);
    t.clock.advance(MAX_DELAY);
    await notifier.tick();
    expect((await queued(t, caseNo)).record).toMatchObject({ attempts: 2, lastError: 'HTTP_503' });
    t.clock.advance(MAX_DELAY);
    await notifier.tick();
    t.clock.advance(MAX_DELAY);
    expect(await notifier.tick()).toBe(false);

    expect(receiver.requests).toHaveLength(3);
    expect(await queued(t, caseNo)).toEqual({ ids: [], record: null });
    const bodies = new Set(receiver.requests.map((r) => r.body));
    expect(bodies.size).toBe(1);
    for (const r of receiver.requests) {
      expect(r.path).toBe('/kc/cards');
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['idempotency-key']).toBe(cardId);
      expect(r.headers['x-kc-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
      expect(verifySignature(SECRET, r.body, r.headers['x-kc-signature'] as string)).toBe(true);
      expect(verifySignature('another-secret-0123456789', r.body, r.headers['x-kc-signature'] as string)).toBe(false);
      expect(r.headers['x-kc-timestamp']).toMatch(/^\d{10}$/);
    }
    const body = JSON.parse(receiver.requests[0]!.body) as CardNotificationBody;
    expect(body).toEqual({
      type: 'kuacheng.card_issued',
      id: cardId,
      card: 'yellow',
      caseNo,
      matterId: 'KC-M-0001',
      district: 'nanhai',
      department: '佛山市南海区市场监督管理局',
      deadline: '2026-03-05',
      remainingDays: -1,
      issuedAt: new Date(YELLOW_AT).toISOString(),
      routedBy: 'default',
      recipients: [
        { role: 'officer', staffId: 'NH-DEF-01', name: '值班员' },
        { role: 'sectionHead', staffId: 'NH-DEF-02' },
        { role: 'unitLeader', staffId: 'NH-DEF-03' },
      ],
    });
    const delivered = t.logs.filter((l) => l.msg === 'card notification delivered');
    expect(delivered).toEqual([expect.objectContaining({ caseNo, notificationId: cardId, card: 'yellow', attempt: 3 })]);
    expect(JSON.stringify(t.logs)).not.toContain('值班员');
  });

  it('when the receiver does not answer in time, then the attempt counts as a TIMEOUT and the next one delivers', async () => {
    const t = await setup('timeout');
    const { caseNo } = await yellowCard(t);
    const notifier = createNotifier(t.ctx);
    receiver.plan = ['hang', 200];

    const started = Date.now();
    await notifier.tick();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await queued(t, caseNo)).record).toMatchObject({ attempts: 1, lastError: 'TIMEOUT' });
    t.clock.advance(MAX_DELAY);
    await notifier.tick();
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[0]!.body).toBe(receiver.requests[1]!.body);
    expect(await queued(t, caseNo)).toEqual({ ids: [], record: null });
  });

  it('when the receiver cannot be reached, then the card waits in the queue and goes out once it is back', async () => {
    const t = await setup('unreachable');
    const { caseNo } = await yellowCard(t);
    await receiver.stop();
    const notifier = createNotifier(t.ctx);
    await notifier.tick();
    expect((await queued(t, caseNo)).record).toMatchObject({ attempts: 1, lastError: 'NETWORK' });

    // Back on another port: a restarted gateway reads the new KC_NOTIFY_URL; the queue is in Redis.
    receiver = new Receiver();
    await receiver.start();
    const again = await createTestContext({
      url: server.url,
      prefix: t.prefix,
      clock: t.clock,
      env: { KC_NOTIFY_URL: receiver.url, KC_NOTIFY_SECRET: SECRET, KC_NOTIFY_MAX_DELAY_MS: String(MAX_DELAY) },
    });
    opened.push(again);
    t.clock.advance(MAX_DELAY);
    await createNotifier(again.ctx).tick();
    expect(receiver.requests).toHaveLength(1);
    expect(await queued(t, caseNo)).toEqual({ ids: [], record: null });
  });

  it('when two notifiers tick at once, then the receiver gets the card once', async () => {
    const t = await setup('two-notifiers');
    await yellowCard(t);
    const other = await createTestContext({ url: server.url, prefix: t.prefix, clock: t.clock, env: { KC_NOTIFY_URL: receiver.url, KC_NOTIFY_SECRET: SECRET } });
    opened.push(other);
    await Promise.all([createNotifier(t.ctx).tick(), createNotifier(other.ctx).tick(), createNotifier(t.ctx).tick()]);
    expect(receiver.requests).toHaveLength(1);
  });

  it('when KC_NOTIFY_URL is set without KC_NOTIFY_SECRET, then the notifier refuses to start, naming the variable', async () => {
    const t = await setup('no-secret');
    const ctx = { ...t.ctx, config: { ...t.ctx.config, KC_NOTIFY_SECRET: undefined } };
    expect(() => createNotifier(ctx)).toThrow(ConfigError);
    expect(() => createNotifier(ctx)).toThrow(/KC_NOTIFY_SECRET \(not set\): required when KC_NOTIFY_URL is set/);
  });

  it('when no webhook is configured, then cards reach the console but nothing is queued for delivery', async () => {
    const t = await setup('no-webhook');
    const ctx = { ...t.ctx, config: { ...t.ctx.config, KC_NOTIFY_URL: undefined } };
    const caseNo = await receiveCase(ctx, { atMs: ACCEPTED - 3_600_000 });
    await reportStatus(ctx, caseNo, 'accepted', ACCEPTED);
    await watchCase(ctx, caseNo);
    t.clock.set(YELLOW_AT);
    await createDeadlineWatcher(ctx, { routing }).tick();
    expect(await queued(t, caseNo)).toEqual({ ids: [], record: null });
    expect(await createNotifier(ctx).tick()).toBe(false);
    expect(receiver.requests).toHaveLength(0);
  });
});
