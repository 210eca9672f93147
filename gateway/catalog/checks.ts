/**
 * What ties catalog entries together, beyond each entry's own shape: unique ids and codes, promised
 * within statutory limits, value maps that cover every option, conditions that point at real fields.
 * Every check adds to one problem list, so a bad catalog is reported whole.
 */
import { APPROVAL_STATUSES } from '../../adapters/adapter.js';
import { DISTRICTS, type District } from '../domain/district.js';
import { isValidCreditCode } from '../intake/identifiers.js';
import type { CatalogFile, Condition, DistrictFieldMap, FormField, Matter } from './schema.js';

export interface CatalogProblem {
  /** Matter id, `matters[3]` when the id itself is unusable, or a top-level section. */
  where: string;
  /** Dotted path inside it. */
  field: string;
  message: string;
}

type Report = (field: string, message: string) => void;

const NUMERIC = new Set<FormField['type']>(['integer', 'decimal']);
const TEXTUAL = new Set<FormField['type']>(['text', 'textarea']);
const CHOICE = new Set<FormField['type']>(['enum', 'boolean']);

/** Administrative division codes (GB/T 2260) that each district's departments are registered in. */
const DIVISION: Record<District, string> = { liwan: '440103', nanhai: '440605' };

function optionValues(field: FormField): string[] {
  if (field.type === 'boolean') return ['true', 'false'];
  return (field.options ?? []).map((o) => o.value);
}

function checkCondition(cond: Condition, path: string, fields: Map<string, FormField>, report: Report): void {
  const target = fields.get(cond.field);
  if (!target) return report(`${path}.field`, `refers to "${cond.field}", which is not a field of this matter`);
  if (!CHOICE.has(target.type)) return report(`${path}.field`, `"${cond.field}" must be an enum or boolean field to be a condition`);
  if (!optionValues(target).includes(cond.equals)) report(`${path}.equals`, `"${cond.equals}" is not an option of ${cond.field}`);
}

function checkField(field: FormField, i: number, fields: Map<string, FormField>, report: Report): void {
  const at = `fields[${i}](${field.key})`;
  if (field.type === 'enum') {
    const values = optionValues(field);
    if (values.length === 0) report(`${at}.options`, 'an enum field needs options');
    if (new Set(values).size !== values.length) report(`${at}.options`, 'option values must be unique');
  } else if (field.options) {
    report(`${at}.options`, `options are only for enum fields, not ${field.type}`);
  }
  if (!NUMERIC.has(field.type) && (field.min !== undefined || field.max !== undefined || field.unit !== undefined)) {
    report(at, `min, max and unit are only for integer and decimal fields, not ${field.type}`);
  }
  if (field.min !== undefined && field.max !== undefined && field.min > field.max) report(`${at}.min`, `min (${field.min}) is above max (${field.max})`);
  if (!TEXTUAL.has(field.type) && (field.maxLength !== undefined || field.pattern !== undefined)) {
    report(at, `maxLength and pattern are only for text and textarea fields, not ${field.type}`);
  }
  if (field.pattern !== undefined) {
    try {
      new RegExp(field.pattern, 'u');
    } catch {
      report(`${at}.pattern`, 'is not a valid regular expression');
    }
  }
  if (field.required && field.requiredWhen) report(`${at}.requiredWhen`, 'a required field cannot also be conditional');
  if (field.requiredWhen) {
    if (field.requiredWhen.field === field.key) report(`${at}.requiredWhen.field`, 'a field cannot depend on itself');
    else checkCondition(field.requiredWhen, `${at}.requiredWhen`, fields, report);
  }
  for (const d of DISTRICTS) {
    const map = field.map[d];
    const mp = `${at}.map.${d}`;
    if (CHOICE.has(field.type)) {
      const values = optionValues(field);
      const missing = values.filter((v) => map.values?.[v] === undefined);
      if (missing.length > 0) report(`${mp}.values`, `no district value for ${missing.join(', ')}`);
      const extra = Object.keys(map.values ?? {}).filter((v) => !values.includes(v));
      if (extra.length > 0) report(`${mp}.values`, `maps values that are not options: ${extra.join(', ')}`);
      const targets = Object.values(map.values ?? {});
      if (new Set(targets).size !== targets.length) report(`${mp}.values`, 'two options map to the same district value');
    } else if (map.values) {
      report(`${mp}.values`, `value maps are only for enum and boolean fields, not ${field.type}`);
    }
    if (map.dateFormat && field.type !== 'date') report(`${mp}.dateFormat`, `only date fields have a date format, not ${field.type}`);
    if (map.scale !== undefined && !NUMERIC.has(field.type)) report(`${mp}.scale`, `only integer and decimal fields can be scaled, not ${field.type}`);
    if (map.unit !== undefined && !NUMERIC.has(field.type)) report(`${mp}.unit`, `only integer and decimal fields have a unit, not ${field.type}`);
    if (NUMERIC.has(field.type)) checkUnit(field, map, mp, report);
    checkAs(field, map, mp, report);
  }
}

