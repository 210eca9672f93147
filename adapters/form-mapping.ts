/**
 * Catalog-driven translation between the shared application and one district system's payload:
 * form fields by the catalog's field maps (names, value maps, date formats, units, JSON types),
 * materials by the catalog's material codes, status codes by the catalog's status tables. Both
 * adapters (and both simulators, to check what they receive) use it; what differs between the
 * districts is data in the catalog, not code here.
 *
 * Error messages name fields and codes, never values: form values are personal data.
 */
import type { FormValues, Material } from '../gateway/domain/application.js';
import type { District } from '../gateway/domain/district.js';
import type { DateFormat, DistrictFieldMap, FormField, Matter } from '../gateway/catalog/schema.js';
import { AdapterError, DECISION_STATUSES, type ApprovalStatus } from './adapter.js';

export type DistrictValue = string | number | boolean;
export type Decision = (typeof DECISION_STATUSES)[number];

const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const INTEGER_RE = /^-?\d+$/;
const DECIMAL_RE = /^-?\d+(\.\d+)?$/;

/** Midnight in Beijing of a real calendar date YYYY-MM-DD, or undefined (2024-02-30 is not one). */
export function beijingMidnight(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const utc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (!new Date(utc).toISOString().startsWith(date)) return undefined;
  return utc - BEIJING_OFFSET_MS;
}

/** A shared date as a district writes it. `date` must be a real YYYY-MM-DD. */
export function formatDate(date: string, format: DateFormat): string | number {
  const [y, m, d] = date.split('-');
  switch (format) {
    case 'yyyy-MM-dd':
      return date;
    case 'yyyyMMdd':
      return `${y}${m}${d}`;
    case 'yyyy/MM/dd':
      return `${y}/${m}/${d}`;
    case 'epochMillis':
      return beijingMidnight(date)!;
  }
}

/** What a district's date looks like on the wire (for checking what a system receives). */
export function isDistrictDate(value: DistrictValue, format: DateFormat): boolean {
  switch (format) {
    case 'yyyy-MM-dd':
      return typeof value === 'string' && beijingMidnight(value) !== undefined;
    case 'yyyyMMdd':
      return typeof value === 'string' && /^\d{8}$/.test(value) && beijingMidnight(`${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}`) !== undefined;
    case 'yyyy/MM/dd':
      return typeof value === 'string' && /^\d{4}\/\d{2}\/\d{2}$/.test(value) && beijingMidnight(value.replaceAll('/', '-')) !== undefined;
    case 'epochMillis': {
      const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
      // Midnight in Beijing: 16:00 UTC of the day before.
      return Number.isSafeInteger(n) && (n + BEIJING_OFFSET_MS) % 86_400_000 === 0;
    }
  }
}

function refused(system: string, operation: string, why: string): AdapterError {
  return new AdapterError('APPROVAL_REJECTED_REQUEST', `${system} ${operation}: ${why}`);
}

/** The JSON type a district field takes (the catalog's `as`, default string). */
export function jsonTypeOf(map: DistrictFieldMap): 'string' | 'number' | 'boolean' {
  return map.as ?? 'string';
}

/** The district value a shared enum / boolean value maps to; undefined when the map has none. */
export function mappedValue(map: DistrictFieldMap, value: string): string | undefined {
  return map.values !== undefined && Object.hasOwn(map.values, value) ? map.values[value] : undefined;
}

/**
 * Converts a value already in the district's vocabulary to the JSON type the district expects,
 * or returns undefined when it cannot be (a catalog whose `as` does not fit its values).
 */
function asJsonType(value: string | number, map: DistrictFieldMap): DistrictValue | undefined {
  switch (jsonTypeOf(map)) {
    case 'string':
      return String(value);
    case 'number': {
      if (typeof value === 'number') return value;
      return DECIMAL_RE.test(value) ? Number(value) : undefined;
    }
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : undefined;
  }
}

