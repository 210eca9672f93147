/**
 * Every Lua script call stays in one hash slot (gateway/store/scripts.ts), checked before the call,
 * so the single-Redis suites catch what a Redis Cluster would refuse with CROSSSLOT. No I/O: the
 * client is a stand-in that records what would be sent.
 */
import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createKeys } from '../../../gateway/store/keys.js';
import { callScript, hashedPart, SCRIPTS_VERSION } from '../../../gateway/store/scripts.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';

function recordingClient() {
  const calls: unknown[][] = [];
  const client = { [`claimDue:${SCRIPTS_VERSION}`]: (...a: unknown[]) => (calls.push(a), Promise.resolve([])) } as unknown as Redis;
  return { client, calls };
}

describe('hashedPart', () => {
  it('when a key has a non-empty {tag}, then only the tag is hashed; otherwise the whole key', () => {
    expect(hashedPart('kc:{s03}:outbox')).toBe('s03');
    expect(hashedPart('kc:{s03}:case:{x}')).toBe('s03');
    expect(hashedPart('kc:{}:x{s01}')).toBe('kc:{}:x{s01}');
    expect(hashedPart('kc:idem:forward:abc')).toBe('kc:idem:forward:abc');
  });
});

describe('callScript slot check', () => {
  const keys = createKeys('kc');
  const caseNo = 'KC-LW-20260101-000001';
  const other = keys.shards.find((s) => s.index !== keys.shardFor(caseNo).index)!;

  it("when a case's keys go with its own shard's queues and supervision keys, then the call is made", async () => {
    const { client, calls } = recordingClient();
    const k = keys.case(caseNo);
    await callScript(client, 'claimDue', [k.record, k.events, k.archive, keys.shardFor(caseNo).outbox, supervisionKeys(keys).shardFor(caseNo).watch], [1]);
    expect(calls).toHaveLength(1);
  });

  it("when a script is given another shard's queue or an untagged key, then it is refused before anything is sent", () => {
    const { client, calls } = recordingClient();
    expect(() => callScript(client, 'claimDue', [keys.case(caseNo).record, other.outbox], [1])).toThrow(`key ${other.outbox} is not in the hash slot`);
    expect(() => callScript(client, 'claimDue', [keys.case(caseNo).record, keys.approvalCursor], [1])).toThrow(/not in the hash slot/);
    expect(calls).toHaveLength(0);
  });
});
