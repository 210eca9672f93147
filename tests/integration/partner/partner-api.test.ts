/**
 * The partner gRPC API as a partner sees it: a stock @grpc/grpc-js client built from partner.proto
 * alone (tests/helpers/partner-client.ts — no ts-proto code), mutual TLS with a partner certificate,
 * against two real gateways on a real Redis with the approval simulators behind them.
 */
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../../gateway/domain/district.js';
import { applicationFor, getJson, postJson } from '../../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../../helpers/gateways.js';
import {
  collect,
  fieldIssues,
  healthClient,
  kcErrorCode,
  partnerClient,
  rejectionOf,
  reflectionClient,
  toPbRequest,
  type ClientTls,
  type ConnectOptions,
  type PartnerApi,
  type PbCase,
  type PbCaseEvent,
  type ServerCheck,
} from '../../helpers/partner-client.js';
import { startRedis, type RedisHandle } from '../../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;
/** kiosk-liwan at the liwan gateway, kiosk-nanhai at liwan, kiosk-liwan at nanhai. */
let kiosk: PartnerApi;
let otherKiosk: PartnerApi;
let atNanhai: PartnerApi;

const gatewayUri = (d: District) => `urn:kuacheng:gateway:${d}`;
const address = (d: District) => `127.0.0.1:${sys.gateways[d].ports.partner}`;
const tlsOf = (cred?: { certPem: string; privateKey: { export(o: { type: 'pkcs8'; format: 'pem' }): string | Buffer } }): ClientTls => ({
  rootPem: sys.pki.root.certPem,
  ...(cred ? { certPem: cred.certPem, keyPem: cred.privateKey.export({ type: 'pkcs8', format: 'pem' }) } : {}),
});
const connect = (d: District, tls: ClientTls, check: ServerCheck = { gatewayUri: gatewayUri(d) }): ConnectOptions => ({ address: address(d), tls, check });

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'partner-api' });
  kiosk = partnerClient(connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan'])));
  otherKiosk = partnerClient(connect('liwan', tlsOf(sys.pki.partners['kiosk-nanhai'])));
  atNanhai = partnerClient(connect('nanhai', tlsOf(sys.pki.partners['kiosk-liwan'])));
});

afterAll(async () => {
  for (const c of [kiosk, otherKiosk, atNanhai]) c?.close();
  await sys?.stop();
  await redis?.stop();
});

type SimRecord = { localNo: string; externalRef: string; submitCount: number; status: string };
async function simRecords(d: District): Promise<SimRecord[]> {
  return (await getJson(`${sys.simulators[d].url}/_sim/records`)).body.records as SimRecord[];
}

/** How many cases the gateway's store holds (the per-shard case index). */
async function caseCount(d: District): Promise<number> {
  const store = sys.gateways[d].ctx.store;
  const counts = await Promise.all(store.keys.shards.map((s) => store.redis.zcard(s.cases)));
  return counts.reduce((a, b) => a + b, 0);
}

async function registered(caseNo: string): Promise<PbCase> {
  return eventually(async () => {
    const c = await kiosk.getCase(caseNo);
    return c.handling_local_no ? c : undefined;
  }, `${caseNo} registered by the Nanhai approval system`);
}

const newKey = () => `kiosk-${randomUUID()}`;

