/**
 * Malformed requests for the staff REST API (and the unauthenticated callback and push endpoints
 * beside it), generated from a seed, and a small raw HTTP client that sends exactly what was
 * generated — node:http, so headers and paths are sent as built rather than normalised by fetch.
 *
 * Every generated request must be refused: a request that could be valid carries a poison — a form
 * field no matter has (UNKNOWN_FIELD) or a malformed Idempotency-Key — which intake validation
 * reports together with everything else wrong, so the whole body is still validated.
 */
import { Agent, request } from 'node:http';
import { applicationFor } from '../helpers/applications.js';
import { materialsDispatch } from '../helpers/handoffs.js';
import { deepNestingText, mutateBytes, mutateJson, mutateText, nastyString, randomJson, sizeOf, type Rand } from './fuzz-mutate.js';

export interface RestInput {
  /** What kind of input this was, for the tally. */
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface RestAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** The signed-in staff session the requests carry (unless a mutation drops or damages it). */
export interface RestAuth {
  cookie: string;
  csrfToken: string;
}

/** A form field that no matter has: a body carrying it is refused with UNKNOWN_FIELD. */
export const POISON_FIELD = 'zz-fuzz-poison';

/** Percent-encodes every byte outside the unreserved set (lone surrogates become U+FFFD). */
function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A header value node:http accepts: visible ASCII and Latin-1 (UTF-8 bytes read as Latin-1). */
function headerValue(r: Rand): string {
  const raw = Buffer.from(nastyString(r, 512), 'utf8').toString('latin1');
  return raw.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?').slice(0, 2048);
}

function headerName(r: Rand): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789-';
  let s = 'x-';
  for (let i = 1 + r.int(20); i > 0; i--) s += chars[r.int(chars.length)];
  return s;
}

/** A case number: malformed, or well-formed but never issued (these runs create no cases). */
export function caseNoish(r: Rand): string {
  switch (r.int(4)) {
    case 0:
      return `KC-${r.pick(['LW', 'NH'])}-${r.pick(['20260101', '19700101', '99991231'])}-9${String(r.int(100_000)).padStart(5, '0')}`;
    case 1:
      return r.pick(['KC-LW-20260101-000001', 'kc-lw-20260101-000001', 'KC-XX-20260101-000001', 'KC-LW-2026-1', 'KC-LW-20260101-']);
    default:
      return nastyString(r, 300);
  }
}

const ACTION_PATHS = [
  (c: string) => `/api/v1/cases/${c}/supplements`,
  (c: string) => `/api/v1/cases/${c}/handoffs`,
  (c: string, x: string) => `/api/v1/cases/${c}/handoffs/${x}/receipt`,
  (c: string) => `/api/v1/cases/${c}/materials-received`,
  (c: string) => `/api/v1/cases/${c}/clock/pauses`,
  (c: string, x: string) => `/api/v1/cases/${c}/clock/pauses/${x}/resume`,
  (c: string) => `/api/v1/cases/${c}/rating`,
  (c: string, x: string) => `/api/v1/dead-letters/${c}/${x}/resend`,
];

const READ_PATHS = [
  (c: string) => `/api/v1/cases/${c}`,
  (c: string) => `/api/v1/cases/${c}/timeline`,
  (c: string, x: string) => `/api/v1/cases/${c}/envelopes/${x}`,
  (c: string) => `/api/v1/matters/${c}`,
];

const LIST_PATHS = ['/api/v1/cases', '/api/v1/matters', '/api/v1/supervision/figures', '/api/v1/cards', '/api/v1/dead-letters', '/api/v1/parcels/attention', '/api/v1/diagnostics'];
const LIST_PARAMS = ['handlingDistrict', 'originDistrict', 'matterId', 'state', 'deadline', 'limit', 'cursor', 'period', 'includeUnavailable', 'domain', 'batch', 'colour'];

