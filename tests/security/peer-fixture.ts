/**
 * Shared set-up of the peer-envelope security catalogue: a real Redis, two real gateways on a test
 * PKI of our own (with bad nanhai certificates added), and a mutual-TLS link to liwan's peer port
 * presenting the real nanhai gateway certificate — we play the nanhai gateway and craft envelopes.
 *
 * Not a test file (vitest only collects *.test.ts); each *.test.ts file starts its own fixture.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { expect } from 'vitest';
import type { GatewayContext } from '../../gateway/context.js';
import type { CaseState } from '../../gateway/domain/case.js';
import type { EnvelopeDraft, Signed } from '../../gateway/envelope/envelope.js';
import type { Signer } from '../../gateway/envelope/signer.js';
import { grpcStatusOf, type ErrorCode } from '../../gateway/errors.js';
import { applicationFor, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { connectToPeerPort, issueGatewayVariants, refusalOf, signerOf, type GatewayVariants, type PeerLink } from '../helpers/peer-attacker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

export interface PeerFixture {
  redis: RedisHandle;
  sys: TwoGateways;
  pki: TestPki;
  /** Nanhai gateway certificates that are wrong in one respect each. */
  nanhaiBad: GatewayVariants;
  /** Liwan's peer port, reached with the real nanhai gateway certificate. */
  link: PeerLink;
  /** The real signing keys of both gateways. */
  signers: Record<'nanhai' | 'liwan', Signer>;
  liwan(): GatewayContext;
  stop(): Promise<void>;
}

export async function startPeerFixture(name: string, opts: { env?: Record<string, string> } = {}): Promise<PeerFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'kc-sec-'));
  const pki = createTestPki(join(dir, 'pki'));
  const nanhaiBad = issueGatewayVariants(pki, 'nanhai');
  const redis = await startRedis();
  const sys = await startTwoGateways({ redisUrl: redis.url, name, pki, env: opts.env });
  const link = connectToPeerPort({
    port: sys.gateways.liwan.ctx.config.KC_PEER_PORT,
    expect: 'liwan',
    roots: pki.root,
    client: pki.gateways.nanhai,
  });
  return {
    redis,
    sys,
    pki,
    nanhaiBad,
    link,
    signers: {
      nanhai: signerOf(pki.gateways.nanhai, 'nanhai'),
      liwan: signerOf(pki.gateways.liwan, 'liwan'),
    },
    liwan: () => sys.gateways.liwan.ctx,
    async stop() {
      link.close();
      await sys.stop();
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A case taken in at a liwan window for a matter nanhai handles, forwarded, and registered by
 * nanhai's approval system: nanhai (that is, we) may now send status envelopes for it to liwan.
 */
export async function caseHandledByNanhai(fx: PeerFixture): Promise<{ caseNo: string; localNo: string }> {
  const created = await postJson(`${fx.sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
  expect(created.status).toBe(201);
  const caseNo = created.body.caseNo as string;
  const record = await eventually(async () => {
    const c = await fx.liwan().store.getCase(caseNo);
    // Registered, and nothing still in flight that could change the record under our feet.
    const settled = c?.crossings.every((x) => x.delivery === 'receipted' || x.delivery === 'received');
    return c?.state === 'registered' && c.localNo && settled ? c : undefined;
  }, `case ${caseNo} registered at liwan`);
  return { caseNo, localNo: record.localNo! };
}

/** The next sequence number liwan expects from nanhai on this case. */
export async function nextInSeq(fx: PeerFixture, caseNo: string): Promise<number> {
  const ctx = fx.liwan();
  return Number((await ctx.store.redis.hget(ctx.store.keys.case(caseNo).record, 'inSeq')) ?? '0') + 1;
}

export function statusDraft(
  caseNo: string,
  seq: number,
  content: { state?: CaseState; localNo?: string; at?: string; note?: string } = {},
  header: Partial<EnvelopeDraft> = {},
): EnvelopeDraft {
  return {
    id: ulid(),
    type: 'status',
    from: 'nanhai',
    to: 'liwan',
    caseNo,
    seq,
    content: { state: 'accepted', localNo: '', at: new Date().toISOString(), note: '', ...content },
    ...header,
  };
}

let appCounter = 0;
/** A fresh nanhai case number that liwan has never seen (9xxxxx: far from the real daily counter). */
export function freshNanhaiCaseNo(): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const n = 900_000 + ((process.pid * 97 + appCounter++ * 7919 + Math.floor(Math.random() * 1000)) % 100_000);
  return `KC-NH-${day}-${n}`;
}

/** An application taken in at a nanhai window and forwarded to liwan (seq 1 of a new case). */
export function applicationDraft(caseNo: string, matterId = 'KC-M-0003', header: Partial<EnvelopeDraft> = {}): EnvelopeDraft {
  return {
    id: ulid(),
    type: 'application',
    from: 'nanhai',
    to: 'liwan',
    caseNo,
    seq: 1,
    content: { matterId, takenInAt: new Date().toISOString(), application: applicationFor('liwan', { matterId }) },
    ...header,
  };
}

/** Everything liwan's Redis holds about a case, raw: the record hash, the event list, the archive. */
export async function rawCase(fx: PeerFixture, caseNo: string) {
  const ctx = fx.liwan();
  const k = ctx.store.keys.case(caseNo);
  const [record, events, archive] = await Promise.all([
    ctx.store.redis.hgetall(k.record),
    ctx.store.redis.lrange(k.events, 0, -1),
    ctx.store.redis.hkeys(k.archive),
  ]);
  return { record, events, archive: archive.sort() };
}

/** The call must be refused with exactly `code`, carried as the gRPC status its table says. */
export async function expectRefused(call: Promise<Signed | Buffer>, code: ErrorCode): Promise<void> {
  const refusal = await refusalOf(call);
  expect({ status: refusal.status, code: refusal.code }, refusal.details).toEqual({ status: grpcStatusOf(code), code });
}

/** Liwan's log lines written since `mark` (a length of `sys.logs()`), parsed. */
export function liwanLogsSince(fx: PeerFixture, mark: number): Record<string, unknown>[] {
  return fx.sys
    .logs()
    .slice(mark)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.district === 'liwan');
}

/**
 * Liwan logged the refusal with its code, at warn level or above, since `mark`. `msg` is the log
 * message to expect; `null` accepts any message (refusals that are not about the envelope itself).
 */
export function expectRejectionLogged(fx: PeerFixture, mark: number, code: ErrorCode, msg: string | null = 'envelope rejected'): void {
  const lines = liwanLogsSince(fx, mark);
  const hit = lines.find((l) => l.code === code && (msg === null || l.msg === msg) && typeof l.level === 'number' && l.level >= 40);
  const wanted = msg === null ? `{"code":"${code}"}` : `{"code":"${code}", "msg":"${msg}"}`;
  expect(hit, `a liwan warn/error log line ${wanted} among:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`).toBeDefined();
}
