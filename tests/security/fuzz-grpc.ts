/**
 * Malformed calls for the two gRPC faces, generated from a seed, sent as raw bytes through a grpc-js
 * client with identity serializers (so nothing on our side refuses to encode them):
 * - the partner API, with a real partner certificate: random bytes, protobuf with hostile field
 *   values, and protobuf damaged byte by byte;
 * - the peer API, with the real gateway certificate of the other district: random bytes, genuine
 *   Signed messages damaged byte by byte, and envelopes whose JSON body was mutated and then signed
 *   again with the real key (so they pass the signature and reach the checks behind it).
 *
 * Nothing generated may be accepted. Forwards carry a poison appended last (protobuf keeps the last
 * value of a field): a malformed idempotency key and a form field no matter has. Envelopes are about
 * cases the receiver does not hold (status and event envelopes: CASE_NOT_FOUND) or applications for
 * a matter the receiver does not handle (WRONG_DISTRICT_FOR_MATTER), so even a body that survives
 * its mutation intact is refused.
 */
import { Client, Metadata, type ChannelCredentials, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ulid } from 'ulid';
import { DISTRICT_CODE, type District } from '../../gateway/domain/district.js';
import { canonicalBytes } from '../../gateway/envelope/canonical.js';
import { sealEnvelope, type EnvelopeDraft } from '../../gateway/envelope/envelope.js';
import type { Signer } from '../../gateway/envelope/signer.js';
import { GRPC_ERROR_CODE_KEY } from '../../gateway/errors.js';
import {
  ForwardApplicationRequest,
  GetCaseRequest,
  GetCaseTimelineRequest,
  GetSupervisionFiguresRequest,
  ListCasesRequest,
  ListMattersRequest,
  PartnerServiceService,
  RateCaseRequest,
  ReceiveHandoffRequest,
  RecordHandoffRequest,
  WatchCaseRequest,
} from '../../protos/gen/kuacheng/partner/v1/partner.js';
import { PeerGatewayService, Signed as SignedPb } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { applicationFor } from '../helpers/applications.js';
import { toPbRequest } from '../helpers/partner-client.js';
import { caseNoish, POISON_FIELD } from './fuzz-rest.js';
import { deepNestingText, mutateBytes, mutateJson, mutateText, nastyString, randomJson, sizeOf, type Rand } from './fuzz-mutate.js';

export interface GrpcInput {
  kind: string;
  path: string;
  bytes: Buffer;
  /** Server streams (WatchCase) are read to their end. */
  stream?: boolean;
}

export interface GrpcAnswer {
  /** gRPC status code (0 = OK). */
  status: number;
  /** The kc-error-code trailer, when the server sent one. */
  code: string | undefined;
  details: string;
  /** The field issues of the `kc-field-issues-bin` trailer. */
  issues: { field: string; code: string }[];
}

// ─── Partner API ────────────────────────────────────────────────────────────────────────────────

const partnerPath = (name: keyof typeof PartnerServiceService) => PartnerServiceService[name].path;

function protoString(r: Rand): string {
  return r.chance(0.3) ? caseNoish(r) : nastyString(r, 512);
}

function protoUint(r: Rand): number {
  return r.pick([0, 1, 2, 255, 65_535, 2 ** 31 - 1, 2 ** 32 - 1, r.int(2 ** 32)]);
}

/** Tag + length-delimited bytes of one field (wire type 2). */
function lengthDelimited(field: number, value: Buffer): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    do {
      out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n >>>= 7;
    } while (n > 0);
    return Buffer.from(out);
  };
  return Buffer.concat([varint((field << 3) | 2), varint(value.length), value]);
}

/** idempotency_key = "x" and form[POISON_FIELD] = "x", appended: they win over whatever came before. */
const FORWARD_POISON = Buffer.concat([
  lengthDelimited(1, Buffer.from('x')),
  lengthDelimited(4, Buffer.concat([lengthDelimited(1, Buffer.from(POISON_FIELD)), lengthDelimited(2, Buffer.from('x'))])),
]);

