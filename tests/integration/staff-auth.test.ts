/**
 * The staff door on real gateways: sign-in, the session cookie, CSRF, roles, sign-out, throttling
 * of failed sign-ins, idle expiry — each refusal with its own code, and nothing stored when refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../gateway/clock.js';
import { applicationFor } from '../helpers/applications.js';
import { startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { Redis } from 'ioredis';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { signIn, STAFF_PASSWORD, type StaffSession } from '../helpers/staff.js';

let redis: RedisHandle;
let client: Redis;
let sys: TwoGateways;
let url: string;
const clock = new ManualClock(Date.now());

async function call(path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const res = await fetch(`${url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Record<string, any> };
}

const caseCount = async () => {
  let n = 0;
  for (const shard of sys.gateways.liwan.ctx.store.keys.shards) n += await client.zcard(shard.cases);
  return n;
};

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'staff-auth', clock: { liwan: clock } });
  url = sys.httpUrl.liwan;
});

afterAll(async () => {
  await sys?.stop();
  client?.disconnect();
  await redis?.stop();
});

describe('sign-in', () => {
  it('when the password is right, then the session comes back with roles, permissions and an HttpOnly SameSite=Strict cookie', async () => {
    const res = await call('/api/v1/session', { method: 'POST', body: { username: 'window', password: STAFF_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: 'window', district: 'liwan', roles: ['window'], roleLabels: ['收件'] });
    expect(res.body.permissions).toContain('cases:create');
    expect(res.body.permissions).not.toContain('supervision:read');
    expect(res.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^kc_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\//);
    const again = await call('/api/v1/session', { headers: { cookie: cookie.split(';')[0]! } });
    expect(again.status).toBe(200);
    expect(again.body.username).toBe('window');
  });

  it('when the user is unknown or the password wrong, then both get the same 401 STAFF_SIGN_IN_FAILED and the password is not logged', async () => {
    const wrong = await call('/api/v1/session', { method: 'POST', body: { username: 'handler', password: 'not-the-password-1' } });
    const unknown = await call('/api/v1/session', { method: 'POST', body: { username: 'nobody-here', password: 'not-the-password-1' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('STAFF_SIGN_IN_FAILED');
    expect(sys.logs()).not.toContain('not-the-password-1');
  });

  it('when the body is not a sign-in, then 422 VALIDATION_FAILED names the field', async () => {
    const res = await call('/api/v1/session', { method: 'POST', body: { username: 'window' } });
    expect(res.status).toBe(422);
    expect(res.body.error.issues.map((i: { field: string }) => i.field)).toEqual(['password']);
  });

  it('when a user name fails ten times from one address, then the next try is 429 RATE_LIMITED with Retry-After, even with the right password', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await call('/api/v1/session', { method: 'POST', body: { username: 'supervisor', password: `guess-number-${i}` } })).status).toBe(401);
    }
    const locked = await call('/api/v1/session', { method: 'POST', body: { username: 'supervisor', password: STAFF_PASSWORD } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another user from the same address is not locked out by it.
    expect((await call('/api/v1/session', { method: 'POST', body: { username: 'handler', password: STAFF_PASSWORD } })).status).toBe(200);
  });
});

describe('the staff API', () => {
  let window: StaffSession;
  beforeAll(async () => {
    window = await signIn(url, 'window');
  });

  it('when there is no session, then reads and changes are 401 STAFF_UNAUTHENTICATED and nothing is stored', async () => {
    const before = await caseCount();
    for (const [method, path] of [
      ['GET', '/api/v1/matters'],
      ['GET', '/api/v1/cases/KC-LW-20260101-000001'],
      ['POST', '/api/v1/cases'],
      ['GET', '/api/v1/dead-letters'],
      ['GET', '/api/v1/supervision/figures'],
      ['GET', '/api/v1/parcels/attention'],
    ] as const) {
      const res = await call(path, { method, ...(method === 'POST' ? { body: applicationFor('nanhai') } : {}) });
      expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 401, code: 'STAFF_UNAUTHENTICATED' });
    }
    const forged = await call('/api/v1/cases', { method: 'POST', headers: { cookie: `kc_session=${'A'.repeat(43)}`, 'x-csrf-token': 'x' }, body: applicationFor('nanhai') });
    expect(forged.body.error.code).toBe('STAFF_UNAUTHENTICATED');
    expect(await caseCount()).toBe(before);
  });

  it('when a change comes without the CSRF token, with a wrong one or from another origin, then 403 CSRF_REJECTED and nothing is stored', async () => {
    const before = await caseCount();
    const attempts: Record<string, string>[] = [
      { cookie: window.cookie },
      { cookie: window.cookie, 'x-csrf-token': `${window.csrfToken.slice(0, -1)}x` },
      { cookie: window.cookie, 'x-csrf-token': window.csrfToken, origin: 'http://evil.example' },
    ];
    for (const headers of attempts) {
      const res = await call('/api/v1/cases', { method: 'POST', headers, body: applicationFor('nanhai') });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('CSRF_REJECTED');
    }
    expect(await caseCount()).toBe(before);
    expect(sys.logs()).toContain('"code":"CSRF_REJECTED"');
  });

  it('when the token and the session are right, then the window takes the application in', async () => {
    const res = await call('/api/v1/cases', { method: 'POST', headers: window.headers({ origin: url }), body: applicationFor('nanhai') });
    expect(res.status).toBe(201);
  });

  it('when a role may not do something, then 403 STAFF_FORBIDDEN, logged with the user name and permission', async () => {
    const figures = await call('/api/v1/supervision/figures', { headers: window.headers() });
    expect(figures.status).toBe(403);
    expect(figures.body.error.code).toBe('STAFF_FORBIDDEN');
    const handler = await signIn(url, 'handler');
    const intake = await call('/api/v1/cases', { method: 'POST', headers: handler.headers(), body: applicationFor('nanhai') });
    expect(intake.body.error.code).toBe('STAFF_FORBIDDEN');
    const line = sys.logs().split('\n').find((l) => l.includes('"code":"STAFF_FORBIDDEN"') && l.includes('"permission":"cases:create"'));
    expect(line).toContain('"username":"handler"');
  });

  it('when staff are signed in, then public routes still answer without a session', async () => {
    const health = await call('/healthz');
    expect(health.status).toBe(200);
    // helmet's headers on every answer
    expect(health.headers.get('x-content-type-options')).toBe('nosniff');
    expect(health.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(health.headers.get('x-powered-by')).toBeNull();
    expect((await call('/api/v1/track', { method: 'POST', body: { caseNo: 'KC-LW-20260101-000001', phoneLast4: '1234' } })).body.error.code).toBe('TRACKING_NOT_FOUND');
  });

  it('when staff sign out, then the old cookie opens nothing', async () => {
    const s = await signIn(url, 'window');
    expect((await call('/api/v1/session', { method: 'DELETE', headers: { cookie: s.cookie } })).body.error.code).toBe('CSRF_REJECTED');
    const out = await fetch(`${url}/api/v1/session`, { method: 'DELETE', headers: s.headers() });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/kc_session=;.*Max-Age=0/i);
    expect((await call('/api/v1/matters', { headers: s.headers() })).body.error.code).toBe('STAFF_UNAUTHENTICATED');
  });

  // Last: it moves this gateway's clock.
  it('when a session has been idle longer than KC_STAFF_IDLE_MINUTES, then it is gone', async () => {
    const s = await signIn(url, 'window');
    clock.advance(29 * 60_000);
    expect((await call('/api/v1/matters', { headers: s.headers() })).status).toBe(200);
    clock.advance(29 * 60_000); // idle time restarted at the last request
    expect((await call('/api/v1/matters', { headers: s.headers() })).status).toBe(200);
    clock.advance(31 * 60_000);
    expect((await call('/api/v1/matters', { headers: s.headers() })).body.error.code).toBe('STAFF_UNAUTHENTICATED');
  });
});
