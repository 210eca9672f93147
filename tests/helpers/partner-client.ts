/**
 * A stock gRPC client of the partner API, built from the .proto files alone: @grpc/proto-loader and
 * grpc.loadPackageDefinition, no generated ts-proto code and nothing from gateway/. It is what a
 * partner who was handed partner.proto and a client certificate would write, so tests that use it
 * prove the wire contract rather than our own bindings.
 *
 *   const api = partnerClient({ address: `127.0.0.1:${sys.gateways.liwan.ports.partner}`, district: 'liwan',
 *     tls: partnerTls(sys.pki, 'kiosk-liwan') });
 *   const c = await api.forwardApplication(toPbRequest(applicationFor('nanhai')));
 *   const err = await rejectionOf(api.getCase('KC-LW-20260101-999999'));  // err.code, kcErrorCode(err)
 *   errorReason(err);  // 'CASE_NOT_FOUND': ErrorInfo.reason from the google.rpc.Status details (rpcStatus(err))
 *   api.close();
 *
 * Field names are those of the .proto (keepCase: true), e.g. `case_no`, `handling_local_no`.
 */
import * as grpc from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { protoPath as HEALTH_PROTO } from 'grpc-health-check';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

export const PARTNER_PROTO = fileURLToPath(new URL('../../protos/kuacheng/partner/v1/partner.proto', import.meta.url));
/** The standard error model (google.rpc.Status in `grpc-status-details-bin`, ErrorInfo, BadRequest). */
export const RPC_STATUS_PROTOS = [
  fileURLToPath(new URL('../../protos/google/rpc/status.proto', import.meta.url)),
  fileURLToPath(new URL('../../protos/google/rpc/error_details.proto', import.meta.url)),
];
const REFLECTION_PROTO_DIR = join(dirname(createRequire(import.meta.url).resolve('@grpc/reflection/package.json')), 'build', 'proto');
export const REFLECTION_PROTO = {
  v1: join(REFLECTION_PROTO_DIR, 'grpc/reflection/v1/reflection.proto'),
  v1alpha: join(REFLECTION_PROTO_DIR, 'grpc/reflection/v1alpha/reflection.proto'),
} as const;
export { HEALTH_PROTO };

/** What a partner would pass to proto-loader: the .proto names, plain numbers, proto3 defaults filled in. */
export const LOADER_OPTIONS: Options = { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true };

// ─── The messages, written from partner.proto (snake_case, as keepCase: true loads them) ─────────

export interface PbApplicant {
  kind: string;
  name: string;
  id_number: string;
  credit_code: string;
  phone: string;
  address: string;
}

export interface PbMaterial {
  name: string;
  form: string;
  copies: number;
}

export interface PbForwardApplicationRequest {
  idempotency_key?: string;
  matter_id?: string;
  applicant?: Partial<PbApplicant> | null;
  form?: Record<string, string>;
  materials?: Partial<PbMaterial>[];
}

export interface PbCaseEvent {
  seq: number;
  case_no: string;
  kind: string;
  state: string;
  at: string;
  note: string;
}

export interface PbCrossing {
  message_id: string;
  type: string;
  from_district: string;
  to_district: string;
  seq: number;
  issued_at: string;
  body_sha256: string;
  delivery: string;
  receipt_id: string;
  receipted_at: string;
}

export interface PbManifestItem {
  name: string;
  form: string;
  copies: number;
  pages: number;
}

export interface PbHandoff {
  handoff_id: string;
  kind: string;
  status: string;
  dispatched_at: string;
  manifest: PbManifestItem[];
  seal_no: string;
  carrier: string;
  waybill: string;
  handed_by: string;
  last_holder: string;
  received_at: string;
  received_by: string;
  /** proto3 `optional`: absent until the hand-off is received. */
  seal_intact?: boolean;
  discrepancies: { name: string; problem: string; expected: string; found: string }[];
  tracking: { status: string; status_label: string; needs_attention: boolean; last_event_at: string; delivered_at: string } | null;
}