function forwardRequest(r: Rand): Buffer {
  const pb = toPbRequest(applicationFor(r.chance(0.8) ? 'nanhai' : 'liwan'));
  const msg = ForwardApplicationRequest.fromPartial({
    idempotencyKey: r.chance(0.3) ? protoString(r) : '',
    matterId: r.chance(0.8) ? pb.matter_id! : protoString(r),
    applicant: {
      kind: r.chance(0.8) ? pb.applicant!.kind! : protoString(r),
      name: r.chance(0.7) ? pb.applicant!.name! : protoString(r),
      idNumber: r.chance(0.8) ? '' : protoString(r),
      creditCode: r.chance(0.7) ? pb.applicant!.credit_code! : protoString(r),
      phone: r.chance(0.7) ? pb.applicant!.phone! : protoString(r),
      address: r.chance(0.7) ? pb.applicant!.address! : protoString(r),
    },
    form: r.chance(0.6) ? pb.form : Object.fromEntries(Object.entries(pb.form ?? {}).map(([k, v]) => (r.chance(0.5) ? [protoString(r), v] : [k, protoString(r)]))),
    materials: (pb.materials ?? []).flatMap((m) =>
      r.chance(0.8) ? [{ name: m.name!, form: m.form!, copies: m.copies! }] : r.chance(0.5) ? [] : [{ name: protoString(r), form: protoString(r), copies: protoUint(r) }],
    ),
  });
  return Buffer.from(ForwardApplicationRequest.encode(msg).finish());
}

const PARTNER_CALLS: { name: keyof typeof PartnerServiceService; build: (r: Rand) => Buffer; weight: number }[] = [
  { name: 'forwardApplication', build: forwardRequest, weight: 30 },
  { name: 'getCase', build: (r) => Buffer.from(GetCaseRequest.encode({ caseNo: protoString(r) }).finish()), weight: 8 },
  { name: 'getCaseTimeline', build: (r) => Buffer.from(GetCaseTimelineRequest.encode({ caseNo: protoString(r) }).finish()), weight: 6 },
  {
    name: 'listCases',
    build: (r) =>
      Buffer.from(
        ListCasesRequest.encode({
          handlingDistrict: r.chance(0.5) ? r.pick(['liwan', 'nanhai']) : protoString(r),
          originDistrict: r.chance(0.5) ? '' : protoString(r),
          matterId: r.chance(0.5) ? '' : protoString(r),
          state: r.chance(0.5) ? '' : protoString(r),
          deadlineColour: r.chance(0.5) ? '' : protoString(r),
          pageSize: protoUint(r),
          pageToken: r.chance(0.5) ? '' : protoString(r),
        }).finish(),
      ),
    weight: 10,
  },
  {
    name: 'listMatters',
    build: (r) =>
      Buffer.from(ListMattersRequest.encode({ handlingDistrict: protoString(r), domain: protoString(r), batch: protoString(r), includeUnavailable: r.chance(0.5) }).finish()),
    weight: 6,
  },
  {
    name: 'getSupervisionFigures',
    build: (r) =>
      Buffer.from(GetSupervisionFiguresRequest.encode({ period: r.chance(0.3) ? r.pick(['2026-11', '2026-13', '0000-00', '9999-12']) : protoString(r), handlingDistrict: protoString(r), matterId: protoString(r) }).finish()),
    weight: 8,
  },
  { name: 'rateCase', build: (r) => Buffer.from(RateCaseRequest.encode({ caseNo: protoString(r), rating: r.chance(0.5) ? 'satisfied' : protoString(r) }).finish()), weight: 8 },
  {
    name: 'recordHandoff',
    build: (r) =>
      Buffer.from(
        RecordHandoffRequest.encode({
          caseNo: protoString(r),
          kind: r.chance(0.5) ? 'materials_to_handling' : protoString(r),
          manifest: Array.from({ length: r.int(4) }, () => ({ name: protoString(r), form: protoString(r), copies: protoUint(r), pages: protoUint(r) })),
          sealNo: protoString(r),
          handedBy: protoString(r),
          takenBy: protoString(r),
          carrier: r.chance(0.5) ? 'ems' : protoString(r),
          waybill: r.chance(0.3) ? 'EA123456785CN' : protoString(r),
        }).finish(),
      ),
    weight: 10,
  },
  {
    name: 'receiveHandoff',
    build: (r) =>
      Buffer.from(
        ReceiveHandoffRequest.encode({
          caseNo: protoString(r),
          handoffId: protoString(r),
          receivedBy: protoString(r),
          sealIntact: r.chance(0.3) ? undefined : r.chance(0.5),
          received: Array.from({ length: r.int(4) }, () => ({ name: protoString(r), copies: protoUint(r), pages: protoUint(r) })),
        }).finish(),
      ),
    weight: 8,
  },
  { name: 'watchCase', build: (r) => Buffer.from(WatchCaseRequest.encode({ caseNo: protoString(r), afterSeq: protoUint(r) }).finish()), weight: 6 },
];
const PARTNER_WEIGHT = PARTNER_CALLS.reduce((s, c) => s + c.weight, 0);

