/**
 * The case store (gateway/store/case-store.ts and its Lua scripts) against a real, private Redis:
 * case creation, in-order application of incoming envelopes, approval events with their outbox
 * entries, and the outbox's claim / fail / dead-letter / complete cycle.
 *
 * One redis-server for the file; every test works under its own key prefix and deletes its keys.
 */
import { Redis } from 'ioredis';
import { monotonicFactory } from 'ulid';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Application } from '../../../gateway/domain/application.js';
import { formatCaseNo, type CaseState, type Crossing } from '../../../gateway/domain/case.js';
import type { District } from '../../../gateway/domain/district.js';
import { createCaseStore, type CaseStore } from '../../../gateway/store/case-store.js';
import { supervisionKeys } from '../../../gateway/supervision/keys.js';
import { startRedis, uniquePrefix, type RedisHandle } from '../../helpers/redis.js';

const T0 = Date.parse('2026-11-21T01:30:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const newId = monotonicFactory();

let server: RedisHandle;
let redis: Redis;
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { maxRetriesPerRequest: 1 });
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) {
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (found.length > 0) await redis.del(...found);
    } while (cursor !== '0');
  }
});

afterAll(async () => {
  await redis?.quit().catch(() => redis.disconnect());
  await server?.stop();
});

/** A store of its own for one test, under a fresh key prefix that is removed after the test. */
function storeFor(name: string): CaseStore {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  return createCaseStore(redis, prefix);
}

function application(overrides: Partial<Application> = {}): Application {
  return {
    matterId: 'KC-M-0001',
    applicant: { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: '91440101MA59ABCD1D', phone: '13912345678' },
    form: { companyName: '佛山南海示例有限公司', registeredCapital: '100', businessScope: '贸易', legalRepresentative: '张三丰' },
    materials: [{ name: '公司章程', form: 'original', copies: 1 }],
    ...overrides,
  };
}

function outMeta(id: string, atMs: number): Crossing {
  return { id, type: 'application', direction: 'out', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'queued', attempts: 0, createdAt: iso(atMs) };
}

/** The origin side (liwan) takes in a case and queues its application envelope. */
async function createOriginCase(store: CaseStore, opts: { caseNo?: string; app?: Application; atMs?: number } = {}) {
  const caseNo = opts.caseNo ?? formatCaseNo('liwan', '20261121', 1);
  const messageId = newId();
  const atMs = opts.atMs ?? T0;
  const app = opts.app ?? application();
  const result = await store.createCase({
    caseNo,
    messageId,
    createdAtMs: atMs,
    matterId: app.matterId,
    origin: 'liwan',
    handling: 'nanhai',
    application: app,
    draft: JSON.stringify({ id: messageId, type: 'application', from: 'liwan', to: 'nanhai', caseNo, seq: 1, content: { matterId: app.matterId } }),
    meta: outMeta(messageId, atMs),
  });
  return { caseNo, messageId, result, member: `${caseNo}|${messageId}` };
}

/** An incoming status envelope (origin side receives these from the handling district). */
function incomingStatus(caseNo: string, seq: number, state: CaseState, nowMs = T0 + seq * 1_000) {
  const messageId = newId();
  return {
    caseNo,
    messageId,
    seq,
    envelope: Buffer.from(`envelope ${messageId} seq ${seq}\u0000\u00ff`, 'latin1'),
    receipt: Buffer.from(`receipt for ${messageId}\u0000\u0001`, 'latin1'),
    effect: { type: 'status', state, localNo: 'NH-2026-000042', at: iso(nowMs - 500), note: `now ${state}` },
    meta: { id: messageId, type: 'status', direction: 'in', from: 'nanhai', to: 'liwan', seq, delivery: 'received', attempts: 1, createdAt: iso(nowMs) } as Crossing,
    nowMs,
  };
}

