/**
 * The EMS tracking simulator as a real process on loopback, driven by the typed client and the
 * control API; its pushes land on a small local receiver that does what the gateway will do:
 * verify the signature over the raw bytes, map the traces and merge them into a timeline.
 * Every answer and every push is also checked against the simulator's own OpenAPI schemas.
 * Each test scripts its own parcel (a fresh waybill), so nothing depends on test order.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSpecSchemas } from '../../../adapters/spec-schemas.js';
import { verifyEmsPush } from '../../../courier/ems/callback.js';
import { createEmsClient, type EmsClient } from '../../../courier/ems/client.js';
import { mapEmsTraces } from '../../../courier/ems/mapping.js';
import type { EmsPushWire } from '../../../courier/ems/wire.js';
import type { TrackingStatus } from '../../../courier/tracking-status.js';
import { emptyTimeline, mergeEvents, type ParcelTimeline } from '../../../courier/tracking-timeline.js';
import { s10CheckDigit } from '../../../courier/waybill.js';
import { spawnTs, type TsProcess } from '../../helpers/process.js';

const PARTNER = 'KC-LIWAN';
const API_KEY = 'it-api-key';
const SECRET = 'it-push-secret';
const spec = loadSpecSchemas(new URL('../../../courier/ems/openapi.yaml', import.meta.url));

let serial = 10_000_000 + (process.pid % 1_000) * 10_000;
function newWaybill(): string {
  const digits = String(serial++);
  return `EA${digits}${s10CheckDigit(digits)}CN`;
}

// ---- the stand-in gateway endpoint ----------------------------------------------------------------

interface Received {
  raw: Buffer;
  headers: IncomingHttpHeaders;
  push: EmsPushWire;
}

async function startReceiver() {
  const received: Received[] = [];
  const failNext = new Map<string, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let push: EmsPushWire;
      try {
        push = verifyEmsPush(raw, req.headers, { secret: SECRET });
      } catch {
        res.writeHead(401).end();
        return;
      }
      const failures = failNext.get(push.waybillNo) ?? 0;
      if (failures > 0) {
        failNext.set(push.waybillNo, failures - 1);
        res.writeHead(503).end();
        return;
      }
      received.push({ raw, headers: req.headers, push });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"success":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const pushesFor = (w: string) => received.filter((r) => r.push.waybillNo === w);
  return {
    url: `http://127.0.0.1:${port}/callbacks/courier/ems`,
    pushesFor,
    failNext: (w: string, n: number) => failNext.set(w, n),
    async waitFor(w: string, count: number, timeoutMs = 5_000): Promise<Received[]> {
      const deadline = Date.now() + timeoutMs;
      while (pushesFor(w).length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} pushes for ${w}, got ${pushesFor(w).length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return pushesFor(w);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What the gateway will do with the pushes it received: map every one and merge them in order. */
function gatewayTimeline(w: string, pushes: readonly Received[]) {
  let timeline: ParcelTimeline = emptyTimeline(w);
  let duplicates = 0;
  let late = 0;
  const unknownCodes = new Set<string>();
  const skipped: string[] = [];
  for (const { push } of pushes) {
    const mapped = mapEmsTraces(push.waybillNo, push.traces);
    mapped.unknownCodes.forEach((c) => unknownCodes.add(c));
    skipped.push(...mapped.skipped.map((s) => s.code));
    const merged = mergeEvents(timeline, mapped.events);
    timeline = merged.timeline;
    duplicates += merged.duplicates;
    late += merged.late;
  }
  return { timeline, duplicates, late, unknownCodes: [...unknownCodes], skipped };
}

// ---- the simulator process and its control API ---------------------------------------------------

let sim: TsProcess;
let simUrl = '';
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let ems: EmsClient;

