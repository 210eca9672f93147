/**
 * The REST API's spec (gateway/rest/openapi.yaml) against itself and against the running code:
 * it is a well-formed OpenAPI 3.1 document whose every $ref resolves and every schema compiles;
 * the express app mounts exactly the routes it describes; /openapi.json serves it; and a round of
 * representative requests through two gateways answers what it documents (postJson / getJson check
 * every response; checkRequest checks the requests meant to be valid).
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../gateway/errors.js';
import { createRestApp } from '../../gateway/rest/app.js';
import { loadOpenApi } from '../../gateway/rest/openapi-route.js';
import { loadStaffDirectory } from '../../gateway/staff/accounts.js';
import { applicationFor, getJson, PHONE, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { dispatchMaterials, materialsDispatch } from '../helpers/handoffs.js';
import { checkRequest, checkResponse, findOperation, HTTP_METHODS, openapiSpec, specOperations, validatorFor } from '../helpers/openapi-check.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { signIn } from '../helpers/staff.js';

type Json = Record<string, any>;

/** Every [pointer, node] of the spec. */
function* walk(node: unknown, pointer = '#'): Generator<[string, Json]> {
  if (node === null || typeof node !== 'object') return;
  yield [pointer, node as Json];
  for (const [k, v] of Object.entries(node)) yield* walk(v, `${pointer}/${k.replaceAll('~', '~0').replaceAll('/', '~1')}`);
}

function resolve(spec: Json, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Json)[k] : undefined), spec);
}