/** One shared form value (a string, trimmed) as the district system wants it. */
export function toDistrictValue(system: string, field: FormField, map: DistrictFieldMap, value: string, operation = 'submit'): DistrictValue {
  let out: string | number = value;
  switch (field.type) {
    case 'enum':
    case 'boolean': {
      const mapped = mappedValue(map, value);
      if (mapped === undefined) throw refused(system, operation, `${field.key}: the value is not an option the catalog maps to ${map.field}`);
      out = mapped;
      break;
    }
    case 'date':
      if (beijingMidnight(value) === undefined) throw refused(system, operation, `${field.key} is not a calendar date YYYY-MM-DD`);
      out = formatDate(value, map.dateFormat ?? 'yyyy-MM-dd');
      break;
    case 'integer':
    case 'decimal': {
      if (!(field.type === 'integer' ? INTEGER_RE : DECIMAL_RE).test(value)) {
        throw refused(system, operation, `${field.key} is not ${field.type === 'integer' ? 'an integer' : 'a decimal number'}`);
      }
      const n = Number(value);
      // Round away binary noise from the unit conversion (万元 × 10000 → 元).
      out = map.scale === undefined ? n : Math.round(n * map.scale * 1e6) / 1e6;
      break;
    }
    default:
      break;
  }
  const typed = asJsonType(out, map);
  if (typed === undefined) {
    throw refused(system, operation, `catalog maps ${field.key} to ${map.field} as ${jsonTypeOf(map)}, which its value cannot be`);
  }
  return typed;
}

/**
 * The shared form as the district's form data: only filled fields, under the district's names.
 * A key the catalog does not know for the matter is UNKNOWN_FIELD (it would be lost otherwise).
 */
export function toDistrictForm(system: string, matter: Matter, district: District, form: FormValues): Record<string, DistrictValue> {
  const known = new Set(matter.fields.map((f) => f.key));
  const unknown = Object.keys(form).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new AdapterError('UNKNOWN_FIELD', `${system} submit: form field(s) ${unknown.join(', ')} are not in the catalog for ${matter.id}`);
  }
  const out: Record<string, DistrictValue> = {};
  for (const field of matter.fields) {
    const value = Object.hasOwn(form, field.key) ? form[field.key] : undefined;
    if (value === undefined || value.trim() === '') continue;
    const map = field.map[district];
    out[map.field] = toDistrictValue(system, field, map, value.trim());
  }
  return out;
}

export interface DistrictMaterial {
  code: string;
  name: string;
  form: Material['form'];
  copies: number;
}

/** Materials with the district's material codes; a material not on the checklist cannot be filed. */
export function toDistrictMaterials(system: string, matter: Matter, district: District, materials: Material[], operation = 'submit'): DistrictMaterial[] {
  const byName = new Map(matter.materials.map((m) => [m.name, m]));
  return materials.map((m, i) => {
    const spec = byName.get(m.name);
    if (!spec) throw refused(system, operation, `materials[${i}] is not on the checklist of ${matter.id}`);
    if (!Number.isInteger(m.copies) || m.copies < 1) throw refused(system, operation, `materials[${i}] (${spec.id}) needs a whole number of copies ≥ 1`);
    return { code: spec.codes[district], name: m.name, form: m.form, copies: m.copies };
  });
}

/** The district's own code for a matter it handles; a matter handled elsewhere is refused locally. */
export function localMatterCode(system: string, matter: Matter, district: District): string {
  if (matter.handlingDistrict !== district) {
    throw refused(system, 'submit', `${matter.id} is handled by ${matter.handlingDistrict}, not by this system`);
  }
  return matter.districts[district].code;
}

/** The shared status of a district status code, or UNKNOWN_STATUS naming where it came from. */
export function statusFromCode(system: string, statuses: Readonly<Record<string, ApprovalStatus>>, code: string, where: string): ApprovalStatus {
  const status = Object.hasOwn(statuses, code) ? statuses[code] : undefined;
  if (status === undefined) throw new AdapterError('UNKNOWN_STATUS', `${system}: unknown status code "${code}" (${where})`);
  return status;
}

/** A decision from a result record: the code must be known and must be approved / rejected. */
export function decisionFromCode(system: string, statuses: Readonly<Record<string, ApprovalStatus>>, code: string, where: string): Decision {
  const status = statusFromCode(system, statuses, code, where);
  if (!(DECISION_STATUSES as readonly string[]).includes(status)) {
    throw new AdapterError('APPROVAL_BAD_RESPONSE', `${system}: status code "${code}" (${status}) is not a decision (${where})`);
  }
  return status as Decision;
}