/** A district unit other than the shared one needs its factor, and a factor needs its unit. */
function checkUnit(field: FormField, map: DistrictFieldMap, mp: string, report: Report): void {
  if (map.scale !== undefined && map.unit === undefined) return report(`${mp}.unit`, 'a scaled value needs the district unit it is scaled to');
  if (field.unit === undefined || map.unit === undefined) return;
  if (map.unit !== field.unit && map.scale === undefined) report(`${mp}.scale`, `the district unit ${map.unit} differs from the shared unit ${field.unit}: give the factor`);
  if (map.unit === field.unit && map.scale !== undefined && map.scale !== 1) report(`${mp}.scale`, `the district unit is the shared unit ${field.unit}: a factor would change the value`);
}

/** `as` converts the value the adapter sends; it must suit what the field holds. */
function checkAs(field: FormField, map: DistrictFieldMap, mp: string, report: Report): void {
  const values = Object.values(map.values ?? {});
  if (map.as === 'boolean' && !(field.type === 'boolean' && values.every((v) => v === 'true' || v === 'false'))) {
    report(`${mp}.as`, 'as: boolean needs a boolean field whose district values are "true" and "false"');
  }
  if (map.as === 'number') {
    const numeric =
      NUMERIC.has(field.type) ||
      (field.type === 'date' && map.dateFormat === 'epochMillis') ||
      (CHOICE.has(field.type) && values.length > 0 && values.every((v) => v.trim() !== '' && Number.isFinite(Number(v))));
    if (!numeric) report(`${mp}.as`, `as: number needs a number field, an epochMillis date or numeric district values, not this ${field.type} field`);
  }
}

function checkUnique<T>(items: T[], key: (t: T) => string, path: (t: T, i: number) => string, what: string, report: Report): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) report(path(item, i), `${what} "${k}" is used twice (also at index ${first})`);
    else seen.set(k, i);
  });
}