describe('ForwardApplication and GetCase', () => {
  it('when a kiosk forwards a Nanhai matter at Liwan, then it gets a submitted KC-LW case that both gateways later show with its local number and crossings', async () => {
    const created = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai')));
    expect(created.case_no).toMatch(/^KC-LW-\d{8}-\d{6}$/);
    expect(created).toMatchObject({ matter_id: 'KC-M-0001', origin_district: 'liwan', handling_district: 'nanhai', state: 'submitted', handling_local_no: '' });
    expect(created.matter_name).not.toBe('');
    expect(created.events).toEqual([expect.objectContaining({ seq: 1, case_no: created.case_no, kind: 'created', state: 'submitted' })]);
    expect(created.crossings).toEqual([
      expect.objectContaining({ type: 'application', from_district: 'liwan', to_district: 'nanhai', seq: 1, delivery: 'queued' }),
    ]);

    const record = await eventually(async () => (await simRecords('nanhai')).find((r) => r.externalRef === created.case_no), 'approval record at Nanhai');
    const atLiwan = await registered(created.case_no);
    expect(atLiwan.handling_local_no).toBe(record.localNo);
    expect(atLiwan.state).toBe('registered');
    const out = atLiwan.crossings.find((c) => c.type === 'application')!;
    expect(out).toMatchObject({ message_id: created.crossings[0]!.message_id, delivery: 'receipted' });
    expect(out.receipt_id).not.toBe('');
    expect(out.body_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(atLiwan.crossings.some((c) => c.type === 'status')).toBe(true);

    const there = await atNanhai.getCase(created.case_no);
    expect(there).toMatchObject({
      case_no: created.case_no,
      matter_id: 'KC-M-0001',
      origin_district: 'liwan',
      handling_district: 'nanhai',
      state: 'registered',
      handling_local_no: record.localNo,
    });
    const inn = there.crossings.find((c) => c.type === 'application')!;
    expect(inn).toMatchObject({ message_id: out.message_id, body_sha256: out.body_sha256, receipt_id: out.receipt_id });
  });
});

describe('idempotency', () => {
  it('when a kiosk retries with the same idempotency key, then it gets the same case and the approval system sees it once', async () => {
    const key = newKey();
    const before = await caseCount('liwan');
    const first = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
    const retry = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
    expect(retry.case_no).toBe(first.case_no);
    expect(await caseCount('liwan')).toBe(before + 1);

    await registered(first.case_no);
    const records = (await simRecords('nanhai')).filter((r) => r.externalRef === first.case_no);
    expect(records).toHaveLength(1);
    expect(records[0]!.submitCount).toBe(1);
  });

  it('when the same key comes with a different application, then ALREADY_EXISTS with IDEMPOTENCY_CONFLICT and nothing new is stored', async () => {
    const key = newKey();
    await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
    const before = await caseCount('liwan');
    const changed = applicationFor('nanhai', {
      form: { companyName: '佛山南海另一家有限公司', registeredCapital: '200', businessScope: '贸易', legalRepresentative: '张三丰' },
    });
    const err = await rejectionOf(kiosk.forwardApplication(toPbRequest(changed, key)));
    expect(err.code).toBe(status.ALREADY_EXISTS);
    expect(kcErrorCode(err)).toBe('IDEMPOTENCY_CONFLICT');
    expect(await caseCount('liwan')).toBe(before);
  });

  it('when another partner uses the same key, then it is its own scope and gets a case of its own', async () => {
    const key = newKey();
    const mine = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
    const theirs = await otherKiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
    expect(theirs.case_no).toMatch(/^KC-LW-\d{8}-\d{6}$/);
    expect(theirs.case_no).not.toBe(mine.case_no);
    // And each partner's retry still finds its own case.
    expect((await otherKiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key))).case_no).toBe(theirs.case_no);
    expect((await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key))).case_no).toBe(mine.case_no);
  });
});

