/**
 * Checks real requests and responses against gateway/rest/openapi.yaml, so a test fails when the
 * code and the spec drift apart. The spec is compiled once (ajv, JSON Schema 2020-12 with formats)
 * per test file; each operation is found by matching the URL's path against the spec's path
 * templates.
 *
 * - checkResponse: always on (postJson / getJson call it). An undocumented status, content type or
 *   a body that does not match fails the test, naming the operation, the status and ajv's errors.
 *   A URL that is not the gateway's (an approval or carrier simulator) is left alone; an unknown
 *   /api/… path must answer the documented 404 ROUTE_NOT_FOUND.
 * - checkRequest: opt-in, for requests a test means to be valid (many tests send bad bodies on
 *   purpose, and those must keep failing at the gateway, not here).
 */
import { AssertionError } from 'node:assert';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { loadOpenApi } from '../../gateway/rest/openapi-route.js';
import { ERROR_CODES, isErrorCode } from '../../gateway/errors.js';

const SPEC_ID = 'https://kuacheng.invalid/openapi.json';
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

type Json = Record<string, unknown>;

export interface SpecOperation {
  method: string;
  /** The path template, e.g. /api/v1/cases/{caseNo}. */
  path: string;
  operationId: string;
  /** JSON pointers (into the spec) of the operation's object, and of its JSON request body schema. */
  pointer: string;
  requestSchema: string | undefined;
  responses: Map<string, { pointer: string; content: Map<string, string> }>;
}

interface Compiled {
  spec: Json;
  operations: SpecOperation[];
  matchers: { op: SpecOperation; re: RegExp }[];
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

let compiled: Compiled | undefined;

const escapePointer = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1');

function at(spec: Json, pointer: string): unknown {
  return pointer
    .replace(/^#\//, '')
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Json)[k] : undefined), spec);
}

/** An OpenAPI object that may be a $ref (responses, request bodies): its pointer after following refs. */
function follow(spec: Json, pointer: string): string {
  for (let i = 0; i < 10; i++) {
    const node = at(spec, pointer) as Json | undefined;
    if (!node || typeof node.$ref !== 'string') return pointer;
    pointer = node.$ref;
  }
  throw new Error(`openapi: $ref loop at ${pointer}`);
}

function templateRegExp(path: string): RegExp {
  const source = path
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '([^/]+)' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

function build(): Compiled {
  const spec = loadOpenApi();
  const operations: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths as Json)) {
    for (const method of HTTP_METHODS) {
      const op = (item as Json)[method] as Json | undefined;
      if (!op) continue;
      const pointer = `#/paths/${escapePointer(path)}/${method}`;
      let requestSchema: string | undefined;
      if (op.requestBody) {
        const body = follow(spec, `${pointer}/requestBody`);
        if (at(spec, `${body}/content/application~1json/schema`) !== undefined) requestSchema = `${body}/content/application~1json/schema`;
      }
      const responses = new Map<string, { pointer: string; content: Map<string, string> }>();
      for (const status of Object.keys((op.responses as Json | undefined) ?? {})) {
        const r = follow(spec, `${pointer}/responses/${status}`);
        const content = new Map<string, string>();
        for (const type of Object.keys((at(spec, `${r}/content`) as Json | undefined) ?? {})) content.set(type, `${r}/content/${escapePointer(type)}/schema`);
        responses.set(status, { pointer: r, content });
      }
      operations.push({ method: method.toUpperCase(), path, operationId: String(op.operationId), pointer, requestSchema, responses });
    }
  }
  // Literal paths before templated ones, so /api/v1/track/rating never reads as a parameter.
  const matchers = operations
    .map((op) => ({ op, re: templateRegExp(op.path), params: (op.path.match(/\{/g) ?? []).length }))
    .sort((a, b) => a.params - b.params)
    .map(({ op, re }) => ({ op, re }));

  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateFormats: true });
  addFormats.default(ajv);
  // OpenAPI's own keywords, outside JSON Schema.
  ajv.addVocabulary(['openapi', 'info', 'jsonSchemaDialect', 'tags', 'security', 'paths', 'components', 'servers', 'webhooks']);
  ajv.addSchema({ ...spec, $id: SPEC_ID });
  return { spec, operations, matchers, ajv, validators: new Map() };
}

function get(): Compiled {
  compiled ??= build();
  return compiled;
}

