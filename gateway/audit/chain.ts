/**
 * The audit chain's entries and the rule that links them. Pure: no Redis, no files, so the same
 * code checks the live log, the archive files and a copy handed to an auditor.
 *
 * An entry's `hash` is the SHA-256 of the RFC 8785 canonical JSON of the entry without `hash`,
 * and that JSON includes `prev`, the hash of the entry before (GENESIS for the first). Changing,
 * removing or reordering any entry changes a hash that a later entry (or a signed checkpoint)
 * has already committed to.
 */
import { createHash } from 'node:crypto';
import { canonicalBytes } from '../envelope/canonical.js';

export const GENESIS = '0'.repeat(64);

/** What happened. Only identifiers, digests and codes: never personal data. */
export type AuditRecord =
  | { kind: 'envelope.sent'; caseNo: string; messageId: string; type: string; seq: number; envelopeSha256: string; receiptId: string; receiptSha256: string }
  | { kind: 'envelope.received'; caseNo: string; messageId: string; type: string; seq: number; envelopeSha256: string; receiptId: string; receiptSha256: string; outcome: string }
  | { kind: 'envelope.refused'; code: string; caseNo?: string; messageId?: string; envelopeSha256?: string }
  | { kind: 'staff.action'; actor: string; method: string; route: string; status: number; caseNo?: string; code?: string }
  | { kind: 'partner.call'; partner: string; operation: string; result: string; caseNo?: string };

export type AuditEntry = AuditRecord & {
  /** Position in the gateway's log, from 0, counting archived entries. */
  seq: number;
  at: string;
  prev: string;
  hash: string;
};

export function entryHash(entry: Omit<AuditEntry, 'hash'> | AuditEntry): string {
  const { hash: _ignored, ...unsigned } = entry as AuditEntry;
  return createHash('sha256').update(canonicalBytes(unsigned)).digest('hex');
}

/** Links records onto a chain that ends at (count, head). */
export function link(records: readonly AuditRecord[], count: number, head: string, atMs: number): AuditEntry[] {
  const at = new Date(atMs).toISOString();
  const out: AuditEntry[] = [];
  let prev = head;
  for (const [i, record] of records.entries()) {
    const unsigned = { ...record, seq: count + i, at, prev } as Omit<AuditEntry, 'hash'>;
    const hash = entryHash(unsigned);
    out.push({ ...unsigned, hash } as AuditEntry);
    prev = hash;
  }
  return out;
}

export interface ChainBreak {
  seq: number;
  /** Where the broken entry was read: "redis", or an archive file name. */
  source: string;
  reason: string;
}

/** Walks entries in order from (count, head); stops at the first one that does not fit. */
export class ChainWalker {
  constructor(
    public count: number,
    public head: string,
  ) {}

  /** Checks one stored entry (the raw text as stored); returns the break, or undefined and moves on. */
  step(raw: string, source: string): ChainBreak | undefined {
    const at = this.count;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(raw) as AuditEntry;
    } catch {
      return { seq: at, source, reason: 'not JSON' };
    }
    if (entry === null || typeof entry !== 'object') return { seq: at, source, reason: 'not an entry' };
    if (entry.seq !== at) return { seq: at, source, reason: `holds seq ${String(entry.seq)} where ${at} belongs (an entry was removed or moved)` };
    if (entry.prev !== this.head) return { seq: at, source, reason: 'prev is not the hash of the entry before it' };
    if (entryHash(entry) !== entry.hash) return { seq: at, source, reason: 'content does not match its hash (the entry was changed)' };
    this.count += 1;
    this.head = entry.hash;
    return undefined;
  }
}