export function partnerInput(r: Rand): GrpcInput {
  let roll = r.int(PARTNER_WEIGHT);
  const call = PARTNER_CALLS.find((c) => (roll -= c.weight) < 0)!;
  const how = r.int(10);
  let bytes: Buffer;
  let what: string;
  if (how < 2) {
    bytes = r.bytes(sizeOf(r, 2048));
    what = 'random-bytes';
  } else if (how < 6) {
    bytes = call.build(r);
    what = 'hostile-fields';
  } else {
    bytes = mutateBytes(r, call.build(r));
    what = 'damaged-protobuf';
  }
  if (call.name === 'forwardApplication') bytes = Buffer.concat([bytes, FORWARD_POISON]);
  return { kind: `partner:${call.name}:${what}`, path: partnerPath(call.name), bytes, stream: call.name === 'watchCase' };
}

// ─── Peer API ───────────────────────────────────────────────────────────────────────────────────

export interface PeerSide {
  /** The district we play (whose real key signs). */
  from: District;
  to: District;
  signer: Signer;
  /** A certificate of another party (the receiver's own), for swapped chains. */
  otherCertDer: Buffer;
}

let counter = 0;
/** A case number of `district` that no gateway has issued (numbers from 9xxxxxxx up). */
function unissuedCaseNo(r: Rand, district: District): string {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return `KC-${DISTRICT_CODE[district]}-${day}-${90_000_000 + ((counter++ * 7919 + r.int(1_000_000)) % 9_000_000)}`;
}

/** An envelope the receiver must refuse even when it arrives intact (sequence 1 of a case it does not hold). */
function baseDraft(r: Rand, side: PeerSide): EnvelopeDraft {
  const common = { id: ulid(), from: side.from, to: side.to };
  switch (r.int(3)) {
    case 0:
      // A status change for a case taken in at the receiver that it has never seen.
      return {
        ...common,
        type: 'status',
        caseNo: unissuedCaseNo(r, side.to),
        seq: 1,
        content: { state: r.pick(['accepted', 'registered', 'approved', 'rejected']), localNo: 'X-1', at: new Date().toISOString(), note: '' },
      };
    case 1:
      // A shared event on an unknown case.
      return {
        ...common,
        type: 'event',
        caseNo: unissuedCaseNo(r, r.pick([side.from, side.to])),
        seq: 1,
        content: { kind: 'rated', eventId: `fuzz-${r.int(1e9)}`, at: new Date().toISOString(), note: '', data: { rating: 'satisfied' } },
      };
    default: {
      // An application for a matter the sender handles itself: WRONG_DISTRICT_FOR_MATTER at the receiver.
      const application = applicationFor(side.from);
      return {
        ...common,
        type: 'application',
        caseNo: unissuedCaseNo(r, side.from),
        seq: 1,
        content: { matterId: application.matterId, takenInAt: new Date().toISOString(), application },
      };
    }
  }
}

const deliverPath = PeerGatewayService.deliver.path;
const checkpointPath = PeerGatewayService.exchangeCheckpoint.path;

function encodeSigned(s: { body: Buffer; signature: Buffer; certChain: Buffer[] }): Buffer {
  return Buffer.from(SignedPb.encode(s).finish());
}

