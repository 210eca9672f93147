/**
 * Security catalogue — the staff REST API. Each scenario asserts the exact HTTP status and stable
 * error code, that the answer is JSON (never express's HTML page), and that liwan's Redis holds
 * exactly what it held before (store-snapshot.ts: every key's DUMP digest; the audit chain, rate
 * counters and sessions are left out because refusals write them by design).
 *
 * Some scenarios are also in tests/integration/staff-auth.test.ts and rest-bad-input.test.ts; here
 * each is named and checked for "nothing stored" on the whole store. Also: HTTP hardening (helmet's
 * headers on every answer).
 */
import { Redis } from 'ioredis';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMatterCatalog, type MatterCatalog } from '../../gateway/catalog/catalog.js';
import { ManualClock } from '../../gateway/clock.js';
import { httpStatusOf, type ErrorCode } from '../../gateway/errors.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { materialsDispatch } from '../helpers/handoffs.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { signIn, type StaffSession } from '../helpers/staff.js';
import { snapshotStore, storeDiff } from './store-snapshot.js';

/** KC_STAFF_SESSION_HOURS for this file: short, so the absolute limit can be reached in a few steps. */
const SESSION_HOURS = 1;
const IDLE_MINUTES = 30;

let redis: RedisHandle;
let client: Redis;
let sys: TwoGateways;
let url: string;
/** Liwan's clock: moved only by the last scenarios (session expiry). */
const clock = new ManualClock(Date.now());

// Nanhai without the food-business permit: liwan's forward of it is refused for good and dead-lettered.
const full = loadMatterCatalog();
const nanhaiCatalog: MatterCatalog = {
  ...full,
  get: (id) => (id === 'KC-M-0002' ? undefined : full.get(id)),
  list: (filter) => full.list(filter).filter((m) => m.id !== 'KC-M-0002'),
};
const foodPermit = applicationFor('nanhai', {
  matterId: 'KC-M-0002',
  form: { premisesAddress: '佛山市南海区桂城街道3号', businessCategory: 'prepackaged' },
  materials: [
    { name: '食品经营许可申请书', form: 'original', copies: 1 },
    { name: '营业执照', form: 'copy', copies: 1 },
    { name: '经营场所平面图', form: 'original', copies: 1 },
  ],
});
/** A dead letter at liwan: the case and its refused application envelope. */
let dead: { caseNo: string; messageId: string };

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'sec-rest',
    clock: { liwan: clock },
    catalogs: { nanhai: nanhaiCatalog },
    env: { KC_STAFF_SESSION_HOURS: String(SESSION_HOURS), KC_STAFF_IDLE_MINUTES: String(IDLE_MINUTES) },
  });
  url = sys.httpUrl.liwan;
  const created = await postJson(`${url}/api/v1/cases`, foodPermit);
  expect(created.status).toBe(201);
  dead = await eventually(async () => {
    const r = await getJson(`${url}/api/v1/dead-letters`);
    return (r.body.deadLetters as { caseNo: string; messageId: string }[]).find((d) => d.caseNo === created.body.caseNo);
  }, 'the food-permit forward dead-lettered at liwan', 30_000);
}, 120_000);

afterAll(async () => {
  await sys?.stop();
  client?.disconnect();
  await redis?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  contentType: string;
  text: string;
  body: Record<string, any>;
}

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown; raw?: string | Buffer } = {}): Promise<Answer> {
  const body = init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined);
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let parsed: Record<string, any> = {};
  try {
    parsed = JSON.parse(text) as Record<string, any>;
  } catch {
    // Left empty: expectRefused says the answer was not JSON.
  }
  return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type') ?? '', text, body: parsed };
}

/** The answer is the refusal `code` with its table status, as JSON. */
function expectCode(answer: Answer, code: ErrorCode): void {
  expect({ status: answer.status, code: answer.body.error?.code, json: answer.contentType.startsWith('application/json') }, answer.text.slice(0, 300)).toEqual({
    status: httpStatusOf(code),
    code,
    json: true,
  });
  expect(answer.text).not.toMatch(/<html|<pre>|<!DOCTYPE/i);
}

/** Sends the request(s) in `act`, each refused with `code`, and checks liwan's store is unchanged. */
async function expectRefusedAndNothingStored(code: ErrorCode, act: () => Promise<Answer | Answer[]>): Promise<void> {
  const prefix = sys.gateways.liwan.ctx.config.KC_REDIS_PREFIX;
  const before = await snapshotStore(client, prefix);
  const answers = [await act()].flat();
  for (const a of answers) expectCode(a, code);
  expect(storeDiff(before, await snapshotStore(client, prefix))).toEqual([]);
}

