/**
 * Data access for cases, envelopes and the outbox. Every write that must happen together is one
 * Lua script (see ./scripts); this module only builds keys and arguments and reads the answers.
 */
import type { Cluster, Redis } from 'ioredis';
import type { Application } from '../domain/application.js';
import type { CaseEvent, CaseRecord, CaseState, Crossing } from '../domain/case.js';
import type { District } from '../domain/district.js';
import { callScript, defineScripts } from './scripts.js';
import { createKeys, type Keys, type ShardKeys } from './keys.js';

export type RedisClient = Redis | Cluster;

export interface OutboxItem {
  member: string;
  caseNo: string;
  messageId: string;
  shard: ShardKeys;
  /** Envelope draft JSON (without seq), undefined if it was already receipted. */
  draft?: string;
  meta?: Crossing;
}

export type ApplyResult =
  | { outcome: 'DUP'; receipt: Buffer; envelope: Buffer }
  | { outcome: 'OUT_OF_SEQUENCE'; inSeq: number }
  | { outcome: 'CASE_NOT_FOUND' | 'CASE_EXISTS' }
  | { outcome: 'HELD'; inSeq: number }
  | { outcome: 'APPLIED'; count: number };

export type ApprovalApplyResult =
  | { outcome: 'OK'; seq: number }
  | { outcome: 'DUP' | 'SAME' | 'CASE_NOT_FOUND' }
  | { outcome: 'IGNORED'; state: string };

/** What the case list reads of a case: no application, no crossings, no events. */
export type CaseHead = Pick<CaseRecord, 'caseNo' | 'matterId' | 'origin' | 'handling' | 'state' | 'createdAt' | 'updatedAt'>;

const HEAD_FIELDS = ['matterId', 'origin', 'handling', 'state', 'createdAt', 'updatedAt'] as const;

