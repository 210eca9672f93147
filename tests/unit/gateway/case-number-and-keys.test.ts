/**
 * Case numbers (gateway/domain/case.ts), the Beijing date they carry (gateway/clock.ts), and the
 * Redis key layout (gateway/store/keys.ts): everything one Lua script touches for a case lives on
 * one Redis Cluster hash slot.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { shanghaiDate } from '../../../gateway/clock.js';
import { CASE_NO_PATTERN, formatCaseNo, originOfCaseNo } from '../../../gateway/domain/case.js';
import { createKeys, SHARD_COUNT, shardOf } from '../../../gateway/store/keys.js';

/** CRC16-XMODEM (poly 0x1021, init 0), as in the Redis Cluster specification. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The part of a key Redis Cluster hashes: the first non-empty {…}, else the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const slotOf = (key: string): number => crc16(Buffer.from(hashTag(key), 'utf8')) % 16384;

/** ioredis's own slot function, when it is installed (it is a dependency of ioredis). */
function ioredisSlot(): ((key: string) => number) | undefined {
  try {
    return createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;
  } catch {
    return undefined;
  }
}

/** Case numbers of both districts over a few days, enough to reach every shard. */
function sampleCaseNos(): string[] {
  const out: string[] = [];
  for (const code of ['liwan', 'nanhai'] as const) {
    for (const day of ['20261120', '20261121', '20261231']) {
      for (let n = 1; n <= 60; n++) out.push(formatCaseNo(code, day, n));
    }
  }
  out.push(formatCaseNo('liwan', '20261121', 1_234_567));
  return out;
}

describe('case numbers', () => {
  it('when a case number is formatted, then it reads KC-<district code>-<date>-<sequence padded to six digits>', () => {
    expect(formatCaseNo('liwan', '20261121', 123)).toBe('KC-LW-20261121-000123');
    expect(formatCaseNo('nanhai', '20270101', 1)).toBe('KC-NH-20270101-000001');
    expect(formatCaseNo('nanhai', '20261121', 999_999)).toBe('KC-NH-20261121-999999');
  });

  it('when the daily sequence passes 999999, then the number grows a digit and still parses', () => {
    const caseNo = formatCaseNo('nanhai', '20261121', 1_000_000);
    expect(caseNo).toBe('KC-NH-20261121-1000000');
    expect(CASE_NO_PATTERN.test(caseNo)).toBe(true);
    expect(originOfCaseNo(caseNo)).toBe('nanhai');
  });

  it('when a formatted case number is read back, then its origin district is the one it was made for', () => {
    expect(originOfCaseNo(formatCaseNo('liwan', '20261121', 7))).toBe('liwan');
    expect(originOfCaseNo(formatCaseNo('nanhai', '20261121', 7))).toBe('nanhai');
  });

  it('when a string is not a case number, then it has no origin', () => {
    for (const s of ['', 'KC-XX-20261121-000001', 'kc-lw-20261121-000001', 'KC-LW-2026112-000001', 'KC-LW-20261121-00001', 'KC-LW-20261121-000001x', ' KC-LW-20261121-000001']) {
      expect(originOfCaseNo(s)).toBeUndefined();
    }
  });
});

