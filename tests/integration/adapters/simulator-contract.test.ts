/**
 * Contract between each district adapter and its simulator, run as a real process
 * (`node --import tsx adapters/<district>/simulator-main.ts`) on a loopback port with a temp data dir.
 * The adapter drives it over HTTP through a recording fetch; every request it makes and every answer
 * it gets is checked against the operation in the district's OpenAPI spec (request body, required
 * headers, documented status, answer body). Every matter of the shipped catalog goes through every
 * operation. Callbacks land on a small local receiver. Faults are scripted through /_sim/config.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterOptions } from '../../../adapters/adapter-kit.js';
import type { ApprovalAdapter, ApprovalStatus, ApprovalStatusEvent, ApprovalSubmission } from '../../../adapters/adapter.js';
import { AdapterError } from '../../../adapters/adapter.js';
import { toDistrictForm, toDistrictMaterials } from '../../../adapters/form-mapping.js';
import { createAdapter } from '../../../adapters/index.js';
import { LIWAN_STATUS } from '../../../adapters/liwan/simulator.js';
import { NANHAI_STATUS } from '../../../adapters/nanhai/simulator.js';
import { loadSpecSchemas, type SpecSchemas } from '../../../adapters/spec-schemas.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import type { Matter } from '../../../gateway/catalog/schema.js';
import { DISTRICTS, otherDistrict, type District } from '../../../gateway/domain/district.js';
import { sampleApplicant, sampleForm, sampleMaterials } from '../../helpers/catalog-fixtures.js';
import { spawnTs, type TsProcess } from '../../helpers/process.js';

const SECRET = 'contract-test-secret';
const catalog = loadMatterCatalog();

interface DistrictFacts {
  status: Record<ApprovalStatus, string>;
  localNo: RegExp;
  submitPath: string;
  keyHeader: string;
  /** The operations the adapter uses; each matter's run must exercise all of them. */
  adapterOperations: string[];
  errorSchema: string;
}

const FACTS: Record<District, DistrictFacts> = {
  liwan: {
    status: LIWAN_STATUS,
    localNo: /^LW\d{14}$/,
    submitPath: '/lw/api/v2/applications',
    keyHeader: 'X-LW-Qqlsh',
    adapterOperations: ['submitApplication', 'getApplicationStatus', 'submitSupplement', 'getResult', 'listChanges', 'putSubscription'],
    errorSchema: 'LwError',
  },
  nanhai: {
    status: NANHAI_STATUS,
    localNo: /^NH-\d{10}$/,
    submitPath: '/nh/open/v1/case/submit',
    keyHeader: 'Idempotency-Key',
    adapterOperations: ['submitCase', 'getCaseStatus', 'submitSupplement', 'getCaseResult', 'listEvents', 'registerCallback'],
    errorSchema: 'NhErrorEnvelope',
  },
};

const specs: Record<District, SpecSchemas> = {
  liwan: loadSpecSchemas(new URL('../../../adapters/liwan/openapi.yaml', import.meta.url)),
  nanhai: loadSpecSchemas(new URL('../../../adapters/nanhai/openapi.yaml', import.meta.url)),
};

// ---- recording fetch + spec check ----------------------------------------------------------------

interface Exchange {
  method: string;
  url: URL;
  headers: Headers;
  body: string | undefined;
  status: number;
  answer: string;
}

function recordingFetch(log: Exchange[]): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit) => {
    const request = new Request(input, init);
    const body = request.method === 'GET' ? undefined : await request.clone().text();
    const response = await fetch(request);
    const answer = await response.clone().text();
    log.push({ method: request.method, url: new URL(request.url), headers: request.headers, body, status: response.status, answer });
    return response;
  };
}

const numeric = (v: string): string | number => (/^-?\d+$/.test(v) ? Number(v) : v);

/** Checks one exchange against the spec; returns the operationId. */
function checkExchange(spec: SpecSchemas, x: Exchange): string {
  const op = spec.operation(x.method, x.url.pathname);
  expect(op, `${x.method} ${x.url.pathname} is an operation of the spec`).toBeDefined();
  const where = `${op!.operationId} (${x.method} ${x.url.pathname} → ${x.status})`;
  for (const p of op!.parameters) {
    const value = p.in === 'header' ? x.headers.get(p.name) : p.in === 'query' ? x.url.searchParams.get(p.name) : op!.pathParams[p.name];
    if (value === null || value === undefined) {
      expect(p.required, `${where}: required ${p.in} parameter ${p.name}`).toBe(false);
      continue;
    }
    expect(p.schema.safeParse(p.in === 'query' ? numeric(value) : value).error, `${where}: ${p.in} parameter ${p.name}`).toBeUndefined();
  }
  if (op!.requestBody) {
    expect(x.body, `${where}: request body`).toBeDefined();
    expect(op!.requestBody.safeParse(JSON.parse(x.body!)).error, `${where}: request body`).toBeUndefined();
  }
  const schema = op!.response(x.status);
  expect(schema, `${where}: status documented (${op!.responseStatuses.join(', ')})`).toBeDefined();
  expect(schema!.safeParse(JSON.parse(x.answer)).error, `${where}: answer body`).toBeUndefined();
  return op!.operationId;
}