export interface CaseStore {
  readonly keys: Keys;
  readonly redis: RedisClient;
  nextCaseSequence(districtCode: string, yyyymmdd: string): Promise<number>;
  createCase(input: {
    caseNo: string;
    messageId: string;
    createdAtMs: number;
    matterId: string;
    origin: District;
    handling: District;
    application: Application;
    draft: string;
    meta: Crossing;
  }): Promise<{ created: true } | { created: false; createMsgId: string }>;
  applyIncoming(input: {
    caseNo: string;
    messageId: string;
    seq: number;
    envelope: Buffer;
    receipt: Buffer;
    effect: Record<string, string | number>;
    meta: Crossing;
    nowMs: number;
  }): Promise<ApplyResult>;
  applyApprovalEvent(input: {
    caseNo: string;
    eventId: string;
    state: CaseState;
    localNo: string;
    at: string;
    note: string;
    messageId: string;
    draft: string;
    from: District;
    to: District;
    nowMs: number;
    /** Approval job to queue if the status applies ('' for none). */
    followUpJob: string;
    /** The shard's deadline-watch zset: the case is put there, due now, in the same script. */
    watchKey: string;
  }): Promise<ApprovalApplyResult>;
  claimDue(queueKey: string, nowMs: number, leaseMs: number, limit: number): Promise<string[]>;
  loadOutboxItems(shard: ShardKeys, members: string[]): Promise<OutboxItem[]>;
  recordAttempt(caseNo: string, messageId: string, sha256: string, bytes: Buffer): Promise<void>;
  getAttempt(caseNo: string, messageId: string, sha256: string): Promise<Buffer | null>;
  completeDelivery(item: OutboxItem, envelope: Buffer, receipt: Buffer, receiptId: string, bodySha256: string, nowMs: number): Promise<boolean>;
  failDelivery(item: OutboxItem, errorCode: string, nextDueMs: number, maxAttempts: number, nowMs: number): Promise<{ attempts: number; dead: boolean }>;
  resendDead(caseNo: string, messageId: string, nowMs: number): Promise<boolean>;
  listDead(): Promise<{ caseNo: string; messageId: string; deadAt: number }[]>;
  getCase(caseNo: string): Promise<CaseRecord | null>;
  /**
   * The case list's narrow read (gateway/cases/case-list.ts): a few fields of each case — never
   * the application — in the order asked, null for a number with no case. Pipelined per shard.
   */
  getCaseHeads(caseNos: readonly string[]): Promise<(CaseHead | null)[]>;
  /** The events of several cases, in the order asked; pipelined per shard. */
  getEventsOf(caseNos: readonly string[]): Promise<CaseEvent[][]>;
  getEvents(caseNo: string, afterSeq: number): Promise<CaseEvent[]>;
  getArchived(caseNo: string, messageId: string): Promise<{ envelope: Buffer | null; receipt: Buffer | null }>;
  /** Reserves an idempotency key for a forward; returns the earlier `caseNo|requestSha` if the key was taken. */
  reserveIdempotency(scope: string, key: string, value: string): Promise<string | null>;
  setIdempotency(scope: string, key: string, value: string): Promise<void>;
  getIdempotency(scope: string, key: string): Promise<string | null>;
  /** Approval-job bookkeeping on the handling side (see gateway/approval/jobs.ts for members). */
  finishApprovalJob(caseNo: string, member: string): Promise<void>;
  /** Counts one more failed attempt at a job and reschedules it; `dueFor(attempts)` says when. */
  retryApprovalJob(caseNo: string, member: string, dueFor: (attempts: number) => number): Promise<number>;
  /** Records a shared event that happened here and queues the envelope that carries it, atomically. */
  recordSharedEvent(input: {
    caseNo: string;
    eventId: string;
    event: string;
    messageId: string;
    draft: string;
    from: District;
    to: District;
    nowMs: number;
    /** Work queued with the event, in the case's shard: its queue key, member and due time. */
    followUp?: { queue: string; member: string; dueMs: number };
  }): Promise<{ outcome: 'OK'; seq: number } | { outcome: 'DUP' | 'CASE_NOT_FOUND' }>;
  appendEvent(caseNo: string, event: Omit<CaseEvent, 'seq'>): Promise<void>;
  outboxDepth(): Promise<{ outbox: number; dead: number }>;
  /** Where the approval system's change feed was read up to (polling fallback). */
  getApprovalCursor(): Promise<string | undefined>;
  setApprovalCursor(cursor: string): Promise<void>;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function createCaseStore(redis: RedisClient, prefix: string): CaseStore {
  defineScripts(redis);
  const keys = createKeys(prefix);
  const channel = keys.caseEventsChannel;

  const splitMember = (member: string) => {
    const bar = member.lastIndexOf('|');
    return { caseNo: member.slice(0, bar), messageId: member.slice(bar + 1) };
  };

  /**
   * One pipeline per shard (a Redis Cluster pipeline must stay on one slot), all shards at once;
   * answers come back in the order of `caseNos`.
   */
  const perShard = async <T>(caseNos: readonly string[], add: (p: ReturnType<RedisClient['pipeline']>, caseNo: string) => void, read: (reply: unknown) => T): Promise<T[]> => {
    const groups = new Map<number, number[]>();
    caseNos.forEach((caseNo, n) => {
      const shard = keys.shardFor(caseNo).index;
      groups.set(shard, [...(groups.get(shard) ?? []), n]);
    });
    const out: T[] = new Array<T>(caseNos.length);
    await Promise.all(
      [...groups.values()].map(async (positions) => {
        const pipeline = redis.pipeline();
        for (const n of positions) add(pipeline, caseNos[n]!);
        const results = (await pipeline.exec()) ?? [];
        positions.forEach((n, i) => {
          const [err, reply] = results[i] ?? [new Error('no reply'), null];
          if (err) throw err;
          out[n] = read(reply);
        });
      }),
    );
    return out;
  };

  return {
    keys,
    redis,

    async nextCaseSequence(districtCode, yyyymmdd) {
      const key = keys.caseNoCounter(districtCode, yyyymmdd);
      const [[, seq]] = (await redis.multi().incr(key).expire(key, 3 * 86400).exec()) as [[null, number]];
      return seq;
    },

    async createCase(i) {
      const k = keys.case(i.caseNo);
      const shard = keys.shardFor(i.caseNo);
      const reply = (await callScript(
        redis,
        'createCase',
        [k.record, k.events, shard.outbox, shard.cases],
        [i.caseNo, i.messageId, i.createdAtMs, iso(i.createdAtMs), i.matterId, i.origin, i.handling, JSON.stringify(i.application), i.draft, JSON.stringify(i.meta), channel],
      )) as [number, string?];
      return reply[0] === 1 ? { created: true } : { created: false, createMsgId: reply[1] ?? '' };
    },

    async applyIncoming(i) {
      const k = keys.case(i.caseNo);
      const shard = keys.shardFor(i.caseNo);
      const reply = (await callScript(
        redis,
        'applyEnvelope',
        [k.record, k.events, k.archive, shard.cases, shard.approvalJobs],
        [i.caseNo, i.messageId, i.seq, i.envelope, i.receipt, JSON.stringify(i.effect), JSON.stringify(i.meta), i.nowMs, iso(i.nowMs), channel],
        true,
      )) as [Buffer, Buffer | number, Buffer?];
      const outcome = reply[0].toString();
      switch (outcome) {
        case 'DUP':
          return { outcome, receipt: reply[1] as Buffer, envelope: reply[2] as Buffer };
        case 'OUT_OF_SEQUENCE':
        case 'HELD':
          return { outcome, inSeq: Number(reply[1]) };
        case 'CASE_NOT_FOUND':
        case 'CASE_EXISTS':
          return { outcome };
        case 'APPLIED':
          return { outcome, count: Number(reply[1]) };
        default:
          throw new Error(`applyEnvelope returned ${outcome}`);
      }
    },

    async applyApprovalEvent(i) {
      const k = keys.case(i.caseNo);
      const shard = keys.shardFor(i.caseNo);
      const reply = (await callScript(
        redis,
        'applyApprovalEvent',
        [k.record, k.events, shard.outbox, shard.approvalJobs, i.watchKey],
        [i.caseNo, i.eventId, i.state, i.localNo, i.at, i.note, i.messageId, i.draft, i.nowMs, iso(i.nowMs), channel, i.from, i.to, i.followUpJob],
      )) as [string, (string | number)?];
      const [outcome, value] = reply;
      if (outcome === 'OK') return { outcome, seq: Number(value) };
      if (outcome === 'IGNORED') return { outcome, state: String(value) };
      if (outcome === 'DUP' || outcome === 'SAME' || outcome === 'CASE_NOT_FOUND') return { outcome };
      throw new Error(`applyApprovalEvent returned ${outcome}`);
    },

    async claimDue(queueKey, nowMs, leaseMs, limit) {
      return (await callScript(redis, 'claimDue', [queueKey], [nowMs, leaseMs, limit])) as string[];
    },

    async loadOutboxItems(shard, members) {
      if (members.length === 0) return [];
      const pipeline = redis.pipeline();
      const parsed = members.map((member) => ({ member, ...splitMember(member) }));
      for (const p of parsed) pipeline.hmget(keys.case(p.caseNo).record, `draft:${p.messageId}`, `meta:${p.messageId}`);
      const results = (await pipeline.exec()) ?? [];
      return parsed.map((p, n) => {
        const [draft, meta] = (results[n]?.[1] as [string | null, string | null]) ?? [null, null];
        return { ...p, shard, draft: draft ?? undefined, meta: meta ? (JSON.parse(meta) as Crossing) : undefined };
      });
    },

    async recordAttempt(caseNo, messageId, sha256, bytes) {
      await redis.hset(keys.case(caseNo).archive, `att:${messageId}:${sha256}`, bytes);
    },

    async getAttempt(caseNo, messageId, sha256) {
      return redis.hgetBuffer(keys.case(caseNo).archive, `att:${messageId}:${sha256}`);
    },

    async completeDelivery(item, envelope, receipt, receiptId, bodySha256, nowMs) {
      const k = keys.case(item.caseNo);
      const reply = await callScript(
        redis,
        'completeDelivery',
        [k.record, k.events, k.archive, item.shard.outbox, item.shard.dead],
        [item.caseNo, item.messageId, item.member, envelope, receipt, receiptId, bodySha256, iso(nowMs), channel],
      );
      return reply === 1;
    },

    async failDelivery(item, errorCode, nextDueMs, maxAttempts, nowMs) {
      const k = keys.case(item.caseNo);
      const [attempts, dead] = (await callScript(
        redis,
        'failDelivery',
        [k.record, k.events, item.shard.outbox, item.shard.dead],
        [item.caseNo, item.messageId, item.member, errorCode, nextDueMs, maxAttempts, nowMs, iso(nowMs), channel],
      )) as [number, number];
      return { attempts, dead: dead === 1 };
    },

    async resendDead(caseNo, messageId, nowMs) {
      const k = keys.case(caseNo);
      const shard = keys.shardFor(caseNo);
      const reply = await callScript(
        redis,
        'resendDead',
        [k.record, k.events, shard.outbox, shard.dead],
        [caseNo, messageId, `${caseNo}|${messageId}`, nowMs, iso(nowMs), channel],
      );
      return reply === 1;
    },

    async listDead() {
      const all = await Promise.all(keys.shards.map((s) => redis.zrange(s.dead, 0, -1, 'WITHSCORES')));
      const out: { caseNo: string; messageId: string; deadAt: number }[] = [];
      for (const flat of all) {
        for (let n = 0; n < flat.length; n += 2) out.push({ ...splitMember(flat[n]!), deadAt: Number(flat[n + 1]) });
      }
      return out.sort((a, b) => a.deadAt - b.deadAt);
    },

    async getCase(caseNo) {
      const k = keys.case(caseNo);
      const [fields, rawEvents] = await Promise.all([redis.hgetall(k.record), redis.lrange(k.events, 0, -1)]);
      if (!fields.state) return null;
      const crossings: Crossing[] = [];
      for (const [field, value] of Object.entries(fields)) {
        if (field.startsWith('meta:')) crossings.push(JSON.parse(value) as Crossing);
      }
      // ULIDs sort by creation time.
      crossings.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return {
        caseNo,
        matterId: fields.matterId!,
        origin: fields.origin as District,
        handling: fields.handling as District,
        state: fields.state as CaseState,
        localNo: fields.localNo || undefined,
        createdAt: fields.createdAt!,
        updatedAt: fields.updatedAt!,
        application: JSON.parse(fields.app!) as Application,
        events: rawEvents.map((e, n) => ({ seq: n + 1, ...(JSON.parse(e) as Omit<CaseEvent, 'seq'>) })),
        crossings,
      };
    },

    async getCaseHeads(caseNos) {
      const heads = await perShard(caseNos, (p, caseNo) => p.hmget(keys.case(caseNo).record, ...HEAD_FIELDS), (reply) => reply as (string | null)[]);
      return heads.map((values, n) => {
        const [matterId, origin, handling, state, createdAt, updatedAt] = values;
        if (!state) return null;
        return {
          caseNo: caseNos[n]!,
          matterId: matterId ?? '',
          origin: origin as District,
          handling: handling as District,
          state: state as CaseState,
          createdAt: createdAt ?? '',
          updatedAt: updatedAt ?? '',
        };
      });
    },

    async getEventsOf(caseNos) {
      return perShard(
        caseNos,
        (p, caseNo) => p.lrange(keys.case(caseNo).events, 0, -1),
        (reply) => (reply as string[]).map((e, n) => ({ seq: n + 1, ...(JSON.parse(e) as Omit<CaseEvent, 'seq'>) })),
      );
    },

    async getEvents(caseNo, afterSeq) {
      const raw = await redis.lrange(keys.case(caseNo).events, afterSeq, -1);
      return raw.map((e, n) => ({ seq: afterSeq + n + 1, ...(JSON.parse(e) as Omit<CaseEvent, 'seq'>) }));
    },

    async getArchived(caseNo, messageId) {
      const [envelope, receipt] = await redis.hmgetBuffer(keys.case(caseNo).archive, `env:${messageId}`, `rcpt:${messageId}`);
      return { envelope: envelope ?? null, receipt: receipt ?? null };
    },

    async reserveIdempotency(scope, key, value) {
      const k = keys.idempotency(scope, key);
      const ok = await redis.set(k, value, 'EX', 30 * 86400, 'NX');
      return ok === 'OK' ? null : await redis.get(k);
    },

    async getIdempotency(scope, key) {
      return redis.get(keys.idempotency(scope, key));
    },

    async setIdempotency(scope, key, value) {
      await redis.set(keys.idempotency(scope, key), value, 'EX', 30 * 86400);
    },

    async finishApprovalJob(caseNo, member) {
      await redis.zrem(keys.shardFor(caseNo).approvalJobs, member);
    },

    async retryApprovalJob(caseNo, member, dueFor) {
      const attempts = await redis.hincrby(keys.case(caseNo).record, `jobAttempts:${member}`, 1);
      await redis.zadd(keys.shardFor(caseNo).approvalJobs, 'XX', dueFor(attempts), member);
      return attempts;
    },

    async recordSharedEvent(i) {
      const k = keys.case(i.caseNo);
      const shard = keys.shardFor(i.caseNo);
      if (i.followUp && ![shard.parcels, shard.approvalJobs].includes(i.followUp.queue)) {
        throw new Error(`follow-up queue ${i.followUp.queue} is not in the shard of ${i.caseNo}`);
      }
      const reply = (await callScript(
        redis,
        'recordSharedEvent',
        [k.record, k.events, shard.outbox, i.followUp?.queue ?? shard.parcels],
        [i.caseNo, i.eventId, i.event, i.messageId, i.draft, i.nowMs, iso(i.nowMs), channel, i.from, i.to, i.followUp?.member ?? '', i.followUp?.dueMs ?? 0],
      )) as [string, number?];
      if (reply[0] === 'OK') return { outcome: 'OK', seq: Number(reply[1]) };
      if (reply[0] === 'DUP' || reply[0] === 'CASE_NOT_FOUND') return { outcome: reply[0] };
      throw new Error(`recordSharedEvent returned ${reply[0]}`);
    },

    async appendEvent(caseNo, event) {
      await redis.multi().rpush(keys.case(caseNo).events, JSON.stringify(event)).publish(channel, caseNo).exec();
    },

    async getApprovalCursor() {
      return (await redis.get(keys.approvalCursor)) ?? undefined;
    },

    async setApprovalCursor(cursor) {
      await redis.set(keys.approvalCursor, cursor);
    },

    async outboxDepth() {
      const counts = await Promise.all(keys.shards.flatMap((s) => [redis.zcard(s.outbox), redis.zcard(s.dead)]));
      let outbox = 0;
      let dead = 0;
      counts.forEach((c, n) => (n % 2 === 0 ? (outbox += c) : (dead += c)));
      return { outbox, dead };
    },
  };
}
