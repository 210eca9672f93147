/**
 * The matters this gateway may take in or handle. Loaded once at start from data
 * (gateway/catalog/matters.json); the catalog issue replaces the loader with a schema-validated one.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DISTRICTS, type District } from './district.js';

const matterSchema = z.object({
  id: z.string().regex(/^KC-M-\d{4}$/),
  name: z.string().min(1),
  domain: z.string().min(1),
  handlingDistrict: z.enum(DISTRICTS),
  localCodes: z.object({ liwan: z.string().min(1), nanhai: z.string().min(1) }),
  promisedDays: z.number().int().positive(),
  statutoryDays: z.number().int().positive(),
  applicantKind: z.enum(['person', 'company']),
  formFields: z.array(z.object({ key: z.string().min(1), label: z.string().min(1), required: z.boolean() })),
  materials: z.array(z.object({ name: z.string().min(1), form: z.enum(['original', 'copy']), copies: z.number().int().positive() })),
});

export type Matter = z.infer<typeof matterSchema>;

export interface MatterCatalog {
  get(id: string): Matter | undefined;
  list(): Matter[];
}

const defaultFile = fileURLToPath(new URL('../catalog/matters.json', import.meta.url));

export function loadMatterCatalog(file = defaultFile): MatterCatalog {
  const parsed = z.object({ matters: z.array(matterSchema) }).safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid matter catalog:\n${problems.join('\n')}`);
  }
  const byId = new Map(parsed.data.matters.map((m) => [m.id, m]));
  return { get: (id) => byId.get(id), list: () => [...byId.values()] };
}

export function handledBy(matter: Matter): District {
  return matter.handlingDistrict;
}