// ---- processes and helpers ------------------------------------------------------------------------

interface Sim {
  proc: TsProcess;
  url: string;
  dataDir: string;
}

async function startSim(district: District, dataDir: string, callbackUrl: string): Promise<Sim> {
  let url = '';
  const proc = await spawnTs(`adapters/${district}/simulator-main.ts`, {
    name: `sim-${district}`,
    env: { SIM_PORT: '0', SIM_CALLBACK_SECRET: SECRET, SIM_CALLBACK_URL: callbackUrl, SIM_DATA_DIR: dataDir, LOG_LEVEL: 'debug' },
    readyLine: (line) => {
      try {
        const msg = JSON.parse(line) as { msg?: string; url?: string };
        if (msg.msg !== 'simulator ready' || !msg.url) return false;
        url = msg.url;
        return true;
      } catch {
        return false;
      }
    },
  });
  return { proc, url, dataDir };
}

interface Received {
  raw: Buffer;
  headers: IncomingHttpHeaders;
  ref: string;
}

/** A stand-in gateway callback endpoint; answers 200 and keeps every push with its case reference. */
async function startReceiver() {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let ref = '';
      try {
        const body = JSON.parse(raw.toString('utf8')) as { wbbh?: string; extRef?: string };
        ref = body.wbbh ?? body.extRef ?? '';
      } catch {
        // kept with an empty reference
      }
      received.push({ raw, headers: req.headers, ref });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/v1/approval-callbacks`,
    for: (ref: string) => received.filter((r) => r.ref === ref),
    async waitFor(ref: string, count: number, timeoutMs = 5_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.filter((r) => r.ref === ref).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} callbacks for ${ref}, got ${received.filter((r) => r.ref === ref).length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received.filter((r) => r.ref === ref);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
type Receiver = Awaited<ReturnType<typeof startReceiver>>;

async function http(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

interface RecordView {
  localNo: string;
  externalRef: string;
  matterCode: string;
  status: string;
  submitCount: number;
  formFields: string[];
  materialCodes: string[];
  supplements: Array<{ supplementId: string; receiptNo: string; submitCount: number; materialCodes: string[] }>;
  result: { decision: string; documentName: string; documentNo: string } | null;
}

let caseCounter = 0;
const newCaseNo = (d: District) => `KC-${d === 'liwan' ? 'NH' : 'LW'}-20240506-${process.pid % 10000}${String(++caseCounter).padStart(4, '0')}`;

function submissionFor(m: Matter, caseNo = newCaseNo(m.handlingDistrict)): ApprovalSubmission {
  const form = sampleForm(m);
  return {
    caseNo,
    matter: m,
    originDistrict: otherDistrict(m.handlingDistrict),
    submittedAt: new Date().toISOString(),
    application: { matterId: m.id, applicant: sampleApplicant(m), form, materials: sampleMaterials(m, form) },
  };
}

/** Every event after `cursor`, following pages to the end. */
async function drain(adapter: ApprovalAdapter, cursor: string | undefined): Promise<{ events: ApprovalStatusEvent[]; cursor: string | undefined }> {
  const events: ApprovalStatusEvent[] = [];
  for (;;) {
    const page = await adapter.changesSince(cursor);
    events.push(...page.events);
    if (page.events.length === 0) return { events, cursor: page.cursor };
    cursor = page.cursor;
  }
}

async function expectCode(p: Promise<unknown>, code: string): Promise<AdapterError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(AdapterError);
  expect((err as AdapterError).code, (err as AdapterError).message).toBe(code);
  return err as AdapterError;
}

// ---- the contract, per district -------------------------------------------------------------------

describe.each(DISTRICTS)('%s simulator process driven through its adapter', (district) => {
  const facts = FACTS[district];
  const spec = specs[district];
  const handled = catalog.list({ handlingDistrict: district });
  let sim: Sim;
  let receiver: Receiver;
  let spare: Receiver;

  const adapterFor = (extra: Partial<AdapterOptions> = {}): ApprovalAdapter =>
    createAdapter(district, { baseUrl: sim.url, callbackSecret: SECRET, statuses: catalog.statuses(district), timeoutMs: 5_000, retry: { baseDelayMs: 10 }, ...extra });
  const records = async (): Promise<RecordView[]> => (await http(`${sim.url}/_sim/records`)).json.records as RecordView[];
  const recordOf = async (ref: string) => (await records()).filter((r) => r.externalRef === ref);
  const advance = async (localNo: string, action: string, note?: string) => {
    const r = await http(`${sim.url}/_sim/cases/${localNo}/advance`, 'POST', note === undefined ? { action } : { action, note });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(spec.schema('SimRecord').safeParse(r.json).error).toBeUndefined();
    return r.json as RecordView;
  };
  const configure = async (config: Record<string, unknown>) => {
    const r = await http(`${sim.url}/_sim/config`, 'POST', config);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    expect(spec.schema('SimConfig').safeParse(r.json).error).toBeUndefined();
    return r.json as Record<string, unknown>;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    spare = await startReceiver();
    sim = await startSim(district, await mkdtemp(join(tmpdir(), `kc-contract-${district}-`)), receiver.url);
  });

  afterEach(async () => {
    if (!sim.proc.exited) await configure({ fault: 'none', callbacksEnabled: true, autoIssueResult: true });
  });

  afterAll(async () => {
    await sim?.proc.stop();
    await receiver?.close();
    await spare?.close();
    if (sim) await rm(sim.dataDir, { recursive: true, force: true });
  });

  it('when the catalog is read, then this district handles at least one matter', () => {
    expect(handled.length).toBeGreaterThan(0);
  });

  it.each(handled.map((m, i) => [m.id, m, i] as const))(
    'when matter %s goes through every operation the adapter has, then each request and answer matches the spec and the records show one case',
    async (_id, m, i) => {
      const log: Exchange[] = [];
      const adapter = adapterFor({ fetch: recordingFetch(log) });
      const s = submissionFor(m);
      await adapter.registerCallback(receiver.url);
      const before = await drain(adapter, undefined);

      const { localNo } = await adapter.submit(s);
      expect(localNo).toMatch(facts.localNo);
      expect((await adapter.submit(s)).localNo).toBe(localNo);
      expect(await adapter.getStatus(localNo)).toMatchObject({ caseNo: s.caseNo, localNo, status: 'registered' });
      await expectCode(adapter.fetchResult(localNo), 'APPROVAL_NOT_READY');

      await advance(localNo, 'request_supplement', '请补正材料');
      expect((await adapter.getStatus(localNo)).status).toBe('supplement_requested');
      const sup = { caseNo: s.caseNo, localNo, matter: m, supplementId: `SUP-${s.caseNo}`, materials: s.application.materials.slice(0, 1), note: '已补正', submittedAt: new Date().toISOString() };
      const { receiptNo } = await adapter.submitSupplement(sup);
      expect((await adapter.submitSupplement(sup)).receiptNo).toBe(receiptNo);
      expect((await adapter.getStatus(localNo)).status).toBe('supplement_received');

      const approve = i % 2 === 0;
      await advance(localNo, approve ? 'approve' : 'reject', approve ? '' : '不符合法定条件');
      const result = await adapter.fetchResult(localNo);
      expect(result).toMatchObject({
        caseNo: s.caseNo,
        localNo,
        decision: approve ? 'approved' : 'rejected',
        documentName: approve ? m.result.document : '不予行政许可决定书',
        reason: approve ? '' : '不符合法定条件',
      });
      expect(result.issuedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);

      const after = await drain(adapter, before.cursor);
      expect(after.events.filter((e) => e.caseNo === s.caseNo).map((e) => [e.localNo, e.status])).toEqual([
        [localNo, 'registered'],
        [localNo, 'supplement_requested'],
        [localNo, 'supplement_received'],
        [localNo, approve ? 'approved' : 'rejected'],
      ]);

      const [record, ...others] = await recordOf(s.caseNo);
      expect(others).toEqual([]);
      const form = toDistrictForm('test', m, district, s.application.form);
      expect(record).toMatchObject({
        localNo,
        matterCode: m.districts[district].code,
        status: facts.status[approve ? 'approved' : 'rejected'],
        submitCount: 2,
        materialCodes: toDistrictMaterials('test', m, district, s.application.materials).map((x) => x.code),
        supplements: [{ supplementId: sup.supplementId, receiptNo, submitCount: 2, materialCodes: [m.materials.find((x) => x.name === sup.materials[0]!.name)!.codes[district]] }],
        result: { decision: facts.status[approve ? 'approved' : 'rejected'], documentNo: result.documentNo },
      });
      expect([...record!.formFields].sort()).toEqual(Object.keys(form).sort());

      const operations = new Set(log.map((x) => checkExchange(spec, x)));
      expect([...operations].sort()).toEqual([...facts.adapterOperations].sort());
    },
  );

  it('when the whole application is read back, then the answer matches the spec and carries the form under the district names', async () => {
    const m = handled[0]!;
    const s = submissionFor(m);
    const { localNo } = await adapterFor().submit(s);
    const path = district === 'liwan' ? `/lw/api/v2/applications/${localNo}` : `/nh/open/v1/case/${localNo}`;
    const res = await fetch(`${sim.url}${path}`);
    const x: Exchange = { method: 'GET', url: new URL(`${sim.url}${path}`), headers: new Headers(), body: undefined, status: res.status, answer: await res.text() };
    expect(checkExchange(spec, x)).toBe(district === 'liwan' ? 'getApplication' : 'getCase');
    const body = JSON.parse(x.answer) as Record<string, any>;
    const form = district === 'liwan' ? body['bdsj'] : body['data']['formData'];
    expect(form).toEqual(toDistrictForm('test', m, district, s.application.form));
  });

  it('when a matter is handled by the other district, then the adapter refuses it before any call and this system does not know its code', async () => {
    const log: Exchange[] = [];
    const adapter = adapterFor({ fetch: recordingFetch(log) });
    const base = await (async () => {
      const s = submissionFor(handled[0]!);
      const captured: Exchange[] = [];
      await adapterFor({ fetch: recordingFetch(captured) }).submit(s);
      return JSON.parse(captured[0]!.body!) as Record<string, unknown>;
    })();
    for (const m of catalog.list({ handlingDistrict: otherDistrict(district) })) {
      await expectCode(adapter.submit(submissionFor(m)), 'APPROVAL_REJECTED_REQUEST');
      const caseNo = newCaseNo(district);
      const body = district === 'liwan' ? { ...base, sxbm: m.districts.liwan.code, wbbh: caseNo } : { ...base, itemCode: m.districts.nanhai.code, extRef: caseNo };
      const res = await http(`${sim.url}${facts.submitPath}`, 'POST', body, { [facts.keyHeader]: caseNo });
      expect(res).toMatchObject(district === 'liwan' ? { status: 422, json: { cwdm: 'E1002' } } : { status: 200, json: { code: 20001, data: null } });
      expect(await recordOf(caseNo)).toEqual([]);
    }
    expect(log).toEqual([]);
  });

  it('when status changes, then signed callbacks reach the gateway and parseCallback gives the feed\'s events', async () => {
    const adapter = adapterFor();
    await adapter.registerCallback(receiver.url);
    const before = await drain(adapter, undefined);
    const s = submissionFor(handled[0]!);
    const { localNo } = await adapter.submit(s);
    await advance(localNo, 'accept', '已受理');

    const pushes = await receiver.waitFor(s.caseNo, 2);
    const pushed = pushes.flatMap((p) => adapter.parseCallback(p.raw, p.headers));
    const feed = (await drain(adapter, before.cursor)).events.filter((e) => e.caseNo === s.caseNo);

    expect(pushed.map((e) => [e.status, e.note])).toEqual([
      ['registered', ''],
      ['accepted', '已受理'],
    ]);
    expect(pushed).toEqual(feed);
  });

  it('when a callback URL is registered through the API, then it replaces the configured one until registered again', async () => {
    const adapter = adapterFor();
    const s = submissionFor(handled[0]!);
    try {
      await adapter.registerCallback(spare.url);
      expect((await http(`${sim.url}/_sim/config`)).json).toMatchObject({ callbackUrl: spare.url });
      const { localNo } = await adapter.submit(s);
      await spare.waitFor(s.caseNo, 1);
      await adapter.registerCallback(receiver.url);
      await advance(localNo, 'accept');
      await receiver.waitFor(s.caseNo, 1);
      expect(spare.for(s.caseNo).map((p) => adapter.parseCallback(p.raw, p.headers)[0]!.status)).toEqual(['registered']);
      expect(receiver.for(s.caseNo).map((p) => adapter.parseCallback(p.raw, p.headers)[0]!.status)).toEqual(['accepted']);
    } finally {
      await adapter.registerCallback(receiver.url);
    }
  });

  it('when the answer to a submit is lost after the case was made, then the adapter\'s retry gets the same case and the system holds one record hit twice', async () => {
    const s = submissionFor(handled[0]!);
    await configure({ fault: 'lost_answer', faultTimes: 1 });
    const { localNo } = await adapterFor().submit(s);
    expect(await recordOf(s.caseNo)).toEqual([expect.objectContaining({ localNo, submitCount: 2 })]);
  });

  it('when the answer to a supplement comes back malformed after it was filed, then the retry gets the same receipt and one supplement hit twice', async () => {
    const m = handled[0]!;
    const s = submissionFor(m);
    const adapter = adapterFor();
    const { localNo } = await adapter.submit(s);
    await advance(localNo, 'request_supplement');
    await configure({ fault: 'malformed', faultTimes: 1 });
    const sup = { caseNo: s.caseNo, localNo, matter: m, supplementId: `SUP-${s.caseNo}`, materials: s.application.materials.slice(0, 1), note: '', submittedAt: new Date().toISOString() };
    const { receiptNo } = await adapter.submitSupplement(sup);
    const [record] = await recordOf(s.caseNo);
    expect(record!.supplements).toEqual([expect.objectContaining({ receiptNo, submitCount: 2 })]);
    expect(record!.status).toBe(facts.status.supplement_received);
  });

  it('when two 500s are scripted, then the third attempt succeeds; when three are, then APPROVAL_UNAVAILABLE (retryable) after three attempts', async () => {
    const adapter = adapterFor();
    const { localNo } = await adapter.submit(submissionFor(handled[0]!));
    await configure({ fault: 'error500', faultTimes: 2 });
    await expect(adapter.getStatus(localNo)).resolves.toMatchObject({ status: 'registered' });
    const log: Exchange[] = [];
    await configure({ fault: 'error500', faultTimes: 3 });
    const err = await expectCode(adapterFor({ fetch: recordingFetch(log) }).getStatus(localNo), 'APPROVAL_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(log.map((x) => x.status)).toEqual([500, 500, 500]);
    for (const x of log) checkExchange(spec, x);
    expect((await http(`${sim.url}/_sim/config`)).json).toMatchObject({ fault: 'none', faultTimes: null });
  });

  it('when the system is down (connections reset), then APPROVAL_UNAVAILABLE is thrown and no record is made', async () => {
    const s = submissionFor(handled[0]!);
    await configure({ fault: 'down', faultTimes: 3 });
    await expectCode(adapterFor().submit(s), 'APPROVAL_UNAVAILABLE');
    expect(await recordOf(s.caseNo)).toEqual([]);
  });

  it('when one answer is slower than the adapter timeout, then the retry gets it; when all are, then APPROVAL_UNAVAILABLE', async () => {
    const adapter = adapterFor({ timeoutMs: 200 });
    const { localNo } = await adapterFor().submit(submissionFor(handled[0]!));
    await configure({ fault: 'slow', slowMs: 1_000, faultTimes: 1 });
    await expect(adapter.getStatus(localNo)).resolves.toMatchObject({ status: 'registered' });
    await configure({ fault: 'slow', slowMs: 1_000, faultTimes: 3 });
    const err = await expectCode(adapter.getStatus(localNo), 'APPROVAL_UNAVAILABLE');
    expect(err.message).toContain('200 ms');
  });

  it('when the system answers a status code it did not document, then getStatus, the feed and the result are UNKNOWN_STATUS', async () => {
    const adapter = adapterFor();
    const { localNo } = await adapter.submit(submissionFor(handled[0]!));
    await advance(localNo, 'reject', '不符合条件');
    const { cursor } = await drain(adapter, undefined);
    await adapter.submit(submissionFor(handled[0]!));
    for (const call of [() => adapter.getStatus(localNo), () => adapter.changesSince(cursor), () => adapter.fetchResult(localNo)]) {
      await configure({ fault: 'unknown_status', faultTimes: 1 });
      await expectCode(call(), 'UNKNOWN_STATUS');
    }
  });

  it('when the system adds a field to its records, then submit, getStatus, the feed, the result and the supplement receipt are UNKNOWN_FIELD', async () => {
    const m = handled[0]!;
    const adapter = adapterFor();
    const s = submissionFor(m);
    const { localNo } = await adapter.submit(s);
    await advance(localNo, 'request_supplement');
    const { cursor } = await drain(adapter, undefined);
    await adapter.submit(submissionFor(m));
    const sup = { caseNo: s.caseNo, localNo, matter: m, supplementId: `SUP-${s.caseNo}`, materials: s.application.materials.slice(0, 1), note: '', submittedAt: new Date().toISOString() };
    const calls = [() => adapter.submit(s), () => adapter.getStatus(localNo), () => adapter.changesSince(cursor), () => adapter.submitSupplement(sup)];
    for (const call of calls) {
      await configure({ fault: 'unknown_field', faultTimes: 1 });
      const err = await expectCode(call(), 'UNKNOWN_FIELD');
      expect(err.message).toContain(district === 'liwan' ? 'kzxx' : 'extInfo');
    }
    await advance(localNo, 'reject');
    await configure({ fault: 'unknown_field', faultTimes: 1 });
    await expectCode(adapter.fetchResult(localNo), 'UNKNOWN_FIELD');
  });

  it('when 500s repeat, then the circuit opens and holds calls back without reaching the system, then half-opens and a good trial closes it', async () => {
    const log: Exchange[] = [];
    const adapter = adapterFor({ fetch: recordingFetch(log), retry: { retries: 0 }, breaker: { volumeThreshold: 3, resetTimeoutMs: 300 } });
    const { localNo } = await adapterFor().submit(submissionFor(handled[0]!));
    await configure({ fault: 'error500' });
    for (let i = 0; i < 3; i++) await expectCode(adapter.getStatus(localNo), 'APPROVAL_UNAVAILABLE');
    const held = await expectCode(adapter.getStatus(localNo), 'APPROVAL_CIRCUIT_OPEN');
    expect(held.retryable).toBe(true);
    expect(log).toHaveLength(3);
    expect(adapter.health()).toMatchObject({ circuit: 'open', lastFailure: { code: 'APPROVAL_UNAVAILABLE', operation: 'getStatus' } });

    await configure({ fault: 'none' });
    const deadline = Date.now() + 3_000;
    while (adapter.health().circuit !== 'half_open' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(adapter.health().circuit).toBe('half_open');
    await expect(adapter.getStatus(localNo)).resolves.toMatchObject({ status: 'registered' });
    expect(adapter.health().circuit).toBe('closed');
  });

  it('when the request itself is wrong again and again (unknown case), then each is APPROVAL_REJECTED_REQUEST and the circuit stays closed', async () => {
    const adapter = adapterFor({ retry: { retries: 0 }, breaker: { volumeThreshold: 3 } });
    const ghost = district === 'liwan' ? 'LW20000101999999' : 'NH-2000999999';
    for (let i = 0; i < 5; i++) await expectCode(adapter.getStatus(ghost), 'APPROVAL_REJECTED_REQUEST');
    expect(adapter.health().circuit).toBe('closed');
  });

  it('when results are not issued with the decision, then fetchResult is APPROVAL_NOT_READY until issue_result, which works once', async () => {
    const adapter = adapterFor();
    await configure({ autoIssueResult: false });
    const { localNo } = await adapter.submit(submissionFor(handled[0]!));
    await advance(localNo, 'accept');
    await advance(localNo, 'approve');
    expect((await adapter.getStatus(localNo)).status).toBe('approved');
    await expectCode(adapter.fetchResult(localNo), 'APPROVAL_NOT_READY');
    expect((await advance(localNo, 'issue_result')).result).toMatchObject({ decision: facts.status.approved });
    await expect(adapter.fetchResult(localNo)).resolves.toMatchObject({ decision: 'approved' });
    const again = await http(`${sim.url}/_sim/cases/${localNo}/advance`, 'POST', { action: 'issue_result' });
    expect(again.status).toBe(409);
    expect(spec.schema('SimError').safeParse(again.json).error).toBeUndefined();
  });

  it('when an action or a supplement does not fit the status, then the control API answers 409 and the adapter gets APPROVAL_REJECTED_REQUEST', async () => {
    const m = handled[0]!;
    const s = submissionFor(m);
    const adapter = adapterFor();
    const { localNo } = await adapter.submit(s);
    for (const action of ['approve', 'issue_result']) {
      const r = await http(`${sim.url}/_sim/cases/${localNo}/advance`, 'POST', { action });
      expect(r.status).toBe(409);
      expect(spec.schema('SimError').safeParse(r.json).error).toBeUndefined();
    }
    expect((await http(`${sim.url}/_sim/cases/${localNo}/advance`, 'POST', { action: 'archive' })).status).toBe(400);
    expect((await http(`${sim.url}/_sim/cases/NOPE/advance`, 'POST', { action: 'accept' })).status).toBe(404);
    const sup = { caseNo: s.caseNo, localNo, matter: m, supplementId: `SUP-${s.caseNo}`, materials: s.application.materials.slice(0, 1), note: '', submittedAt: new Date().toISOString() };
    const err = await expectCode(adapter.submitSupplement(sup), 'APPROVAL_REJECTED_REQUEST');
    expect(err.message).toContain(district === 'liwan' ? 'E1005' : '30002');
    expect((await recordOf(s.caseNo))[0]).toMatchObject({ status: facts.status.registered, supplements: [] });
  });

  it('when requests break the spec or the matter\'s form, then the system answers in its own error shape and makes nothing', async () => {
    const m = handled[0]!;
    const captured: Exchange[] = [];
    const s = submissionFor(m);
    await adapterFor({ fetch: recordingFetch(captured) }).submit(s);
    const good = JSON.parse(captured[0]!.body!) as Record<string, any>;
    const caseNo = newCaseNo(district);
    const withRef = (body: Record<string, any>) => (district === 'liwan' ? { ...body, wbbh: caseNo } : { ...body, extRef: caseNo });
    const formKey = district === 'liwan' ? 'bdsj' : 'formData';
    const post = (body: unknown, headers: Record<string, string> = { [facts.keyHeader]: caseNo }) => http(`${sim.url}${facts.submitPath}`, 'POST', body, headers);

    const cases: Array<[string, Promise<{ status: number; json: any }>, { status: number; code: string | number }]> = [
      ['no applicant', post(withRef({ ...good, [district === 'liwan' ? 'sqr' : 'applicant']: undefined })), { status: 400, code: district === 'liwan' ? 'E1001' : 40000 }],
      ['an unknown top-level field', post(withRef({ ...good, extra: 1 })), { status: 400, code: district === 'liwan' ? 'E1001' : 40000 }],
      ['not JSON', post('{"not json'), { status: 400, code: district === 'liwan' ? 'E1001' : 40000 }],
      ['no idempotency key', post(withRef(good), {}), { status: 400, code: district === 'liwan' ? 'E1001' : 40000 }],
      ['a form field the matter does not have', post(withRef({ ...good, [formKey]: { ...good[formKey], zzz: 'x' } })), { status: district === 'liwan' ? 422 : 200, code: district === 'liwan' ? 'E1003' : 20003 }],
      ['a form value of the wrong JSON type', post(withRef({ ...good, [formKey]: Object.fromEntries(Object.entries(good[formKey] as object).map(([k]) => [k, []])) })), { status: 400, code: district === 'liwan' ? 'E1001' : 40000 }],
      ['a material code not on the checklist', post(withRef(district === 'liwan' ? { ...good, cl: [{ ...good['cl'][0], clbm: 'X-1' }] } : { ...good, attachments: [{ ...good['attachments'][0], materialCode: 'X-1' }] })), { status: district === 'liwan' ? 422 : 200, code: district === 'liwan' ? 'E1003' : 20003 }],
      ['the key of another case', post(withRef(good), { [facts.keyHeader]: s.caseNo }), { status: district === 'liwan' ? 409 : 200, code: district === 'liwan' ? 'E1009' : 20002 }],
    ];
    for (const [what, pending, expected] of cases) {
      const res = await pending;
      expect([what, res.status], JSON.stringify(res.json)).toEqual([what, expected.status]);
      expect(district === 'liwan' ? res.json.cwdm : res.json.code, what).toBe(expected.code);
      expect(spec.schema(facts.errorSchema).safeParse(res.json).error, what).toBeUndefined();
    }
    expect(await recordOf(caseNo)).toEqual([]);

    const feed = await http(`${sim.url}${district === 'liwan' ? '/lw/api/v2/changes' : '/nh/open/v1/events?cursor=forged'}`);
    expect(feed.status).toBe(400);
    expect(spec.schema(facts.errorSchema).safeParse(feed.json).error).toBeUndefined();
  });

  it('when the same reference is submitted under a new key, then the existing case is answered (Liwan: 201 first, then 200)', async () => {
    const captured: Exchange[] = [];
    const s = submissionFor(handled[0]!);
    const { localNo } = await adapterFor({ fetch: recordingFetch(captured) }).submit(s);
    const res = await http(`${sim.url}${facts.submitPath}`, 'POST', JSON.parse(captured[0]!.body!), { [facts.keyHeader]: `another-key-${s.caseNo}` });
    expect(captured[0]!.status).toBe(district === 'liwan' ? 201 : 200);
    expect(res.status).toBe(200);
    expect(district === 'liwan' ? res.json.slbh : res.json.data.caseId).toBe(localNo);
    expect(await recordOf(s.caseNo)).toEqual([expect.objectContaining({ localNo, submitCount: 2 })]);
  });

  it('when the simulator logs a day of work, then no applicant data or form value appears in any log line', async () => {
    const m = handled[0]!;
    const s = submissionFor(m);
    const applicant = { ...s.application.applicant, name: '欧阳娜娜测试', phone: '13712345678', address: '荔湾区逢源路99号' };
    const marked: ApprovalSubmission = { ...s, application: { ...s.application, applicant } };
    const adapter = adapterFor();
    const { localNo } = await adapter.submit(marked);
    await advance(localNo, 'request_supplement', '请补正');
    await adapter.submitSupplement({ caseNo: s.caseNo, localNo, matter: m, supplementId: `SUP-${s.caseNo}`, materials: s.application.materials.slice(0, 1), note: '', submittedAt: new Date().toISOString() });
    const captured: Exchange[] = [];
    await adapterFor({ fetch: recordingFetch(captured) }).submit(marked);
    const bad = JSON.parse(captured[0]!.body!) as Record<string, any>;
    const formKey = district === 'liwan' ? 'bdsj' : 'formData';
    await http(`${sim.url}${facts.submitPath}`, 'POST', { ...bad, [formKey]: { ...bad[formKey], zzz: '欧阳娜娜测试' } }, { [facts.keyHeader]: 'k-bad' });

    const logs = sim.proc.logs();
    expect(logs).toContain('case registered');
    expect(logs).toContain('request rejected');
    // Free text and identifiers are what could be personal; option codes (enum values) are not.
    const PERSONAL_TYPES = new Set(['text', 'textarea', 'mobile', 'phone', 'postcode', 'idNumber', 'creditCode']);
    const formValues = m.fields.filter((f) => PERSONAL_TYPES.has(f.type)).map((f) => s.application.form[f.key]);
    const personal = [applicant.name, applicant.phone, applicant.address, applicant.creditCode, applicant.idNumber, ...formValues];
    expect(formValues.length).toBeGreaterThan(0);
    for (const value of personal.filter((v): v is string => typeof v === 'string' && v !== '')) expect(logs, value).not.toContain(value);
  });

  it('when the simulator process restarts on the same data dir, then it keeps its records, feed, numbering and registered callback URL', async () => {
    const adapter = adapterFor();
    await adapter.registerCallback(receiver.url);
    const s = submissionFor(handled[0]!);
    const { localNo } = await adapter.submit(s);
    await advance(localNo, 'accept');
    const feedBefore = (await drain(adapter, undefined)).events;
    const countBefore = (await records()).length;

    await sim.proc.stop();
    sim = await startSim(district, sim.dataDir, spare.url);
    const restarted = adapterFor();

    expect(await records()).toHaveLength(countBefore);
    expect((await recordOf(s.caseNo))[0]).toMatchObject({ localNo, status: facts.status.accepted });
    expect((await restarted.submit(s)).localNo).toBe(localNo);
    expect((await recordOf(s.caseNo))[0]?.submitCount).toBe(2);
    expect((await drain(restarted, undefined)).events).toEqual(feedBefore);
    expect((await http(`${sim.url}/_sim/config`)).json).toMatchObject({ callbackUrl: receiver.url });
    const other = await restarted.submit(submissionFor(handled[0]!));
    expect(other.localNo).not.toBe(localNo);
    expect((await records()).map((r) => r.localNo)).not.toContain(undefined);
    expect(new Set((await records()).map((r) => r.localNo)).size).toBe(countBefore + 1);
  });

  it('when the control endpoints answer, then health, records and config match the spec', async () => {
    expect(spec.schema('SimHealth').safeParse((await http(`${sim.url}/_sim/health`)).json).error).toBeUndefined();
    expect(spec.schema('SimRecordList').safeParse((await http(`${sim.url}/_sim/records`)).json).error).toBeUndefined();
    expect(spec.schema('SimConfig').safeParse((await http(`${sim.url}/_sim/config`)).json).error).toBeUndefined();
    expect((await http(`${sim.url}/_sim/config`, 'POST', { fault: 'exploded' })).status).toBe(400);
  });
});