const intake = (headers: Record<string, string>) => call('/api/v1/cases', { method: 'POST', headers, body: applicationFor('nanhai') });
const resend = (headers: Record<string, string>) => call(`/api/v1/dead-letters/${dead.caseNo}/${dead.messageId}/resend`, { method: 'POST', headers, body: {} });

describe('staff session', () => {
  it('rejects-request-without-session: when a forward, a resend and a read come without a session cookie, then 401 STAFF_UNAUTHENTICATED and nothing is stored', async () => {
    await expectRefusedAndNothingStored('STAFF_UNAUTHENTICATED', async () => [await intake({}), await resend({}), await call('/api/v1/cases'), await call(`/api/v1/cases/${dead.caseNo}`)]);
  });

  it('rejects-forged-session-cookie: when the cookie carries a well-formed token never handed out, a malformed one or a real one with a character changed, then 401 STAFF_UNAUTHENTICATED and nothing is stored', async () => {
    const real = await signIn(url, 'kc-admin');
    const token = real.cookie.slice('kc_session='.length);
    const flipped = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    await expectRefusedAndNothingStored('STAFF_UNAUTHENTICATED', async () =>
      Promise.all(
        [`kc_session=${'A'.repeat(43)}`, 'kc_session=not-a-token', `kc_session=${flipped}`, `kc_session=${token}x`, 'kc_session='].map((cookie) => intake({ cookie, 'x-csrf-token': real.csrfToken })),
      ),
    );
  });

  it('rejects-session-signed-out: when a session was ended by sign-out, then its cookie is 401 STAFF_UNAUTHENTICATED', async () => {
    const s = await signIn(url, 'window');
    expect((await call('/api/v1/session', { method: 'DELETE', headers: s.headers() })).status).toBe(204);
    await expectRefusedAndNothingStored('STAFF_UNAUTHENTICATED', async () => [await intake(s.headers()), await call('/api/v1/matters', { headers: s.headers() })]);
  });
});

describe('CSRF', () => {
  let window: StaffSession;
  let otherWindow: StaffSession;
  beforeAll(async () => {
    window = await signIn(url, 'window');
    otherWindow = await signIn(url, 'window');
  });

  it('rejects-change-without-csrf-token: when a signed-in forward carries no X-CSRF-Token, then 403 CSRF_REJECTED and nothing is stored', async () => {
    await expectRefusedAndNothingStored('CSRF_REJECTED', () => intake({ cookie: window.cookie }));
  });

  it('rejects-change-with-wrong-csrf-token: when the token is wrong, empty, or the right one changed in its last character, then 403 CSRF_REJECTED and nothing is stored', async () => {
    const last = window.csrfToken.endsWith('A') ? 'B' : 'A';
    await expectRefusedAndNothingStored('CSRF_REJECTED', async () =>
      Promise.all(['', 'x', `${window.csrfToken.slice(0, -1)}${last}`, `${window.csrfToken}x`].map((t) => intake({ cookie: window.cookie, 'x-csrf-token': t }))),
    );
  });

  it('rejects-change-with-csrf-token-of-another-session: when a session sends the token of another live session of the same user, then 403 CSRF_REJECTED and nothing is stored', async () => {
    expect(otherWindow.csrfToken).not.toBe(window.csrfToken);
    await expectRefusedAndNothingStored('CSRF_REJECTED', () => intake({ cookie: window.cookie, 'x-csrf-token': otherWindow.csrfToken }));
  });

  it('rejects-change-from-another-origin: when the right token comes with a foreign Origin header, then 403 CSRF_REJECTED and nothing is stored', async () => {
    await expectRefusedAndNothingStored('CSRF_REJECTED', () => intake(window.headers({ origin: 'http://evil.example' })));
  });

  it('rejects-resend-without-csrf-token: when a resend of a dead letter carries no token, then 403 CSRF_REJECTED and the letter stays dead', async () => {
    const supervisor = await signIn(url, 'supervisor');
    await expectRefusedAndNothingStored('CSRF_REJECTED', () => resend({ cookie: supervisor.cookie }));
  });
});

