/**
 * Security catalogue — the partner gRPC API. Each scenario asserts the gRPC status and the stable
 * `kc-error-code` (in the trailer and as ErrorInfo.reason in google.rpc.Status), or, where the TLS
 * handshake itself refuses, UNAVAILABLE with no code at all; and that the gateway's Redis holds
 * exactly what it held before (store-snapshot.ts).
 *
 * Policies: at Liwan kiosk-liwan may do everything; kiosk-nanhai may only list matters and cases,
 * read a case and forward, for KC-M-0002 alone. At Nanhai only kiosk-nanhai is listed.
 * Some scenarios are also in tests/integration/partner/; here each is named and checked for
 * "nothing stored" on the whole store.
 */
import { status, type ServiceError } from '@grpc/grpc-js';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../gateway/domain/district.js';
import { grpcStatusOf, type ErrorCode } from '../../gateway/errors.js';
import { PartnerServiceService } from '../../protos/gen/kuacheng/partner/v1/partner.js';
import { applicationFor } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import {
  channel,
  collect,
  errorReason,
  kcErrorCode,
  partnerClient,
  rejectionOf,
  toPbRequest,
  type ClientTls,
  type PartnerApi,
  type PbCase,
} from '../helpers/partner-client.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { rawGrpcClient } from './fuzz-grpc.js';
import { snapshotStore, storeDiff } from './store-snapshot.js';

const EVERYTHING = ['ListMatters', 'ForwardApplication', 'GetCase', 'ListCases', 'WatchCase', 'GetCaseTimeline', 'RecordHandoff', 'ReceiveHandoff', 'RateCase', 'GetSupervisionFigures'];
const POLICY: Record<District, string> = {
  liwan: `version: 1
partners:
  kiosk-liwan:
    operations: [${EVERYTHING.join(', ')}]
    matters: ['*']
  kiosk-nanhai:
    operations: [ListMatters, ListCases, GetCase, ForwardApplication]
    matters: [KC-M-0002]
`,
  nanhai: `version: 1
partners:
  kiosk-nanhai:
    operations: [${EVERYTHING.join(', ')}]
    matters: ['*']
`,
};

const FOOD_PERMIT = applicationFor('nanhai', {
  matterId: 'KC-M-0002',
  form: { premisesAddress: '佛山市南海区桂城街道3号', businessCategory: 'prepackaged' },
  materials: [
    { name: '食品经营许可申请书', form: 'original', copies: 1 },
    { name: '营业执照', form: 'copy', copies: 1 },
    { name: '经营场所平面图', form: 'original', copies: 1 },
  ],
});

let redis: RedisHandle;
let client: Redis;
let sys: TwoGateways;
let policyDir: string;
/** kiosk-liwan at Liwan: everything. */
let kiosk: PartnerApi;
/** kiosk-nanhai at Liwan: four operations, KC-M-0002 only. */
let limited: PartnerApi;
/** Cases at Liwan, registered by Nanhai and settled: a KC-M-0001 (not kiosk-nanhai's) and a KC-M-0002 (its own). */
let otherMatterCase: string;
let ownMatterCase: string;

const address = (d: District) => `127.0.0.1:${sys.gateways[d].ports.partner}`;
const tlsOf = (cred?: { certPem: string; privateKey: { export(o: { type: 'pkcs8'; format: 'pem' }): string | Buffer } }): ClientTls => ({
  rootPem: sys.pki.root.certPem,
  ...(cred ? { certPem: cred.certPem, keyPem: cred.privateKey.export({ type: 'pkcs8', format: 'pem' }) } : {}),
});
const connect = (d: District, tls: ClientTls) => partnerClient({ address: address(d), tls, check: { gatewayUri: `urn:kuacheng:gateway:${d}` }, deadlineMs: 20_000 });

/** A case forwarded by kiosk-liwan, once Nanhai's approval system registered it and every crossing is receipted. */
async function settledCase(app: Record<string, unknown>): Promise<string> {
  const created = await kiosk.forwardApplication(toPbRequest(app));
  await eventually(
    async () => {
      const c: PbCase = await kiosk.getCase(created.case_no);
      return c.state === 'registered' && c.crossings.every((x) => x.delivery === 'receipted' || x.delivery === 'received');
    },
    `${created.case_no} registered and settled`,
    30_000,
  );
  return created.case_no;
}

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  policyDir = mkdtempSync(join(tmpdir(), 'kc-sec-partners-'));
  for (const d of ['liwan', 'nanhai'] as const) writeFileSync(join(policyDir, `${d}.yaml`), POLICY[d]);
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'sec-partner', envFor: (d) => ({ KC_PARTNERS_FILE: join(policyDir, `${d}.yaml`) }) });
  kiosk = connect('liwan', tlsOf(sys.pki.partners['kiosk-liwan']));
  limited = connect('liwan', tlsOf(sys.pki.partners['kiosk-nanhai']));
  otherMatterCase = await settledCase(applicationFor('nanhai'));
  ownMatterCase = await settledCase(FOOD_PERMIT);
}, 120_000);

