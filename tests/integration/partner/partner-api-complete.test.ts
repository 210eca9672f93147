/**
 * The rest of the partner API — ListCases, RecordHandoff / ReceiveHandoff, GetCaseTimeline, WatchCase
 * following hand-offs live — the partner policy (KC_PARTNERS_FILE, deny by default), and every error
 * code the API answers with, read the standard way: the google.rpc.Status in
 * `grpc-status-details-bin`, decoded with protobufjs from protos/google/rpc/*.proto (not with our
 * generated code). The client is the stock proto-loader one (tests/helpers/partner-client.ts).
 *
 * Policies: at Liwan kiosk-liwan may do everything and kiosk-nanhai only some operations, for matter
 * KC-M-0003 alone; at Nanhai kiosk-nanhai may do everything and kiosk-liwan is not listed at all.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../../gateway/domain/district.js';
import { applicationFor, postJson } from '../../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../../helpers/gateways.js';
import { writeStaleCrl } from '../../helpers/pki.js';
import {
  collect,
  errorReason,
  healthClient,
  kcErrorCode,
  partnerClient,
  reflectionClient,
  rejectionOf,
  rpcStatus,
  toPbRequest,
  type ClientTls,
  type PartnerApi,
  type PbCaseSummary,
  type PbListCasesRequest,
  type PbRecordHandoffRequest,
} from '../../helpers/partner-client.js';
import { startRedis, type RedisHandle } from '../../helpers/redis.js';

const EVERYTHING = [
  'ListMatters',
  'ForwardApplication',
  'GetCase',
  'ListCases',
  'WatchCase',
  'GetCaseTimeline',
  'RecordHandoff',
  'ReceiveHandoff',
  'RateCase',
  'GetSupervisionFigures',
];
const POLICY: Record<District, string> = {
  liwan: `version: 1
partners:
  kiosk-liwan:
    operations: [${EVERYTHING.join(', ')}]
    matters: ['*']
  kiosk-nanhai:
    operations: [ListMatters, ForwardApplication, GetCase, ListCases, WatchCase, GetSupervisionFigures]
    matters: [KC-M-0003]
`,
  nanhai: `version: 1
partners:
  kiosk-nanhai:
    operations: [${EVERYTHING.join(', ')}]
    matters: ['*']
`,
};

let redis: RedisHandle;
let sys: TwoGateways;
let policyDir: string;
/** kiosk-liwan at Liwan: may do everything. */
let kiosk: PartnerApi;
/** kiosk-nanhai at Liwan: some operations, matter KC-M-0003 only. */
let limited: PartnerApi;
/** kiosk-nanhai at Nanhai: may do everything. */
let nanhaiKiosk: PartnerApi;
/** kiosk-liwan at Nanhai: not in Nanhai's partners file. */
let unknownPartner: PartnerApi;

const address = (d: District) => `127.0.0.1:${sys.gateways[d].ports.partner}`;
const tlsOf = (cred: { certPem: string; privateKey: { export(o: { type: 'pkcs8'; format: 'pem' }): string | Buffer } }): ClientTls => ({
  rootPem: sys.pki.root.certPem,
  certPem: cred.certPem,
  keyPem: cred.privateKey.export({ type: 'pkcs8', format: 'pem' }),
});
const client = (d: District, cred: Parameters<typeof tlsOf>[0]) => partnerClient({ address: address(d), tls: tlsOf(cred), check: { gatewayUri: `urn:kuacheng:gateway:${d}` } });

beforeAll(async () => {
  redis = await startRedis();
  policyDir = mkdtempSync(join(tmpdir(), 'kc-partners-'));
  for (const d of ['liwan', 'nanhai'] as const) writeFileSync(join(policyDir, `${d}.yaml`), POLICY[d]);
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'partner-complete', envFor: (d) => ({ KC_PARTNERS_FILE: join(policyDir, `${d}.yaml`) }) });
  kiosk = client('liwan', sys.pki.partners['kiosk-liwan']);
  limited = client('liwan', sys.pki.partners['kiosk-nanhai']);
  nanhaiKiosk = client('nanhai', sys.pki.partners['kiosk-nanhai']);
  unknownPartner = client('nanhai', sys.pki.partners['kiosk-liwan']);
});