describe('staff roles', () => {
  it('rejects-resend-by-window-role: when a window clerk (no deadletters:resend) resends a dead letter, then 403 STAFF_FORBIDDEN and the letter stays dead', async () => {
    const window = await signIn(url, 'window');
    await expectRefusedAndNothingStored('STAFF_FORBIDDEN', () => resend(window.headers()));
    const listed = await getJson(`${url}/api/v1/dead-letters`);
    expect(listed.body.deadLetters.map((d: { messageId: string }) => d.messageId)).toContain(dead.messageId);
  });

  it('rejects-forward-by-supervisor-role: when a supervisor (reads only) takes in an application, then 403 STAFF_FORBIDDEN and nothing is stored', async () => {
    const supervisor = await signIn(url, 'supervisor');
    await expectRefusedAndNothingStored('STAFF_FORBIDDEN', () => intake(supervisor.headers()));
  });

  it('rejects-forward-by-handler-role: when a handler (no cases:create) takes in an application, then 403 STAFF_FORBIDDEN and nothing is stored', async () => {
    const handler = await signIn(url, 'handler');
    await expectRefusedAndNothingStored('STAFF_FORBIDDEN', () => intake(handler.headers()));
  });

  it('rejects-case-handling-by-window-role: when a window clerk pauses the clock or records the materials received, then 403 STAFF_FORBIDDEN and nothing is stored', async () => {
    const window = await signIn(url, 'window');
    await expectRefusedAndNothingStored('STAFF_FORBIDDEN', async () => [
      await call(`/api/v1/cases/${dead.caseNo}/clock/pauses`, { method: 'POST', headers: window.headers(), body: { reason: 'expert_review', note: '' } }),
      await call(`/api/v1/cases/${dead.caseNo}/materials-received`, { method: 'POST', headers: window.headers(), body: {} }),
    ]);
  });

  it('rejects-handoff-by-supervisor-role: when a supervisor records a hand-off, then 403 STAFF_FORBIDDEN and nothing is stored', async () => {
    const supervisor = await signIn(url, 'supervisor');
    await expectRefusedAndNothingStored('STAFF_FORBIDDEN', () => call(`/api/v1/cases/${dead.caseNo}/handoffs`, { method: 'POST', headers: supervisor.headers(), body: materialsDispatch() }));
  });

  it('rejects-supervision-read-by-handler-role: when a handler reads the supervision figures, then 403 STAFF_FORBIDDEN', async () => {
    const handler = await signIn(url, 'handler');
    await expectRefusedAndNothingStored('STAFF_FORBIDDEN', () => call('/api/v1/supervision/figures', { headers: handler.headers() }));
  });
});

describe('request bodies and paths', () => {
  let admin: StaffSession;
  beforeAll(async () => {
    admin = await signIn(url, 'kc-admin');
  });

  it('rejects-oversize-json-body: when a forward (limit 256 kb), a hand-off (64 kb) or a sign-in (4 kb) is larger, then 413 PAYLOAD_TOO_LARGE as JSON and nothing is stored', async () => {
    await expectRefusedAndNothingStored('PAYLOAD_TOO_LARGE', async () => [
      await call('/api/v1/cases', { method: 'POST', headers: admin.headers(), body: applicationFor('nanhai', { form: { companyName: 'x'.repeat(300_000) } }) }),
      await call(`/api/v1/cases/${dead.caseNo}/handoffs`, { method: 'POST', headers: admin.headers(), body: materialsDispatch({ sealNo: 'x'.repeat(70_000) }) }),
      await call('/api/v1/session', { method: 'POST', body: { username: 'window', password: 'x'.repeat(5_000) } }),
    ]);
  });

  it('rejects-malformed-json: when the body is cut short, has a trailing comma or is a bare string, then 400 MALFORMED_JSON and nothing is stored', async () => {
    await expectRefusedAndNothingStored('MALFORMED_JSON', async () =>
      Promise.all(['{"matterId": "KC-M-0001", ', '{"matterId": "KC-M-0001",}', '"KC-M-0001"', '{\u0000}'].map((raw) => call('/api/v1/cases', { method: 'POST', headers: admin.headers(), raw }))),
    );
  });

  it('rejects-body-that-does-not-decompress: when Content-Encoding says gzip, deflate or br but the body is plain JSON, then 400 MALFORMED_JSON and nothing is stored', async () => {
    const plain = JSON.stringify(applicationFor('nanhai'));
    await expectRefusedAndNothingStored('MALFORMED_JSON', async () =>
      Promise.all(['gzip', 'deflate', 'br'].map((enc) => call('/api/v1/cases', { method: 'POST', headers: admin.headers({ 'content-encoding': enc }), raw: plain }))),
    );
    // A body that really is gzip is read as usual (and here refused for its content only).
    const gz = await call('/api/v1/cases', { method: 'POST', headers: admin.headers({ 'content-encoding': 'gzip' }), raw: gzipSync(JSON.stringify(applicationFor('nanhai', { matterId: 'KC-M-9999' }))) });
    expectCode(gz, 'UNKNOWN_MATTER');
  });

  it('rejects-path-parameter-that-does-not-decode: when a case number in the path is broken percent-encoding, then 422 VALIDATION_FAILED naming the path, and nothing is stored', async () => {
    await expectRefusedAndNothingStored('VALIDATION_FAILED', async () => [
      await call('/api/v1/cases/%E0%A4%A', { headers: admin.headers() }),
      await call('/api/v1/cases/%zz/supplements', { method: 'POST', headers: admin.headers(), body: {} }),
      await call(`/api/v1/dead-letters/${dead.caseNo}/%ED%A0%80%/resend`, { method: 'POST', headers: admin.headers(), body: {} }),
    ]);
    const r = await call('/api/v1/cases/%E0%A4%A', { headers: admin.headers() });
    expect(r.body.error.issues).toEqual([expect.objectContaining({ field: '(path)' })]);
  });

  it('rejects-unknown-route: when a path or method does not exist, then 404 ROUTE_NOT_FOUND as JSON', async () => {
    await expectRefusedAndNothingStored('ROUTE_NOT_FOUND', async () => [
      await call('/api/v1/nothing-here', { headers: admin.headers() }),
      await call('/api/v1/cases', { method: 'PUT', headers: admin.headers(), body: {} }),
      await call(`/api/v1/cases/${dead.caseNo}`, { method: 'DELETE', headers: admin.headers() }),
    ]);
  });
});