afterAll(async () => {
  kiosk?.close();
  limited?.close();
  await sys?.stop();
  client?.disconnect();
  await redis?.stop();
  if (policyDir) rmSync(policyDir, { recursive: true, force: true });
});

/** The refusal carries `code` in its trailer and in google.rpc.Status, with the status the table gives it. */
function expectCode(err: ServiceError, code: ErrorCode): void {
  expect({ status: err.code, code: kcErrorCode(err), reason: errorReason(err) }, err.details).toEqual({ status: grpcStatusOf(code), code, reason: code });
}

/** Runs `act` and checks the gateway's store is byte-for-byte what it was. */
async function nothingStored(d: District, act: () => Promise<void>): Promise<void> {
  const prefix = sys.gateways[d].ctx.config.KC_REDIS_PREFIX;
  const before = await snapshotStore(client, prefix);
  await act();
  expect(storeDiff(before, await snapshotStore(client, prefix))).toEqual([]);
}

describe('partner policy', () => {
  it('rejects-partner-operation-not-allowed: when kiosk-nanhai records a hand-off, rates, reads the timeline or watches its own matter\'s case, then PERMISSION_DENIED / PARTNER_NOT_ALLOWED and nothing is stored', async () => {
    await nothingStored('liwan', async () => {
      expectCode(
        await rejectionOf(
          limited.recordHandoff({ case_no: ownMatterCase, kind: 'materials_to_handling', manifest: [{ name: '营业执照', form: 'copy', copies: 1, pages: 1 }], seal_no: 'LW-SEAL-000001', handed_by: 'LW-W-0001', taken_by: 'EMS-C-0001', carrier: 'ems', waybill: 'EA123456785CN' }),
        ),
        'PARTNER_NOT_ALLOWED',
      );
      expectCode(await rejectionOf(limited.rateCase(ownMatterCase, 'satisfied')), 'PARTNER_NOT_ALLOWED');
      expectCode(await rejectionOf(limited.getCaseTimeline(ownMatterCase)), 'PARTNER_NOT_ALLOWED');
      const watched = collect(limited.watchCase(ownMatterCase, 0, { deadlineMs: 15_000 }));
      const end = await watched.ended;
      expect(watched.items).toEqual([]);
      expectCode(end!, 'PARTNER_NOT_ALLOWED');
    });
    // The operations it does have work on its own matter.
    expect((await limited.getCase(ownMatterCase)).matter_id).toBe('KC-M-0002');
  });

  it('rejects-partner-matter-not-allowed: when kiosk-nanhai forwards, reads or lists a matter outside its list, then PERMISSION_DENIED / PARTNER_NOT_ALLOWED and nothing is stored', async () => {
    await nothingStored('liwan', async () => {
      expectCode(await rejectionOf(limited.forwardApplication(toPbRequest(applicationFor('nanhai'), `limited-${Date.now()}`))), 'PARTNER_NOT_ALLOWED');
      expectCode(await rejectionOf(limited.getCase(otherMatterCase)), 'PARTNER_NOT_ALLOWED');
      expectCode(await rejectionOf(limited.listCases({ matter_id: 'KC-M-0001' })), 'PARTNER_NOT_ALLOWED');
    });
    // What it may list leaves the other matter out instead of refusing.
    const listed = await limited.listCases({});
    expect(listed.cases.map((c) => c.matter_id).every((m) => m === 'KC-M-0002')).toBe(true);
  });

  it('rejects-unknown-partner: when a partner certificate the gateway has no policy for calls, then PERMISSION_DENIED / PARTNER_NOT_ALLOWED for reads and forwards, and nothing is stored', async () => {
    const stranger = connect('nanhai', tlsOf(sys.pki.partners['kiosk-liwan']));
    try {
      await nothingStored('nanhai', async () => {
        expectCode(await rejectionOf(stranger.listMatters({})), 'PARTNER_NOT_ALLOWED');
        expectCode(await rejectionOf(stranger.forwardApplication(toPbRequest(applicationFor('liwan')))), 'PARTNER_NOT_ALLOWED');
      });
    } finally {
      stranger.close();
    }
  });
});

