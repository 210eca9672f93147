/**
 * Contract between each district adapter and its simulator: the simulator runs in-process on a
 * loopback port with a temp data dir, the adapter drives it over real HTTP, callbacks land on a
 * small local receiver, and raw answers are checked against the simulator's own OpenAPI schemas.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalAdapter, ApprovalStatus, ApprovalSubmission } from '../../../adapters/adapter.js';
import { createAdapter } from '../../../adapters/index.js';
import { toLiwanRequest } from '../../../adapters/liwan/adapter.js';
import { startLiwanSimulator } from '../../../adapters/liwan/simulator.js';
import { toNanhaiRequest } from '../../../adapters/nanhai/adapter.js';
import { startNanhaiSimulator } from '../../../adapters/nanhai/simulator.js';
import type { SimulatorHandle, SimulatorOptions } from '../../../adapters/simulator-kit.js';
import { loadSpecSchemas, type SpecSchemas } from '../../../adapters/spec-schemas.js';
import type { District } from '../../../gateway/domain/district.js';

const SECRET = 'contract-test-secret';

interface DistrictCase {
  district: District;
  start: (opts: SimulatorOptions) => Promise<SimulatorHandle>;
  spec: SpecSchemas;
  matterCode: string;
  /** A code from the other district's column of the catalog: this system does not know it. */
  foreignMatterCode: string;
  localNo: RegExp;
  statusCode: Record<ApprovalStatus, string>;
  submitPath: string;
  submitHeaders: (caseNo: string) => Record<string, string>;
  toRequest: (s: ApprovalSubmission) => unknown;
  schemas: { submit: string; changes: string; error: string };
  changesPath: string;
  /** HTTP status of a business error (unknown matter code). */
  unknownMatterHttpStatus: number;
}

const CASES: DistrictCase[] = [
  {
    district: 'liwan',
    start: startLiwanSimulator,
    spec: loadSpecSchemas(new URL('../../../adapters/liwan/openapi.yaml', import.meta.url)),
    matterCode: '440103-SCJG-BGDJ-003',
    foreignMatterCode: 'LW-KC-0001',
    localNo: /^LW\d{14}$/,
    statusCode: { registered: '01', accepted: '02', supplement_requested: '03', approved: '04', rejected: '05' },
    submitPath: '/lw/api/v2/applications',
    submitHeaders: () => ({}),
    toRequest: toLiwanRequest,
    schemas: { submit: 'LwSubmitResponse', changes: 'LwChangesPage', error: 'LwError' },
    changesPath: '/lw/api/v2/changes?since=0',
    unknownMatterHttpStatus: 422,
  },
  {
    district: 'nanhai',
    start: startNanhaiSimulator,
    spec: loadSpecSchemas(new URL('../../../adapters/nanhai/openapi.yaml', import.meta.url)),
    matterCode: 'NH-SCJG-SPJY-002',
    foreignMatterCode: 'NH-KC-0003',
    localNo: /^NH-\d{10}$/,
    statusCode: { registered: 'RECEIVED', accepted: 'ACCEPTED', supplement_requested: 'NEED_SUPPLEMENT', approved: 'APPROVED', rejected: 'DENIED' },
    submitPath: '/nh/open/v1/case/submit',
    submitHeaders: (caseNo) => ({ 'Idempotency-Key': caseNo }),
    toRequest: toNanhaiRequest,
    schemas: { submit: 'NhSubmitEnvelope', changes: 'NhEventsEnvelope', error: 'NhErrorEnvelope' },
    changesPath: '/nh/open/v1/events',
    unknownMatterHttpStatus: 200,
  },
];

let caseCounter = 0;
function newSubmission(c: DistrictCase, overrides: Partial<ApprovalSubmission> = {}): ApprovalSubmission {
  caseCounter += 1;
  return {
    caseNo: `KC-${c.district === 'liwan' ? 'NH' : 'LW'}-20240506-${process.pid}${String(caseCounter).padStart(4, '0')}`,
    localMatterCode: c.matterCode,
    originDistrict: c.district === 'liwan' ? 'nanhai' : 'liwan',
    submittedAt: new Date().toISOString(),
    application: {
      matterId: 'KC-M-TEST',
      applicant: { kind: 'company', name: '测试有限公司', creditCode: '91440605MA5TEST02Y', phone: '13700137000' },
      form: { projectName: '测试工程' },
      materials: [
        { name: '申请表', form: 'original', copies: 1 },
        { name: '营业执照', form: 'copy', copies: 1 },
      ],
    },
    ...overrides,
  };
}

interface Received {
  raw: Buffer;
  headers: IncomingHttpHeaders;
}

