import { describe, expect, it } from 'vitest';
import { ChainWalker, GENESIS, link, type AuditRecord } from '../../../gateway/audit/chain.js';

const records: AuditRecord[] = Array.from({ length: 5 }, (_, i) => ({ kind: 'partner.call', partner: 'kiosk-liwan', operation: 'GetCase', result: i === 3 ? 'CASE_NOT_FOUND' : 'OK' }));
const stored = () => link(records, 0, GENESIS, Date.parse('2026-11-21T08:00:00Z')).map((e) => JSON.stringify(e));

function firstBreak(lines: string[]) {
  const walker = new ChainWalker(0, GENESIS);
  for (const line of lines) {
    const broken = walker.step(line, 'test');
    if (broken) return broken;
  }
  return undefined;
}

describe('audit chain', () => {
  it('when entries are linked onto the genesis, then the walk accepts all of them and ends at the last hash', () => {
    const lines = stored();
    const walker = new ChainWalker(0, GENESIS);
    for (const l of lines) expect(walker.step(l, 'test')).toBeUndefined();
    expect(walker.count).toBe(5);
    expect(walker.head).toBe(JSON.parse(lines[4]!).hash);
  });

  it('when a batch is linked onto an existing end, then it continues that chain', () => {
    const first = link(records.slice(0, 2), 0, GENESIS, 0);
    const rest = link(records.slice(2), 2, first[1]!.hash, 0);
    expect(firstBreak([...first, ...rest].map((e) => JSON.stringify(e)))).toBeUndefined();
  });

  it.each([
    ['a field is changed', (l: string[]) => l.map((x, i) => (i === 2 ? x.replace('"OK"', '"CASE_NOT_FOUND"') : x)), 2, 'does not match its hash'],
    ['an entry is removed', (l: string[]) => l.filter((_, i) => i !== 1), 1, 'holds seq 2'],
    ['two entries swap places', (l: string[]) => [l[0]!, l[2]!, l[1]!, l[3]!, l[4]!], 1, 'holds seq 2'],
    ['a line is not JSON', (l: string[]) => l.map((x, i) => (i === 3 ? x.slice(0, 20) : x)), 3, 'not JSON'],
  ])('when %s, then the walk names the first entry that does not fit', (_what, edit, seq, reason) => {
    expect(firstBreak(edit(stored()))).toEqual({ seq, source: 'test', reason: expect.stringContaining(reason) });
  });

  it('when an entry is changed and its own hash recomputed, then the entry after it is named: it links to the old hash', () => {
    const entries = link(records, 0, GENESIS, 0);
    const forged = link([{ kind: 'partner.call', partner: 'kiosk-liwan', operation: 'GetCase', result: 'OK-forged' }], 2, entries[1]!.hash, 0)[0]!;
    const lines = entries.map((e, i) => JSON.stringify(i === 2 ? forged : e));
    expect(firstBreak(lines)).toEqual({ seq: 3, source: 'test', reason: expect.stringContaining('prev is not the hash') });
  });
});
