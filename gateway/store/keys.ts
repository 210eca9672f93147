/**
 * Every Redis key name comes from here. A case's keys carry the hash tag of its shard, and each
 * shard's queues (outbox, dead letters, submit jobs, case index) carry the same tag, so a case
 * change and the envelope it sends are written by one Lua script on one slot — on a single Redis
 * and on a Redis Cluster alike. A tag per case would put every case on its own slot, and then no
 * script could touch the case and a queue together; a fixed number of shards keeps both.
 *
 * The shard count is part of the key layout: changing it strands existing keys.
 *
 * Keys without a tag (case-number counters, idempotency, the approval cursor, waybills, sessions,
 * rate limits) land on whatever slot their name hashes to: each is only ever read or written by a
 * one-key command (a MULTI on the key alone at most), never in a script with another key. Keep it
 * so, or give the key the tag of what it is scripted with. On a cluster a pipeline must stay on one
 * node: group its commands by shard (CaseStore.getCaseHeads), or issue them one by one and let
 * auto-pipelining batch them per node.
 */
import { createHash } from 'node:crypto';

export const SHARD_COUNT = 16;

export function shardOf(caseNo: string): number {
  return createHash('sha1').update(caseNo).digest().readUInt16BE(0) % SHARD_COUNT;
}

export interface ShardKeys {
  index: number;
  /** zset member `caseNo|messageId` → when the next delivery attempt is due (ms). */
  outbox: string;
  /** zset member `caseNo|messageId` → when it was dead-lettered (ms). */
  dead: string;
  /** zset approval job (gateway/approval/jobs.ts) → when it is due (ms). The key keeps its first name, jobs:submit. */
  approvalJobs: string;
  /** zset caseNo → created at (ms). */
  cases: string;
  /** zset `caseNo|handoffId` → when this gateway next looks at a parcel it follows (gateway/tracking). */
  parcels: string;
  /** A case's record key is casePrefix + caseNo (CaseKeys.record), so a key built from it keeps the shard's slot. */
  casePrefix: string;
}

export interface CaseKeys {
  /** hash: the case's fields, crossings metadata (meta:<id>), outbox drafts (draft:<id>), held envelopes, seen event ids. */
  record: string;
  /** list: the case's events in the order they happened here (JSON, no personal data). */
  events: string;
  /** hash: envelopes and receipts verbatim (env:<id>, rcpt:<id>) and unreceipted send attempts (att:<id>:<sha256>). */
  archive: string;
}

export function createKeys(prefix: string) {
  const shard = (index: number): ShardKeys => {
    const base = `${prefix}:{s${String(index).padStart(2, '0')}}:`;
    return {
      index,
      outbox: `${base}outbox`,
      dead: `${base}dead`,
      approvalJobs: `${base}jobs:submit`,
      cases: `${base}cases`,
      parcels: `${base}parcels`,
      casePrefix: `${base}case:`,
    };
  };
  const shards = Array.from({ length: SHARD_COUNT }, (_, i) => shard(i));
  return {
    prefix,
    shards,
    shardFor: (caseNo: string): ShardKeys => shards[shardOf(caseNo)]!,
    case(caseNo: string): CaseKeys {
      const record = `${shards[shardOf(caseNo)]!.casePrefix}${caseNo}`;
      return { record, events: `${record}:events`, archive: `${record}:archive` };
    },
    /** Daily case-number counter per origin district. */
    caseNoCounter: (districtCode: string, yyyymmdd: string) => `${prefix}:caseno:${districtCode}:${yyyymmdd}`,
    /** Idempotency key of a forward request → `caseNo|requestSha256`. */
    idempotency: (scope: string, key: string) => `${prefix}:idem:${scope}:${key}`,
    /** Cursor of the approval system's change feed (polling fallback). */
    approvalCursor: `${prefix}:approval:cursor`,
    /** hash waybill → `caseNo|handoffId` of the parcel this gateway follows under that number. */
    waybills: `${prefix}:waybills`,
    /** zset `caseNo|handoffId` → when an alert was raised on the parcel (staff's worklist). */
    parcelAttention: `${prefix}:parcels:attention`,
    /** string: a staff console session, by the SHA-256 of its cookie token (gateway/staff/sessions.ts). */
    staffSession: (tokenDigest: string) => `${prefix}:staff:session:${tokenDigest}`,
    /** Prefix of the failed sign-in counters (rate-limiter-flexible adds the counter's name). */
    staffSignInLimits: `${prefix}:staff:signin`,
    /**
     * The audit chain (gateway/audit), one hash tag for all of it so its scripts touch one slot on a
     * cluster: log (list of entries, oldest first, after the archived ones), head (hash: count,
     * hash, archived, archivedHash), checkpoints and peerCheckpoints (lists of Signed bytes), and
     * the lease that lets one replica sign a checkpoint at a time.
     */
    audit: {
      log: `${prefix}:{audit}:log`,
      head: `${prefix}:{audit}:head`,
      checkpoints: `${prefix}:{audit}:checkpoints`,
      peerCheckpoints: `${prefix}:{audit}:peer-checkpoints`,
      checkpointLease: `${prefix}:{audit}:checkpoint-lease`,
    },
    /** Pub/sub channel announcing case numbers whose events changed. */
    caseEventsChannel: `${prefix}:case-events`,
  };
}

export type Keys = ReturnType<typeof createKeys>;
