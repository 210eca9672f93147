/**
 * Reading how much memory Redis spends on a data set: `used_memory` before and after (everything
 * the allocator holds for it, the keyspace's own hash tables included), and a breakdown by kind of
 * key from MEMORY USAGE (the key, its value and their allocations; not the keyspace's own entry for
 * the key, which is why the breakdown sums to a little less than the used_memory difference).
 */
import type { Redis } from 'ioredis';
import { sleep } from './load.js';

/**
 * `used_memory` once it holds still: the keyspace's hash table grows by rehashing incrementally,
 * with both tables allocated until it ends, so a reading taken mid-rehash counts the old one too.
 */
export async function usedMemory(redis: Redis): Promise<number> {
  const read = async () => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]);
  let last = await read();
  for (let n = 0; n < 30; n++) {
    await sleep(100);
    const now = await read();
    if (Math.abs(now - last) <= 4096) return now;
    last = now;
  }
  return last;
}

export interface KeyKind {
  /** The key with its prefix, shard tag, case number and message id replaced by placeholders. */
  pattern: string;
  type: string;
  encodings: string[];
  keys: number;
  bytes: number;
}

/** A key's kind: `<prefix>:{s07}:case:KC-LW-20261121-000042:archive` → `{sNN}:case:<caseNo>:archive`. */
export function keyPattern(key: string, prefix: string): string {
  return key
    .slice(key.startsWith(`${prefix}:`) ? prefix.length + 1 : 0)
    .replace(/\{s\d+\}/, '{sNN}')
    .replace(/KC-[A-Z]{2}-\d{8}-\d+/g, '<caseNo>')
    .replace(/:\d{8}$/, ':<yyyymmdd>');
}

/** Every key under `prefix`, by kind: how many, their types and encodings, MEMORY USAGE summed. */
export async function keyKinds(redis: Redis, prefix: string): Promise<KeyKind[]> {
  const kinds = new Map<string, KeyKind & { encodingSet: Set<string> }>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (found.length === 0) continue;
    const p = redis.pipeline();
    // SAMPLES 0: look at every element, not an estimate from five of them.
    for (const key of found) p.type(key).object('ENCODING', key).memory('USAGE', key, 'SAMPLES', 0);
    const replies = (await p.exec()) ?? [];
    found.forEach((key, n) => {
      const [type, encoding, bytes] = [0, 1, 2].map((i) => replies[n * 3 + i]?.[1]) as [string, string, number | null];
      const pattern = keyPattern(key, prefix);
      const kind = kinds.get(pattern) ?? { pattern, type, encodings: [], encodingSet: new Set<string>(), keys: 0, bytes: 0 };
      kind.keys++;
      kind.bytes += bytes ?? 0;
      kind.encodingSet.add(encoding);
      kinds.set(pattern, kind);
    });
  } while (cursor !== '0');
  return [...kinds.values()]
    .map(({ encodingSet, ...k }) => ({ ...k, encodings: [...encodingSet].sort() }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** MEMORY USAGE summed over the given keys (missing keys count 0). */
export async function memoryUsageOf(redis: Redis, keys: readonly string[]): Promise<number> {
  let total = 0;
  for (let at = 0; at < keys.length; at += 1000) {
    const p = redis.pipeline();
    for (const key of keys.slice(at, at + 1000)) p.memory('USAGE', key, 'SAMPLES', 0);
    for (const [, bytes] of (await p.exec()) ?? []) total += Number(bytes ?? 0);
  }
  return total;
}

/** The length of each value of a hash, by kind of field (`meta:<id>`: the sum over all message ids). */
export async function hashFieldSizes(redis: Redis, key: string): Promise<Record<string, number>> {
  const all = await redis.hgetallBuffer(key);
  const out: Record<string, number> = {};
  for (const [field, value] of Object.entries(all)) {
    const kind = field.replace(/^(\w+):[0-9A-Z]{26}(:[0-9a-f]{64})?$/, (_m, head: string, sha?: string) => `${head}:<id>${sha ? ':<sha256>' : ''}`);
    out[kind] = (out[kind] ?? 0) + value.length;
  }
  return out;
}