afterAll(async () => {
  for (const c of [kiosk, limited, nanhaiKiosk, unknownPartner]) c?.close();
  await sys?.stop();
  await redis?.stop();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

const newKey = () => `kiosk-${randomUUID()}`;

/** A KC-M-0001 case taken in at Liwan by kiosk-liwan (handled by Nanhai). */
async function liwanCase(): Promise<string> {
  return (await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), newKey()))).case_no;
}

/** A KC-M-0003 case taken in at Nanhai by kiosk-nanhai, once Liwan (which handles it) holds it. */
async function nanhaiCase(): Promise<string> {
  const caseNo = (await nanhaiKiosk.forwardApplication(toPbRequest(applicationFor('liwan'), newKey()))).case_no;
  await eventually(async () => (await kiosk.getCase(caseNo).catch(() => undefined))?.case_no, `${caseNo} at Liwan`);
  return caseNo;
}

/** How many cases the gateway's store holds (the per-shard case index). */
async function caseCount(d: District): Promise<number> {
  const store = sys.gateways[d].ctx.store;
  const counts = await Promise.all(store.keys.shards.map((s) => store.redis.zcard(s.cases)));
  return counts.reduce((a, b) => a + b, 0);
}

/** Every page of a listing, and the pages' sizes. */
async function allPages(api: PartnerApi, req: PbListCasesRequest): Promise<{ cases: PbCaseSummary[]; sizes: number[] }> {
  const cases: PbCaseSummary[] = [];
  const sizes: number[] = [];
  let token = '';
  for (let n = 0; n < 500; n++) {
    const page = await api.listCases({ ...req, page_token: token });
    cases.push(...page.cases);
    sizes.push(page.cases.length);
    token = page.next_page_token;
    if (!token) return { cases, sizes };
  }
  throw new Error('the listing did not end');
}

/**
 * The error the standard way: the gRPC status, and a google.rpc.Status in the details trailer with
 * the same code and message, whose ErrorInfo names the stable code in domain kuacheng.gov.cn. The
 * `kc-error-code` trailer says the same.
 */
function expectError(err: ServiceError, code: status, reason: string) {
  expect(err.code, `${reason}: ${err.details}`).toBe(code);
  const rich = rpcStatus(err);
  expect(rich, 'grpc-status-details-bin').toBeDefined();
  expect(rich!.code).toBe(code);
  expect(rich!.message).toBe(err.details);
  const info = rich!.details.find((d) => d['@type'] === 'google.rpc.ErrorInfo');
  expect(info).toMatchObject({ reason, domain: 'kuacheng.gov.cn' });
  expect(errorReason(err)).toBe(reason);
  expect(kcErrorCode(err)).toBe(reason);
  return rich!;
}

/** Log lines (pino JSON) that contain `text`. */
function logLines(text: string): Record<string, any>[] {
  return sys
    .logs()
    .split('\n')
    .filter((l) => l.includes(text))
    .map((l) => JSON.parse(l) as Record<string, any>);
}

const dispatch = (caseNo: string, overrides: Partial<PbRecordHandoffRequest> = {}): PbRecordHandoffRequest => ({
  case_no: caseNo,
  kind: 'materials_to_handling',
  manifest: [
    { name: '公司章程', form: 'original', copies: 1, pages: 12 },
    { name: '法定代表人身份证明', form: 'copy', copies: 1, pages: 1 },
  ],
  seal_no: 'LW-SEAL-000777',
  handed_by: 'LW-W-0007',
  taken_by: 'EMS-C-0042',
  carrier: 'ems',
  waybill: 'EA123456785CN',
  ...overrides,
});