describe('client certificate', () => {
  /** The TLS handshake refuses: the call fails UNAVAILABLE, with no code, before any handler runs. */
  async function expectHandshakeRefused(tls: ClientTls): Promise<void> {
    const api = connect('liwan', tls);
    try {
      await nothingStored('liwan', async () => {
        for (const call of [api.listMatters({}), api.forwardApplication(toPbRequest(applicationFor('nanhai')))]) {
          const err = await rejectionOf(call);
          expect({ status: err.code, code: kcErrorCode(err) }, err.details).toEqual({ status: status.UNAVAILABLE, code: undefined });
        }
      });
    } finally {
      api.close();
    }
  }

  it('rejects-partner-without-client-certificate: when a client connects with no certificate, then the handshake fails (UNAVAILABLE, no code) and nothing is stored', async () => {
    await expectHandshakeRefused(tlsOf());
  });

  it('rejects-partner-certificate-from-unknown-ca: when the client certificate chains to a root the gateway does not trust, then the handshake fails (UNAVAILABLE, no code) and nothing is stored', async () => {
    await expectHandshakeRefused(tlsOf(sys.pki.bad.unknownRoot));
  });

  it('rejects-revoked-client-certificate: when the certificate is on the CRL (TLS does not check CRLs, the gateway does), then UNAUTHENTICATED / CERT_REVOKED and nothing is stored', async () => {
    const api = connect('liwan', tlsOf(sys.pki.bad.revoked));
    try {
      await nothingStored('liwan', async () => {
        expectCode(await rejectionOf(api.forwardApplication(toPbRequest(applicationFor('nanhai')))), 'CERT_REVOKED');
      });
    } finally {
      api.close();
    }
  });

  it('rejects-gateway-certificate-on-partner-api: when the other gateway\'s certificate calls the partner API, then PERMISSION_DENIED / PERMISSION_DENIED before any policy, and nothing is stored', async () => {
    const api = connect('liwan', tlsOf(sys.pki.gateways.nanhai));
    try {
      await nothingStored('liwan', async () => {
        expectCode(await rejectionOf(api.forwardApplication(toPbRequest(applicationFor('nanhai')))), 'PERMISSION_DENIED');
      });
    } finally {
      api.close();
    }
  });
});

describe('request bytes', () => {
  const GARBAGE = Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from('garbage')]);

  it('rejects-malformed-protobuf-request: when the request bytes are not a ForwardApplicationRequest, then INVALID_ARGUMENT / VALIDATION_FAILED naming (request), not INTERNAL, and nothing is stored', async () => {
    const { credentials, options } = channel(tlsOf(sys.pki.partners['kiosk-liwan']), { gatewayUri: 'urn:kuacheng:gateway:liwan' });
    const raw = rawGrpcClient(address('liwan'), credentials, options as Record<string, string>);
    try {
      await nothingStored('liwan', async () => {
        for (const path of [PartnerServiceService.forwardApplication.path, PartnerServiceService.getCase.path]) {
          const answer = await raw.send({ kind: 'catalogue', path, bytes: GARBAGE });
          expect({ path, status: answer.status, code: answer.code }, answer.details).toEqual({ path, status: status.INVALID_ARGUMENT, code: 'VALIDATION_FAILED' });
        }
        const watch = await raw.send({ kind: 'catalogue', path: PartnerServiceService.watchCase.path, bytes: GARBAGE, stream: true });
        expect({ status: watch.status, code: watch.code }).toEqual({ status: status.INVALID_ARGUMENT, code: 'VALIDATION_FAILED' });
      });
      const answer = await raw.send({ kind: 'catalogue', path: PartnerServiceService.forwardApplication.path, bytes: GARBAGE });
      expect(answer.issues.map((i) => i.field)).toEqual(['(request)']);
    } finally {
      raw.close();
    }
  });

  it('rejects-malformed-protobuf-from-partner-not-allowed: when a partner not allowed the operation sends unreadable bytes, then PARTNER_NOT_ALLOWED (the policy is asked before the bytes are read)', async () => {
    const { credentials, options } = channel(tlsOf(sys.pki.partners['kiosk-nanhai']), { gatewayUri: 'urn:kuacheng:gateway:liwan' });
    const raw = rawGrpcClient(address('liwan'), credentials, options as Record<string, string>);
    try {
      const answer = await raw.send({ kind: 'catalogue', path: PartnerServiceService.rateCase.path, bytes: GARBAGE });
      expect({ status: answer.status, code: answer.code }).toEqual({ status: status.PERMISSION_DENIED, code: 'PARTNER_NOT_ALLOWED' });
    } finally {
      raw.close();
    }
  });
});
