/**
 * Verifies a gateway's whole audit log: the archive files (if given) and then the live log in
 * Redis, entry by entry, naming the first entry that does not fit; then this gateway's signed
 * checkpoints against the chain, and the peer's checkpoints it holds (signature, signer, and that
 * the peer's history only ever grew).
 */
import type { Cluster, Redis } from 'ioredis';
import type { District } from '../domain/district.js';
import type { TrustStore } from '../envelope/trust-store.js';
import { AppError } from '../errors.js';
import type { Keys } from '../store/keys.js';
import { readAuditHead } from './audit-log.js';
import { listArchiveFiles, readArchiveLines } from './archive.js';
import { ChainWalker, GENESIS, type ChainBreak } from './chain.js';
import { checkpointStore, openCheckpoint, type CheckpointBody } from './checkpoints.js';

export interface CheckpointProblem {
  index: number;
  count?: number;
  reason: string;
}

export interface AuditReport {
  ok: boolean;
  /** Entries checked, archive files included. */
  checked: number;
  /** Entries the head says exist. */
  count: number;
  archiveFiles: number;
  /** Entries before this seq were not checked (archived, and no archive directory given). */
  uncheckedBefore: number;
  firstBreak?: ChainBreak;
  checkpoints: { total: number; matched: number; problems: CheckpointProblem[] };
  peerCheckpoints: { total: number; problems: CheckpointProblem[]; latest?: Pick<CheckpointBody, 'count' | 'headHash' | 'at'> };
}

export interface VerifyOptions {
  redis: Redis | Cluster;
  keys: Keys['audit'];
  district: District;
  peer: District;
  archiveDir?: string;
  trust?: TrustStore;
}

const PAGE = 1_000;

export async function verifyAuditLog(opts: VerifyOptions): Promise<AuditReport> {
  const { redis, keys } = opts;
  const head = await readAuditHead(redis, keys);
  const store = checkpointStore(redis, keys);
  const own = await store.allOwn();
  const ownBodies = own.map((s, index) => openOrProblem(s, index, opts.district, opts.trust));
  // Hashes at the positions our checkpoints name, collected during the walk.
  const wanted = new Set(ownBodies.flatMap((b) => ('body' in b && b.body.count > 0 ? [b.body.count - 1] : [])));
  const seen = new Map<number, string>();
  let firstBreak: ChainBreak | undefined;
  let archiveFiles = 0;
  let walker = new ChainWalker(0, GENESIS);

  const walk = (lines: Iterable<string>, source: string, limit: number): boolean => {
    for (const line of lines) {
      if (walker.count >= limit) return true;
      const broken = walker.step(line, source);
      if (broken) {
        firstBreak = broken;
        return false;
      }
      if (wanted.has(walker.count - 1)) seen.set(walker.count - 1, walker.head);
    }
    return true;
  };

  if (opts.archiveDir) {
    for (const file of listArchiveFiles(opts.archiveDir)) {
      archiveFiles += 1;
      if (!walk(readArchiveLines(file.path), file.name, head.archived)) break;
    }
    if (!firstBreak && (walker.count !== head.archived || walker.head !== head.archivedHash)) {
      firstBreak = { seq: walker.count, source: opts.archiveDir, reason: `the archive ends at ${walker.count} but the live log starts at ${head.archived} (a file is missing or does not fit)` };
    }
  } else {
    walker = new ChainWalker(head.archived, head.archivedHash);
  }
  const uncheckedBefore = opts.archiveDir ? 0 : head.archived;

  for (let start = 0; !firstBreak && walker.count < head.count; start += PAGE) {
    const page = await redis.lrange(keys.log, start, start + PAGE - 1);
    if (page.length === 0) {
      firstBreak = { seq: walker.count, source: 'redis', reason: `the log ends before the ${head.count} entries its head counts (entries were removed)` };
      break;
    }
    walk(page, 'redis', head.count);
  }
  if (!firstBreak && walker.head !== head.hash) {
    firstBreak = { seq: walker.count - 1, source: 'redis', reason: 'the last entry is not the head the log records' };
  }

  const problems: CheckpointProblem[] = [];
  let matched = 0;
  for (const [index, b] of ownBodies.entries()) {
    if (!('body' in b)) {
      problems.push(b);
      continue;
    }
    const { count, headHash } = b.body;
    if (count === 0) {
      if (headHash === GENESIS) matched += 1;
      else problems.push({ index, count, reason: 'an empty log must end in the genesis hash' });
    } else if (seen.has(count - 1)) {
      if (seen.get(count - 1) === headHash) matched += 1;
      else problems.push({ index, count, reason: `the signed head hash differs from entry ${count - 1}: the log was rewritten after it was signed` });
    } else if (count > head.count) {
      problems.push({ index, count, reason: `signed for ${count} entries, but the log holds only ${head.count}: entries were removed` });
    } else if (count - 1 < uncheckedBefore) {
      // Archived and not given: cannot be compared, which is not a fault of the checkpoint.
    } else {
      problems.push({ index, count, reason: 'the entry it signs could not be read (the chain breaks before it)' });
    }
  }

  const peer = (await store.allPeer()).map((s, index) => openOrProblem(s, index, opts.peer, opts.trust));
  const peerProblems: CheckpointProblem[] = [];
  let latest: CheckpointBody | undefined;
  for (const [index, b] of peer.entries()) {
    if (!('body' in b)) {
      peerProblems.push(b);
      continue;
    }
    if (latest && (b.body.count < latest.count || (b.body.count === latest.count && b.body.headHash !== latest.headHash))) {
      peerProblems.push({ index, count: b.body.count, reason: `the peer's log went from ${latest.count} entries to ${b.body.count} with another head: its history changed` });
    }
    latest = b.body;
  }

  return {
    ok: !firstBreak && problems.length === 0 && peerProblems.length === 0,
    checked: walker.count - uncheckedBefore,
    count: head.count,
    archiveFiles,
    uncheckedBefore,
    ...(firstBreak ? { firstBreak } : {}),
    checkpoints: { total: own.length, matched, problems },
    peerCheckpoints: { total: peer.length, problems: peerProblems, ...(latest ? { latest: { count: latest.count, headHash: latest.headHash, at: latest.at } } : {}) },
  };
}

function openOrProblem(
  signed: Parameters<typeof openCheckpoint>[0],
  index: number,
  district: District,
  trust: TrustStore | undefined,
): { body: CheckpointBody } | CheckpointProblem {
  try {
    return { body: openCheckpoint(signed, { district, trust }) };
  } catch (err) {
    return { index, reason: err instanceof AppError ? `${err.code}: ${err.message}` : String(err) };
  }
}