describe('ListCases', () => {
  it('when a partner pages through the cases with page_size 2, then it sees each case once, newest first, the same as one big page', async () => {
    const mine = [await liwanCase(), await liwanCase(), await nanhaiCase(), await liwanCase()];
    const { cases, sizes } = await allPages(kiosk, { page_size: 2 });
    expect(sizes.every((n) => n <= 2)).toBe(true);
    expect(sizes.length).toBeGreaterThanOrEqual(2);
    const numbers = cases.map((c) => c.case_no);
    expect(new Set(numbers).size).toBe(numbers.length);
    for (const caseNo of mine) expect(numbers).toContain(caseNo);
    // Newest first: the ones made later come earlier.
    expect(numbers.indexOf(mine[3]!)).toBeLessThan(numbers.indexOf(mine[0]!));
    const times = cases.map((c) => Date.parse(c.created_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    const big = await kiosk.listCases({ page_size: 200 });
    expect(big.next_page_token).toBe('');
    expect(big.cases.map((c) => c.case_no)).toEqual(numbers);

    const one = cases.find((c) => c.case_no === mine[0])!;
    expect(one).toMatchObject({ matter_id: 'KC-M-0001', origin_district: 'liwan', handling_district: 'nanhai' });
    expect(one.matter_name).not.toBe('');
    expect(one.state_label).toMatch(/[\u4e00-\u9fff]/);
  });

  it('when a partner filters by matter, district, state or deadline colour, then only matching cases come back', async () => {
    const ours = await liwanCase();
    const theirs = await nanhaiCase();

    const byMatter = (await allPages(kiosk, { matter_id: 'KC-M-0003', page_size: 50 })).cases;
    expect(byMatter.map((c) => c.case_no)).toContain(theirs);
    expect(byMatter.every((c) => c.matter_id === 'KC-M-0003')).toBe(true);

    const byOrigin = (await allPages(kiosk, { origin_district: 'liwan' })).cases;
    expect(byOrigin.map((c) => c.case_no)).toContain(ours);
    expect(byOrigin.map((c) => c.case_no)).not.toContain(theirs);
    expect(byOrigin.every((c) => c.origin_district === 'liwan')).toBe(true);

    const byHandling = (await allPages(kiosk, { handling_district: 'liwan' })).cases;
    expect(byHandling.map((c) => c.case_no)).toEqual(expect.arrayContaining([theirs]));
    expect(byHandling.every((c) => c.handling_district === 'liwan')).toBe(true);

    const state = (await kiosk.getCase(ours)).state;
    const byState = (await allPages(kiosk, { state })).cases;
    expect(byState.every((c) => c.state === state)).toBe(true);

    // Fresh cases run no deadline yet (or a green one): none of them is red.
    const red = (await allPages(kiosk, { deadline_colour: 'red' })).cases;
    expect(red.every((c) => c.deadline?.colour === 'red')).toBe(true);
    expect(red.map((c) => c.case_no)).not.toContain(ours);
  });

  it('rejects-list-with-bad-filters: VALIDATION_FAILED naming the proto fields, INVALID_CURSOR for a token not handed out or from another filter', async () => {
    const tooBig = expectError(await rejectionOf(kiosk.listCases({ page_size: 500, deadline_colour: 'purple' })), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
    const bad = tooBig.details.find((d) => d['@type'] === 'google.rpc.BadRequest')!;
    expect(bad.field_violations.map((v: any) => v.field).sort()).toEqual(['deadline_colour', 'page_size']);

    expectError(await rejectionOf(kiosk.listCases({ page_token: 'not-a-token' })), status.INVALID_ARGUMENT, 'INVALID_CURSOR');
    await liwanCase();
    await liwanCase();
    const first = await kiosk.listCases({ page_size: 1, origin_district: 'liwan' });
    expect(first.next_page_token).not.toBe('');
    expectError(await rejectionOf(kiosk.listCases({ page_size: 1, origin_district: 'nanhai', page_token: first.next_page_token })), status.INVALID_ARGUMENT, 'INVALID_CURSOR');
  });

  it('when a partner allowed one matter lists cases, then it pages through exactly the cases of that matter', async () => {
    const theirs = [await nanhaiCase(), await nanhaiCase()];
    await liwanCase();
    const seen = await allPages(limited, { page_size: 1 });
    expect(seen.cases.length).toBeGreaterThanOrEqual(2);
    expect(seen.cases.every((c) => c.matter_id === 'KC-M-0003')).toBe(true);
    expect(seen.cases.map((c) => c.case_no)).toEqual(expect.arrayContaining(theirs));
    const all = await allPages(kiosk, { matter_id: 'KC-M-0003', page_size: 200 });
    expect(seen.cases.map((c) => c.case_no)).toEqual(all.cases.map((c) => c.case_no));
  });
});

describe('hand-offs, the timeline and WatchCase as things happen', () => {
  it('when the materials are dispatched at Liwan and received at Nanhai through the partner API, then a watcher sees each step as it happens and both sides show the chain', async () => {
    const caseNo = await liwanCase();
    const start = (await kiosk.getCase(caseNo)).events.length;
    const stream = kiosk.watchCase(caseNo, start);
    const watched = collect(stream);
    try {
      const sent = await kiosk.recordHandoff(dispatch(caseNo));
      expect(sent).toMatchObject({
        kind: 'materials_to_handling',
        status: 'in_transit',
        seal_no: 'LW-SEAL-000777',
        carrier: 'ems',
        waybill: 'EA123456785CN',
        handed_by: 'LW-W-0007',
        last_holder: 'EMS-C-0042',
        received_at: '',
        discrepancies: [],
      });
      // proto3 `optional`: unset until received, not false.
      expect(sent.seal_intact).toBeUndefined();
      expect(sent.handoff_id).toMatch(/^[0-9A-Z]{26}$/);
      expect(sent.manifest).toEqual(dispatch(caseNo).manifest);
      // The dispatch is on the stream before anything is received.
      await eventually(async () => watched.items.some((e) => e.kind === 'handoff'), 'the dispatch on the stream');
      expect(watched.items.filter((e) => e.kind === 'handoff')).toHaveLength(1);
      expect(watched.items.some((e) => e.kind === 'materials_received')).toBe(false);

      // Nanhai holds the hand-off once the shared event has crossed.
      await eventually(async () => (await nanhaiKiosk.getCase(caseNo).catch(() => undefined))?.handoffs.length === 1, 'the hand-off at Nanhai');
      const noSeal = await rejectionOf(nanhaiKiosk.receiveHandoff({ case_no: caseNo, handoff_id: sent.handoff_id, received_by: 'NH-R-0001', received: [] }));
      const rich = expectError(noSeal, status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
      expect(rich.details.find((d) => d['@type'] === 'google.rpc.BadRequest')!.field_violations.map((v: any) => v.field)).toEqual(['sealIntact']);

      const received = await nanhaiKiosk.receiveHandoff({
        case_no: caseNo,
        handoff_id: sent.handoff_id,
        received_by: 'NH-R-0001',
        seal_intact: true,
        received: [
          { name: '公司章程', copies: 1, pages: 12 },
          { name: '法定代表人身份证明', copies: 1, pages: 1 },
        ],
      });
      expect(received).toMatchObject({ handoff_id: sent.handoff_id, status: 'received', received_by: 'NH-R-0001', last_holder: 'NH-R-0001', seal_intact: true, discrepancies: [] });

      // Liwan's watcher sees the receipt and the clock's start arrive from Nanhai, in order.
      await eventually(async () => watched.items.some((e) => e.kind === 'materials_received'), 'materials_received on the stream at Liwan');
      const kinds = watched.items.map((e) => e.kind);
      expect(kinds.filter((k) => k === 'handoff')).toHaveLength(2);
      expect(kinds.indexOf('materials_received')).toBeGreaterThan(kinds.indexOf('handoff'));
      const seqs = watched.items.map((e) => e.seq);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, n) => start + 1 + n));
      expect(watched.end).toBeUndefined();

      const atLiwan = await kiosk.getCase(caseNo);
      expect(atLiwan.handoffs).toEqual([expect.objectContaining({ handoff_id: sent.handoff_id, status: 'received', seal_intact: true })]);
      expect(atLiwan.handoffs[0]!.tracking).toMatchObject({ status: expect.any(String), status_label: expect.any(String) });
      expect(atLiwan.deadline).toMatchObject({ promised_days: expect.any(Number), state: expect.stringMatching(/^(not_started|running|paused|completed)$/) });
      expect(atLiwan.state_label).toMatch(/[\u4e00-\u9fff]/);

      const timeline = await kiosk.getCaseTimeline(caseNo);
      expect(timeline.case_no).toBe(caseNo);
      expect(timeline.entries.length).toBeGreaterThan(2);
      const handoffEntries = timeline.entries.filter((e) => e.ref?.handoff_id === sent.handoff_id);
      expect(handoffEntries.length).toBeGreaterThanOrEqual(2);
      expect(handoffEntries.every((e) => /[\u4e00-\u9fff]/.test(e.title))).toBe(true);
      const times = timeline.entries.map((e) => Date.parse(e.at));
      expect(times).toEqual([...times].sort((a, b) => a - b));
    } finally {
      stream.cancel();
    }
    expect((await watched.ended)?.code).toBe(status.CANCELLED);
  });

  it('rejects-handoff-steps-out-of-place: a bad waybill, a result before there is one, a receipt at the wrong end, an unknown hand-off', async () => {
    const caseNo = await liwanCase();
    const badWaybill = expectError(await rejectionOf(kiosk.recordHandoff(dispatch(caseNo, { waybill: 'EA123456789CN' }))), status.INVALID_ARGUMENT, 'VALIDATION_FAILED');
    expect(badWaybill.details.find((d) => d['@type'] === 'google.rpc.BadRequest')!.field_violations[0]).toMatchObject({ field: 'waybill' });
    expectError(await rejectionOf(kiosk.recordHandoff(dispatch(caseNo, { kind: 'result_to_applicant' }))), status.FAILED_PRECONDITION, 'CASE_STATE_CONFLICT');
    const sent = await kiosk.recordHandoff(dispatch(caseNo));
    const here = { case_no: caseNo, handoff_id: sent.handoff_id, received_by: 'LW-R-0001', seal_intact: true, received: [] };
    expectError(await rejectionOf(kiosk.receiveHandoff(here)), status.FAILED_PRECONDITION, 'CASE_STATE_CONFLICT');
    expectError(await rejectionOf(kiosk.receiveHandoff({ ...here, handoff_id: '01JAAAAAAAAAAAAAAAAAAAAAAA' })), status.NOT_FOUND, 'HANDOFF_NOT_FOUND');
    expectError(await rejectionOf(kiosk.recordHandoff(dispatch('KC-LW-20261121-999999'))), status.NOT_FOUND, 'CASE_NOT_FOUND');
  });
});

describe('the partner policy (deny by default)', () => {
  it('rejects-operation-not-allowed: PERMISSION_DENIED with PARTNER_NOT_ALLOWED, logged at warn with partner, operation and code only', async () => {
    const caseNo = await nanhaiCase();
    for (const call of [limited.recordHandoff(dispatch(caseNo)), limited.getCaseTimeline(caseNo), limited.rateCase(caseNo, 'satisfied')]) {
      expectError(await rejectionOf(call), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    }
    const denied = logLines('"partner call denied"').filter((l) => l.partnerId === 'kiosk-nanhai' && l.operation === 'RecordHandoff');
    expect(denied.length).toBeGreaterThanOrEqual(1);
    expect(denied[0]).toMatchObject({ level: 40, code: 'PARTNER_NOT_ALLOWED', reason: 'operation', district: 'liwan' });
    // Ids and names of operations only: nothing the request carried (the seal, the staff ids).
    expect(JSON.stringify(denied)).not.toMatch(/LW-SEAL|LW-W-0007|广州荔湾示例贸易有限公司|13912345678/);
  });

  it('rejects-matter-not-allowed: forwarding, reading, watching and listing another matter is PARTNER_NOT_ALLOWED; its own matter works', async () => {
    const before = await caseCount('liwan');
    expectError(await rejectionOf(limited.forwardApplication(toPbRequest(applicationFor('nanhai'), newKey()))), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    expect(await caseCount('liwan')).toBe(before);

    const other = await liwanCase();
    expectError(await rejectionOf(limited.getCase(other)), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    const watched = collect(limited.watchCase(other, 0, { deadlineMs: 10_000 }));
    const end = await watched.ended;
    expect(watched.items).toEqual([]);
    expectError(end!, status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    expectError(await rejectionOf(limited.listCases({ matter_id: 'KC-M-0001' })), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    expectError(await rejectionOf(limited.getSupervisionFigures({ period: '2026-11', matter_id: 'KC-M-0001' })), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    const line = logLines('"partner call denied"').find((l) => l.partnerId === 'kiosk-nanhai' && l.operation === 'GetCase');
    expect(line).toMatchObject({ level: 40, code: 'PARTNER_NOT_ALLOWED', reason: 'matter', matterId: 'KC-M-0001' });

    const own = await nanhaiCase();
    expect((await limited.getCase(own)).matter_id).toBe('KC-M-0003');
    const matters = (await limited.listMatters({ include_unavailable: true })).matters as { id: string }[];
    expect(matters.map((m) => m.id)).toEqual(['KC-M-0003']);
    const figures = await limited.getSupervisionFigures({ period: '2026-11' });
    expect(figures.rows.every((r: any) => r.matter_id === 'KC-M-0003')).toBe(true);
  });

  it('rejects-unknown-partner: a partner certificate the gateway has no policy for may call nothing', async () => {
    expectError(await rejectionOf(unknownPartner.listMatters({})), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    expectError(await rejectionOf(unknownPartner.getCase('KC-LW-20261121-999999')), status.PERMISSION_DENIED, 'PARTNER_NOT_ALLOWED');
    const line = logLines('"partner call denied"').find((l) => l.partnerId === 'kiosk-liwan' && l.district === 'nanhai');
    expect(line).toMatchObject({ level: 40, code: 'PARTNER_NOT_ALLOWED', reason: 'unknown_partner', operation: 'ListMatters' });
  });

  it('rejects-non-partner-certificate: a gateway certificate gets PERMISSION_DENIED before any policy is asked', async () => {
    const api = client('liwan', sys.pki.gateways.nanhai);
    try {
      expectError(await rejectionOf(api.listCases({})), status.PERMISSION_DENIED, 'PERMISSION_DENIED');
    } finally {
      api.close();
    }
  });

  it('when a partner the policy does not know asks for health or reflection, then both answer (mutual TLS is all they need)', async () => {
    const opts = { address: address('nanhai'), tls: tlsOf(sys.pki.partners['kiosk-liwan']), check: { gatewayUri: 'urn:kuacheng:gateway:nanhai' } };
    const health = healthClient(opts);
    const reflection = reflectionClient('v1', opts);
    try {
      expect(await health.check('kuacheng.partner.v1.PartnerService')).toEqual({ status: 'SERVING' });
      const names = (await reflection.ask({ list_services: '' })).list_services_response!.service.map((s) => s.name);
      expect(names).toContain('kuacheng.partner.v1.PartnerService');
      // The error details are described too, so reflection clients (grpcurl) can print them.
      const file = await reflection.ask({ file_containing_symbol: 'google.rpc.ErrorInfo' });
      expect(file.message_response).toBe('file_descriptor_response');
      const rpc = await reflection.ask({ file_containing_symbol: 'kuacheng.partner.v1.PartnerService' });
      expect(rpc.file_descriptor_response!.file_descriptor_proto.some((b) => b.includes('ListCases') && b.includes('RecordHandoff'))).toBe(true);
    } finally {
      health.close();
      reflection.close();
    }
  });
});

/**
 * Every code the partner API answers with, each provoked once. Codes a partner cannot meet are left
 * out on purpose: a missing or untrusted, expired or not-yet-valid client certificate ends at the
 * TLS handshake (UNAVAILABLE, no status), and the peer face's envelope and receipt codes belong to
 * the peer API.
 */
describe('every error code, in google.rpc.Status details', () => {
  const cases: [string, status, () => Promise<ServiceError>][] = [
    ['VALIDATION_FAILED', status.INVALID_ARGUMENT, async () => {
      const req = toPbRequest(applicationFor('nanhai'));
      delete req.applicant;
      return rejectionOf(kiosk.forwardApplication(req));
    }],
    ['UNKNOWN_MATTER', status.INVALID_ARGUMENT, () => rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('nanhai', { matterId: 'KC-M-9999' }))))],
    ['WRONG_DISTRICT_FOR_MATTER', status.FAILED_PRECONDITION, () => rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('liwan'))))],
    ['MATTER_NOT_OPEN', status.FAILED_PRECONDITION, () => rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('nanhai', { matterId: 'KC-M-0010' }))))],
    ['IDEMPOTENCY_CONFLICT', status.ALREADY_EXISTS, async () => {
      const key = newKey();
      await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
      return rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('nanhai', { form: { ...applicationFor('nanhai').form, registeredCapital: '999' } }), key)));
    }],
    ['CASE_NOT_FOUND', status.NOT_FOUND, () => rejectionOf(kiosk.getCase('KC-LW-20261121-999999'))],
    ['HANDOFF_NOT_FOUND', status.NOT_FOUND, async () => {
      const caseNo = await liwanCase();
      return rejectionOf(kiosk.receiveHandoff({ case_no: caseNo, handoff_id: '01JAAAAAAAAAAAAAAAAAAAAAAA', received_by: 'LW-R-1', seal_intact: true, received: [] }));
    }],
    ['CASE_STATE_CONFLICT', status.FAILED_PRECONDITION, async () => rejectionOf(kiosk.rateCase(await liwanCase(), 'satisfied'))],
    ['ALREADY_RATED', status.ALREADY_EXISTS, async () => {
      const caseNo = await liwanCase();
      const localNo = await eventually(async () => (await kiosk.getCase(caseNo)).handling_local_no, 'registered at Nanhai');
      for (const action of ['accept', 'approve']) expect((await postJson(`${sys.simulators.nanhai.url}/_sim/cases/${localNo}/advance`, { action })).status).toBe(200);
      await eventually(async () => (await kiosk.getCase(caseNo)).state === 'approved', 'approved at Liwan');
      await kiosk.rateCase(caseNo, 'satisfied');
      return rejectionOf(kiosk.rateCase(caseNo, 'neutral'));
    }],
    ['INVALID_CURSOR', status.INVALID_ARGUMENT, () => rejectionOf(kiosk.listCases({ page_token: 'eyJ2IjoxfQ' }))],
    ['PARTNER_NOT_ALLOWED', status.PERMISSION_DENIED, () => rejectionOf(unknownPartner.listCases({}))],
    ['PERMISSION_DENIED', status.PERMISSION_DENIED, async () => {
      const api = client('liwan', sys.pki.gateways.nanhai);
      try {
        return await rejectionOf(api.getCase('KC-LW-20261121-999999'));
      } finally {
        api.close();
      }
    }],
    // The TLS handshake checks the chain; revocation is checked by the gateway after it.
    ['CERT_REVOKED', status.UNAUTHENTICATED, async () => {
      const api = client('liwan', sys.pki.bad.revoked);
      try {
        return await rejectionOf(api.listMatters({}));
      } finally {
        api.close();
      }
    }],
    ['CRL_UNAVAILABLE', status.UNAVAILABLE, async () => {
      const trust = sys.gateways.liwan.ctx.trust;
      const fresh = readFileSync(sys.pki.crlPath);
      writeStaleCrl(sys.pki, { path: sys.pki.crlPath });
      trust.reload();
      try {
        return await rejectionOf(kiosk.listMatters({}));
      } finally {
        writeFileSync(sys.pki.crlPath, fresh);
        trust.reload();
      }
    }],
    ['INTERNAL', status.INTERNAL, async () => {
      const store = sys.gateways.liwan.ctx.store;
      const getCase = store.getCase;
      store.getCase = async () => {
        throw new Error('injected fault with a secret detail');
      };
      try {
        const err = await rejectionOf(kiosk.getCase('KC-LW-20261121-999999'));
        // Nothing of the cause reaches the partner.
        expect(err.details).toBe('internal error');
        return err;
      } finally {
        store.getCase = getCase;
      }
    }],
  ];

  it.each(cases)('%s: the status details carry ErrorInfo with this reason', async (code, grpcStatus, provoke) => {
    const rich = expectError(await provoke(), grpcStatus, code);
    const badRequest = rich.details.find((d) => d['@type'] === 'google.rpc.BadRequest');
    if (code === 'VALIDATION_FAILED') {
      expect(badRequest!.field_violations).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'applicant', reason: 'REQUIRED', description: expect.any(String) })]));
      const info = rich.details.find((d) => d['@type'] === 'google.rpc.ErrorInfo')!;
      expect(JSON.parse(info.metadata.fieldIssues)).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'applicant', code: 'REQUIRED' })]));
    }
  }, 30_000);

  // Last: it stops this suite's Redis (and starts it again).
  it('STORE_UNAVAILABLE: the status details carry ErrorInfo with this reason when Redis is down', async () => {
    await redis.kill9();
    try {
      const err = await rejectionOf(kiosk.getCase('KC-LW-20261121-999999'));
      expectError(err, status.UNAVAILABLE, 'STORE_UNAVAILABLE');
    } finally {
      await redis.restart();
    }
  }, 30_000);
});

describe('start-up', () => {
  it('when the gateways start with a partners file, then each logs the partners it allows (the unset and bad files: tests/unit/partner)', () => {
    const loaded = logLines('"partner policy loaded"');
    expect(loaded.map((l) => [l.district, l.partners])).toEqual(
      expect.arrayContaining([
        ['liwan', ['kiosk-liwan', 'kiosk-nanhai']],
        ['nanhai', ['kiosk-nanhai']],
      ]),
    );
  });
});
