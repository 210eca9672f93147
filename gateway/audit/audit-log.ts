/**
 * The gateway's audit log in Redis: one append-only chain per gateway (see ./chain.ts).
 *
 * Records are queued in memory and written in batches: one script call links a whole batch onto
 * the chain's current end, so auditing every envelope costs one Redis round trip per batch rather
 * than one per record, and a caller awaiting `record()` waits at most one batch. Two replicas on one
 * Redis stay on one chain: the script refuses a batch linked onto an end that has moved, and the
 * batch is linked again onto the new end.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Keys } from '../store/keys.js';
import { callScript } from '../store/scripts.js';
import { GENESIS, link, type AuditRecord } from './chain.js';

export interface AuditHead {
  /** Entries ever appended, archived ones included. */
  count: number;
  hash: string;
  /** Entries moved to archive files; the live log starts at this seq. */
  archived: number;
  /** Hash of the last archived entry (GENESIS when none). */
  archivedHash: string;
}

export interface AuditLog {
  /** Appends a record; resolves once it is in Redis. Never throws: a failure is logged and retried. */
  record(record: AuditRecord): Promise<void>;
  head(): Promise<AuditHead>;
  /** Raw entries of the live log from `start` (index in the live log) for up to `count` entries. */
  readLive(start: number, count: number): Promise<string[]>;
  /** Entries held in Redis now (the live log's length). */
  liveLength(): Promise<number>;
  /** Waits until everything recorded so far is written. */
  flush(): Promise<void>;
  /** Stops retrying (the gateway is stopping); what is still queued is counted in the log, not kept. */
  close(): void;
}

export interface AuditLogOptions {
  redis: Redis | Cluster;
  keys: Keys['audit'];
  clock: Clock;
  logger: Logger;
  /** Warn in the log when the live log holds this many entries: time to archive (the metric reads liveLength). */
  warnEntries: number;
}

const MAX_BATCH = 2_000;
const RETRY_MS = 500;
const WARN_EVERY_MS = 60_000;

interface Pending {
  record: AuditRecord;
  done: () => void;
}

/** The chain's end and where its live part starts, as Redis holds them (an empty log: genesis). */
export async function readAuditHead(redis: Redis | Cluster, keys: Keys['audit']): Promise<AuditHead> {
  const [count, hash, archived, archivedHash] = await redis.hmget(keys.head, 'count', 'hash', 'archived', 'archivedHash');
  return { count: Number(count ?? 0), hash: hash ?? GENESIS, archived: Number(archived ?? 0), archivedHash: archivedHash ?? GENESIS };
}

export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const { redis, keys, clock, logger } = opts;
  let queue: Pending[] = [];
  let writing: Promise<void> | undefined;
  /** The chain's end as last seen; a stale guess only costs one refused script call. */
  let end = { count: 0, hash: GENESIS };
  let lastWarnAt = -Infinity;
  let closed = false;


  async function writeBatch(batch: Pending[]): Promise<void> {
    for (;;) {
      const entries = link(
        batch.map((p) => p.record),
        end.count,
        end.hash,
        clock.now(),
      );
      const last = entries[entries.length - 1]!;
      const reply = (await callScript(redis, 'appendAudit', [keys.log, keys.head], [end.count, end.hash, last.hash, ...entries.map((e) => JSON.stringify(e))])) as [
        number,
        number,
        string | number,
      ];
      if (reply[0] === 1) {
        end = { count: reply[1], hash: last.hash };
        noteLength(Number(reply[2]));
        return;
      }
      end = { count: reply[1], hash: String(reply[2]) };
    }
  }

  function noteLength(length: number): void {
    if (length >= opts.warnEntries && clock.now() - lastWarnAt >= WARN_EVERY_MS) {
      lastWarnAt = clock.now();
      logger.warn({ code: 'AUDIT_LOG_NEAR_LIMIT', entries: length, limit: opts.warnEntries }, 'audit log is near its configured size; archive it (kc audit-archive)');
    }
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !closed) {
      const batch = queue.slice(0, MAX_BATCH);
      try {
        await writeBatch(batch);
        queue = queue.slice(batch.length);
        for (const p of batch) p.done();
      } catch (err) {
        // Redis away: keep the records in order and try again; callers wait, nothing is dropped.
        logger.warn({ code: 'STORE_UNAVAILABLE', pending: queue.length, reason: (err as Error).message }, 'audit append failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  function kick(): Promise<void> {
    writing ??= drain().finally(() => {
      writing = undefined;
      if (queue.length > 0 && !closed) void kick();
    });
    return writing;
  }

  return {
    record(record) {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        queue.push({ record, done: resolve });
        // Let everything recorded in this turn of the event loop join the batch.
        if (!writing) setImmediate(() => void kick());
      });
    },
    head: () => readAuditHead(redis, keys),
    readLive: (start, count) => redis.lrange(keys.log, start, start + count - 1),
    liveLength: () => redis.llen(keys.log),
    async flush() {
      while (!closed && (queue.length > 0 || writing)) await (writing ?? kick());
    },
    close() {
      closed = true;
      if (queue.length > 0) logger.error({ code: 'STORE_UNAVAILABLE', unwritten: queue.length }, 'gateway stopped with audit records not yet written');
      // Callers waiting on a record are released: the process is going away either way.
      for (const p of queue.splice(0)) p.done();
    },
  };
}