describe('bad input stores nothing', () => {
  /** Runs `fn`, then checks that neither gateway nor the Nanhai approval system holds anything new. */
  async function storesNothing(fn: () => Promise<void>) {
    const before = { liwan: await caseCount('liwan'), nanhai: await caseCount('nanhai'), sim: (await simRecords('nanhai')).length };
    await fn();
    expect({ liwan: await caseCount('liwan'), nanhai: await caseCount('nanhai'), sim: (await simRecords('nanhai')).length }).toEqual(before);
  }

  it('rejects-forward-without-applicant: INVALID_ARGUMENT with VALIDATION_FAILED naming every bad field at once', async () => {
    await storesNothing(async () => {
      const req = toPbRequest(applicationFor('nanhai'));
      delete req.applicant;
      req.materials = [...req.materials!, { name: '股东名册', form: 'scan', copies: 0 }];
      const err = await rejectionOf(kiosk.forwardApplication(req));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(kcErrorCode(err)).toBe('VALIDATION_FAILED');
      const issues = fieldIssues(err);
      expect(issues.map((i) => i.field).sort()).toEqual(['applicant', 'materials.3.copies', 'materials.3.form']);
      expect(issues.find((i) => i.field === 'applicant')?.code).toBe('REQUIRED');
    });
  });

  it('rejects-forward-without-applicant-and-form-fields: the missing form field and material are named together with the applicant', async () => {
    await storesNothing(async () => {
      const app = applicationFor('nanhai');
      const req = toPbRequest(app);
      delete req.applicant;
      delete req.form!.companyName;
      req.materials = req.materials!.slice(1); // without 公司登记（备案）申请书
      const err = await rejectionOf(kiosk.forwardApplication(req));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(kcErrorCode(err)).toBe('VALIDATION_FAILED');
      expect(fieldIssues(err).map((i) => i.field).sort()).toEqual(['applicant', 'form.companyName', 'materials']);
    });
  });

  it('rejects-forward-with-bad-applicant-fields: every bad applicant field is named at once', async () => {
    await storesNothing(async () => {
      const req = toPbRequest(applicationFor('nanhai'));
      req.applicant = { ...req.applicant, credit_code: '91440101MA59ABCD10', phone: '12345' };
      delete req.form!.businessScope;
      const err = await rejectionOf(kiosk.forwardApplication(req));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(kcErrorCode(err)).toBe('VALIDATION_FAILED');
      expect(fieldIssues(err)).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'applicant.creditCode', code: 'INVALID_CREDIT_CODE' }),
          expect.objectContaining({ field: 'applicant.phone', code: 'INVALID_MOBILE' }),
          expect.objectContaining({ field: 'form.businessScope', code: 'REQUIRED' }),
        ]),
      );
      expect(fieldIssues(err)).toHaveLength(3);
    });
  });

  it('rejects-forward-with-malformed-idempotency-key: VALIDATION_FAILED naming idempotencyKey', async () => {
    await storesNothing(async () => {
      const err = await rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), 'short')));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(kcErrorCode(err)).toBe('VALIDATION_FAILED');
      expect(fieldIssues(err).map((i) => i.field)).toEqual(['idempotencyKey']);
    });
  });

  it('rejects-forward-of-unknown-matter: INVALID_ARGUMENT with UNKNOWN_MATTER', async () => {
    await storesNothing(async () => {
      const err = await rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('nanhai', { matterId: 'KC-M-9999' }))));
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(kcErrorCode(err)).toBe('UNKNOWN_MATTER');
      expect(fieldIssues(err).map((i) => i.field)).toEqual(['matterId']);
    });
  });

  it('rejects-forward-of-local-matter: a Liwan-handled matter at Liwan is FAILED_PRECONDITION with WRONG_DISTRICT_FOR_MATTER', async () => {
    await storesNothing(async () => {
      const err = await rejectionOf(kiosk.forwardApplication(toPbRequest(applicationFor('liwan'))));
      expect(err.code).toBe(status.FAILED_PRECONDITION);
      expect(kcErrorCode(err)).toBe('WRONG_DISTRICT_FOR_MATTER');
    });
  });

  it('when a rejected forward carried an idempotency key, then the key is still free for the corrected application', async () => {
    const key = newKey();
    const bad = toPbRequest(applicationFor('nanhai'), key);
    delete bad.applicant;
    expect(kcErrorCode(await rejectionOf(kiosk.forwardApplication(bad)))).toBe('VALIDATION_FAILED');
    const good = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai'), key));
    expect(good.state).toBe('submitted');
  });

  it('rejects-get-of-unknown-case: NOT_FOUND with CASE_NOT_FOUND for a well-formed and a malformed number', async () => {
    for (const caseNo of ['KC-LW-20261121-999999', 'nonsense', '']) {
      const err = await rejectionOf(kiosk.getCase(caseNo));
      expect(err.code, caseNo).toBe(status.NOT_FOUND);
      expect(kcErrorCode(err), caseNo).toBe('CASE_NOT_FOUND');
    }
  });
});