/** The handling side (nanhai) receives the application envelope: the case appears there, forwarded. */
async function createHandlingCase(store: CaseStore, caseNo = formatCaseNo('liwan', '20261121', 7)) {
  const messageId = newId();
  const app = application();
  const result = await store.applyIncoming({
    caseNo,
    messageId,
    seq: 1,
    envelope: Buffer.from(`application envelope ${messageId}`),
    receipt: Buffer.from(`receipt ${messageId}`),
    effect: { type: 'application', matterId: app.matterId, origin: 'liwan', handling: 'nanhai', app: JSON.stringify(app), createdAt: iso(T0), createdAtMs: T0 },
    meta: { id: messageId, type: 'application', direction: 'in', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'received', attempts: 1, createdAt: iso(T0) },
    nowMs: T0 + 2_000,
  });
  expect(result).toEqual({ outcome: 'APPLIED', count: 1 });
  return { caseNo, app };
}

function approvalEvent(store: CaseStore, caseNo: string, eventId: string, state: CaseState, localNo = 'NH-2026-000042', nowMs = T0 + 10_000, followUpJob = '') {
  const messageId = newId();
  const from: District = 'nanhai';
  const to: District = 'liwan';
  return {
    caseNo,
    eventId,
    state,
    localNo,
    at: iso(nowMs - 1_000),
    note: `approval system says ${state}`,
    messageId,
    draft: JSON.stringify({ id: messageId, type: 'status', from, to, caseNo, content: { state, localNo } }),
    from,
    to,
    nowMs,
    followUpJob,
    watchKey: supervisionKeys(store.keys).shardFor(caseNo).watch,
  };
}

async function outboxMembers(store: CaseStore, caseNo: string): Promise<string[]> {
  return redis.zrange(store.keys.shardFor(caseNo).outbox, 0, -1);
}

describe('createCase / getCase', () => {
  it('when a case is created, then getCase returns it submitted, with its created event and its queued application crossing', async () => {
    const store = storeFor('create-then-get');
    const app = application();
    const { caseNo, messageId, result, member } = await createOriginCase(store, { app });
    expect(result).toEqual({ created: true });

    const found = await store.getCase(caseNo);
    expect(found).toEqual({
      caseNo,
      matterId: 'KC-M-0001',
      origin: 'liwan',
      handling: 'nanhai',
      state: 'submitted',
      localNo: undefined,
      createdAt: iso(T0),
      updatedAt: iso(T0),
      application: app,
      events: [{ seq: 1, kind: 'created', state: 'submitted', at: iso(T0), messageId }],
      crossings: [outMeta(messageId, T0)],
    });
    const shard = store.keys.shardFor(caseNo);
    expect(await redis.zrange(shard.outbox, 0, -1, 'WITHSCORES')).toEqual([member, String(T0)]);
    expect(await redis.zscore(shard.cases, caseNo)).toBe(String(T0));
  });

  it('when a case number does not exist, then getCase returns null', async () => {
    const store = storeFor('get-missing');
    expect(await store.getCase(formatCaseNo('nanhai', '20261121', 404))).toBeNull();
  });

  it('when createCase is called on a number already taken, then it returns created:false with the earlier createMsgId and changes nothing', async () => {
    const store = storeFor('create-taken');
    const first = await createOriginCase(store, { app: application() });
    const second = await createOriginCase(store, { caseNo: first.caseNo, app: application({ matterId: 'KC-M-0002' }), atMs: T0 + 60_000 });
    expect(second.result).toEqual({ created: false, createMsgId: first.messageId });

    const found = await store.getCase(first.caseNo);
    expect(found?.matterId).toBe('KC-M-0001');
    expect(found?.createdAt).toBe(iso(T0));
    expect(found?.events).toHaveLength(1);
    expect(found?.crossings.map((c) => c.id)).toEqual([first.messageId]);
    expect(await outboxMembers(store, first.caseNo)).toEqual([first.member]);
  });
});