describe('shanghaiDate', () => {
  /** Runs `fn` with the process time zone set to `tz`, then puts the old one back. */
  function inZone<T>(tz: string, fn: () => T): T {
    const before = process.env.TZ;
    process.env.TZ = tz;
    try {
      return fn();
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  }

  const cases: [string, string][] = [
    ['2026-11-20T15:59:59.999Z', '20261120'], // 23:59:59.999 in Beijing
    ['2026-11-20T16:00:00.000Z', '20261121'], // midnight in Beijing
    ['2026-11-21T00:00:00.000Z', '20261121'], // 08:00 in Beijing
    ['2026-12-31T15:59:59.999Z', '20261231'],
    ['2026-12-31T16:00:00.000Z', '20270101'], // new year in Beijing, still 31 December in UTC
    ['2028-02-28T16:00:00.000Z', '20280229'], // leap day
  ];

  it.each(['UTC', 'America/Los_Angeles', 'Pacific/Kiritimati', 'Asia/Shanghai', 'Europe/London'])(
    'when the process time zone is %s, then the Beijing date flips exactly at midnight UTC+8',
    (tz) => {
      inZone(tz, () => {
        for (const [instant, date] of cases) expect(shanghaiDate(Date.parse(instant)), instant).toBe(date);
      });
    },
  );
});

describe('Redis key layout', () => {
  it('when CRC16 is computed here, then it matches the Redis Cluster reference values', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(slotOf('foo')).toBe(12182);
    expect(slotOf('{user1000}.following')).toBe(slotOf('{user1000}.followers'));
    const reference = ioredisSlot();
    if (reference) for (const key of ['foo', 'bar', '{s03}x', 'kc:{s15}:outbox']) expect(slotOf(key)).toBe(reference(key));
  });

  it('when the keys of one case are built, then the record, events, archive and its shard queues all share one hash slot', () => {
    const keys = createKeys('kc_test-prefix');
    const reference = ioredisSlot();
    for (const caseNo of sampleCaseNos()) {
      const k = keys.case(caseNo);
      const shard = keys.shardFor(caseNo);
      const all = [k.record, k.events, k.archive, shard.outbox, shard.dead, shard.approvalJobs, shard.cases, `${shard.casePrefix}${caseNo}`];
      const slots = new Set(all.map(slotOf));
      expect(slots.size, `${caseNo}: ${all.join(', ')}`).toBe(1);
      if (reference) expect(new Set(all.map(reference)).size).toBe(1);
      // The hash tag is the shard, never the case number or the prefix.
      for (const key of all) expect(hashTag(key)).toBe(`s${String(shard.index).padStart(2, '0')}`);
    }
  });

  it('when a Lua script builds a record key from casePrefix and the case number, then it is the key the store uses', () => {
    const keys = createKeys('kc');
    for (const caseNo of sampleCaseNos().slice(0, 20)) {
      expect(`${keys.shardFor(caseNo).casePrefix}${caseNo}`).toBe(keys.case(caseNo).record);
    }
  });

  it('when many case numbers are spread over shards, then every shard is used and each shard has its own slot', () => {
    const keys = createKeys('kc');
    const used = new Set(sampleCaseNos().map(shardOf));
    expect(used.size).toBe(SHARD_COUNT);
    expect(keys.shards.map((s) => s.index)).toEqual([...Array(SHARD_COUNT).keys()]);
    expect(new Set(keys.shards.map((s) => slotOf(s.outbox))).size).toBe(SHARD_COUNT);
  });

  it('when the same case number is looked up twice or under another prefix, then it lands on the same shard', () => {
    const a = createKeys('kc');
    const b = createKeys('t_other_prefix');
    for (const caseNo of sampleCaseNos().slice(0, 30)) {
      expect(a.shardFor(caseNo).index).toBe(shardOf(caseNo));
      expect(b.shardFor(caseNo).index).toBe(a.shardFor(caseNo).index);
      expect(slotOf(b.case(caseNo).record)).toBe(slotOf(a.case(caseNo).record));
    }
  });

  it('when keys are built under a prefix, then every key starts with that prefix and a separator', () => {
    const keys = createKeys('t_mine');
    const caseNo = formatCaseNo('liwan', '20261121', 42);
    const k = keys.case(caseNo);
    const shard = keys.shardFor(caseNo);
    const all = [
      k.record,
      k.events,
      k.archive,
      shard.outbox,
      shard.dead,
      shard.approvalJobs,
      shard.cases,
      keys.caseNoCounter('LW', '20261121'),
      keys.idempotency('window', 'key-12345678'),
      keys.approvalCursor,
      keys.caseEventsChannel,
    ];
    for (const key of all) expect(key.startsWith('t_mine:')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });
});
