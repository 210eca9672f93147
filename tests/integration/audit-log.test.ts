/**
 * The audit log's appender against a real Redis: batches, two writers (replicas of one gateway)
 * on one chain, and a Redis that goes away and comes back without a record being lost.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditLog } from '../../gateway/audit/audit-log.js';
import { ChainWalker, GENESIS } from '../../gateway/audit/chain.js';
import { systemClock } from '../../gateway/clock.js';
import { createLogger } from '../../gateway/logger.js';
import { createKeys } from '../../gateway/store/keys.js';
import { defineScripts } from '../../gateway/store/scripts.js';
import { startRedis, uniquePrefix, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
const clients: Redis[] = [];
const logger = createLogger({ level: 'silent', district: 'liwan' });

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  for (const c of clients) c.disconnect();
  await redis?.stop();
});

function writer(prefix: string): { log: AuditLog; client: Redis } {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // the outage test takes Redis away on purpose
  clients.push(client);
  defineScripts(client);
  return { client, log: createAuditLog({ redis: client, keys: createKeys(prefix).audit, clock: systemClock, logger, warnEntries: 1_000_000 }) };
}

async function walk(client: Redis, prefix: string): Promise<{ walked: number; broken: unknown }> {
  const keys = createKeys(prefix).audit;
  const walker = new ChainWalker(0, GENESIS);
  for (const line of await client.lrange(keys.log, 0, -1)) {
    const broken = walker.step(line, 'redis');
    if (broken) return { walked: walker.count, broken };
  }
  const [count, hash] = await client.hmget(keys.head, 'count', 'hash');
  expect(Number(count)).toBe(walker.count);
  expect(hash).toBe(walker.head);
  return { walked: walker.count, broken: undefined };
}

const staffAction = (i: number, who: string) => ({ kind: 'staff.action' as const, actor: who, method: 'POST', route: '/api/v1/cases', status: 201 + (i % 2) });

describe('audit log appender', () => {
  it('when two replicas record 600 entries each at the same time, then there is one unbroken chain of 1,200 with every record once', async () => {
    const prefix = uniquePrefix('audit-replicas');
    const a = writer(prefix);
    const b = writer(prefix);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 600; i++) {
      writes.push(a.log.record(staffAction(i, `a${i}`)), b.log.record(staffAction(i, `b${i}`)));
      // Spread over many event-loop turns, so the replicas' batches interleave and collide.
      if (i % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(writes);
    const { walked, broken } = await walk(a.client, prefix);
    expect(broken).toBeUndefined();
    expect(walked).toBe(1_200);
    const actors = (await a.client.lrange(createKeys(prefix).audit.log, 0, -1)).map((l) => (JSON.parse(l) as { actor: string }).actor);
    expect(new Set(actors).size).toBe(1_200);
    // Each replica's own records keep the order it recorded them in.
    expect(actors.filter((x) => x.startsWith('a'))).toEqual(Array.from({ length: 600 }, (_, i) => `a${i}`));
  });

  it('when Redis is down while records come in, then they wait and are all written, in order, once it is back', async () => {
    const prefix = uniquePrefix('audit-outage');
    const w = writer(prefix);
    await w.log.record(staffAction(0, 'before'));
    await redis.kill9();
    const during = [1, 2, 3].map((i) => w.log.record(staffAction(i, `during${i}`)));
    await new Promise((r) => setTimeout(r, 1_000));
    await redis.restart();
    await Promise.all(during);
    const { walked, broken } = await walk(w.client, prefix);
    expect(broken).toBeUndefined();
    expect(walked).toBe(4);
    const actors = (await w.client.lrange(createKeys(prefix).audit.log, 0, -1)).map((l) => (JSON.parse(l) as { actor: string }).actor);
    expect(actors).toEqual(['before', 'during1', 'during2', 'during3']);
  }, 30_000);
});