describe('applyIncoming', () => {
  it('when the application envelope arrives at the handling side, then the case appears there as forwarded with a submit job', async () => {
    const store = storeFor('apply-application');
    const { caseNo, app } = await createHandlingCase(store);
    const found = await store.getCase(caseNo);
    expect(found).toMatchObject({ caseNo, state: 'forwarded', origin: 'liwan', handling: 'nanhai', application: app, createdAt: iso(T0) });
    expect(found?.events.map((e) => [e.kind, e.state])).toEqual([['received', 'forwarded']]);
    expect(await redis.zscore(store.keys.shardFor(caseNo).approvalJobs, caseNo)).toBe(String(T0 + 2_000));
  });

  it('when seq 1 arrives, then seq 3, then seq 2, then 1 is applied, 3 is held, and 2 is applied followed by the held 3 in order', async () => {
    const store = storeFor('apply-in-order');
    const { caseNo } = await createOriginCase(store);
    const s1 = incomingStatus(caseNo, 1, 'registered');
    const s2 = incomingStatus(caseNo, 2, 'accepted');
    const s3 = incomingStatus(caseNo, 3, 'approved');

    expect(await store.applyIncoming(s1)).toEqual({ outcome: 'APPLIED', count: 1 });
    expect((await store.getCase(caseNo))?.state).toBe('registered');

    expect(await store.applyIncoming(s3)).toEqual({ outcome: 'HELD', inSeq: 1 });
    const whileHeld = await store.getCase(caseNo);
    expect(whileHeld?.state).toBe('registered');
    expect(whileHeld?.events.map((e) => e.kind)).toEqual(['created', 'status']);

    expect(await store.applyIncoming(s2)).toEqual({ outcome: 'APPLIED', count: 2 });
    const after = await store.getCase(caseNo);
    expect(after?.state).toBe('approved');
    expect(after?.localNo).toBe('NH-2026-000042');
    expect(after?.events.map((e) => [e.seq, e.kind, e.state, e.messageId])).toEqual([
      [1, 'created', 'submitted', expect.any(String)],
      [2, 'status', 'registered', s1.messageId],
      [3, 'status', 'accepted', s2.messageId],
      [4, 'status', 'approved', s3.messageId],
    ]);
    // Every incoming envelope and its receipt are archived verbatim, the held one included.
    for (const s of [s1, s2, s3]) {
      const archived = await store.getArchived(caseNo, s.messageId);
      expect(archived.envelope?.equals(s.envelope)).toBe(true);
      expect(archived.receipt?.equals(s.receipt)).toBe(true);
    }
    // The held bookkeeping is gone once applied.
    const leftovers = (await redis.hkeys(store.keys.case(caseNo).record)).filter((f) => f.startsWith('held:') || f.startsWith('effect:'));
    expect(leftovers).toEqual([]);
    expect(await redis.hget(store.keys.case(caseNo).record, 'inSeq')).toBe('3');
  });

  it('when the same message id arrives again, then DUP returns the original receipt and envelope bytes and nothing is applied twice', async () => {
    const store = storeFor('apply-dup');
    const { caseNo } = await createOriginCase(store);
    const s1 = incomingStatus(caseNo, 1, 'registered');
    await store.applyIncoming(s1);

    const again = { ...s1, envelope: Buffer.from('a later send attempt'), receipt: Buffer.from('a newer receipt'), nowMs: s1.nowMs + 5_000 };
    const result = await store.applyIncoming(again);
    expect(result.outcome).toBe('DUP');
    if (result.outcome !== 'DUP') return;
    expect(result.receipt.equals(s1.receipt)).toBe(true);
    expect(result.envelope.equals(s1.envelope)).toBe(true);
    expect((await store.getCase(caseNo))?.events).toHaveLength(2);
  });

  it('when a held message id arrives again, then DUP returns its original receipt', async () => {
    const store = storeFor('apply-dup-held');
    const { caseNo } = await createOriginCase(store);
    const s2 = incomingStatus(caseNo, 2, 'accepted');
    expect(await store.applyIncoming(s2)).toEqual({ outcome: 'HELD', inSeq: 0 });
    const result = await store.applyIncoming({ ...s2, receipt: Buffer.from('other') });
    expect(result.outcome).toBe('DUP');
    if (result.outcome === 'DUP') expect(result.receipt.equals(s2.receipt)).toBe(true);
  });

  it('when a different message uses a sequence number already applied or held, then OUT_OF_SEQUENCE is returned and nothing is stored', async () => {
    const store = storeFor('apply-out-of-seq');
    const { caseNo } = await createOriginCase(store);
    await store.applyIncoming(incomingStatus(caseNo, 1, 'registered'));
    await store.applyIncoming(incomingStatus(caseNo, 3, 'approved'));

    const reusedApplied = incomingStatus(caseNo, 1, 'rejected');
    expect(await store.applyIncoming(reusedApplied)).toEqual({ outcome: 'OUT_OF_SEQUENCE', inSeq: 1 });
    const reusedHeld = incomingStatus(caseNo, 3, 'rejected');
    expect(await store.applyIncoming(reusedHeld)).toEqual({ outcome: 'OUT_OF_SEQUENCE', inSeq: 1 });

    for (const s of [reusedApplied, reusedHeld]) {
      expect(await store.getArchived(caseNo, s.messageId)).toEqual({ envelope: null, receipt: null });
    }
    const found = await store.getCase(caseNo);
    expect(found?.state).toBe('registered');
    expect(found?.crossings.map((c) => c.id)).not.toContain(reusedApplied.messageId);
  });
});