/**
 * What a district system would find wrong with the form data it received for a matter: field names
 * it does not know, JSON types, values outside the value map, date shapes, missing required fields.
 * Names only, never values. Used by the simulators and by tests; an empty list means it fits.
 */
export function districtFormProblems(matter: Matter, district: District, data: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const byName = new Map(matter.fields.map((f) => [f.map[district].field, f]));
  for (const [name, value] of Object.entries(data)) {
    const field = byName.get(name);
    if (!field) {
      problems.push(`${name}: not a field of ${matter.districts[district].code}`);
      continue;
    }
    const map = field.map[district];
    const type = jsonTypeOf(map);
    if (typeof value !== type) {
      problems.push(`${name}: must be a ${type}`);
      continue;
    }
    const v = value as DistrictValue;
    if (map.values !== undefined && !Object.values(map.values).some((allowed) => asJsonType(allowed, map) === v)) {
      problems.push(`${name}: not one of the field's values`);
    } else if (field.type === 'date' && !isDistrictDate(v, map.dateFormat ?? 'yyyy-MM-dd')) {
      problems.push(`${name}: not a date ${map.dateFormat ?? 'yyyy-MM-dd'}`);
    } else if ((field.type === 'integer' || field.type === 'decimal') && type === 'string' && !DECIMAL_RE.test(String(v))) {
      problems.push(`${name}: not a number`);
    } else if (type === 'string' && String(v).trim() === '') {
      problems.push(`${name}: empty`);
    }
  }
  for (const field of matter.fields) {
    const name = field.map[district].field;
    if (Object.hasOwn(data, name)) continue;
    if (field.required) {
      problems.push(`${name}: required`);
    } else if (field.requiredWhen) {
      const cond = matter.fields.find((f) => f.key === field.requiredWhen!.field);
      if (!cond) continue;
      const condMap = cond.map[district];
      const trigger = mappedValue(condMap, field.requiredWhen.equals) ?? field.requiredWhen.equals;
      const triggerValue = asJsonType(trigger, condMap);
      if (triggerValue !== undefined && data[condMap.field] === triggerValue) problems.push(`${name}: required when ${condMap.field} has that value`);
    }
  }
  return problems;
}

/**
 * What in a matter's district maps cannot work for an adapter: an `as` the mapped values or the
 * date format cannot take, a value map on a `number` field with non-numeric values… The catalog's
 * own checks (gateway/catalog/checks.ts) can call this to refuse such a catalog at start-up.
 */
export function districtMappingProblems(matter: Matter): Array<{ field: string; message: string }> {
  const problems: Array<{ field: string; message: string }> = [];
  matter.fields.forEach((field, i) => {
    for (const district of ['liwan', 'nanhai'] as const) {
      const map = field.map[district];
      const at = `fields[${i}](${field.key}).map.${district}`;
      const type = jsonTypeOf(map);
      for (const [shared, value] of Object.entries(map.values ?? {})) {
        if (asJsonType(value, map) === undefined) problems.push({ field: `${at}.values.${shared}`, message: `"${value}" cannot be sent as a ${type}` });
      }
      if (field.type === 'date') {
        const format = map.dateFormat ?? 'yyyy-MM-dd';
        if (type === 'boolean') problems.push({ field: `${at}.as`, message: 'a date cannot be sent as a boolean' });
        if (type === 'number' && (format === 'yyyy-MM-dd' || format === 'yyyy/MM/dd')) {
          problems.push({ field: `${at}.as`, message: `a ${format} date cannot be sent as a number` });
        }
      }
      if ((field.type === 'integer' || field.type === 'decimal') && type === 'boolean') {
        problems.push({ field: `${at}.as`, message: 'a number cannot be sent as a boolean' });
      }
      if (!['enum', 'boolean', 'date', 'integer', 'decimal'].includes(field.type) && type !== 'string') {
        problems.push({ field: `${at}.as`, message: `a ${field.type} field must be sent as a string (leading zeros, letters)` });
      }
    }
  });
  return problems;
}
