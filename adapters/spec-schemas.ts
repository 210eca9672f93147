/**
 * Zod validators compiled from an adapter's OpenAPI document, so that a simulator validates what it
 * receives against the very spec it serves, and a contract test checks each request and answer of an
 * operation the same way. Only local `#/components/...` references are supported, which is all our
 * specs use.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface SpecParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: z.ZodType;
}

/** One operation of the spec, found by method and concrete path. */
export interface SpecOperation {
  operationId: string;
  method: string;
  /** The path template, e.g. `/lw/api/v2/applications/{slbh}`. */
  path: string;
  /** Values of the template's path parameters in the concrete path. */
  pathParams: Record<string, string>;
  parameters: SpecParameter[];
  /** The JSON request body's validator, when the operation takes one. */
  requestBody?: z.ZodType;
  /** Status codes the spec documents (as written: '200', '4XX', 'default'…). */
  responseStatuses: string[];
  /** The JSON body validator of the answer with this status; undefined when the spec does not document it. */
  response(status: number): z.ZodType | undefined;
}

export interface SpecSchemas {
  /** The validator for `components.schemas[name]`; throws if the spec has no such schema. */
  schema(name: string): z.ZodType;
  /** The operation serving `method` on `pathname` (no query string); undefined when there is none. */
  operation(method: string, pathname: string): SpecOperation | undefined;
  /** operationIds of every path operation, in document order. */
  operationIds(): string[];
}

function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/components/schemas/')) {
      out[key] = `#/$defs/${value.slice('#/components/schemas/'.length)}`;
    } else if (key === 'examples' || key === 'description') {
      // annotations only; dropped so they cannot trip the converter
    } else {
      out[key] = rewriteRefs(value);
    }
  }
  return out;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function loadSpecSchemas(specPath: string | URL): SpecSchemas {
  const doc = parseYaml(readFileSync(specPath, 'utf8')) as {
    paths?: Record<string, Record<string, JsonObject>>;
    components?: { schemas?: Record<string, Json>; responses?: Record<string, JsonObject>; parameters?: Record<string, JsonObject> };
  };
  const defs = rewriteRefs((doc.components?.schemas ?? {}) as Json) as Record<string, Json>;
  const cache = new Map<string, z.ZodType>();

  const compile = (schema: Json): z.ZodType => z.fromJSONSchema({ ...(rewriteRefs(schema) as JsonObject), $defs: defs } as never);

  /** Follows one `#/components/<kind>/<name>` reference. */
  function deref(node: JsonObject, kind: 'responses' | 'parameters'): JsonObject {
    const ref = node['$ref'];
    if (typeof ref !== 'string') return node;
    const prefix = `#/components/${kind}/`;
    const target = ref.startsWith(prefix) ? doc.components?.[kind]?.[ref.slice(prefix.length)] : undefined;
    if (!target) throw new Error(`the spec has no ${ref}`);
    return target;
  }

  function jsonSchemaOf(holder: JsonObject | undefined): Json | undefined {
    const content = holder?.['content'] as JsonObject | undefined;
    const json = content?.['application/json'] as JsonObject | undefined;
    return json?.['schema'];
  }

  interface Compiled {
    operationId: string;
    method: string;
    path: string;
    pattern: RegExp;
    names: string[];
    parameters: SpecParameter[];
    requestBody?: z.ZodType;
    responses: Map<string, z.ZodType | undefined>;
  }

  const operations: Compiled[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return escapeRegExp(part);
          names.push(m[1]!);
          return '([^/]+)';
        })
        .join('')}$`,
    );
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const parameters = ((op['parameters'] as JsonObject[] | undefined) ?? []).map((p) => {
        const param = deref(p, 'parameters');
        return {
          name: String(param['name']),
          in: param['in'] as SpecParameter['in'],
          required: param['required'] === true,
          schema: compile(param['schema'] ?? {}),
        };
      });
      const body = jsonSchemaOf(op['requestBody'] as JsonObject | undefined);
      const responses = new Map<string, z.ZodType | undefined>();
      for (const [status, response] of Object.entries((op['responses'] as JsonObject | undefined) ?? {})) {
        const schema = jsonSchemaOf(deref(response as JsonObject, 'responses'));
        responses.set(status, schema === undefined ? undefined : compile(schema));
      }
      const compiled: Compiled = { operationId: String(op['operationId']), method: method.toUpperCase(), path, pattern, names, parameters, responses };
      if (body !== undefined) compiled.requestBody = compile(body);
      operations.push(compiled);
    }
  }
  // A literal segment wins over a template (`/case/submit` before `/case/{caseId}`).
  const ordered = [...operations].sort((a, b) => a.names.length - b.names.length);

  return {
    schema(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      if (!(name in defs)) throw new Error(`the spec has no schema named ${name}`);
      const compiled = z.fromJSONSchema({ $ref: `#/$defs/${name}`, $defs: defs } as never);
      cache.set(name, compiled);
      return compiled;
    },
    operation(method, pathname) {
      const wanted = method.toUpperCase();
      for (const op of ordered) {
        if (op.method !== wanted) continue;
        const m = op.pattern.exec(pathname);
        if (!m) continue;
        const pathParams: Record<string, string> = {};
        op.names.forEach((name, i) => (pathParams[name] = decodeURIComponent(m[i + 1]!)));
        const found: SpecOperation = {
          operationId: op.operationId,
          method: op.method,
          path: op.path,
          pathParams,
          parameters: op.parameters,
          responseStatuses: [...op.responses.keys()],
          response(status) {
            const exact = op.responses.get(String(status));
            if (exact !== undefined || op.responses.has(String(status))) return exact;
            return op.responses.get(`${String(status)[0]}XX`) ?? op.responses.get('default');
          },
        };
        if (op.requestBody) found.requestBody = op.requestBody;
        return found;
      }
      return undefined;
    },
    operationIds: () => operations.map((op) => op.operationId),
  };
}

/** Where each issue is, never what the value was: request bodies carry personal data. */
export function issuePaths(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.code}`).join('; ');
}