describe('the spec', () => {
  const spec = openapiSpec();

  it('when it is parsed, then it is an OpenAPI 3.1 document with unique operation ids and documented responses', () => {
    expect(spec.openapi).toBe('3.1.0');
    expect(spec.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    const ids = specOperations().map((o) => o.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of specOperations()) {
      expect(op.responses.size, op.operationId).toBeGreaterThan(0);
      for (const status of op.responses.keys()) expect(status, op.operationId).toMatch(/^[1-5]\d\d$/);
    }
    for (const [path, item] of Object.entries(spec.paths as Json)) {
      expect(Object.keys(item as Json).every((k) => (HTTP_METHODS as readonly string[]).includes(k) || k === 'parameters'), path).toBe(true);
    }
  });

  it('when every $ref is followed, then each resolves', () => {
    const broken = [...walk(spec)].filter(([, n]) => typeof n.$ref === 'string' && resolve(spec, n.$ref) === undefined).map(([p, n]) => `${p} → ${n.$ref}`);
    expect(broken).toEqual([]);
  });

  it('when every schema is compiled (strict JSON Schema 2020-12), then none is refused', () => {
    for (const name of Object.keys((spec.components as Json).schemas)) expect(() => validatorFor(`#/components/schemas/${name}`), name).not.toThrow();
    for (const op of specOperations()) {
      if (op.requestSchema) validatorFor(op.requestSchema);
      for (const r of op.responses.values()) for (const pointer of r.content.values()) validatorFor(pointer);
    }
  });

  it("when a path has parameters, then each is declared as a path parameter and nothing else is", () => {
    for (const op of specOperations()) {
      const inTemplate = [...op.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const declared = ((resolve(spec, op.pointer) as Json).parameters ?? [])
        .map((p: Json) => (p.$ref ? resolve(spec, p.$ref) : p) as Json)
        .filter((p: Json) => p.in === 'path')
        .map((p: Json) => p.name)
        .sort();
      expect(declared, op.operationId).toEqual(inTemplate);
    }
  });

  it('when the error codes are listed, then they are exactly the codes of gateway/errors.ts', () => {
    expect(((spec.components as Json).schemas.ErrorCode as Json).enum).toEqual(Object.keys(ERROR_CODES));
  });

  it('when an operation is public, then it is one of the public routes; every other change needs the CSRF header', () => {
    const isPublic = (op: ReturnType<typeof specOperations>[number]) => Array.isArray((resolve(spec, op.pointer) as Json).security) && (resolve(spec, op.pointer) as Json).security.length === 0;
    expect(specOperations().filter(isPublic).map((o) => `${o.method} ${o.path}`).sort()).toEqual(
      [
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
        'GET /openapi.json',
        'GET /console',
        'GET /console/{asset}',
        'GET /track',
        'GET /track/track.js',
        'GET /track/track.css',
        'POST /api/v1/track',
        'POST /api/v1/track/rating',
        'POST /api/v1/approval-callbacks',
        'POST /courier/ems/push',
        'POST /api/v1/session',
        'GET /api/v1/session',
      ].sort(),
    );
    for (const op of specOperations().filter((o) => !isPublic(o) && o.method !== 'GET')) {
      expect((resolve(spec, op.pointer) as Json).security, op.operationId).toEqual([{ kcSession: [], csrfToken: [] }]);
    }
  });

  it('when a response drifts from the spec, then the check names the operation, the status and the problem', () => {
    const url = 'http://127.0.0.1:1/api/v1/cases/KC-LW-20260101-000001/rating';
    expect(() => checkResponse('POST', url, 201, 'application/json', { caseNo: 'KC-LW-20260101-000001', rating: 'satisfied', extra: 1 })).toThrow(/rateCase .* 201: .*additional properties/s);
    expect(() => checkResponse('POST', url, 418, 'application/json', {})).toThrow(/rateCase .* answered 418, which the spec does not list/);
    expect(() => checkResponse('POST', url, 409, 'application/json', { error: { code: 'VALIDATION_FAILED', message: 'x' } })).toThrow(/409 with VALIDATION_FAILED, whose status is 422/);
    expect(() => checkRequest('POST', url, { rating: 'good' })).toThrow(/rateCase .* request body does not match/);
    expect(() => checkResponse('GET', 'http://127.0.0.1:1/_sim/records', 200, 'application/json', { anything: true })).not.toThrow();
  });
});

describe('the spec and the running gateways', () => {
  let redis: RedisHandle;
  let sys: TwoGateways;

  beforeAll(async () => {
    redis = await startRedis();
    sys = await startTwoGateways({ redisUrl: redis.url, name: 'openapi' });
  });

  afterAll(async () => {
    await sys?.stop();
    await redis?.stop();
  });

  /** [METHOD, express path] of every route the app mounts, routers included. */
  function mountedRoutes(): [string, string][] {
    const ctx = sys.gateways.liwan.ctx;
    const app = createRestApp({
      ctx,
      ready: async () => ({}),
      redis: ctx.store.redis as Redis,
      staff: loadStaffDirectory(ctx.config.KC_STAFF_FILE),
    });
    const out: [string, string][] = [];
    const visit = (stack: Json[]) => {
      for (const layer of stack) {
        if (layer.route) {
          for (const [method, on] of Object.entries(layer.route.methods as Record<string, boolean>)) {
            if (on && method !== '_all') out.push([method.toUpperCase(), String(layer.route.path)]);
          }
        } else if (Array.isArray(layer.handle?.stack)) {
          // Routers are mounted at / (each names its full paths); one mounted elsewhere would lose its prefix here.
          expect(layer.rawPath ?? '/', 'a router mounted below /').toBe('/');
          visit(layer.handle.stack);
        }
      }
    };
    visit((app as unknown as { router: { stack: Json[] } }).router.stack);
    return out;
  }

  it('when the express app is walked, then every mounted route is in the spec and every operation in the spec is mounted', () => {
    const mounted = mountedRoutes();
    const asTemplate = (path: string) => path.replace(/:(\w+)/g, '{$1}');
    const notInSpec = mounted.filter(([method, path]) => {
      const template = asTemplate(path);
      if (template.includes('{')) return !specOperations().some((o) => o.method === method && o.path === template);
      return findOperation(method, path) === undefined;
    });
    const notMounted = specOperations().filter(
      (o) => !mounted.some(([method, path]) => method === o.method && (asTemplate(path) === o.path || (!path.includes(':') && findOperation(method, path) === o))),
    );
    expect(notInSpec.map(([m, p]) => `${m} ${p}`)).toEqual([]);
    expect(notMounted.map((o) => `${o.method} ${o.path}`)).toEqual([]);
  });

  it('when /openapi.json is fetched, then it is the YAML spec as JSON', async () => {
    const res = await fetch(`${sys.httpUrl.liwan}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = await res.json();
    checkResponse('GET', res.url, res.status, res.headers.get('content-type'), body);
    expect(body).toEqual(loadOpenApi());
  });

  it('when the public operations endpoints are asked, then they answer as documented', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/track', '/console']) {
      const res = await fetch(`${sys.httpUrl.nanhai}${path}`);
      const type = res.headers.get('content-type');
      const body = type?.startsWith('application/json') ? await res.json() : await res.text();
      checkResponse('GET', res.url, res.status, type, body);
    }
  });

  it('when staff take a case in and look at it from both sides, then every answer matches the spec', async () => {
    const app = applicationFor('nanhai');
    const casesUrl = `${sys.httpUrl.liwan}/api/v1/cases`;
    checkRequest('POST', casesUrl, app);
    const created = await postJson(casesUrl, app);
    expect(created.status).toBe(201);
    const caseNo = created.body.caseNo as string;
    // A hand-off with a manifest, and a receipt short of pages: the case and its timeline carry both.
    checkRequest('POST', `${casesUrl}/${caseNo}/handoffs`, materialsDispatch());
    const handoffId = await dispatchMaterials(sys.httpUrl.liwan, caseNo);
    const receipt = { receivedBy: 'NH-0042', sealIntact: true, received: [{ name: '公司章程', copies: 1, pages: 11 }] };
    const receiptUrl = `${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/handoffs/${handoffId}/receipt`;
    checkRequest('POST', receiptUrl, receipt);
    await eventually(async () => (await postJson(receiptUrl, receipt)).status === 201, 'hand-off received at nanhai');

    for (const url of [
      `${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}`,
      `${sys.httpUrl.nanhai}/api/v1/cases/${caseNo}/timeline`,
      `${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`,
      `${sys.httpUrl.liwan}/api/v1/cases/${caseNo}/timeline`,
      `${sys.httpUrl.liwan}/api/v1/cases?limit=5`,
      `${sys.httpUrl.liwan}/api/v1/matters?includeUnavailable=true`,
      `${sys.httpUrl.liwan}/api/v1/matters/KC-M-0001`,
      `${sys.httpUrl.nanhai}/api/v1/supervision/figures`,
      `${sys.httpUrl.nanhai}/api/v1/cards`,
      `${sys.httpUrl.nanhai}/api/v1/dead-letters`,
      `${sys.httpUrl.nanhai}/api/v1/parcels/attention`,
      `${sys.httpUrl.nanhai}/api/v1/diagnostics`,
      `${sys.httpUrl.nanhai}/api/v1/session`,
    ]) {
      const r = await getJson(url);
      expect(r.status, url).toBe(200);
    }
    const crossing = created.body.crossings[0];
    const envelope = await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}/envelopes/${crossing.id}`);
    expect(envelope.status).toBe(200);

    const track = { caseNo, phoneLast4: PHONE.slice(-4) };
    checkRequest('POST', `${sys.httpUrl.liwan}/api/v1/track`, track);
    expect((await postJson(`${sys.httpUrl.liwan}/api/v1/track`, track)).status).toBe(200);
  });

  it('when requests fail, then the errors match the spec too', async () => {
    expect((await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, {})).status).toBe(422);
    expect((await getJson(`${sys.httpUrl.liwan}/api/v1/cases/KC-LW-20200101-000001`)).status).toBe(404);
    expect((await getJson(`${sys.httpUrl.liwan}/api/v1/nothing-here`)).status).toBe(404);
    expect((await postJson(`${sys.httpUrl.liwan}/api/v1/track`, { caseNo: 'KC-LW-20200101-000001', phoneLast4: '0000' })).status).toBe(404);

    const anonymous = await fetch(`${sys.httpUrl.liwan}/api/v1/cases`);
    checkResponse('GET', anonymous.url, anonymous.status, anonymous.headers.get('content-type'), await anonymous.json());
    expect(anonymous.status).toBe(401);

    const session = await signIn(sys.httpUrl.liwan, 'window');
    const noCsrf = await fetch(`${sys.httpUrl.liwan}/api/v1/cases`, { method: 'POST', headers: { cookie: session.cookie, 'content-type': 'application/json' }, body: '{}' });
    checkResponse('POST', noCsrf.url, noCsrf.status, noCsrf.headers.get('content-type'), await noCsrf.json());
    expect(noCsrf.status).toBe(403);

    const signOut = await fetch(`${sys.httpUrl.liwan}/api/v1/session`, { method: 'DELETE', headers: session.headers() });
    const text = await signOut.text();
    checkResponse('DELETE', signOut.url, signOut.status, signOut.headers.get('content-type'), text === '' ? undefined : text);
    expect(signOut.status).toBe(204);
  });
});
