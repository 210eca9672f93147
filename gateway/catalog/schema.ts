/**
 * The shape of the matter catalog file (gateway/catalog/matters.yaml): what each cross-city matter
 * is called and coded in both districts, its time limits and clock rules, its materials checklist
 * and its form fields with their mapping to either district's approval-system fields.
 *
 * The file is data; this schema checks each entry on its own, and ./checks.ts checks what ties
 * entries together (ids unique, promised ≤ statutory, value maps cover every option…).
 */
import { z } from 'zod';
import { APPROVAL_STATUSES } from '../../adapters/adapter.js';
import { DISTRICTS } from '../domain/district.js';

const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
  }, 'is not a real calendar date');

const text = z.string().trim().min(1, 'must not be empty');

/** Matter domains of the 2016 batches. */
export const MATTER_DOMAINS = ['company_registration', 'business_permit', 'construction'] as const;
export type MatterDomain = (typeof MATTER_DOMAINS)[number];

export const MATTER_DOMAIN_ZH: Record<MatterDomain, string> = {
  company_registration: '企业登记',
  business_permit: '经营许可',
  construction: '投资项目施工',
};

/**
 * Field types a window form can hold. Values travel as strings; the type says how to check them
 * at intake and how adapters convert them for a district system.
 */
export const FIELD_TYPES = [
  'text', // one line
  'textarea', // several lines
  'integer',
  'decimal',
  'date', // YYYY-MM-DD in the shared model
  'enum', // one of `options`
  'boolean', // 'true' | 'false'
  'mobile', // mainland mobile number
  'phone', // fixed line or mobile
  'postcode', // six digits
  'idNumber', // GB 11643-1999 resident ID
  'creditCode', // GB 32100-2015 unified social credit code
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** How a district writes dates in its approval system. */
export const DATE_FORMATS = ['yyyy-MM-dd', 'yyyyMMdd', 'yyyy/MM/dd', 'epochMillis'] as const;
export type DateFormat = (typeof DATE_FORMATS)[number];

/** Where a shared form field goes in one district's submit payload. */
const districtFieldMapSchema = z.strictObject({
  /** The district system's field name in its form data. */
  field: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier'),
  /** enum / boolean: shared value → the district's value. Must cover every option. */
  values: z.record(z.string(), z.string()).optional(),
  /** date fields: how the district writes dates. */
  dateFormat: z.enum(DATE_FORMATS).optional(),
  /** integer / decimal: the district's unit, and the factor from the shared unit (万元 → 元 is 10000). */
  unit: z.string().optional(),
  scale: z.number().positive().optional(),
  /** The JSON type the district expects (default string). */
  as: z.enum(['string', 'number', 'boolean']).optional(),
});
export type DistrictFieldMap = z.infer<typeof districtFieldMapSchema>;

const condition = z.strictObject({
  /** Another field of the same matter. */
  field: z.string(),
  /** The value that makes this item required. */
  equals: z.string(),
});
export type Condition = z.infer<typeof condition>;

const fieldSchema = z.strictObject({
  key: z.string().regex(/^[a-z][A-Za-z0-9]*$/, 'must be a camelCase identifier'),
  label: text,
  type: z.enum(FIELD_TYPES),
  required: z.boolean().default(false),
  /** Required only when another field has a given value. */
  requiredWhen: condition.optional(),
  maxLength: z.number().int().positive().optional(),
  /** A regular expression the whole value must match (text fields). */
  pattern: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  /** integer / decimal: the shared unit shown to staff (万元, 平方米, 人). */
  unit: z.string().optional(),
  /** enum: the allowed values and their labels. */
  options: z.array(z.strictObject({ value: text, label: text })).optional(),
  hint: z.string().optional(),
  map: z.strictObject({ liwan: districtFieldMapSchema, nanhai: districtFieldMapSchema }),
});
export type FormField = z.infer<typeof fieldSchema>;

const materialSchema = z.strictObject({
  /** Shared id of the material within the matter. */
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'must be a snake_case identifier'),
  name: text,
  form: z.enum(['original', 'copy']),
  copies: z.number().int().min(1).max(20),
  requirement: z.enum(['required', 'conditional']),
  /** conditional: when it is needed, in words for staff (and, if decidable from the form, requiredWhen). */
  condition: z.string().optional(),
  requiredWhen: condition.optional(),
  /** Each district system's own material code. */
  codes: z.strictObject({ liwan: text, nanhai: text }),
});
export type MaterialSpec = z.infer<typeof materialSchema>;

const districtMatterSchema = z.strictObject({
  /** The district's local matter code (its approval system's 事项编码). */
  code: text,
  /** What the district calls the matter. */
  name: text,
  /** 实施编码: the implementing body's unified social credit code followed by the catalog code. */
  implementationCode: z.string().regex(/^[0-9A-HJ-NPQRTUWXY]{18}\d{12}$/, 'must be an 18-character credit code followed by the 12-digit catalog code'),
  /** The implementing department (实施主体). */
  department: text,
});
export type DistrictMatter = z.infer<typeof districtMatterSchema>;

export const CLOCK_STARTS = ['accepted', 'materials_received'] as const;
export type ClockStart = (typeof CLOCK_STARTS)[number];

export const matterSchema = z.strictObject({
  /** Shared matter id, the same in both districts. */
  id: z.string().regex(/^KC-M-\d{4}$/, 'must look like KC-M-0001'),
  name: text,
  domain: z.enum(MATTER_DOMAINS),
  /** 基本编码 in the style of GB/T 39554.1: type (2) + main item (5) + sub-item (3) + business item (2). */
  catalogCode: z.string().regex(/^\d{12}$/, 'must be 12 digits'),
  batch: text,
  /** Not taken in before this date (Beijing). */
  effectiveFrom: calendarDate,
  /** Not taken in from this date on (Beijing). */
  withdrawnFrom: calendarDate.optional(),
  handlingDistrict: z.enum(DISTRICTS),
  applicantKind: z.enum(['person', 'company']),
  districts: z.strictObject({ liwan: districtMatterSchema, nanhai: districtMatterSchema }),
  timeLimits: z.strictObject({
    /** 法定办结时限, working days. */
    statutoryDays: z.number().int().positive(),
    /** 承诺办结时限, working days. */
    promisedDays: z.number().int().positive(),
  }),
  clock: z.strictObject({
    /** The event after which the clock starts (on the next working day). */
    startsOn: z.enum(CLOCK_STARTS),
    /** Whether days the paper spends with the courier count against the limit. */
    courierTimeCounts: z.boolean(),
  }),
  /** What the applicant receives (营业执照, 许可证…), delivered by post or at a window. */
  result: z.strictObject({ document: text }),
  materials: z.array(materialSchema).min(1, 'a matter needs at least one material'),
  fields: z.array(fieldSchema).min(1, 'a matter needs at least one form field'),
});
export type Matter = z.infer<typeof matterSchema>;

const systemSchema = z.strictObject({
  /** The district system's status codes → shared statuses. */
  statuses: z.record(z.string(), z.enum(APPROVAL_STATUSES)),
});

export const catalogFileSchema = z.strictObject({
  version: z.literal(1),
  batches: z.array(z.strictObject({ id: text, name: text, announcedOn: calendarDate })).min(1),
  systems: z.strictObject({ liwan: systemSchema, nanhai: systemSchema }),
  matters: z.array(z.unknown()),
});
export type CatalogFile = Omit<z.infer<typeof catalogFileSchema>, 'matters'> & { matters: Matter[] };
