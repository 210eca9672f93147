/**
 * Bounds the audit log's growth in Redis: the oldest entries are written to a file (one stored
 * entry per line, exactly as stored, so the chain still verifies from the files), the file is
 * synced to disk, and only then are the entries dropped from Redis.
 *
 * File names carry the first and last seq, zero-padded, so a directory listing is the chain's order.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import type { Keys } from '../store/keys.js';
import { callScript } from '../store/scripts.js';
import { readAuditHead } from './audit-log.js';
import { ChainWalker, type ChainBreak } from './chain.js';

const FILE = /^audit-(\d{12})-(\d{12})\.jsonl$/;
const PAGE = 1_000;

export interface ArchiveFile {
  name: string;
  path: string;
  first: number;
  last: number;
}

export function listArchiveFiles(dir: string): ArchiveFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .flatMap((name) => {
      const m = FILE.exec(name);
      return m ? [{ name, path: join(dir, name), first: Number(m[1]), last: Number(m[2]) }] : [];
    })
    .sort((a, b) => a.first - b.first);
}

export function readArchiveLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.length > 0);
}

export type ArchiveResult = { archived: 0 } | { archived: number; file: string } | { archived: 0; refused: ChainBreak } | { archived: 0; raced: true };

/**
 * Moves the live log's oldest entries, all but the newest `keep`, into a new file in `dir`. The
 * entries are checked first: a broken chain is not archived (it would hide the break), it is named.
 */
export async function archiveAuditLog(opts: { redis: Redis | Cluster; keys: Keys['audit']; dir: string; keep?: number }): Promise<ArchiveResult> {
  const { redis, keys } = opts;
  const head = await readAuditHead(redis, keys);
  const n = head.count - head.archived - (opts.keep ?? 0);
  if (n <= 0) return { archived: 0 };
  const walker = new ChainWalker(head.archived, head.archivedHash);
  const lines: string[] = [];
  for (let start = 0; start < n; start += PAGE) {
    const page = await redis.lrange(keys.log, start, Math.min(start + PAGE, n) - 1);
    for (const line of page) {
      const broken = walker.step(line, 'redis');
      if (broken) return { archived: 0, refused: broken };
      lines.push(line);
    }
    if (page.length === 0) break;
  }
  if (lines.length !== n) return { archived: 0, refused: { seq: walker.count, source: 'redis', reason: 'the log holds fewer entries than its head counts' } };

  mkdirSync(opts.dir, { recursive: true });
  const name = `audit-${pad(head.archived)}-${pad(head.archived + n - 1)}.jsonl`;
  const path = join(opts.dir, name);
  // Write under a temporary name and rename, so a crash never leaves a half file that looks whole.
  const tmp = `${path}.part`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${lines.join('\n')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const trimmed = await callScript(redis, 'trimAudit', [keys.log, keys.head], [n, head.archived, walker.head]);
  if (Number(trimmed) !== 1) return { archived: 0, raced: true };
  return { archived: n, file: path };
}

function pad(seq: number): string {
  return String(seq).padStart(12, '0');
}