export interface PbDeadline {
  state: string;
  promised_days: number;
  statutory_days: number;
  due_date: string;
  statutory_due_date: string;
  used_days: number;
  remaining_days: number;
  overdue: boolean;
  completed_on: string;
  /** proto3 `optional`: absent until decided. */
  on_time?: boolean;
  provisional: boolean;
  colour: string;
  colour_label: string;
}

export interface PbCase {
  case_no: string;
  matter_id: string;
  matter_name: string;
  origin_district: string;
  handling_district: string;
  state: string;
  handling_local_no: string;
  created_at: string;
  updated_at: string;
  events: PbCaseEvent[];
  crossings: PbCrossing[];
  state_label: string;
  deadline: PbDeadline | null;
  handoffs: PbHandoff[];
}

export interface PbListCasesRequest {
  handling_district?: string;
  origin_district?: string;
  matter_id?: string;
  state?: string;
  deadline_colour?: string;
  page_size?: number;
  page_token?: string;
}

export interface PbCaseSummary {
  case_no: string;
  matter_id: string;
  matter_name: string;
  origin_district: string;
  handling_district: string;
  state: string;
  state_label: string;
  created_at: string;
  updated_at: string;
  deadline: { due_date: string; colour: string; colour_label: string } | null;
}

export interface PbListCasesResponse {
  cases: PbCaseSummary[];
  next_page_token: string;
}

export interface PbRecordHandoffRequest {
  case_no: string;
  kind?: string;
  manifest?: Partial<PbManifestItem>[];
  seal_no?: string;
  handed_by?: string;
  taken_by?: string;
  carrier?: string;
  waybill?: string;
}

export interface PbReceiveHandoffRequest {
  case_no: string;
  handoff_id: string;
  received_by?: string;
  seal_intact?: boolean;
  received?: { name: string; copies: number; pages: number }[];
}

export interface PbTimelineEntry {
  at: string;
  kind: string;
  title: string;
  detail: string;
  tone: string;
  ref: { message_id: string; handoff_id: string; pause_id: string; card_id: string } | null;
}

export interface PbCaseTimeline {
  case_no: string;
  entries: PbTimelineEntry[];
}

/** The JSON shape of `applicationFor()` (tests/helpers/applications.ts) in the proto's shape. */
export function toPbRequest(app: Record<string, any>, idempotencyKey?: string): PbForwardApplicationRequest {
  const a = app.applicant as Record<string, string> | undefined;
  return {
    ...(idempotencyKey ? { idempotency_key: idempotencyKey } : {}),
    matter_id: app.matterId as string,
    applicant: a && {
      kind: a.kind,
      name: a.name,
      id_number: a.idNumber ?? '',
      credit_code: a.creditCode ?? '',
      phone: a.phone,
      address: a.address ?? '',
    },
    form: { ...(app.form as Record<string, string>) },
    materials: (app.materials as PbMaterial[]).map((m) => ({ ...m })),
  };
}

// ─── Credentials ─────────────────────────────────────────────────────────────────────────────────

export interface ClientTls {
  /** PEM of the roots the client trusts for the server certificate. */
  rootPem: string | Buffer;
  /** The client certificate and its key (PEM); omit both to connect without one. */
  certPem?: string | Buffer;
  keyPem?: string | Buffer;
}

/** Files of a TestPki credential → ClientTls (read from disk, as a partner would). */
export function tlsFromFiles(rootPath: string, cred?: { certPath: string; keyPath: string }): ClientTls {
  return {
    rootPem: readFileSync(rootPath),
    ...(cred ? { certPem: readFileSync(cred.certPath), keyPem: readFileSync(cred.keyPath) } : {}),
  };
}

/** The `URI:` entries of a peer certificate's subjectAltName as Node prints it. */
function sanUris(cert: PeerCertificate): string[] {
  return (cert.subjectaltname ?? '')
    .split(', ')
    .filter((e) => e.startsWith('URI:'))
    .map((e) => e.slice('URI:'.length));
}

export type ServerCheck =
  /** Check that the server certificate carries `urn:kuacheng:gateway:<district>` (we dial an IP). */
  | { gatewayUri: string }
  /** Verify the host name like any TLS client, against `name` (grpc.ssl_target_name_override). */
  | { hostname: string }
  /** Default verification against the address dialled (127.0.0.1). */
  | 'address';