describe('WatchCase', () => {
  it('when a kiosk watches a case from after_seq, then it gets the earlier events and then the live ones, in order, without gaps or duplicates', async () => {
    const created = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai')));
    const caseNo = created.case_no;
    const { handling_local_no: localNo } = await registered(caseNo);
    const historyBefore = (await kiosk.getCase(caseNo)).events;
    expect(historyBefore.length).toBeGreaterThanOrEqual(2);

    const stream = kiosk.watchCase(caseNo, 1);
    const watched = collect(stream);
    // Everything that had happened after seq 1 arrives first.
    await eventually(async () => watched.items.length >= historyBefore.length - 1, 'the earlier events');

    for (const [action, state] of [
      ['accept', 'accepted'],
      ['approve', 'approved'],
    ] as const) {
      const r = await postJson(`${sys.simulators.nanhai.url}/_sim/cases/${localNo}/advance`, { action });
      expect(r.status).toBeLessThan(300);
      await eventually(async () => watched.items.some((e) => e.state === state), `${state} on the stream`);
    }

    const history = (await kiosk.getCase(caseNo)).events;
    await eventually(async () => watched.items.length >= history.length - 1, 'every event up to now on the stream');
    const seqs = watched.items.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, n) => n + 2));
    expect(watched.items).toEqual(history.slice(1));
    expect(watched.items.every((e: PbCaseEvent) => e.case_no === caseNo)).toBe(true);
    expect(watched.end).toBeUndefined();

    stream.cancel();
    const end = await watched.ended;
    expect(end?.code).toBe(status.CANCELLED);
    expect(sys.logs()).not.toContain('unexpected error in gRPC handler');
  });

  it('when a kiosk watches from after_seq 0, then the stream starts with the created event', async () => {
    const created = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai')));
    const stream = kiosk.watchCase(created.case_no, 0);
    const watched = collect(stream);
    await eventually(async () => watched.items.length >= 1, 'the first event');
    expect(watched.items[0]).toMatchObject({ seq: 1, kind: 'created', state: 'submitted', case_no: created.case_no });
    stream.cancel();
    expect((await watched.ended)?.code).toBe(status.CANCELLED);
  });

  it('rejects-watch-of-unknown-case: the stream ends with NOT_FOUND and CASE_NOT_FOUND', async () => {
    // The deadline only keeps a stream that never ends from hanging the suite: it must end long before.
    const watched = collect(kiosk.watchCase('KC-LW-20261121-999999', 0, { deadlineMs: 10_000 }));
    const end = await watched.ended;
    expect(watched.items).toEqual([]);
    expect(end?.code, end?.details).toBe(status.NOT_FOUND);
    expect(end && kcErrorCode(end)).toBe('CASE_NOT_FOUND');
  });
});