/** The compiled validator of the schema at a JSON pointer into the spec (compiled once). */
export function validatorFor(pointer: string): ValidateFunction {
  const c = get();
  let v = c.validators.get(pointer);
  if (!v) {
    v = c.ajv.compile({ $ref: `${SPEC_ID}${pointer}` });
    c.validators.set(pointer, v);
  }
  return v;
}

/** Every operation in the spec. */
export function specOperations(): SpecOperation[] {
  return get().operations;
}

/** The parsed spec, as the tests and /openapi.json see it. */
export function openapiSpec(): Json {
  return get().spec;
}

/** The operation a method and URL (absolute or a path) stand for, if the spec has one. */
export function findOperation(method: string, url: string): SpecOperation | undefined {
  const path = new URL(url, 'http://gateway.invalid').pathname;
  return get().matchers.find((m) => m.op.method === method.toUpperCase() && m.re.test(path))?.op;
}

function fail(message: string, body?: unknown): never {
  const shown = body === undefined ? '' : `\n  body: ${JSON.stringify(body).slice(0, 1500)}`;
  throw new AssertionError({ message: `OpenAPI: ${message}${shown}` });
}

function explain(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `\n  - ${e.instancePath || '(root)'} ${e.message ?? ''}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`).join('');
}

const mediaTypeOf = (contentType: string | null | undefined) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();

/**
 * Throws unless the response is what the spec documents for this operation and status: the
 * status listed, the content type listed, the body valid against its schema; an error body's code
 * must also be one whose HTTP status is this status. Responses from outside the gateway pass.
 */
export function checkResponse(method: string, url: string, status: number, contentType: string | null | undefined, body: unknown): void {
  const path = new URL(url, 'http://gateway.invalid').pathname;
  const op = findOperation(method, url);
  const name = op ? `${op.operationId} (${op.method} ${op.path})` : `${method.toUpperCase()} ${path}`;
  if (!op) {
    const known = get().matchers.some((m) => m.re.test(path));
    if (!known && !path.startsWith('/api/')) return; // not the gateway's (a simulator)
    if (status !== 404) fail(`${name} is not in the spec, and answered ${status} instead of 404 ROUTE_NOT_FOUND`, body);
    checkErrorBody(name, status, body, '#/components/schemas/Error');
    if ((body as { error: { code: string } }).error.code !== 'ROUTE_NOT_FOUND') fail(`${name} is not in the spec, yet answered something else than ROUTE_NOT_FOUND`, body);
    return;
  }
  const response = op.responses.get(String(status));
  if (!response) fail(`${name} answered ${status}, which the spec does not list (documented: ${[...op.responses.keys()].join(', ')})`, body);
  if (response.content.size === 0) {
    if (body !== undefined && body !== '') fail(`${name} ${status} has a body, but the spec says it has none`, body);
    return;
  }
  const type = mediaTypeOf(contentType);
  const schema = response.content.get(type);
  if (!schema) fail(`${name} ${status} answered content type '${contentType ?? ''}', the spec lists ${[...response.content.keys()].join(', ')}`, body);
  if (status >= 400 && type === 'application/json') {
    checkErrorBody(name, status, body, schema);
    return;
  }
  const validate = validatorFor(schema);
  if (!validate(body)) fail(`${name} ${status}: the body does not match the spec${explain(validate.errors)}`, body);
}

function checkErrorBody(name: string, status: number, body: unknown, schema: string): void {
  const validate = validatorFor(schema);
  if (!validate(body)) fail(`${name} ${status}: the error body does not match the spec${explain(validate.errors)}`, body);
  const code = (body as { error?: { code?: unknown } }).error?.code;
  if (isErrorCode(code) && ERROR_CODES[code].http !== status) fail(`${name} answered ${status} with ${code}, whose status is ${ERROR_CODES[code].http}`, body);
}

/** Throws unless the operation exists and takes this JSON body as valid (opt-in: for requests meant to be valid). */
export function checkRequest(method: string, url: string, body: unknown): void {
  const op = findOperation(method, url);
  const path = new URL(url, 'http://gateway.invalid').pathname;
  if (!op) fail(`${method.toUpperCase()} ${path} is not in the spec`);
  const name = `${op.operationId} (${op.method} ${op.path})`;
  if (!op.requestSchema) {
    if (body !== undefined) fail(`${name} takes no JSON body, but one was sent`, body);
    return;
  }
  const validate = validatorFor(op.requestSchema);
  if (!validate(body)) fail(`${name}: the request body does not match the spec${explain(validate.errors)}`, body);
}