describe('applyApprovalEvent', () => {
  it('when approval events arrive (new, repeated id, same state, backwards), then each is OK, DUP, SAME or IGNORED and only applied changes queue an envelope', async () => {
    const store = storeFor('approval-events');
    const { caseNo } = await createHandlingCase(store);

    const registered = approvalEvent(store, caseNo, 'ev-1', 'registered');
    expect(await store.applyApprovalEvent(registered)).toEqual({ outcome: 'OK', seq: 1 });
    expect(await store.applyApprovalEvent({ ...approvalEvent(store, caseNo, 'ev-1', 'registered') })).toEqual({ outcome: 'DUP' });
    expect(await store.applyApprovalEvent(approvalEvent(store, caseNo, 'ev-2', 'registered'))).toEqual({ outcome: 'SAME' });
    expect(await store.applyApprovalEvent(approvalEvent(store, caseNo, 'ev-2b', 'registered', ''))).toEqual({ outcome: 'SAME' });
    const accepted = approvalEvent(store, caseNo, 'ev-3', 'accepted');
    await redis.zadd(accepted.watchKey, T0 + 3_600_000, caseNo); // a re-check planned for later
    expect(await store.applyApprovalEvent(accepted)).toEqual({ outcome: 'OK', seq: 2 });
    // The same step put the case on the deadline watch, due now (never later than it was).
    expect(Number(await redis.zscore(accepted.watchKey, caseNo))).toBe(accepted.nowMs);
    const approved = approvalEvent(store, caseNo, 'ev-4', 'approved');
    expect(await store.applyApprovalEvent(approved)).toEqual({ outcome: 'OK', seq: 3 });
    expect(await store.applyApprovalEvent(approvalEvent(store, caseNo, 'ev-5', 'accepted'))).toEqual({ outcome: 'IGNORED', state: 'approved' });
    expect(await store.applyApprovalEvent(approvalEvent(store, caseNo, 'ev-5', 'accepted'))).toEqual({ outcome: 'DUP' });

    const found = await store.getCase(caseNo);
    expect(found?.state).toBe('approved');
    expect(found?.localNo).toBe('NH-2026-000042');
    expect(found?.events.map((e) => [e.kind, e.state])).toEqual([
      ['received', 'forwarded'],
      ['status', 'registered'],
      ['status', 'accepted'],
      ['status', 'approved'],
      ['status_ignored', 'approved'],
    ]);

    // Exactly one outbox entry per applied change, each with its draft and queued metadata in order.
    const applied = [registered, accepted, approved];
    expect((await outboxMembers(store, caseNo)).sort()).toEqual(applied.map((e) => `${caseNo}|${e.messageId}`).sort());
    const items = await store.loadOutboxItems(store.keys.shardFor(caseNo), applied.map((e) => `${caseNo}|${e.messageId}`));
    expect(items.map((i) => [i.messageId, i.meta?.seq, i.meta?.type, i.meta?.delivery, i.meta?.from, i.meta?.to, i.draft])).toEqual(
      applied.map((e, n) => [e.messageId, n + 1, 'status', 'queued', 'nanhai', 'liwan', e.draft]),
    );
  });

  it('when the approval system reports the same state with a new local number, then the number is recorded and announced once', async () => {
    const store = storeFor('approval-localno');
    const { caseNo } = await createHandlingCase(store);
    await store.applyApprovalEvent(approvalEvent(store, caseNo, 'ev-1', 'registered', ''));
    const renumbered = approvalEvent(store, caseNo, 'ev-2', 'registered', 'NH-2026-000099');
    expect(await store.applyApprovalEvent(renumbered)).toEqual({ outcome: 'OK', seq: 2 });
    const found = await store.getCase(caseNo);
    expect(found?.state).toBe('registered');
    expect(found?.localNo).toBe('NH-2026-000099');
    expect(await outboxMembers(store, caseNo)).toHaveLength(2);
  });

  it('when the case is unknown, then CASE_NOT_FOUND is returned and nothing is queued', async () => {
    const store = storeFor('approval-unknown');
    const caseNo = formatCaseNo('liwan', '20261121', 404);
    expect(await store.applyApprovalEvent(approvalEvent(store, caseNo, 'ev-1', 'registered'))).toEqual({ outcome: 'CASE_NOT_FOUND' });
    expect(await outboxMembers(store, caseNo)).toEqual([]);
    expect(await store.getCase(caseNo)).toBeNull();
  });
});