function toBuffer(v: string | Buffer | undefined): Buffer | null {
  return v === undefined ? null : Buffer.isBuffer(v) ? v : Buffer.from(v);
}

export function channel(tls: ClientTls, check: ServerCheck): { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions } {
  const verify: grpc.VerifyOptions =
    typeof check === 'object' && 'gatewayUri' in check
      ? {
          checkServerIdentity: (_host, cert) =>
            sanUris(cert).includes(check.gatewayUri) ? undefined : new Error(`server certificate is not ${check.gatewayUri}`),
        }
      : {};
  const options: grpc.ChannelOptions = typeof check === 'object' && 'hostname' in check ? { 'grpc.ssl_target_name_override': check.hostname } : {};
  return { credentials: grpc.credentials.createSsl(toBuffer(tls.rootPem), toBuffer(tls.keyPem), toBuffer(tls.certPem), verify), options };
}

// ─── Clients ─────────────────────────────────────────────────────────────────────────────────────

type Callback<T> = (err: grpc.ServiceError | null, value?: T) => void;
type Unary<Req, Res> = (req: Req, metadata: grpc.Metadata, options: grpc.CallOptions, cb: Callback<Res>) => grpc.ClientUnaryCall;

interface RawPartnerClient extends grpc.Client {
  ForwardApplication: Unary<PbForwardApplicationRequest, PbCase>;
  GetCase: Unary<{ case_no: string }, PbCase>;
  WatchCase(req: { case_no: string; after_seq?: number }, options?: grpc.CallOptions): grpc.ClientReadableStream<PbCaseEvent>;
  ListMatters: Unary<Record<string, unknown>, Record<string, any>>;
  RateCase: Unary<{ case_no: string; rating: string }, { case_no: string; rating: string }>;
  GetSupervisionFigures: Unary<Record<string, unknown>, Record<string, any>>;
  ListCases: Unary<PbListCasesRequest, PbListCasesResponse>;
  RecordHandoff: Unary<PbRecordHandoffRequest, PbHandoff>;
  ReceiveHandoff: Unary<PbReceiveHandoffRequest, PbHandoff>;
  GetCaseTimeline: Unary<{ case_no: string }, PbCaseTimeline>;
}

function serviceCtor(protoFile: string, path: string[], includeDirs: string[] = []): grpc.ServiceClientConstructor {
  let node: unknown = grpc.loadPackageDefinition(loadSync(protoFile, { ...LOADER_OPTIONS, includeDirs }));
  for (const part of path) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function') throw new Error(`${path.join('.')} is not a service in ${protoFile}`);
  return node as grpc.ServiceClientConstructor;
}

function promisify<Req, Res>(client: grpc.Client, fn: Unary<Req, Res>, req: Req, options: grpc.CallOptions): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn.call(client, req, new grpc.Metadata(), options, (err, value) => (err ? reject(err) : resolve(value!)));
  });
}

export interface ConnectOptions {
  address: string;
  tls: ClientTls;
  check: ServerCheck;
  /** Per-call deadline, a safety net so a broken connection fails the test instead of hanging it. */
  deadlineMs?: number;
}

export interface PartnerApi {
  forwardApplication(req: PbForwardApplicationRequest): Promise<PbCase>;
  getCase(caseNo: string): Promise<PbCase>;
  /** `deadlineMs`: for streams that should end by themselves, so a stream that never ends fails the test. */
  watchCase(caseNo: string, afterSeq?: number, opts?: { deadlineMs?: number }): grpc.ClientReadableStream<PbCaseEvent>;
  /** Requests and answers in the proto's snake_case field names. */
  listMatters(req: Record<string, unknown>): Promise<Record<string, any>>;
  rateCase(caseNo: string, rating: string): Promise<{ case_no: string; rating: string }>;
  getSupervisionFigures(req: Record<string, unknown>): Promise<Record<string, any>>;
  listCases(req: PbListCasesRequest): Promise<PbListCasesResponse>;
  recordHandoff(req: PbRecordHandoffRequest): Promise<PbHandoff>;
  receiveHandoff(req: PbReceiveHandoffRequest): Promise<PbHandoff>;
  getCaseTimeline(caseNo: string): Promise<PbCaseTimeline>;
  close(): void;
}

