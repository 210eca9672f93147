/**
 * The matter catalog as the gateway uses it: loaded once at start from gateway/catalog/matters.yaml
 * (or KC_CATALOG_FILE), checked whole, and then only read. A bad file stops start-up with every
 * problem listed as `file: matter: field: message`; there is no partial load.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_SCHEMA, load as loadYaml, YAMLException } from 'js-yaml';
import type { ApprovalStatus } from '../../adapters/adapter.js';
import type { District } from '../domain/district.js';
import { checkCatalog, type CatalogProblem } from './checks.js';
import { catalogFileSchema, matterSchema, type CatalogFile, type Matter, type MatterDomain } from './schema.js';

export type { Matter } from './schema.js';

export const DEFAULT_CATALOG_FILE = fileURLToPath(new URL('./matters.yaml', import.meta.url));

/** Why a matter cannot be taken in on a given day. */
export type Availability = 'open' | 'not_yet_effective' | 'withdrawn';

export interface MatterFilter {
  handlingDistrict?: District;
  domain?: MatterDomain;
  batch?: string;
  /** Only matters a window of this district may take in (handled by the other district)… */
  takenInBy?: District;
  /** …on this Beijing date (YYYY-MM-DD): effective and not withdrawn. */
  openOn?: string;
}

export interface MatterCatalog {
  /** Short hash of the file's content, shown by diagnostics. */
  readonly version: string;
  readonly batches: CatalogFile['batches'];
  get(id: string): Matter | undefined;
  list(filter?: MatterFilter): Matter[];
  availability(matter: Matter, date: string): Availability;
  /** A district system's status codes → shared statuses. */
  statuses(district: District): Readonly<Record<string, ApprovalStatus>>;
}

export class CatalogError extends Error {
  constructor(
    readonly file: string,
    readonly problems: CatalogProblem[],
  ) {
    const name = basename(file);
    const lines = problems.map((p) => `  ${name}: ${p.where}: ${p.field || '(entry)'}: ${p.message}`);
    super(`invalid matter catalog ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'CatalogError';
  }
}

function availabilityOf(matter: Matter, date: string): Availability {
  if (date < matter.effectiveFrom) return 'not_yet_effective';
  if (matter.withdrawnFrom !== undefined && date >= matter.withdrawnFrom) return 'withdrawn';
  return 'open';
}

function zodPath(path: PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** Parses and checks catalog text (YAML or JSON); throws CatalogError with every problem found. */
export function parseCatalog(text: string, file: string): MatterCatalog {
  // js-yaml rather than yaml here: it reads a 1,000-matter catalog about ten times faster, and it
  // too refuses duplicate keys. It stops at the first syntax error, which it places by line.
  let data: unknown;
  try {
    // CORE_SCHEMA: dates stay strings (no timestamp type), as the schema expects.
    data = loadYaml(text, { filename: file, schema: CORE_SCHEMA });
  } catch (err) {
    if (!(err instanceof YAMLException)) throw err;
    const where = err.mark ? `line ${err.mark.line + 1}` : 'yaml';
    const field = err.mark ? `column ${err.mark.column + 1}` : '';
    throw new CatalogError(file, [{ where, field, message: err.reason || err.message.split('\n')[0]! }]);
  }
  return catalogFromData(data, file, createHash('sha256').update(text).digest('hex').slice(0, 12));
}

/** Each matter entry against its schema; the problems of those that fail join `problems`. */
function parseMatters(raw: unknown[], problems: CatalogProblem[]): Matter[] {
  const matters: Matter[] = [];
  raw.forEach((entry, index) => {
    const parsed = matterSchema.safeParse(entry);
    if (parsed.success) {
      matters.push(parsed.data);
      return;
    }
    const id = (entry as { id?: unknown } | null)?.id;
    const where = typeof id === 'string' && id !== '' ? id : `matters[${index}]`;
    for (const i of parsed.error.issues) problems.push({ where, field: zodPath(i.path), message: i.message });
  });
  return matters;
}

/** Checks an already-parsed catalog object whole (also how tests build one without a file). */
export function catalogFromData(data: unknown, file: string, version = 'inline'): MatterCatalog {
  const problems: CatalogProblem[] = [];
  const top = catalogFileSchema.safeParse(data);
  if (!top.success) {
    for (const i of top.error.issues) problems.push({ where: 'catalog', field: zodPath(i.path), message: i.message });
    // A bad header must not hide the matters' own problems: check each entry's shape anyway.
    const raw = (data as { matters?: unknown } | null)?.matters;
    if (Array.isArray(raw)) parseMatters(raw, problems);
    throw new CatalogError(file, problems);
  }
  const matters = parseMatters(top.data.matters, problems);
  const catalog: CatalogFile = { ...top.data, matters };
  checkCatalog(catalog, (where, field, message) => problems.push({ where, field, message }));
  if (problems.length > 0) throw new CatalogError(file, problems);

  const byId = new Map(matters.map((m) => [m.id, m]));
  return {
    version,
    batches: catalog.batches,
    get: (id) => byId.get(id),
    list(filter = {}) {
      return matters.filter(
        (m) =>
          (filter.handlingDistrict === undefined || m.handlingDistrict === filter.handlingDistrict) &&
          (filter.domain === undefined || m.domain === filter.domain) &&
          (filter.batch === undefined || m.batch === filter.batch) &&
          (filter.takenInBy === undefined || m.handlingDistrict !== filter.takenInBy) &&
          (filter.openOn === undefined || availabilityOf(m, filter.openOn) === 'open'),
      );
    },
    availability: availabilityOf,
    statuses: (district) => catalog.systems[district].statuses,
  };
}

export function loadMatterCatalog(file = DEFAULT_CATALOG_FILE): MatterCatalog {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CatalogError(file, [{ where: 'file', field: '', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]);
  }
  return parseCatalog(text, file);
}