describe('HTTP hardening (helmet)', () => {
  it('when any answer is sent (health, an API read, a refusal, a 404, the pages), then it carries nosniff, SAMEORIGIN framing, no-referrer and same-origin policies, and no X-Powered-By or HSTS', async () => {
    const admin = await signIn(url, 'kc-admin');
    const answers = {
      health: await call('/healthz'),
      read: await call('/api/v1/matters', { headers: admin.headers() }),
      refused: await call('/api/v1/cases'),
      missing: await call('/nothing-here'),
      track: await call('/track'),
      console: await call('/console'),
    };
    for (const [what, a] of Object.entries(answers)) {
      const h = (name: string) => a.headers.get(name);
      expect(
        {
          what,
          nosniff: h('x-content-type-options'),
          frame: h('x-frame-options'),
          referrer: h('referrer-policy'),
          corp: h('cross-origin-resource-policy'),
          coop: h('cross-origin-opener-policy'),
          poweredBy: h('x-powered-by'),
          // Off on purpose (gateway/rest/app.ts): HSTS is set by the TLS front, which knows the host names.
          hsts: h('strict-transport-security'),
        },
        what,
      ).toEqual({ what, nosniff: 'nosniff', frame: 'SAMEORIGIN', referrer: 'no-referrer', corp: 'same-origin', coop: 'same-origin', poweredBy: null, hsts: null });
    }
    // JSON needs no CSP; the two pages set their own, which forbids framing them at all.
    expect(answers.read.headers.get('content-security-policy')).toBeNull();
    for (const page of [answers.track, answers.console]) {
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    }
  });
});

// Last: these move liwan's clock.
describe('session expiry', () => {
  it('rejects-session-idle-too-long: when a session has seen no request for longer than KC_STAFF_IDLE_MINUTES, then 401 STAFF_UNAUTHENTICATED and nothing is stored', async () => {
    const s = await signIn(url, 'window');
    clock.advance((IDLE_MINUTES + 1) * 60_000);
    await expectRefusedAndNothingStored('STAFF_UNAUTHENTICATED', async () => [await call('/api/v1/matters', { headers: s.headers() }), await intake(s.headers())]);
  });

  // The request lands exactly at the end of the lifetime: the session used to be written back with PX 0 (a 500).
  it('rejects-session-at-the-end-of-its-lifetime: when a session used every 20 minutes reaches KC_STAFF_SESSION_HOURS, then 401 STAFF_UNAUTHENTICATED (not 500) and nothing is stored', async () => {
    const s = await signIn(url, 'window');
    for (let minutes = 20; minutes < SESSION_HOURS * 60; minutes += 20) {
      clock.advance(20 * 60_000);
      expect((await call('/api/v1/matters', { headers: s.headers() })).status, `${minutes} minutes in`).toBe(200);
    }
    clock.advance(20 * 60_000);
    await expectRefusedAndNothingStored('STAFF_UNAUTHENTICATED', async () => [await call('/api/v1/matters', { headers: s.headers() }), await intake(s.headers())]);
  });

  it('rejects-session-past-its-lifetime: when a session used every 20 minutes is a minute older than KC_STAFF_SESSION_HOURS, then 401 STAFF_UNAUTHENTICATED', async () => {
    const s = await signIn(url, 'window');
    for (let minutes = 20; minutes < SESSION_HOURS * 60; minutes += 20) {
      clock.advance(20 * 60_000);
      expect((await call('/api/v1/matters', { headers: s.headers() })).status, `${minutes} minutes in`).toBe(200);
    }
    clock.advance(21 * 60_000);
    await expectRefusedAndNothingStored('STAFF_UNAUTHENTICATED', async () => [await call('/api/v1/matters', { headers: s.headers() })]);
  });
});