export function partnerClient(opts: ConnectOptions): PartnerApi {
  const Ctor = serviceCtor(PARTNER_PROTO, ['kuacheng', 'partner', 'v1', 'PartnerService']);
  const { credentials, options } = channel(opts.tls, opts.check);
  const client = new Ctor(opts.address, credentials, options) as unknown as RawPartnerClient;
  const callOptions = (): grpc.CallOptions => ({ deadline: Date.now() + (opts.deadlineMs ?? 15_000) });
  return {
    forwardApplication: (req) => promisify(client, client.ForwardApplication, req, callOptions()),
    getCase: (caseNo) => promisify(client, client.GetCase, { case_no: caseNo }, callOptions()),
    watchCase: (caseNo, afterSeq = 0, o = {}) =>
      client.WatchCase({ case_no: caseNo, after_seq: afterSeq }, o.deadlineMs ? { deadline: Date.now() + o.deadlineMs } : {}),
    listMatters: (req) => promisify(client, client.ListMatters, req, callOptions()),
    rateCase: (caseNo, rating) => promisify(client, client.RateCase, { case_no: caseNo, rating }, callOptions()),
    getSupervisionFigures: (req) => promisify(client, client.GetSupervisionFigures, req, callOptions()),
    listCases: (req) => promisify(client, client.ListCases, req, callOptions()),
    recordHandoff: (req) => promisify(client, client.RecordHandoff, req, callOptions()),
    receiveHandoff: (req) => promisify(client, client.ReceiveHandoff, req, callOptions()),
    getCaseTimeline: (caseNo) => promisify(client, client.GetCaseTimeline, { case_no: caseNo }, callOptions()),
    close: () => client.close(),
  };
}

export interface HealthApi {
  check(service: string): Promise<{ status: string }>;
  close(): void;
}

export function healthClient(opts: ConnectOptions): HealthApi {
  const Ctor = serviceCtor(HEALTH_PROTO, ['grpc', 'health', 'v1', 'Health']);
  const { credentials, options } = channel(opts.tls, opts.check);
  const client = new Ctor(opts.address, credentials, options) as unknown as grpc.Client & { Check: Unary<{ service: string }, { status: string }> };
  return {
    check: (service) => promisify(client, client.Check, { service }, { deadline: Date.now() + (opts.deadlineMs ?? 15_000) }),
    close: () => client.close(),
  };
}

export interface ReflectionRequest {
  host?: string;
  list_services?: string;
  file_containing_symbol?: string;
  file_by_filename?: string;
}

export interface ReflectionResponse {
  valid_host: string;
  message_response: 'list_services_response' | 'file_descriptor_response' | 'error_response' | 'all_extension_numbers_response';
  list_services_response?: { service: { name: string }[] } | null;
  file_descriptor_response?: { file_descriptor_proto: Buffer[] } | null;
  error_response?: { error_code: number; error_message: string } | null;
}

export interface ReflectionApi {
  /** Sends one request on a fresh ServerReflectionInfo stream and returns the one answer. */
  ask(req: ReflectionRequest): Promise<ReflectionResponse>;
  close(): void;
}

export function reflectionClient(version: keyof typeof REFLECTION_PROTO, opts: ConnectOptions): ReflectionApi {
  const Ctor = serviceCtor(REFLECTION_PROTO[version], ['grpc', 'reflection', version, 'ServerReflection'], [REFLECTION_PROTO_DIR]);
  const { credentials, options } = channel(opts.tls, opts.check);
  const client = new Ctor(opts.address, credentials, options) as unknown as grpc.Client & {
    ServerReflectionInfo(options?: grpc.CallOptions): grpc.ClientDuplexStream<ReflectionRequest, ReflectionResponse>;
  };
  return {
    ask: (req) =>
      new Promise((resolve, reject) => {
        const call = client.ServerReflectionInfo({ deadline: Date.now() + (opts.deadlineMs ?? 15_000) });
        call.once('data', (res: ReflectionResponse) => {
          resolve(res);
          call.end();
        });
        call.once('error', reject);
        call.write(req);
      }),
    close: () => client.close(),
  };
}