describe('outbox', () => {
  it('when due members are claimed, then a second claim at the same time gets nothing and a claim once the lease ran out gets them again', async () => {
    const store = storeFor('claim-due');
    const a = await createOriginCase(store, { caseNo: formatCaseNo('liwan', '20261121', 1), atMs: T0 });
    // Find a second case number on the same shard, so both sit in one outbox.
    const shard = store.keys.shardFor(a.caseNo);
    let n = 2;
    while (store.keys.shardFor(formatCaseNo('liwan', '20261121', n)).index !== shard.index) n++;
    const b = await createOriginCase(store, { caseNo: formatCaseNo('liwan', '20261121', n), atMs: T0 + 1_000 });
    const now = T0 + 5_000;
    const leaseMs = 30_000;

    expect(await store.claimDue(shard.outbox, now, leaseMs, 10)).toEqual([a.member, b.member]);
    expect(await store.claimDue(shard.outbox, now, leaseMs, 10)).toEqual([]);
    expect(await store.claimDue(shard.outbox, now + leaseMs - 1, leaseMs, 10)).toEqual([]);
    expect((await store.claimDue(shard.outbox, now + leaseMs, leaseMs, 10)).sort()).toEqual([a.member, b.member].sort());
  });

  it('when fewer members may be claimed than are due, then the most overdue come first and the rest stay due', async () => {
    const store = storeFor('claim-limit');
    const a = await createOriginCase(store, { caseNo: formatCaseNo('nanhai', '20261121', 1), atMs: T0 });
    const shard = store.keys.shardFor(a.caseNo);
    let n = 2;
    while (store.keys.shardFor(formatCaseNo('nanhai', '20261121', n)).index !== shard.index) n++;
    const b = await createOriginCase(store, { caseNo: formatCaseNo('nanhai', '20261121', n), atMs: T0 + 1_000 });
    const notDue = await (async () => {
      let m = n + 1;
      while (store.keys.shardFor(formatCaseNo('nanhai', '20261121', m)).index !== shard.index) m++;
      return createOriginCase(store, { caseNo: formatCaseNo('nanhai', '20261121', m), atMs: T0 + 60_000 });
    })();

    expect(await store.claimDue(shard.outbox, T0 + 5_000, 30_000, 1)).toEqual([a.member]);
    expect(await store.claimDue(shard.outbox, T0 + 5_000, 30_000, 10)).toEqual([b.member]);
    expect(await redis.zscore(shard.outbox, notDue.member)).toBe(String(T0 + 60_000));
  });

  it('when delivery fails up to the attempt limit, then it is dead-lettered; resendDead puts it back with a fresh budget', async () => {
    const store = storeFor('fail-dead-resend');
    const { caseNo, messageId, member } = await createOriginCase(store);
    const shard = store.keys.shardFor(caseNo);
    const [item] = await store.loadOutboxItems(shard, [member]);

    expect(await store.failDelivery(item!, 'PEER_UNAVAILABLE', T0 + 1_000, 3, T0 + 100)).toEqual({ attempts: 1, dead: false });
    expect(await redis.zscore(shard.outbox, member)).toBe(String(T0 + 1_000));
    expect(await store.failDelivery(item!, 'PEER_UNAVAILABLE', T0 + 2_000, 3, T0 + 1_100)).toEqual({ attempts: 2, dead: false });
    const retrying = (await store.getCase(caseNo))?.crossings[0];
    expect(retrying).toMatchObject({ id: messageId, delivery: 'retrying', attempts: 2, lastError: 'PEER_UNAVAILABLE' });

    expect(await store.failDelivery(item!, 'RECEIPT_INVALID', T0 + 3_000, 3, T0 + 2_100)).toEqual({ attempts: 3, dead: true });
    expect(await redis.zscore(shard.outbox, member)).toBeNull();
    expect(await redis.zscore(shard.dead, member)).toBe(String(T0 + 2_100));
    expect(await store.listDead()).toEqual([{ caseNo, messageId, deadAt: T0 + 2_100 }]);
    const dead = await store.getCase(caseNo);
    expect(dead?.crossings[0]).toMatchObject({ delivery: 'dead_lettered', attempts: 3, lastError: 'RECEIPT_INVALID' });
    expect(dead?.events.at(-1)).toMatchObject({ kind: 'dead_lettered', state: 'submitted', note: 'RECEIPT_INVALID', messageId });
    expect(await store.outboxDepth()).toEqual({ outbox: 0, dead: 1 });

    expect(await store.resendDead(caseNo, messageId, T0 + 9_000)).toBe(true);
    expect(await redis.zscore(shard.dead, member)).toBeNull();
    expect(await redis.zscore(shard.outbox, member)).toBe(String(T0 + 9_000));
    const resent = await store.getCase(caseNo);
    expect(resent?.crossings[0]).toMatchObject({ delivery: 'queued', attempts: 0 });
    expect(resent?.events.at(-1)).toMatchObject({ kind: 'resent', messageId });
    expect(await store.listDead()).toEqual([]);

    expect(await store.resendDead(caseNo, messageId, T0 + 9_500)).toBe(false);
    // A fresh budget: the next failure is attempt 1 again.
    expect(await store.failDelivery(item!, 'PEER_UNAVAILABLE', T0 + 10_000, 3, T0 + 9_600)).toEqual({ attempts: 1, dead: false });
  });

  it('when the attempt limit is 0, then delivery is never dead-lettered however often it fails', async () => {
    const store = storeFor('fail-unlimited');
    const { caseNo, member } = await createOriginCase(store);
    const shard = store.keys.shardFor(caseNo);
    const [item] = await store.loadOutboxItems(shard, [member]);
    for (let n = 1; n <= 25; n++) {
      expect(await store.failDelivery(item!, 'PEER_UNAVAILABLE', T0 + n * 1_000, 0, T0 + n * 1_000 - 1)).toEqual({ attempts: n, dead: false });
    }
    expect(await redis.zscore(shard.outbox, member)).toBe(String(T0 + 25_000));
    expect(await redis.zcard(shard.dead)).toBe(0);
  });

  it('when a receipt arrives for an envelope already dead-lettered, then it leaves the dead letters and resendDead refuses it', async () => {
    // E.g. a replica whose lease ran out gets the receipt after another replica used up the attempts.
    const store = storeFor('complete-after-dead');
    const { caseNo, messageId, member } = await createOriginCase(store);
    const shard = store.keys.shardFor(caseNo);
    const [item] = await store.loadOutboxItems(shard, [member]);
    expect(await store.failDelivery(item!, 'RECEIPT_INVALID', T0 + 1_000, 1, T0 + 500)).toEqual({ attempts: 1, dead: true });

    expect(await store.completeDelivery(item!, Buffer.from('attempt'), Buffer.from('receipt'), newId(), 'd'.repeat(64), T0 + 2_000)).toBe(true);
    expect((await store.getCase(caseNo))?.crossings[0]?.delivery).toBe('receipted');
    expect(await store.listDead()).toEqual([]);
    expect(await redis.zscore(shard.dead, member)).toBeNull();
    expect(await store.resendDead(caseNo, messageId, T0 + 3_000)).toBe(false);
    expect((await store.getCase(caseNo))?.crossings[0]?.delivery).toBe('receipted');
  });

  it('when a late failure is reported for an envelope already dead-lettered, then it stays dead-lettered and off the outbox', async () => {
    const store = storeFor('fail-after-dead');
    const { caseNo, member } = await createOriginCase(store);
    const shard = store.keys.shardFor(caseNo);
    const [item] = await store.loadOutboxItems(shard, [member]);
    await store.failDelivery(item!, 'ENVELOPE_OUT_OF_SEQUENCE', T0 + 1_000, 1, T0 + 500);

    await store.failDelivery(item!, 'PEER_UNAVAILABLE', T0 + 2_000, 0, T0 + 1_500);
    expect((await store.getCase(caseNo))?.crossings[0]?.delivery).toBe('dead_lettered');
    expect(await redis.zscore(shard.dead, member)).toBe(String(T0 + 500));
    expect(await redis.zscore(shard.outbox, member)).toBeNull();
  });

  it('when a receipt is recorded twice, then the second call is a no-op, and the unreceipted attempts (att:*) are gone', async () => {
    const store = storeFor('complete-idempotent');
    const { caseNo, messageId, member } = await createOriginCase(store);
    const other = await createOriginCase(store, { caseNo: formatCaseNo('liwan', '20261121', 2) });
    const shard = store.keys.shardFor(caseNo);
    const [item] = await store.loadOutboxItems(shard, [member]);
    expect(item?.draft).toBeDefined();

    const attempt1 = Buffer.from('attempt one \u0000', 'latin1');
    const attempt2 = Buffer.from('attempt two \u00ff', 'latin1');
    await store.recordAttempt(caseNo, messageId, 'a'.repeat(64), attempt1);
    await store.recordAttempt(caseNo, messageId, 'b'.repeat(64), attempt2);
    await store.recordAttempt(other.caseNo, other.messageId, 'c'.repeat(64), Buffer.from('someone else'));
    expect((await store.getAttempt(caseNo, messageId, 'b'.repeat(64)))?.equals(attempt2)).toBe(true);

    const receipt = Buffer.from('signed receipt \u0001', 'latin1');
    const receiptId = newId();
    expect(await store.completeDelivery(item!, attempt2, receipt, receiptId, 'b'.repeat(64), T0 + 3_000)).toBe(true);
    expect(await store.completeDelivery(item!, attempt1, Buffer.from('another receipt'), newId(), 'a'.repeat(64), T0 + 4_000)).toBe(false);

    const archiveFields = await redis.hkeys(store.keys.case(caseNo).archive);
    expect(archiveFields.filter((f) => f.startsWith('att:'))).toEqual([]);
    expect(await store.getAttempt(other.caseNo, other.messageId, 'c'.repeat(64))).not.toBeNull();
    const archived = await store.getArchived(caseNo, messageId);
    expect(archived.envelope?.equals(attempt2)).toBe(true);
    expect(archived.receipt?.equals(receipt)).toBe(true);

    const found = await store.getCase(caseNo);
    expect(found?.state).toBe('forwarded');
    expect(found?.crossings[0]).toMatchObject({ delivery: 'receipted', receiptId, bodySha256: 'b'.repeat(64), receiptedAt: iso(T0 + 3_000) });
    expect(found?.events.map((e) => e.kind)).toEqual(['created', 'forwarded']);
    expect(await redis.zscore(shard.outbox, member)).toBeNull();
    expect(await redis.hexists(store.keys.case(caseNo).record, `draft:${messageId}`)).toBe(0);
    // A late failure report for a receipted envelope changes nothing.
    expect(await store.failDelivery(item!, 'PEER_UNAVAILABLE', T0 + 5_000, 3, T0 + 5_000)).toEqual({ attempts: 0, dead: false });
    expect(await redis.zscore(shard.outbox, member)).toBeNull();
  });
});
