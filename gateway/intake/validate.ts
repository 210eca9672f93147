/**
 * Intake validation at the origin window: everything is checked before anything is stored, and
 * every problem is reported at once (一次性告知), each naming its field with a stable code. The
 * parts of a request are checked separately, so a broken applicant does not hide a missing
 * form field or material.
 */
import { z } from 'zod';
import type { Applicant, Application } from '../domain/application.js';
import type { District } from '../domain/district.js';
import type { Matter, MatterCatalog } from '../catalog/catalog.js';
import { shanghaiDateOf } from '../calendar/dates.js';
import { AppError, type FieldIssue } from '../errors.js';
import { formIssues, materialIssues } from './field-rules.js';
import { isValidCreditCode, isValidMobile, isValidResidentId } from './identifiers.js';

const AVAILABILITY_ZH = { not_yet_effective: '该事项尚未开通跨城通办', withdrawn: '该事项已停止跨城通办' } as const;

const applicantSchema = z.object({
  kind: z.enum(['person', 'company']),
  name: z.string().trim().min(1).max(200),
  idNumber: z.string().optional(),
  creditCode: z.string().optional(),
  phone: z.string().min(1),
  address: z.string().max(500).optional(),
});
const formSchema = z.record(z.string(), z.string().max(4000));
const materialsSchema = z.array(z.object({ name: z.string().min(1).max(200), form: z.enum(['original', 'copy']), copies: z.number().int().min(1).max(99) }));

export interface ValidIntake {
  application: Application;
  matter: Matter;
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  return path.reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key] : undefined), value);
}

/** Parses one part; its problems join `issues`, and undefined means the part is unusable. */
function part<T>(schema: z.ZodType<T>, value: unknown, field: string, issues: FieldIssue[]): T | undefined {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  for (const i of r.error.issues) {
    const given = valueAt(value, i.path);
    const missing = given === undefined || given === null || (typeof given === 'string' && given.trim() === '');
    issues.push({ field: [field, ...i.path.map(String)].join('.'), code: missing ? 'REQUIRED' : 'INVALID', message: missing ? '必填' : i.message });
  }
  return undefined;
}

function applicantIssues(a: Applicant, matter: Matter, nowMs: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (a.kind !== matter.applicantKind) {
    issues.push({ field: 'applicant.kind', code: 'INVALID', message: `该事项的申请人应为${matter.applicantKind === 'company' ? '企业' : '个人'}` });
  }
  if (a.kind === 'person' && !isValidResidentId(a.idNumber ?? '', nowMs)) {
    issues.push({ field: 'applicant.idNumber', code: a.idNumber ? 'INVALID_ID_NUMBER' : 'REQUIRED', message: '居民身份证号码无效' });
  }
  if (a.kind === 'company' && !isValidCreditCode(a.creditCode ?? '')) {
    issues.push({ field: 'applicant.creditCode', code: a.creditCode ? 'INVALID_CREDIT_CODE' : 'REQUIRED', message: '统一社会信用代码无效' });
  }
  if (!isValidMobile(a.phone)) issues.push({ field: 'applicant.phone', code: 'INVALID_MOBILE', message: '手机号码无效' });
  return issues;
}

export function validateIntake(input: unknown, catalog: MatterCatalog, self: District, nowMs: number): ValidIntake {
  const issues: FieldIssue[] = [];
  const body = z.record(z.string(), z.unknown()).safeParse(input);
  if (!body.success) {
    throw new AppError('VALIDATION_FAILED', 'the request body must be a JSON object', [{ field: '(body)', code: 'INVALID', message: '请求体须为 JSON 对象' }]);
  }
  const { data } = body;

  const matterId = part(z.string().min(1), data.matterId, 'matterId', issues);
  const applicant = part(applicantSchema, data.applicant, 'applicant', issues);
  const form = part(formSchema, data.form ?? {}, 'form', issues);
  const materials = part(materialsSchema, data.materials ?? [], 'materials', issues);

  const matter = matterId === undefined ? undefined : catalog.get(matterId);
  if (matterId !== undefined && !matter) {
    throw new AppError('UNKNOWN_MATTER', `matter ${matterId} is not in the catalog`, [
      { field: 'matterId', code: 'UNKNOWN_MATTER', message: '事项不在跨城通办目录中' },
      ...issues,
    ]);
  }
  if (matter && matter.handlingDistrict === self) {
    throw new AppError('WRONG_DISTRICT_FOR_MATTER', `matter ${matter.id} is handled here in ${self}; take it in through the local system`, [
      { field: 'matterId', code: 'WRONG_DISTRICT_FOR_MATTER', message: '该事项由本区办理，不属于跨城通办收件' },
      ...issues,
    ]);
  }
  if (matter) {
    const today = shanghaiDateOf(nowMs);
    const availability = catalog.availability(matter, today);
    if (availability !== 'open') {
      throw new AppError('MATTER_NOT_OPEN', `matter ${matter.id} is ${availability.replaceAll('_', ' ')} on ${today}`, [
        { field: 'matterId', code: availability === 'withdrawn' ? 'MATTER_WITHDRAWN' : 'MATTER_NOT_YET_EFFECTIVE', message: AVAILABILITY_ZH[availability] },
        ...issues,
      ]);
    }
    if (applicant) issues.push(...applicantIssues(applicant, matter, nowMs));
    if (form) issues.push(...formIssues(form, matter, nowMs));
    if (materials) issues.push(...materialIssues(materials, matter, form ?? {}));
  }
  if (issues.length > 0 || !matter || !applicant || !form || !materials) {
    throw new AppError('VALIDATION_FAILED', `${issues.length} field(s) are missing or invalid`, issues);
  }
  return { application: { matterId: matter.id, applicant, form, materials }, matter };
}