async function control(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${simUrl}/_sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function createParcel(body: Record<string, unknown>) {
  const result = await control('POST', '/parcels', body);
  expect(result.status).toBe(201);
  expect(spec.schema('SimParcel').safeParse(result.json).error).toBeUndefined();
  return result.json as { waybillNo: string; remaining: number };
}

async function advance(w: string, body: Record<string, unknown> = {}) {
  const result = await control('POST', `/parcels/${w}/advance`, body);
  expect(result.status).toBe(200);
  return result.json as { released: number; remaining: number };
}

/** A raw call to the EMS API with the partner headers (or others). */
async function api(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${simUrl}/api/track/v1${path}`, {
    method,
    headers: { 'x-ems-partner-id': PARTNER, 'x-ems-api-key': API_KEY, 'content-type': 'application/json', ...headers },
    body: body ?? null,
  });
  return { status: res.status, json: (await res.json()) as unknown };
}

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;

beforeAll(async () => {
  receiver = await startReceiver();
  sim = await spawnTs('courier/ems/simulator-main.ts', {
    name: 'ems-simulator',
    env: {
      SIM_PORT: '0',
      SIM_PARTNER_ID: PARTNER,
      SIM_API_KEY: API_KEY,
      SIM_PUSH_SECRET: SECRET,
      SIM_PUSH_ATTEMPTS: '4',
      SIM_PUSH_BASE_DELAY_MS: '20',
      LOG_LEVEL: 'warn',
    },
    readyLine: (line) => {
      if (!line.startsWith('{')) return false;
      const ready = JSON.parse(line) as { msg?: string; url?: string };
      if (ready.msg !== 'simulator ready' || !ready.url) return false;
      simUrl = ready.url;
      return true;
    },
  });
  ems = createEmsClient({ baseUrl: simUrl, partnerId: PARTNER, apiKey: API_KEY, timeoutMs: 2_000 });
});

afterEach(async () => {
  await control('POST', '/config', { outage: false, pushesEnabled: true, slowMs: 0 });
});

afterAll(async () => {
  const exit = await sim?.stop();
  await receiver?.close();
  expect(exit).toEqual({ code: 0, signal: null });
});

// ---- the tests ------------------------------------------------------------------------------------

describe('EMS simulator — subscriptions and pushes', () => {
  it('when a subscribed parcel moves step by step, then each step arrives as a signed full history, newest first, and the timeline ends delivered', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'delivered' });
    expect(await ems.subscribe(w, receiver.url)).toEqual({ subscriptionId: expect.stringMatching(/^SUB\d{12}$/), created: true });

    for (let step = 1; step <= 6; step++) {
      await advance(w);
      const pushes = await receiver.waitFor(w, step);
      const { push, headers } = pushes[step - 1]!;
      expect(push.traces).toHaveLength(step);
      const times = push.traces.map((t) => t.opTime);
      expect(times).toEqual([...times].sort().reverse());
      for (const t of times) expect(t).toMatch(LOCAL_TIME);
      expect(headers['x-ems-partner-id']).toBe(PARTNER);
    }

    const { timeline, duplicates } = gatewayTimeline(w, receiver.pushesFor(w));
    expect(timeline.events.map((e) => e.rawCode)).toEqual(['10', '20', '30', '31', '40', '50']);
    expect(timeline.events.map((e) => e.status)).toEqual(['info_received', 'picked_up', 'in_transit', 'in_transit', 'out_for_delivery', 'delivered']);
    expect(timeline.state.status).toBe('delivered');
    for (const e of timeline.events) expect(e.eventTime).toMatch(/\.000\+08:00$/);
    expect(duplicates).toBe(1 + 2 + 3 + 4 + 5); // every push resends the whole history

    const history = await ems.history(w);
    expect(history.traces).toEqual(receiver.pushesFor(w)[5]!.push.traces);
  });

  it('when a waybill whose parcel already has traces is subscribed, then they are pushed at once; a second subscribe answers the same subscription', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'delivered' });
    await advance(w, { steps: 3 });

    const first = await ems.subscribe(w, receiver.url);
    const [push] = await receiver.waitFor(w, 1);
    expect(push!.push.traces.map((t) => t.opCode)).toEqual(['30', '20', '10']);

    const again = await ems.subscribe(w, receiver.url);
    expect(again).toEqual({ subscriptionId: first.subscriptionId, created: false });
  });

  it('when the carrier records a scan twice and sends a push twice, then the timeline holds each scan once', async () => {
    const w = newWaybill();
    await createParcel({
      waybillNo: w,
      traces: [{ opCode: '20' }, { opCode: '31', recordedTwice: true, city: '广州市', orgName: '广州邮件处理中心' }, { opCode: '40' }],
    });
    await ems.subscribe(w, receiver.url);
    await advance(w, { all: true, pushTwice: true });

    const pushes = await receiver.waitFor(w, 2);
    expect(pushes[0]!.push.pushId).not.toBe(pushes[1]!.push.pushId);
    expect(pushes[0]!.push.traces.map((t) => t.opCode)).toEqual(['40', '31', '31', '20']);
    const { timeline, duplicates } = gatewayTimeline(w, pushes);
    expect(timeline.events.map((e) => e.rawCode)).toEqual(['20', '31', '40']);
    expect(timeline.events[1]!.location).toBe('广州市 广州邮件处理中心');
    expect(duplicates).toBe(1 + 4);
  });

  it('when a scan is uploaded late, then the push lists it below newer scans and the timeline places it by time', async () => {
    const w = newWaybill();
    await createParcel({
      waybillNo: w,
      startAt: '2024-05-06T09:00:00+08:00',
      traces: [
        { opCode: '20', minutesAfterStart: 0 },
        { opCode: '30', minutesAfterStart: 120 },
        { opCode: '40', minutesAfterStart: 1_440 },
        { opCode: '31', minutesAfterStart: 600, opDesc: '到达【广州邮件处理中心】（补录）' },
      ],
    });
    await ems.subscribe(w, receiver.url);
    await advance(w, { steps: 3 });
    await receiver.waitFor(w, 1);
    await advance(w);
    const pushes = await receiver.waitFor(w, 2);

    expect(pushes[1]!.push.traces.map((t) => [t.opCode, t.opTime])).toEqual([
      ['40', '2024-05-07 09:00:00'],
      ['31', '2024-05-06 19:00:00'],
      ['30', '2024-05-06 11:00:00'],
      ['20', '2024-05-06 09:00:00'],
    ]);
    const { timeline, late } = gatewayTimeline(w, pushes);
    expect(late).toBe(1);
    expect(timeline.events.map((e) => e.rawCode)).toEqual(['20', '30', '31', '40']);
    expect(timeline.state.status).toBe('out_for_delivery');
  });

  it('when a scripted trace has a code outside the table and another an impossible time, then the push verifies, the first is kept as exception and the second skipped', async () => {
    const w = newWaybill();
    await createParcel({
      waybillNo: w,
      traces: [{ opCode: '20' }, { opCode: '45', opDesc: '转他局投递' }, { opCode: '31', opTime: '2024-02-30 10:00:00' }],
    });
    await ems.subscribe(w, receiver.url);
    await advance(w, { all: true });

    const result = gatewayTimeline(w, await receiver.waitFor(w, 1));
    expect(result.unknownCodes).toEqual(['45']);
    expect(result.skipped).toEqual(['COURIER_EVENT_BAD_TIME']);
    expect(result.timeline.events.map((e) => [e.rawCode, e.status])).toEqual([
      ['20', 'picked_up'],
      ['45', 'exception'],
    ]);
  });

  it('when the gateway refuses the first pushes, then the simulator retries with back-off, and the advance did not wait for it', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'delivered' });
    await ems.subscribe(w, receiver.url);
    receiver.failNext(w, 2);

    const started = Date.now();
    await advance(w);
    expect(Date.now() - started).toBeLessThan(1_000);

    await receiver.waitFor(w, 1);
    const log = await control('GET', '/pushes');
    expect(spec.schema('SimPushLog').safeParse(log.json).error).toBeUndefined();
    const mine = (log.json as { pushes: Array<{ waybillNo: string; attempt: number; outcome: string; httpStatus?: number }> }).pushes.filter(
      (p) => p.waybillNo === w,
    );
    expect(mine.map((p) => [p.attempt, p.outcome, p.httpStatus])).toEqual([
      [1, 'refused', 503],
      [2, 'refused', 503],
      [3, 'delivered', 200],
    ]);
    expect((await control('GET', `/parcels/${w}`)).json).toMatchObject({ pushesDelivered: 1, subscribed: true });
  });
});

describe('EMS simulator — ready-made journeys', () => {
  it.each([
    ['delivered', ['10', '20', '30', '31', '40', '50'], 'delivered'],
    ['pickup', ['10', '20', '30', '31', '42', '51'], 'delivered'],
    ['refused', ['10', '20', '30', '31', '40', '70', '60', '30', '61'], 'returned'],
    ['returned', ['10', '20', '30', '31', '40', '41', '40', '41', '60', '30', '61'], 'returned'],
    ['lost', ['10', '20', '30', '71'], 'exception'],
    ['held', ['10', '20', '30', '73', '31', '40', '50'], 'delivered'],
    ['silent', ['10', '20', '30'], 'in_transit'],
  ] as const)('when a %s parcel runs its whole journey, then the timeline holds %j and ends %s', async (journey, codes, status: TrackingStatus) => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey });
    await ems.subscribe(w, receiver.url);
    await advance(w, { all: true });

    const { timeline } = gatewayTimeline(w, await receiver.waitFor(w, 1));
    expect(timeline.events.map((e) => e.rawCode)).toEqual(codes);
    expect(timeline.state.status).toBe(status);
  });

  it('when a silent parcel has released everything, then advancing answers 409 and nothing more is ever pushed', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'silent' });
    await ems.subscribe(w, receiver.url);
    await advance(w, { all: true });
    await receiver.waitFor(w, 1);

    const again = await control('POST', `/parcels/${w}/advance`, {});
    expect(again.status).toBe(409);
    expect(spec.schema('SimError').safeParse(again.json).error).toBeUndefined();
    await new Promise((r) => setTimeout(r, 150));
    expect(receiver.pushesFor(w)).toHaveLength(1);
  });
});

describe('EMS simulator — outages and errors', () => {
  it('when the carrier has an outage, then subscribe and history answer 503 (COURIER_UNAVAILABLE) and pushes wait until it ends', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'delivered' });
    await ems.subscribe(w, receiver.url);
    await control('POST', '/config', { outage: true });

    await expect(ems.subscribe(newWaybill(), receiver.url)).rejects.toMatchObject({ code: 'COURIER_UNAVAILABLE', retryable: true });
    await expect(ems.history(w)).rejects.toMatchObject({ code: 'COURIER_UNAVAILABLE', retryable: true });
    const raw = await api('GET', `/waybills/${w}/traces`);
    expect(raw.status).toBe(503);
    expect(raw.json).toMatchObject({ errorCode: 'E0503' });

    await advance(w); // the control API still works: the parcel moves while EMS is down
    await new Promise((r) => setTimeout(r, 200));
    expect(receiver.pushesFor(w)).toEqual([]);

    await control('POST', '/config', { outage: false });
    const [push] = await receiver.waitFor(w, 1);
    expect(push!.push.traces.map((t) => t.opCode)).toEqual(['10']);
  });

  it('when pushes are disabled, then nothing is pushed but the history API has the traces (the polling fallback)', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'lost' });
    await ems.subscribe(w, receiver.url);
    await control('POST', '/config', { pushesEnabled: false });
    await advance(w, { all: true });

    const history = await ems.history(w);
    const { events } = mapEmsTraces(w, history.traces);
    expect(mergeEvents(emptyTimeline(w), events).timeline.state.status).toBe('exception');
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.pushesFor(w)).toEqual([]);
  });

  it('when the carrier answers slower than the client timeout, then COURIER_UNAVAILABLE', async () => {
    await control('POST', '/config', { slowMs: 1_000 });
    const impatient = createEmsClient({ baseUrl: simUrl, partnerId: PARTNER, apiKey: API_KEY, timeoutMs: 100 });
    await expect(impatient.history(newWaybill())).rejects.toMatchObject({ code: 'COURIER_UNAVAILABLE' });
  });

  it('when the partner API key is wrong, then COURIER_AUTH_FAILED', async () => {
    const wrong = createEmsClient({ baseUrl: simUrl, partnerId: PARTNER, apiKey: 'not-the-key', timeoutMs: 2_000 });
    await expect(wrong.subscribe(newWaybill(), receiver.url)).rejects.toMatchObject({ code: 'COURIER_AUTH_FAILED', retryable: false });
  });

  it('when a waybill has no traces at EMS, then COURIER_WAYBILL_UNKNOWN', async () => {
    const w = newWaybill();
    await expect(ems.history(w)).rejects.toMatchObject({ code: 'COURIER_WAYBILL_UNKNOWN' });
    await createParcel({ waybillNo: w, journey: 'delivered' }); // scripted but not released: still nothing at EMS
    await expect(ems.history(w)).rejects.toMatchObject({ code: 'COURIER_WAYBILL_UNKNOWN' });
  });

  it('when a subscribe names a waybill with a wrong check digit, then COURIER_REJECTED_REQUEST', async () => {
    await expect(ems.subscribe('EA123456784CN', receiver.url)).rejects.toMatchObject({ code: 'COURIER_REJECTED_REQUEST' });
  });
});

describe('EMS simulator — contract with its spec', () => {
  const valid = (schema: string, body: unknown) => expect(spec.schema(schema).safeParse(body).error).toBeUndefined();

  it('when every request the client can make is answered, then each answer matches its schema in the spec', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'delivered' });
    await advance(w, { steps: 2 });
    const subscribeBody = JSON.stringify({ waybillNo: w, callbackUrl: receiver.url });

    const created = await api('POST', '/subscriptions', subscribeBody);
    expect(created.status).toBe(201);
    valid('EmsSubscription', created.json);
    const existing = await api('POST', '/subscriptions', subscribeBody);
    expect(existing.status).toBe(200);
    valid('EmsSubscription', existing.json);

    const history = await api('GET', `/waybills/${w}/traces`);
    expect(history.status).toBe(200);
    valid('EmsTraceHistory', history.json);

    const errors = [
      [await api('POST', '/subscriptions', '{"waybillNo": '), 400],
      [await api('POST', '/subscriptions', JSON.stringify({ waybillNo: w, callbackUrl: `https://x.test/${'a'.repeat(70_000)}` })), 400],
      [await api('POST', '/subscriptions', JSON.stringify({ waybillNo: w })), 400],
      [await api('POST', '/subscriptions', JSON.stringify({ waybillNo: w, callbackUrl: 'ftp://nowhere' })), 400],
      [await api('GET', '/waybills/not-a-waybill/traces'), 400],
      [await api('GET', `/waybills/${w}/traces`, undefined, { 'x-ems-api-key': 'wrong' }), 401],
      [await api('GET', `/waybills/${newWaybill()}/traces`), 404],
    ] as const;
    for (const [answer, status] of errors) {
      expect(answer.status).toBe(status);
      valid('EmsError', answer.json);
      expect((answer.json as { errorCode: string }).errorCode).toBe(`E0${status}`);
    }

    await control('POST', '/config', { outage: true });
    const down = await api('GET', `/waybills/${w}/traces`);
    expect(down.status).toBe(503);
    valid('EmsError', down.json);
  });

  it('when a push is sent, then its body matches EmsPush and its headers the documented patterns', async () => {
    const w = newWaybill();
    await createParcel({ waybillNo: w, journey: 'pickup' });
    await ems.subscribe(w, receiver.url);
    await advance(w, { all: true });
    const [push] = await receiver.waitFor(w, 1);

    valid('EmsPush', JSON.parse(push!.raw.toString('utf8')));
    expect(push!.headers['x-ems-timestamp']).toMatch(/^\d{13}$/);
    expect(push!.headers['x-ems-signature']).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(push!.headers['content-type']).toContain('application/json');
  });

  it('when the control API is used, then its answers match the Sim schemas, including its refusals', async () => {
    const w = newWaybill();
    valid('SimHealth', (await control('GET', '/health')).json);
    valid('SimParcel', await createParcel({ waybillNo: w, journey: 'lost' }));
    valid('SimParcel', (await control('GET', `/parcels/${w}`)).json);
    valid('SimConfig', (await control('POST', '/config', { slowMs: 0 })).json);

    const refusals = [
      [await control('POST', '/parcels', { waybillNo: w, journey: 'lost' }), 409],
      [await control('POST', '/parcels', { waybillNo: newWaybill() }), 400],
      [await control('POST', '/parcels', { waybillNo: newWaybill(), journey: 'lost', traces: [{ opCode: '20' }] }), 400],
      [await control('POST', '/parcels', { waybillNo: newWaybill(), journey: 'teleported' }), 400],
      [await control('GET', `/parcels/${newWaybill()}`), 404],
      [await control('POST', `/parcels/${newWaybill()}/advance`, {}), 404],
      [await control('POST', '/config', { outage: 'yes' }), 400],
    ] as const;
    for (const [answer, status] of refusals) {
      expect(answer.status).toBe(status);
      valid('SimError', answer.json);
    }
  });
});