/** `batches`: batch id → the date it was announced. */
function checkMatter(m: Matter, batches: Map<string, string>, report: Report): void {
  if (m.timeLimits.promisedDays > m.timeLimits.statutoryDays) {
    report('timeLimits.promisedDays', `promised (${m.timeLimits.promisedDays}) must not exceed statutory (${m.timeLimits.statutoryDays}) working days`);
  }
  const announced = batches.get(m.batch);
  if (announced === undefined) report('batch', `"${m.batch}" is not one of the batches (${[...batches.keys()].join(', ')})`);
  else if (m.effectiveFrom < announced) report('effectiveFrom', `must not be before batch ${m.batch} was announced (${announced})`);
  if (m.withdrawnFrom !== undefined && m.withdrawnFrom <= m.effectiveFrom) {
    report('withdrawnFrom', `must be after effectiveFrom (${m.effectiveFrom})`);
  }
  for (const d of DISTRICTS) {
    const code = m.districts[d].implementationCode;
    if (!isValidCreditCode(code.slice(0, 18))) report(`districts.${d}.implementationCode`, 'the first 18 characters are not a valid unified social credit code (GB 32100-2015 check character)');
    if (code.slice(2, 8) !== DIVISION[d]) report(`districts.${d}.implementationCode`, `a ${d} department is registered in division ${DIVISION[d]}, not ${code.slice(2, 8)}`);
    if (code.slice(18) !== m.catalogCode) report(`districts.${d}.implementationCode`, `must end with the catalog code ${m.catalogCode}`);
  }

  const fields = new Map(m.fields.map((f) => [f.key, f]));
  checkUnique(m.fields, (f) => f.key, (_, i) => `fields[${i}].key`, 'field key', report);
  for (const d of DISTRICTS) {
    checkUnique(m.fields, (f) => f.map[d].field, (f, i) => `fields[${i}](${f.key}).map.${d}.field`, `${d} field name`, report);
  }
  m.fields.forEach((f, i) => checkField(f, i, fields, report));

  checkUnique(m.materials, (x) => x.id, (_, i) => `materials[${i}].id`, 'material id', report);
  checkUnique(m.materials, (x) => x.name, (_, i) => `materials[${i}].name`, 'material name', report);
  for (const d of DISTRICTS) {
    checkUnique(m.materials, (x) => x.codes[d], (_, i) => `materials[${i}].codes.${d}`, `${d} material code`, report);
  }
  m.materials.forEach((x, i) => {
    const at = `materials[${i}](${x.id})`;
    if (x.requirement === 'conditional' && !x.condition) report(`${at}.condition`, 'a conditional material needs its condition in words for staff');
    if (x.requirement === 'required' && (x.condition || x.requiredWhen)) report(at, 'a required material has no condition');
    if (x.requiredWhen) checkCondition(x.requiredWhen, `${at}.requiredWhen`, fields, report);
  });
}

/** Checks across the whole file; `report(where, field, message)` collects the problems. */
export function checkCatalog(file: CatalogFile, report: (where: string, field: string, message: string) => void): void {
  for (const d of DISTRICTS) {
    const covered = new Set(Object.values(file.systems[d].statuses));
    const missing = APPROVAL_STATUSES.filter((s) => !covered.has(s));
    if (missing.length > 0) report('systems', `${d}.statuses`, `no ${d} status code for ${missing.join(', ')}`);
  }
  checkUnique(file.batches, (b) => b.id, (_, i) => `batches[${i}].id`, 'batch id', (field, message) => report('batches', field, message));
  const batches = new Map(file.batches.map((b) => [b.id, b.announcedOn]));

  const byMatter = (m: Matter): Report => (field, message) => report(m.id, field, message);
  checkUnique(file.matters, (m) => m.id, (_, i) => `matters[${i}].id`, 'matter id', (field, message) => report('matters', field, message));
  checkUnique(file.matters, (m) => m.catalogCode, (m) => `${m.id}.catalogCode`, 'catalog code', (field, message) => report('matters', field, message));
  for (const d of DISTRICTS) {
    checkUnique(file.matters, (m) => m.districts[d].code, (m) => `${m.id}.districts.${d}.code`, `${d} local matter code`, (field, message) => report('matters', field, message));
  }
  for (const d of DISTRICTS) checkDepartments(file.matters, d, report);
  for (const m of file.matters) checkMatter(m, batches, byMatter(m));
}

/** One department, one credit code: the first matter naming a department or a code fixes the pair. */
function checkDepartments(matters: Matter[], d: District, report: (where: string, field: string, message: string) => void): void {
  const codeOf = new Map<string, { code: string; id: string }>();
  const departmentOf = new Map<string, { department: string; id: string }>();
  for (const m of matters) {
    const { department, implementationCode } = m.districts[d];
    const code = implementationCode.slice(0, 18);
    const known = codeOf.get(department);
    if (known === undefined) codeOf.set(department, { code, id: m.id });
    else if (known.code !== code) report(m.id, `districts.${d}.implementationCode`, `${department} has the credit code ${known.code} (as in ${known.id}), not ${code}`);
    const owner = departmentOf.get(code);
    if (owner === undefined) departmentOf.set(code, { department, id: m.id });
    else if (owner.department !== department) report(m.id, `districts.${d}.department`, `the credit code ${code} belongs to ${owner.department} (as in ${owner.id})`);
  }
}
