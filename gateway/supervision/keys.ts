/**
 * Redis keys of 电子监察 (deadline watch, card console, webhook queue). They sit beside the store's
 * keys (gateway/store/keys.ts) under the same prefix and carry the same shard hash tag, taken from
 * the store's own keys — so a case's record, its shard's outbox and its shard's supervision keys
 * share one slot, and one Lua script can issue a card, record its shared event and queue its
 * notification together, on a single Redis and on a Redis Cluster alike.
 */
import { SHARD_COUNT, shardOf, type Keys } from '../store/keys.js';

export interface SupervisionShardKeys {
  index: number;
  /** zset caseNo → when the deadline watcher next looks at the case (ms). */
  watch: string;
  /** zset notificationId → when the next webhook delivery attempt is due (ms). */
  notify: string;
  /** hash notificationId → notification JSON ({ caseNo, cardId, body, attempts, lastError? }). */
  notifications: string;
  /** zset cardId → 0: the console's list, ordered by card id (ULID, so by time) with BYLEX. */
  cards: string;
  /** hash cardId → card JSON, as the console shows it. */
  card: string;
}

export interface SupervisionKeys {
  shards: SupervisionShardKeys[];
  shardFor(caseNo: string): SupervisionShardKeys;
}

/** The `{…}` hash tag of a store key: the one place the tag is spelt stays gateway/store/keys.ts. */
export function hashTagOf(key: string): string {
  const tag = /\{[^{}]+\}/.exec(key)?.[0];
  if (!tag) throw new Error(`store key ${key} carries no hash tag`);
  return tag;
}

const built = new WeakMap<Keys, SupervisionKeys>();

export function supervisionKeys(store: Keys): SupervisionKeys {
  const cached = built.get(store);
  if (cached) return cached;
  if (store.shards.length !== SHARD_COUNT) throw new Error(`expected ${SHARD_COUNT} shards, the store has ${store.shards.length}`);
  const shards = store.shards.map((s): SupervisionShardKeys => {
    const base = `${store.prefix}:${hashTagOf(s.casePrefix)}:sv:`;
    return { index: s.index, watch: `${base}watch`, notify: `${base}notify`, notifications: `${base}notifications`, cards: `${base}cards`, card: `${base}card` };
  });
  const keys: SupervisionKeys = { shards, shardFor: (caseNo) => shards[shardOf(caseNo)]! };
  built.set(store, keys);
  return keys;
}