export function peerInput(r: Rand, side: PeerSide): GrpcInput {
  const how = r.int(100);
  const sealed = () => sealEnvelope(baseDraft(r, side), Date.now() + (r.chance(0.1) ? r.pick([-1, 1]) * r.int(3_600_000) : 0), side.signer);
  if (how < 8) return { kind: 'peer:random-bytes', path: deliverPath, bytes: r.bytes(sizeOf(r, 2048)) };
  if (how < 12) return { kind: 'peer:checkpoint-bytes', path: checkpointPath, bytes: r.chance(0.5) ? r.bytes(sizeOf(r, 2048)) : mutateBytes(r, encodeSigned(sealed())) };
  if (how < 35) return { kind: 'peer:damaged-signed', path: deliverPath, bytes: mutateBytes(r, encodeSigned(sealed())) };
  if (how < 45) {
    // A genuine body and signature with the chain or the signature replaced.
    const s = sealed();
    const variants = [
      { ...s, certChain: [] },
      { ...s, certChain: [side.otherCertDer] },
      { ...s, certChain: [r.bytes(sizeOf(r, 2048))] },
      { ...s, certChain: [mutateBytes(r, s.certChain[0]!)] },
      { ...s, signature: r.bytes(sizeOf(r, 128)) },
      { ...s, signature: mutateBytes(r, s.signature) },
      { ...s, certChain: [...s.certChain, ...s.certChain, ...s.certChain] },
    ];
    return { kind: 'peer:bad-chain-or-signature', path: deliverPath, bytes: encodeSigned(r.pick(variants)) };
  }
  // The body mutated, then signed again with the real key: it passes the signature check.
  const s = sealed();
  const parsed = JSON.parse(s.body.toString('utf8')) as unknown;
  let body: Buffer;
  let what: string;
  const style = r.int(10);
  if (style < 6) {
    let v = parsed;
    for (let n = 1 + r.int(3); n > 0; n--) v = mutateJson(r, v);
    body = canonicalOrPlain(v);
    what = 'resigned-mutated-json';
  } else if (style < 8) {
    body = Buffer.from(mutateText(r, s.body.toString('utf8')), 'utf8');
    what = 'resigned-damaged-text';
  } else if (style < 9) {
    // Content replaced wholesale: any JSON at all in an otherwise proper envelope.
    body = canonicalOrPlain({ ...(parsed as Record<string, unknown>), content: randomJson(r) });
    what = 'resigned-random-content';
  } else if (r.chance(0.3)) {
    // Content nested far deeper than any envelope needs, in canonical form, within the size limit.
    const text = canonicalBytes({ ...(parsed as Record<string, unknown>), content: { deep: '__DEEP__' } }).toString('utf8');
    body = Buffer.from(text.replace('"__DEEP__"', deepNestingText(r, 10_000)), 'utf8');
    what = 'resigned-deep-content';
  } else {
    body = Buffer.from(JSON.stringify(parsed, null, 1 + r.int(3)), 'utf8');
    what = 'resigned-not-canonical';
  }
  if (mayBeHeld(body)) {
    // Kept out of the run: the receiver stores it by design (see mayBeHeld); the intact envelope is sent instead.
    body = s.body;
    what += ':seq-pinned';
  }
  return { kind: `peer:${what}`, path: deliverPath, bytes: encodeSigned({ body, signature: side.signer.sign(body), certChain: side.signer.chain }) };
}

/**
 * An envelope with a sequence number above 1 for a case the receiver does not hold yet is stored and
 * held until the earlier ones arrive (gateway/store/scripts/applyEnvelope-5.lua): envelopes may
 * overtake each other, and the peer that signed it is trusted. That is the one way a properly
 * signed envelope for an unknown case is stored, so mutations that reach it are not sent.
 */
function mayBeHeld(body: Buffer): boolean {
  try {
    const seq = (JSON.parse(body.toString('utf8')) as { seq?: unknown } | null)?.seq;
    return typeof seq === 'number' && seq > 1;
  } catch {
    return false;
  }
}

/** RFC 8785 bytes where the value allows it, else JSON.stringify's (numbers like 1e400 have no canonical form). */
function canonicalOrPlain(v: unknown): Buffer {
  try {
    return canonicalBytes(v);
  } catch {
    return Buffer.from(JSON.stringify(v) ?? 'null', 'utf8');
  }
}

// ─── Sending ────────────────────────────────────────────────────────────────────────────────────

/** A raw client: bytes in, the status out (an OK answer's bytes are not read). */
export function rawGrpcClient(address: string, credentials: ChannelCredentials, options: Record<string, string | number> = {}) {
  const client = new Client(address, credentials, { 'grpc.max_send_message_length': 64 * 1024 * 1024, ...options });
  const identity = (b: Buffer) => b;
  const fromStatus = (s: { code: number; details: string; metadata?: Metadata }): GrpcAnswer => {
    const code = s.metadata?.get(GRPC_ERROR_CODE_KEY)[0];
    const issues = s.metadata?.get('kc-field-issues-bin')[0];
    return {
      status: s.code,
      code: typeof code === 'string' ? code : undefined,
      details: s.details,
      issues: Buffer.isBuffer(issues) ? (JSON.parse(issues.toString('utf8')) as GrpcAnswer['issues']) : [],
    };
  };
  const answerOf = (err: ServiceError | null): GrpcAnswer => (err ? fromStatus(err) : { status: 0, code: undefined, details: '', issues: [] });
  return {
    send(input: GrpcInput, timeoutMs = 15_000): Promise<GrpcAnswer> {
      const deadline = Date.now() + timeoutMs;
      if (!input.stream) {
        return new Promise((resolve) => {
          client.makeUnaryRequest(input.path, identity, identity, input.bytes, new Metadata(), { deadline }, (err) => resolve(answerOf(err)));
        });
      }
      return new Promise((resolve) => {
        // A watch of a case that exists would stay open: the generated case numbers are never issued.
        const call = client.makeServerStreamRequest(input.path, identity, identity, input.bytes, new Metadata(), { deadline });
        call.on('data', () => {});
        call.on('error', () => {});
        call.on('status', (s: StatusObject) => resolve(fromStatus(s)));
      });
    },
    close: () => client.close(),
  };
}