/** A stand-in gateway callback endpoint; answers `failFirst` pushes with 503, then 200. */
async function startReceiver(failFirst = 0) {
  const received: Received[] = [];
  let hits = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      hits += 1;
      if (hits <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      received.push({ raw: Buffer.concat(chunks), headers: req.headers });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callbacks/approval`,
    received,
    hits: () => hits,
    async waitFor(count: number, timeoutMs = 5_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} callbacks, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

async function controlJson(sim: SimulatorHandle, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

interface RecordView {
  localNo: string;
  externalRef: string;
  matterCode: string;
  status: string;
  submitCount: number;
}

async function records(sim: SimulatorHandle): Promise<RecordView[]> {
  return ((await controlJson(sim, '/_sim/records')).json as { records: RecordView[] }).records;
}

async function advance(sim: SimulatorHandle, localNo: string, action: string, note?: string) {
  const result = await controlJson(sim, `/_sim/cases/${localNo}/advance`, note === undefined ? { action } : { action, note });
  expect(result.status).toBe(200);
  return result.json as RecordView;
}

describe.each(CASES)('$district simulator driven through its adapter', (c) => {
  let dataDir: string;
  let receiver: Receiver;
  let sim: SimulatorHandle;
  let adapter: ApprovalAdapter;

  const startSim = () =>
    c.start({ port: 0, callbackUrl: receiver.url, callbackSecret: SECRET, dataDir, callbackRetry: { baseDelayMs: 20 } });

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), `kc-sim-${c.district}-`));
    receiver = await startReceiver();
    sim = await startSim();
    adapter = createAdapter(c.district, { baseUrl: sim.url, callbackSecret: SECRET, timeoutMs: 2_000 });
  });

  afterEach(async () => {
    await sim.stop();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when the same caseNo is submitted twice, then both answers carry the same localNo and one record has submitCount 2', async () => {
    const s = newSubmission(c);

    const first = await adapter.submit(s);
    const second = await adapter.submit(s);

    expect(first.localNo).toMatch(c.localNo);
    expect(second.localNo).toBe(first.localNo);
    const mine = (await records(sim)).filter((r) => r.externalRef === s.caseNo);
    expect(mine).toEqual([
      expect.objectContaining({ localNo: first.localNo, matterCode: c.matterCode, status: c.statusCode.registered, submitCount: 2 }),
    ]);
  });

  it('when a case goes through every action, then changesSince returns the events in order and the cursor resumes after them', async () => {
    const s1 = newSubmission(c);
    const s2 = newSubmission(c);
    const { localNo: n1 } = await adapter.submit(s1);
    const { localNo: n2 } = await adapter.submit(s2);
    expect((await advance(sim, n1, 'accept')).status).toBe(c.statusCode.accepted);
    expect((await advance(sim, n1, 'request_supplement', '请补正股东会决议')).status).toBe(c.statusCode.supplement_requested);
    expect((await advance(sim, n1, 'accept')).status).toBe(c.statusCode.accepted);
    expect((await advance(sim, n1, 'approve')).status).toBe(c.statusCode.approved);
    expect((await advance(sim, n2, 'reject', '不符合条件')).status).toBe(c.statusCode.rejected);

    const page = await adapter.changesSince(undefined);

    expect(page.events.map((e) => [e.caseNo, e.localNo, e.status])).toEqual([
      [s1.caseNo, n1, 'registered'],
      [s2.caseNo, n2, 'registered'],
      [s1.caseNo, n1, 'accepted'],
      [s1.caseNo, n1, 'supplement_requested'],
      [s1.caseNo, n1, 'accepted'],
      [s1.caseNo, n1, 'approved'],
      [s2.caseNo, n2, 'rejected'],
    ]);
    expect(page.events[3]?.note).toBe('请补正股东会决议');
    expect(new Set(page.events.map((e) => e.eventId)).size).toBe(7);
    for (const e of page.events) expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+08:00$/);

    const empty = await adapter.changesSince(page.cursor);
    expect(empty.events).toEqual([]);

    const { localNo: n3 } = await adapter.submit(newSubmission(c));
    const next = await adapter.changesSince(empty.cursor);
    expect(next.events.map((e) => [e.localNo, e.status])).toEqual([[n3, 'registered']]);
  });

  it('when an action is not allowed from the current status, then the control endpoint answers 409 and nothing changes', async () => {
    const { localNo } = await adapter.submit(newSubmission(c));
    const result = await controlJson(sim, `/_sim/cases/${localNo}/advance`, { action: 'approve' });
    expect(result.status).toBe(409);
    expect(c.spec.schema('SimError').safeParse(result.json).success).toBe(true);
    expect((await records(sim)).find((r) => r.localNo === localNo)?.status).toBe(c.statusCode.registered);
  });

  it('when a status changes, then a signed callback reaches the gateway and parseCallback accepts it with the feed event id', async () => {
    const s = newSubmission(c);
    const { localNo } = await adapter.submit(s);
    await advance(sim, localNo, 'accept', '已受理');

    const pushes = await receiver.waitFor(2);
    const events = pushes.flatMap((p) => adapter.parseCallback(p.raw, p.headers));

    expect(events.map((e) => [e.caseNo, e.localNo, e.status, e.note])).toEqual([
      [s.caseNo, localNo, 'registered', ''],
      [s.caseNo, localNo, 'accepted', '已受理'],
    ]);
    const feed = await adapter.changesSince(undefined);
    expect(events.map((e) => e.eventId)).toEqual(feed.events.map((e) => e.eventId));
    expect(events).toEqual(feed.events);
  });

  it('when the gateway refuses the first pushes, then the simulator retries with back-off until one is accepted', async () => {
    await sim.stop();
    await receiver.close();
    receiver = await startReceiver(2);
    sim = await startSim();
    adapter = createAdapter(c.district, { baseUrl: sim.url, callbackSecret: SECRET, timeoutMs: 2_000 });

    const started = Date.now();
    await adapter.submit(newSubmission(c));
    expect(Date.now() - started).toBeLessThan(1_000); // the submit does not wait for the callback

    const [push] = await receiver.waitFor(1);
    expect(receiver.hits()).toBe(3);
    expect(adapter.parseCallback(push!.raw, push!.headers)[0]?.status).toBe('registered');
  });

  it('when callbacks are disabled, then nothing is pushed but the feed still has the change', async () => {
    await controlJson(sim, '/_sim/config', { callbacksEnabled: false });
    const { localNo } = await adapter.submit(newSubmission(c));
    const feed = await adapter.changesSince(undefined);
    expect(feed.events.map((e) => e.localNo)).toEqual([localNo]);
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.hits()).toBe(0);
  });

  it('when the simulator restarts on the same dataDir, then it keeps its records, its feed and its numbering', async () => {
    const s = newSubmission(c);
    const { localNo } = await adapter.submit(s);
    await advance(sim, localNo, 'accept');

    await sim.stop();
    sim = await startSim();
    adapter = createAdapter(c.district, { baseUrl: sim.url, callbackSecret: SECRET, timeoutMs: 2_000 });

    expect((await records(sim)).map((r) => [r.localNo, r.status])).toEqual([[localNo, c.statusCode.accepted]]);
    expect((await adapter.submit(s)).localNo).toBe(localNo);
    expect((await records(sim))[0]?.submitCount).toBe(2);
    const other = await adapter.submit(newSubmission(c));
    expect(other.localNo).not.toBe(localNo);
    expect((await adapter.changesSince(undefined)).events.map((e) => e.status)).toEqual(['registered', 'accepted', 'registered']);
  });

  it('when the matter code belongs to the other district, then the adapter gets APPROVAL_REJECTED_REQUEST and no record is made', async () => {
    await expect(adapter.submit(newSubmission(c, { localMatterCode: c.foreignMatterCode }))).rejects.toMatchObject({
      code: 'APPROVAL_REJECTED_REQUEST',
    });
    expect(await records(sim)).toEqual([]);
  });

  it('when fault error500 is scripted, then the adapter gets a retryable APPROVAL_UNAVAILABLE, and none clears it', async () => {
    await controlJson(sim, '/_sim/config', { fault: 'error500' });
    await expect(adapter.changesSince(undefined)).rejects.toMatchObject({ code: 'APPROVAL_UNAVAILABLE', retryable: true });
    await controlJson(sim, '/_sim/config', { fault: 'none' });
    await expect(adapter.changesSince(undefined)).resolves.toMatchObject({ events: [] });
  });

  it('when fault down is scripted, then the connection is reset and the adapter gets APPROVAL_UNAVAILABLE', async () => {
    await controlJson(sim, '/_sim/config', { fault: 'down' });
    await expect(adapter.submit(newSubmission(c))).rejects.toMatchObject({ code: 'APPROVAL_UNAVAILABLE' });
  });

  it('when fault slow is scripted beyond the adapter timeout, then the adapter gets APPROVAL_UNAVAILABLE', async () => {
    await controlJson(sim, '/_sim/config', { fault: 'slow', slowMs: 1_000 });
    const impatient = createAdapter(c.district, { baseUrl: sim.url, callbackSecret: SECRET, timeoutMs: 100 });
    await expect(impatient.changesSince(undefined)).rejects.toMatchObject({ code: 'APPROVAL_UNAVAILABLE' });
  });

  it('when submit and the changes feed answer, then the bodies match the schemas of the simulator spec', async () => {
    const s = newSubmission(c);
    const submitRes = await fetch(`${sim.url}${c.submitPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...c.submitHeaders(s.caseNo) },
      body: JSON.stringify(c.toRequest(s)),
    });
    expect(submitRes.status).toBe(c.district === 'liwan' ? 201 : 200);
    const submitBody = await submitRes.json();
    expect(c.spec.schema(c.schemas.submit).parse(submitBody)).toBeTruthy();

    const changesRes = await fetch(`${sim.url}${c.changesPath}`);
    expect(changesRes.status).toBe(200);
    const changesBody = await changesRes.json();
    expect(c.spec.schema(c.schemas.changes).safeParse(changesBody).error).toBeUndefined();

    expect(c.spec.schema('SimRecordList').safeParse((await controlJson(sim, '/_sim/records')).json).success).toBe(true);
    expect(c.spec.schema('SimHealth').safeParse((await controlJson(sim, '/_sim/health')).json).success).toBe(true);
  });

  it('when the submit body breaks the spec, then the simulator answers 400 in its documented error shape', async () => {
    const s = newSubmission(c);
    const bad = { ...(c.toRequest(s) as Record<string, unknown>) };
    delete bad[c.district === 'liwan' ? 'sqr' : 'applicant'];
    for (const body of [JSON.stringify(bad), '{"not json']) {
      const res = await fetch(`${sim.url}${c.submitPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...c.submitHeaders(s.caseNo) },
        body,
      });
      expect(res.status).toBe(400);
      expect(c.spec.schema(c.schemas.error).safeParse(await res.json()).error).toBeUndefined();
    }
    expect(await records(sim)).toEqual([]);
  });

  it('when the matter code is unknown, then the simulator answers its business error in the documented shape', async () => {
    const s = newSubmission(c, { localMatterCode: c.foreignMatterCode });
    const res = await fetch(`${sim.url}${c.submitPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...c.submitHeaders(s.caseNo) },
      body: JSON.stringify(c.toRequest(s)),
    });
    expect(res.status).toBe(c.unknownMatterHttpStatus);
    const body = await res.json();
    expect(c.spec.schema(c.schemas.error).safeParse(body).error).toBeUndefined();
    expect(body).toMatchObject(c.district === 'liwan' ? { cwdm: 'E1002' } : { code: 20001, data: null });
  });
});

