/**
 * GET /openapi.json: the REST API's own description (gateway/rest/openapi.yaml), read and parsed
 * once when the app is built — a missing or broken file stops the gateway at start, not a caller
 * later — and served as JSON. Public: it says what the API is, nothing about any case.
 */
import { Router } from 'express';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export const OPENAPI_FILE = new URL('./openapi.yaml', import.meta.url);

/** The spec as a plain object (tests read it the same way). */
export function loadOpenApi(file: URL | string = OPENAPI_FILE): Record<string, unknown> {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  if (doc === null || typeof doc !== 'object' || (doc as { openapi?: unknown }).openapi !== '3.1.0') {
    throw new Error(`${String(file)} is not an OpenAPI 3.1.0 document`);
  }
  return doc as Record<string, unknown>;
}

export function openapiRoute(): Router {
  const router = Router();
  const body = JSON.stringify(loadOpenApi());
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').type('application/json; charset=utf-8').send(body);
  });
  return router;
}