describe('who may call', () => {
  it('rejects-gateway-certificate-on-partner-api: a gateway certificate gets PERMISSION_DENIED', async () => {
    const api = partnerClient(connect('liwan', tlsOf(sys.pki.gateways.nanhai)));
    try {
      const err = await rejectionOf(api.getCase('KC-LW-20261121-999999'));
      expect(err.code).toBe(status.PERMISSION_DENIED);
      expect(kcErrorCode(err)).toBe('PERMISSION_DENIED');
      const before = await caseCount('liwan');
      const fwd = await rejectionOf(api.forwardApplication(toPbRequest(applicationFor('nanhai'))));
      expect(fwd.code).toBe(status.PERMISSION_DENIED);
      expect(kcErrorCode(fwd)).toBe('PERMISSION_DENIED');
      expect(await caseCount('liwan')).toBe(before);
    } finally {
      api.close();
    }
  });

  it('rejects-gateway-certificate-on-watch: WatchCase with a gateway certificate ends with PERMISSION_DENIED', async () => {
    const created = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai')));
    const api = partnerClient(connect('liwan', tlsOf(sys.pki.gateways.nanhai)));
    try {
      const watched = collect(api.watchCase(created.case_no, 0, { deadlineMs: 10_000 }));
      const end = await watched.ended;
      expect(watched.items).toEqual([]);
      expect(end?.code, end?.details).toBe(status.PERMISSION_DENIED);
      expect(end && kcErrorCode(end)).toBe('PERMISSION_DENIED');
    } finally {
      api.close();
    }
  });

  it('rejects-client-certificate-from-unknown-root: the connection is refused (UNAVAILABLE)', async () => {
    const api = partnerClient(connect('liwan', tlsOf(sys.pki.bad.unknownRoot)));
    try {
      expect((await rejectionOf(api.getCase('KC-LW-20261121-999999'))).code).toBe(status.UNAVAILABLE);
    } finally {
      api.close();
    }
  });

  it('rejects-connection-without-client-certificate: the connection is refused (UNAVAILABLE)', async () => {
    const api = partnerClient(connect('liwan', tlsOf()));
    try {
      expect((await rejectionOf(api.getCase('KC-LW-20261121-999999'))).code).toBe(status.UNAVAILABLE);
    } finally {
      api.close();
    }
  });

  it('when the client checks the server certificate by the address it dialled, then 127.0.0.1 matches', async () => {
    const api = partnerClient(connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan']), 'address'));
    try {
      const err = await rejectionOf(api.getCase('KC-LW-20261121-999999'));
      expect(kcErrorCode(err), err.details).toBe('CASE_NOT_FOUND');
    } finally {
      api.close();
    }
  });

  it('when the client checks the server certificate by the name gateway.liwan.kuacheng, then it matches', async () => {
    const api = partnerClient(connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan']), { hostname: 'gateway.liwan.kuacheng' }));
    try {
      const err = await rejectionOf(api.getCase('KC-LW-20261121-999999'));
      expect(kcErrorCode(err), err.details).toBe('CASE_NOT_FOUND');
    } finally {
      api.close();
    }
  });

  it('when the kiosk dials Nanhai but expects the Liwan gateway, then it refuses to talk', async () => {
    const api = partnerClient(connect('nanhai', tlsOf(sys.pki.partners['kiosk-liwan']), { gatewayUri: gatewayUri('liwan') }));
    try {
      expect((await rejectionOf(api.getCase('KC-LW-20261121-999999'))).code).toBe(status.UNAVAILABLE);
    } finally {
      api.close();
    }
  });
});

describe('health and reflection', () => {
  it('when a partner asks grpc.health.v1.Health, then the server and the partner service are SERVING', async () => {
    const health = healthClient(connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan'])));
    try {
      expect(await health.check('')).toEqual({ status: 'SERVING' });
      expect(await health.check('kuacheng.partner.v1.PartnerService')).toEqual({ status: 'SERVING' });
      const err = await rejectionOf(health.check('no.such.Service'));
      expect(err.code).toBe(status.NOT_FOUND);
    } finally {
      health.close();
    }
  });

  it.each(['v1', 'v1alpha'] as const)('when a partner asks server reflection (%s), then it lists the partner service and serves its file descriptor', async (version) => {
    const reflection = reflectionClient(version, connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan'])));
    try {
      const list = await reflection.ask({ list_services: '' });
      expect(list.message_response).toBe('list_services_response');
      expect(list.list_services_response!.service.map((s) => s.name)).toContain('kuacheng.partner.v1.PartnerService');

      const file = await reflection.ask({ file_containing_symbol: 'kuacheng.partner.v1.PartnerService' });
      expect(file.message_response).toBe('file_descriptor_response');
      const protos = file.file_descriptor_response!.file_descriptor_proto;
      expect(protos.length).toBeGreaterThan(0);
      // A serialized FileDescriptorProto (proto-loader names files by package, not by path).
      const partnerFile = protos.find((b) => b.includes('kuacheng.partner.v1') && b.includes('PartnerService'));
      expect(partnerFile).toBeDefined();
      for (const name of ['ForwardApplication', 'GetCase', 'WatchCase', 'ForwardApplicationRequest', 'CaseEvent']) {
        expect(partnerFile!.includes(name), name).toBe(true);
      }
    } finally {
      reflection.close();
    }
  });

  it('when a partner lists services by reflection, then it sees only what the partner port serves (not the peer API)', async () => {
    const reflection = reflectionClient('v1', connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan'])));
    try {
      const names = (await reflection.ask({ list_services: '' })).list_services_response!.service.map((s) => s.name);
      // The gateway-to-gateway API is served on the peer port; here it would only answer UNIMPLEMENTED.
      expect(names).not.toContain('kuacheng.peer.v1.PeerGateway');
    } finally {
      reflection.close();
    }
  });
});

describe('catalog, ratings and supervision figures', () => {
  it('when a kiosk lists matters, then it gets those its district may take in today; with filters and include_unavailable, the rest', async () => {
    const today = await kiosk.listMatters({});
    expect(today.matters.length).toBeGreaterThan(5);
    expect(today.matters.every((m: any) => m.handling_district === 'nanhai' && m.availability === 'open')).toBe(true);
    expect(today.catalog_version).toMatch(/^[0-9a-f]{12}$/);
    const food = today.matters.find((m: any) => m.id === 'KC-M-0002');
    expect(food.fields.find((f: any) => f.key === 'businessCategory').options.map((o: any) => o.value)).toEqual(['prepackaged', 'bulk', 'catering']);
    expect(food.materials[0]).toMatchObject({ name: '食品经营许可申请书', form: 'original', copies: 1, requirement: 'required' });

    const construction = await kiosk.listMatters({ domain: 'construction' });
    expect(construction.matters.every((m: any) => m.domain === 'construction')).toBe(true);
    const all = await kiosk.listMatters({ include_unavailable: true });
    expect(all.matters.map((m: any) => m.availability)).toEqual(expect.arrayContaining(['withdrawn', 'not_yet_effective']));
    expect(all.matters.some((m: any) => m.handling_district === 'liwan')).toBe(true);

    const err = await rejectionOf(kiosk.listMatters({ domain: 'fishing' }));
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(kcErrorCode(err)).toBe('VALIDATION_FAILED');
  });

  it('when a completed case is rated through the partner API, then a second rating is ALREADY_RATED and the figures count it', async () => {
    const created = await kiosk.forwardApplication(toPbRequest(applicationFor('nanhai')));
    const caseNo = created.case_no;
    const early = await rejectionOf(kiosk.rateCase(caseNo, 'satisfied'));
    expect(kcErrorCode(early)).toBe('CASE_STATE_CONFLICT');

    const localNo = await eventually(async () => (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.handlingLocalNo as string | null, 'registered');
    for (const action of ['accept', 'approve']) {
      expect((await postJson(`${sys.simulators.nanhai.url}/_sim/cases/${localNo}/advance`, { action })).status).toBe(200);
    }
    await eventually(async () => (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.state === 'approved', 'approved at origin');

    expect(await kiosk.rateCase(caseNo, 'satisfied')).toEqual({ case_no: caseNo, rating: 'satisfied' });
    expect(kcErrorCode(await rejectionOf(kiosk.rateCase(caseNo, 'dissatisfied')))).toBe('ALREADY_RATED');
    expect(kcErrorCode(await rejectionOf(atNanhai.rateCase(caseNo, 'neutral')))).toBe('CASE_STATE_CONFLICT');
    expect(kcErrorCode(await rejectionOf(kiosk.rateCase(caseNo, 'great')))).toBe('VALIDATION_FAILED');

    const period = new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);
    // The rating reaches the handling district, whose figures count it too.
    const row = await eventually(async () => {
      const f = await atNanhai.getSupervisionFigures({ period, matter_id: 'KC-M-0001' });
      const r = f.rows.find((x: any) => x.matter_id === 'KC-M-0001');
      return r && r.rated_satisfied >= 1 ? r : undefined;
    }, 'rating in the figures at nanhai');
    expect(row).toMatchObject({ handling_district: 'nanhai', department: '佛山市南海区市场监督管理局' });
    expect(row.completed).toBeGreaterThanOrEqual(1);
    expect(row.completed_on_time).toBe(row.completed);
    expect(row.on_time_rate).toBe(1);
    const rest = (await getJson(`${sys.httpUrl.liwan}/api/v1/supervision/figures?period=${period}&matterId=KC-M-0001`)).body;
    expect(rest.rows[0]).toMatchObject({ matterId: 'KC-M-0001', completed: row.completed, onTimeRate: 1, ratings: { satisfied: row.rated_satisfied } });
    expect(kcErrorCode(await rejectionOf(kiosk.getSupervisionFigures({ period: '2026-13' })))).toBe('VALIDATION_FAILED');
  });
});