// ─── Errors and streams ──────────────────────────────────────────────────────────────────────────

/** The error a call failed with; throws if it succeeded. */
export async function rejectionOf(p: Promise<unknown>): Promise<grpc.ServiceError> {
  try {
    const value = await p;
    throw new Error(`expected the call to fail, it returned ${JSON.stringify(value)}`);
  } catch (err) {
    if (err instanceof Error && 'code' in err && typeof err.code === 'number') return err as grpc.ServiceError;
    throw err;
  }
}

/** The stable code in the `kc-error-code` trailer. */
export function kcErrorCode(err: grpc.ServiceError): string | undefined {
  const v = err.metadata?.get('kc-error-code')[0];
  return typeof v === 'string' ? v : undefined;
}

/** The field issues in the `kc-field-issues-bin` trailer (JSON). */
export function fieldIssues(err: grpc.ServiceError): { field: string; code: string; message: string }[] {
  const v = err.metadata?.get('kc-field-issues-bin')[0];
  return v === undefined ? [] : (JSON.parse(Buffer.isBuffer(v) ? v.toString('utf8') : v) as { field: string; code: string; message: string }[]);
}

// ─── The standard error model, decoded with protobufjs from the .proto files ─────────────────────

let rpcRoot: protobuf.Root | undefined;
/** google/rpc/*.proto as a partner would load them, in the .proto's field names (google.protobuf.Any comes with protobufjs). */
function rpcTypes(): protobuf.Root {
  rpcRoot ??= new protobuf.Root().loadSync(RPC_STATUS_PROTOS, { keepCase: true });
  return rpcRoot;
}

export interface RpcStatus {
  code: number;
  message: string;
  /** Each detail decoded by its type URL, with `@type` naming it (as grpcurl prints them). */
  details: ({ '@type': string } & Record<string, any>)[];
}

/** The google.rpc.Status in the `grpc-status-details-bin` trailer, undefined when there is none. */
export function rpcStatus(err: grpc.ServiceError): RpcStatus | undefined {
  const raw = err.metadata?.get('grpc-status-details-bin')[0];
  if (raw === undefined) return undefined;
  const root = rpcTypes();
  const toObject = { longs: Number, enums: String, defaults: true, arrays: true, objects: true } as const;
  const decoded = root.lookupType('google.rpc.Status').toObject(root.lookupType('google.rpc.Status').decode(Buffer.isBuffer(raw) ? raw : Buffer.from(raw)), toObject);
  return {
    code: decoded.code as number,
    message: decoded.message as string,
    details: (decoded.details as { type_url: string; value: Uint8Array }[]).map((any) => {
      const typeName = any.type_url.slice(any.type_url.lastIndexOf('/') + 1);
      const type = root.lookupType(typeName);
      return { '@type': typeName, ...type.toObject(type.decode(any.value), toObject) };
    }),
  };
}

/** ErrorInfo.reason from the status details: the stable code, read the standard way. */
export function errorReason(err: grpc.ServiceError): string | undefined {
  return rpcStatus(err)?.details.find((d) => d['@type'] === 'google.rpc.ErrorInfo')?.reason as string | undefined;
}

export interface Collected<T> {
  items: T[];
  /** Set once the stream has ended: the error it ended with, or null for OK. */
  end: grpc.ServiceError | null | undefined;
  /** Resolves when the stream has ended (with an error or OK). */
  ended: Promise<grpc.ServiceError | null>;
}

/** Collects a server stream's messages and how it ended. */
export function collect<T>(stream: grpc.ClientReadableStream<T>): Collected<T> {
  const out: Collected<T> = { items: [], end: undefined, ended: Promise.resolve(null) };
  out.ended = new Promise((resolve) => {
    stream.on('data', (item: T) => out.items.push(item));
    stream.on('error', (err: grpc.ServiceError) => {
      out.end = err;
      resolve(err);
    });
    stream.on('status', (s: grpc.StatusObject) => {
      if (s.code === grpc.status.OK) {
        out.end = null;
        resolve(null);
      }
    });
  });
  return out;
}
