/** Reading the gateways' JSON log lines (pino) in the fault suite: which messages, how often, for what. */
import { readFileSync } from 'node:fs';

export type LogLine = Record<string, unknown> & { msg?: string };

/** The JSON lines of one or more log files (anything else — stack traces, stderr notes — skipped). */
export function logLines(...files: string[]): LogLine[] {
  const lines: LogLine[] = [];
  for (const file of files) {
    for (const text of readFileSync(file, 'utf8').split('\n')) {
      if (!text.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        // a line cut off by kill -9
      }
    }
  }
  return lines;
}

/** How many lines with one of `messages` name each value of `field` (e.g. messageId). */
export function countBy(lines: readonly LogLine[], messages: readonly string[], field: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) {
    if (!messages.includes(l.msg ?? '')) continue;
    const v = l[field];
    if (typeof v === 'string') counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return counts;
}

/** Values counted more than once. */
export function repeated(counts: ReadonlyMap<string, number>): string[] {
  return [...counts].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
}

/** What the receiving gateway logs once per delivery of an envelope (gateway/peer/inbound.ts). */
export const ENVELOPE_ARRIVALS = ['envelope applied', 'envelope stored; held until earlier ones arrive', 'duplicate envelope; original receipt returned'] as const;
/** What the sending gateway logs once per receipted delivery (gateway/outbox/dispatcher.ts). */
export const ENVELOPE_RECEIPTED = ['envelope receipted'] as const;