/** A path segment that is broken as URL encoding, or hostile once decoded. */
function segment(r: Rand): string {
  switch (r.int(5)) {
    case 0:
      return r.pick(['%', '%E0%A4%A', '%zz', '%C0%AE%C0%AE', '%00', '%FF%FE', '%ED%A0%80', '..', '%2e%2e', '%2F']);
    case 1:
      return 'x'.repeat(1 + r.int(2000));
    default:
      return pct(caseNoish(r));
  }
}

function query(r: Rand): string {
  const parts: string[] = [];
  for (let i = r.int(6); i > 0; i--) {
    const name = r.chance(0.8) ? r.pick(LIST_PARAMS) : pct(nastyString(r, 40));
    const value = r.chance(0.2) ? r.pick(['%', '%E0%A4%A', '%zz']) : pct(nastyString(r, 400));
    // Repeated names and bracket syntax turn a value into an array or an object.
    const suffix = r.pick(['', '', '', '[]', '[a]', '[__proto__]']);
    parts.push(`${name}${suffix}=${value}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Headers of a signed-in staff change, then damaged now and then. */
function staffHeaders(r: Rand, auth: RestAuth, json = true): Record<string, string> {
  const h: Record<string, string> = { cookie: auth.cookie, 'x-csrf-token': auth.csrfToken };
  if (json) h['content-type'] = 'application/json';
  if (r.chance(0.25)) {
    switch (r.int(10)) {
      case 0:
        delete h.cookie;
        break;
      case 1:
        h.cookie = `kc_session=${headerValue(r)}`;
        break;
      case 2:
        delete h['x-csrf-token'];
        break;
      case 3:
        h['x-csrf-token'] = headerValue(r);
        break;
      case 4:
        h['content-type'] = r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=koi8-r', 'application/json; charset=bogus', 'multipart/form-data; boundary=x', headerValue(r)]);
        break;
      case 5:
        h['content-encoding'] = r.pick(['gzip', 'deflate', 'br', 'identity', 'bogus', 'gzip, gzip']);
        break;
      case 6:
        h.origin = r.pick(['http://evil.example', 'null', headerValue(r)]);
        break;
      case 7:
        h[headerName(r)] = headerValue(r);
        break;
      case 8:
        h.accept = headerValue(r);
        break;
      default:
        h.cookie = `${auth.cookie}; kc_session=${headerValue(r)}`;
        break;
    }
  }
  return h;
}

/** Sets the poison on a body that is still an object with a form object; other shapes are refused anyway. */
function poisoned(body: unknown): unknown {
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const form = (body as Record<string, unknown>).form;
    if (form !== null && typeof form === 'object' && !Array.isArray(form)) (form as Record<string, unknown>)[POISON_FIELD] = 'x';
  }
  return body;
}

/** A malformed Idempotency-Key (fewer than 8 characters, or characters outside [\w.:-]). */
function badIdempotencyKey(r: Rand): string {
  return r.pick(['', 'x', 'short', 'has space in it', 'ünïcödé-key', '#########', 'a'.repeat(129)]);
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? 'null', 'utf8');
}

/** The next input of a run: the same seed always gives the same sequence of requests. */
export function restInput(r: Rand, auth: RestAuth): RestInput {
  const roll = r.int(100);
  if (roll < 40) return intake(r, auth);
  if (roll < 62) {
    const c = segment(r);
    const x = r.chance(0.5) ? segment(r) : '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const body = r.chance(0.5) ? mutateJson(r, materialsDispatch()) : randomJson(r);
    return { kind: 'rest:case-action', method: 'POST', path: r.pick(ACTION_PATHS)(c, x), headers: staffHeaders(r, auth), body: json(body) };
  }
  if (roll < 76) {
    const path = r.chance(0.5) ? r.pick(READ_PATHS)(segment(r), segment(r)) : `${r.pick(LIST_PATHS)}${query(r)}`;
    return { kind: 'rest:read', method: 'GET', path, headers: staffHeaders(r, auth, false) };
  }
  if (roll < 82) {
    // Routes that do not exist, and methods routes do not have.
    const method = r.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
    const path = r.pick(['/api/v1/cases', '/api/v1/nothing', '/api/v2/cases', `/${segment(r)}`, '/api/v1/matters', '/api/v1/cases/KC-LW-20260101-000001']);
    // Never DELETE /api/v1/session: it would sign the run's own session out.
    return { kind: 'rest:route', method, path, headers: staffHeaders(r, auth), body: json(randomJson(r)) };
  }
  if (roll < 90) {
    // Sign-in with anything but a right password (the dev password is never generated).
    const body = r.chance(0.5) ? json(mutateJson(r, { username: 'kc-admin', password: 'not-the-password' })) : Buffer.from(mutateText(r, '{"username":"window","password":"x"}'));
    return { kind: 'rest:sign-in', method: 'POST', path: '/api/v1/session', headers: { 'content-type': 'application/json' }, body };
  }
  if (roll < 95) {
    const body = r.chance(0.5) ? r.bytes(sizeOf(r, 2048)) : json(randomJson(r));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (r.chance(0.5)) headers[r.pick(['x-nh-timestamp', 'x-nh-sign', 'x-lw-signature', 'x-lw-timestamp', 'x-signature'])] = headerValue(r);
    return { kind: 'rest:approval-callback', method: 'POST', path: '/api/v1/approval-callbacks', headers, body };
  }
  const headers: Record<string, string> = { 'content-type': r.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain']) };
  if (r.chance(0.5)) headers[r.pick(['x-ems-signature', 'x-ems-timestamp', 'x-signature', 'authorization'])] = headerValue(r);
  return { kind: 'rest:courier-push', method: 'POST', path: '/courier/ems/push', headers, body: r.chance(0.5) ? r.bytes(sizeOf(r, 2048)) : json(randomJson(r)) };
}

/** POST /api/v1/cases: the richest validator, fed mutated applications and junk. */
function intake(r: Rand, auth: RestAuth): RestInput {
  const headers = staffHeaders(r, auth);
  const kind = r.int(100);
  let body: Buffer;
  let what: string;
  if (kind < 45) {
    let v: unknown = applicationFor(r.chance(0.8) ? 'nanhai' : 'liwan');
    for (let n = 1 + r.int(3); n > 0; n--) v = mutateJson(r, v);
    body = json(poisoned(v));
    what = 'mutated-application';
  } else if (kind < 60) {
    body = Buffer.from(mutateText(r, JSON.stringify(poisoned(applicationFor('nanhai')))), 'utf8');
    what = 'damaged-json-text';
  } else if (kind < 70) {
    body = json(randomJson(r));
    what = 'random-json';
  } else if (kind < 78) {
    body = mutateBytes(r, json(poisoned(applicationFor('nanhai'))));
    what = 'damaged-bytes';
  } else if (kind < 84) {
    body = Buffer.from(deepNestingText(r, 10_000), 'utf8');
    what = 'deep-nesting';
  } else if (kind < 87) {
    // Over the 256 kb limit of this route, in one string.
    body = json(poisoned(applicationFor('nanhai', { form: { companyName: '汉'.repeat(90_000 + r.int(10_000)) } })));
    what = 'oversize';
  } else if (kind < 90) {
    body = Buffer.alloc(0);
    what = 'empty';
  } else {
    body = json(poisoned(applicationFor('nanhai')));
    // A well-formed application: only the key is wrong.
    headers['idempotency-key'] = Buffer.from(badIdempotencyKey(r), 'utf8').toString('latin1');
    return { kind: 'rest:intake:bad-idempotency-key', method: 'POST', path: '/api/v1/cases', headers, body };
  }
  if (r.chance(0.3)) headers['idempotency-key'] = r.chance(0.5) ? `fuzz-${r.int(1e9)}` : headerValue(r);
  return { kind: `rest:intake:${what}`, method: 'POST', path: '/api/v1/cases', headers, body };
}

/** One request, exactly as built, on a keep-alive agent; a transport error rejects. */
export function sendRest(agent: Agent, origin: string, input: RestInput, timeoutMs = 15_000): Promise<RestAnswer> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: input.method,
        path: input.path,
        headers: { ...input.headers, ...(input.body ? { 'content-length': String(input.body.length) } : {}) },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(input.body);
  });
}
