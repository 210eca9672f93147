/**
 * Zod validators compiled from an adapter's OpenAPI document, so that a simulator validates what it
 * receives against the very spec it serves (and a contract test checks answers the same way).
 * Only local `#/components/schemas/...` references are supported, which is all our specs use.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export interface SpecSchemas {
  /** The validator for `components.schemas[name]`; throws if the spec has no such schema. */
  schema(name: string): z.ZodType;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function rewriteRefs(node: Json): Json {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
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

export function loadSpecSchemas(specPath: string | URL): SpecSchemas {
  const doc = parseYaml(readFileSync(specPath, 'utf8')) as { components?: { schemas?: Record<string, Json> } };
  const defs = rewriteRefs((doc.components?.schemas ?? {}) as Json) as Record<string, Json>;
  const cache = new Map<string, z.ZodType>();
  return {
    schema(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      if (!(name in defs)) throw new Error(`the spec has no schema named ${name}`);
      const compiled = z.fromJSONSchema({ $ref: `#/$defs/${name}`, $defs: defs } as never);
      cache.set(name, compiled);
      return compiled;
    },
  };
}

/** Where each issue is, never what the value was: request bodies carry personal data. */
export function issuePaths(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.code}`).join('; ');
}