describe('district-specific rules', () => {
  it('when a Liwan wbbh is submitted again, then the second answer is 200 instead of 201', async () => {
    const c = CASES[0]!;
    const dataDir = await mkdtemp(join(tmpdir(), 'kc-sim-liwan-'));
    const sim = await startLiwanSimulator({ port: 0, callbackSecret: SECRET, dataDir });
    try {
      const body = JSON.stringify(c.toRequest(newSubmission(c)));
      const post = () => fetch(`${sim.url}${c.submitPath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const first = await post();
      const second = await post();
      expect([first.status, second.status]).toEqual([201, 200]);
      expect(await second.json()).toEqual(await first.json());
    } finally {
      await sim.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('when a Nanhai submit has no Idempotency-Key, then it answers 400 with code 40000', async () => {
    const c = CASES[1]!;
    const sim = await startNanhaiSimulator({ port: 0, callbackSecret: SECRET });
    try {
      const res = await fetch(`${sim.url}${c.submitPath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(c.toRequest(newSubmission(c))),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ code: 40000, msg: expect.any(String), data: null });
    } finally {
      await sim.stop();
    }
  });

  it('when a Nanhai Idempotency-Key is reused for another extRef, then it answers HTTP 200 with business code 20002', async () => {
    const c = CASES[1]!;
    const sim = await startNanhaiSimulator({ port: 0, callbackSecret: SECRET });
    try {
      const post = (s: ApprovalSubmission) =>
        fetch(`${sim.url}${c.submitPath}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'Idempotency-Key': 'shared-key' },
          body: JSON.stringify(c.toRequest(s)),
        });
      expect((await (await post(newSubmission(c))).json()) as unknown).toMatchObject({ code: 0 });
      const res = await post(newSubmission(c));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ code: 20002, data: null });
    } finally {
      await sim.stop();
    }
  });

  it('when a Nanhai events cursor is not one it issued, then it answers 400 with code 40000', async () => {
    const sim = await startNanhaiSimulator({ port: 0, callbackSecret: SECRET });
    try {
      const res = await fetch(`${sim.url}/nh/open/v1/events?cursor=forged`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 40000, data: null });
    } finally {
      await sim.stop();
    }
  });
});
