/**
 * Who answers for a deadline: for each department of this district, the officer (承办人), the
 * section head (科室负责人) and the unit leader (单位分管领导) who receive its cards. Read once at
 * start from KC_ROUTING_FILE (YAML or JSON), checked whole: a bad file stops start-up with every
 * problem listed, never a half-loaded routing.
 *
 *   version: 1
 *   district: nanhai                     # must be the gateway's own district
 *   default:                             # for a department not listed below
 *     officer:     { staffId: NH-0001, name: 值班受理员 }
 *     sectionHead: { staffId: NH-0002 }
 *     unitLeader:  { staffId: NH-0003 }
 *   departments:
 *     佛山市南海区市场监督管理局:
 *       officer:     { staffId: NH-SCJG-0101, name: … }
 *       sectionHead: { staffId: NH-SCJG-0102 }
 *       unitLeader:  { staffId: NH-SCJG-0103 }
 *
 * Names are optional and only ever reach the webhook body and the console; logs carry staff ids.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import type { MatterCatalog } from '../catalog/catalog.js';
import { DISTRICTS, type District } from '../domain/district.js';

export const ROLES = ['officer', 'sectionHead', 'unitLeader'] as const;
export type Role = (typeof ROLES)[number];

const staffRef = z.strictObject({
  staffId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1–64 letters, digits, . _ : - (no spaces)'),
  name: z.string().trim().min(1, 'must not be empty').max(50).optional(),
});
export type StaffRef = z.infer<typeof staffRef>;

const routeSchema = z.strictObject({ officer: staffRef, sectionHead: staffRef, unitLeader: staffRef });
export type Route = z.infer<typeof routeSchema>;

const routingFileSchema = z.strictObject({
  version: z.literal(1),
  district: z.enum(DISTRICTS),
  default: routeSchema,
  departments: z.record(z.string().trim().min(1, 'a department name must not be empty'), routeSchema).default({}),
});
export type RoutingFile = z.infer<typeof routingFileSchema>;

export interface RoutingProblem {
  /** `line 3`, `departments.佛山市南海区市场监督管理局.officer.staffId`, … */
  where: string;
  message: string;
}

export class RoutingError extends Error {
  constructor(
    readonly file: string,
    readonly problems: RoutingProblem[],
  ) {
    const lines = problems.map((p) => `  ${basename(file)}: ${p.where}: ${p.message}`);
    super(`invalid routing file ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`);
    this.name = 'RoutingError';
  }
}

export type RouteSource = 'department' | 'default' | 'none';

export interface Routing {
  /** The file it came from; undefined when no routing file is configured. */
  readonly file: string | undefined;
  /** The route for a department: its own, the default, or none at all (no routing file). */
  routeFor(department: string): { route: Route | undefined; source: RouteSource };
}

/** No routing file: cards still reach the console and the log, addressed to no one. */
export const NO_ROUTING: Routing = { file: undefined, routeFor: () => ({ route: undefined, source: 'none' }) };

export interface RoutingOptions {
  /** The gateway's district: the file must be written for it. */
  district: District;
  /** When given, departments are compared with the ones this district's matters name (warnings). */
  catalog?: MatterCatalog;
}

export interface LoadedRouting {
  routing: Routing;
  /** Worth a log line, not a refusal to start (a department no matter names, one with no route). */
  warnings: string[];
}

function zodPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') || '(file)';
}

/** Parses and checks routing text (YAML or JSON); throws RoutingError with every problem found. */
export function parseRouting(text: string, file: string, opts: RoutingOptions): LoadedRouting {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new RoutingError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { where: `line ${line}, column ${col}`, message: e.message.split('\n')[0]! };
      }),
    );
  }
  return routingFromData(doc.toJS(), file, opts);
}

export function routingFromData(data: unknown, file: string, opts: RoutingOptions): LoadedRouting {
  const parsed = routingFileSchema.safeParse(data);
  const problems: RoutingProblem[] = parsed.success ? [] : parsed.error.issues.map((i) => ({ where: zodPath(i.path), message: i.message }));
  if (!parsed.success) throw new RoutingError(file, problems);
  const value = parsed.data;
  if (value.district !== opts.district) {
    problems.push({ where: 'district', message: `is ${value.district}, but this gateway serves ${opts.district}` });
  }
  // One person, one name: two different names for a staff id is a typo somewhere.
  const names = new Map<string, { name: string; where: string }>();
  const routes: [string, Route][] = [['default', value.default], ...Object.entries(value.departments).map(([d, r]): [string, Route] => [`departments.${d}`, r])];
  for (const [where, route] of routes) {
    for (const role of ROLES) {
      const { staffId, name } = route[role];
      if (name === undefined) continue;
      const seen = names.get(staffId);
      if (seen && seen.name !== name) problems.push({ where: `${where}.${role}.name`, message: `staff ${staffId} is named differently at ${seen.where}` });
      else if (!seen) names.set(staffId, { name, where: `${where}.${role}` });
    }
  }
  if (problems.length > 0) throw new RoutingError(file, problems);

  const warnings: string[] = [];
  if (opts.catalog) {
    const known = new Set(opts.catalog.list({ handlingDistrict: opts.district }).map((m) => m.districts[opts.district].department));
    for (const department of Object.keys(value.departments)) {
      if (!known.has(department)) warnings.push(`department ${department} handles no matter of ${opts.district} in the catalog`);
    }
    for (const department of known) {
      if (!(department in value.departments)) warnings.push(`department ${department} has no route of its own; its cards go to the default route`);
    }
  }
  const departments = new Map(Object.entries(value.departments));
  return {
    routing: {
      file,
      routeFor(department) {
        const own = departments.get(department);
        return own ? { route: own, source: 'department' } : { route: value.default, source: 'default' };
      },
    },
    warnings,
  };
}

/** Reads KC_ROUTING_FILE; without one, NO_ROUTING (and a warning). */
export function loadRouting(file: string | undefined, opts: RoutingOptions): LoadedRouting {
  if (file === undefined) {
    return { routing: NO_ROUTING, warnings: ['KC_ROUTING_FILE is not set: cards reach the console and the log, addressed to no officer'] };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new RoutingError(file, [{ where: '(file)', message: `cannot be read: ${(err as Error).message}` }]);
  }
  return parseRouting(text, file, opts);
}
