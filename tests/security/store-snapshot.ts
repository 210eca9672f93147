/**
 * "Nothing was stored", checked on the raw Redis of a gateway: every key under its prefix with a
 * digest of its value (DUMP), compared before and after. Keys that a refusal writes by design are
 * left out, each for a stated reason:
 * - `{audit}:*` — the audit chain records every staff action, partner call and refused envelope,
 *   refusals included (issue 7); `auditSince` checks separately that what it gained were refusals;
 * - `track:*`, `staff:signin*` — rate-limit counters: counting a refused request is their job;
 * - `staff:session:*` — console sessions; the tests sign in themselves, and a session's idle time
 *   is written back when it is used.
 */
import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export type KeyDigests = Map<string, string>;

const BY_DESIGN = [/:\{audit\}:/, /:track:/, /:staff:signin/, /:staff:session:/];

/** Why a key may change when a request is refused, or undefined when it may not. */
export function writtenByDesign(key: string): boolean {
  return BY_DESIGN.some((re) => re.test(key));
}

/** Every key under `prefix` (but those written by design) → SHA-256 of its DUMP. */
export async function snapshotStore(redis: Redis | Cluster, prefix: string): Promise<KeyDigests> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await (redis as Redis).scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch.filter((k) => !writtenByDesign(k)));
  } while (cursor !== '0');
  const out: KeyDigests = new Map();
  for (const key of keys.sort()) {
    const dump = await redis.dumpBuffer(key);
    if (dump) out.set(key, createHash('sha256').update(dump).digest('hex'));
  }
  return out;
}

/** Keys added, removed or changed between two snapshots, for an assertion message. */
export function storeDiff(before: KeyDigests, after: KeyDigests): string[] {
  const out: string[] = [];
  for (const [k, v] of after) if (!before.has(k)) out.push(`added ${k}`);
  else if (before.get(k) !== v) out.push(`changed ${k}`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`removed ${k}`);
  return out;
}

export interface AuditLine {
  kind: string;
  [field: string]: unknown;
}

/** The audit entries appended to `${prefix}:{audit}:log` since it held `fromLength` entries. */
export async function auditSince(redis: Redis | Cluster, prefix: string, fromLength: number): Promise<AuditLine[]> {
  const raw = await redis.lrange(`${prefix}:{audit}:log`, fromLength, -1);
  return raw.map((l) => JSON.parse(l) as AuditLine);
}

export async function auditLength(redis: Redis | Cluster, prefix: string): Promise<number> {
  return redis.llen(`${prefix}:{audit}:log`);
}

/** Partner operations that change nothing: an OK answer to one of them stores nothing. */
const READ_OPERATIONS = new Set(['ListMatters', 'GetCase', 'ListCases', 'WatchCase', 'GetCaseTimeline', 'GetSupervisionFigures']);

/**
 * Audit entries that record something being accepted: an envelope received, a staff change that
 * succeeded (status < 400), a partner write that answered OK. After a run of malformed input there
 * must be none.
 */
export function acceptedEntries(lines: readonly AuditLine[]): AuditLine[] {
  return lines.filter((l) => {
    switch (l.kind) {
      case 'envelope.refused':
        return false;
      case 'staff.action':
        return typeof l.status !== 'number' || l.status < 400;
      case 'partner.call':
        return l.result === 'OK' && !READ_OPERATIONS.has(String(l.operation));
      default:
        return true;
    }
  });
}
