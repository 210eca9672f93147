/**
 * Supervision keys (gateway/supervision/keys.ts) share the store's prefix and each case's shard hash
 * tag, so a card's Lua step touches one slot only.
 */
import { describe, expect, it } from 'vitest';
import { createKeys, SHARD_COUNT } from '../../../gateway/store/keys.js';
import { hashTagOf, supervisionKeys } from '../../../gateway/supervision/keys.js';

describe('supervision keys', () => {
  it('when keys are built for a case, then every one carries the hash tag of the case record and its shard outbox', () => {
    const store = createKeys('kc');
    const sv = supervisionKeys(store);
    expect(sv.shards).toHaveLength(SHARD_COUNT);
    for (const caseNo of ['KC-LW-20260302-000001', 'KC-NH-20261121-000123', 'KC-LW-20260302-999999']) {
      const tag = hashTagOf(store.case(caseNo).record);
      expect(hashTagOf(store.shardFor(caseNo).outbox)).toBe(tag);
      const s = sv.shardFor(caseNo);
      for (const key of [s.watch, s.notify, s.notifications, s.cards, s.card]) {
        expect(key.startsWith(`kc:${tag}:sv:`)).toBe(true);
        expect(hashTagOf(key)).toBe(tag);
      }
    }
  });

  it('when shard 3 is asked for, then its keys are spelt out in full', () => {
    expect(supervisionKeys(createKeys('t_x')).shards[3]).toEqual({
      index: 3,
      watch: 't_x:{s03}:sv:watch',
      notify: 't_x:{s03}:sv:notify',
      notifications: 't_x:{s03}:sv:notifications',
      cards: 't_x:{s03}:sv:cards',
      card: 't_x:{s03}:sv:card',
    });
  });

  it('when a key has no hash tag, then hashTagOf refuses it', () => {
    expect(() => hashTagOf('kc:plain')).toThrow('store key kc:plain carries no hash tag');
  });
});
