/**
 * Intake validation at the origin window: everything is checked before anything is stored, and
 * every problem is reported at once (一次性告知), each naming its field with a stable code.
 */
import { z } from 'zod';
import type { Application } from '../domain/application.js';
import type { District } from '../domain/district.js';
import type { MatterCatalog, Matter } from '../domain/matters.js';
import { AppError, type FieldIssue } from '../errors.js';
import { isValidCreditCode, isValidMobile, isValidResidentId } from './identifiers.js';

const applicationSchema = z.object({
  matterId: z.string().min(1, 'required'),
  applicant: z.object({
    kind: z.enum(['person', 'company']),
    name: z.string().trim().min(1, 'required').max(200),
    idNumber: z.string().optional(),
    creditCode: z.string().optional(),
    phone: z.string().min(1, 'required'),
    address: z.string().max(500).optional(),
  }),
  form: z.record(z.string(), z.string().max(4000)).default({}),
  materials: z
    .array(z.object({ name: z.string().min(1).max(200), form: z.enum(['original', 'copy']), copies: z.number().int().min(1).max(99) }))
    .default([]),
});

export interface ValidIntake {
  application: Application;
  matter: Matter;
}

export function validateIntake(input: unknown, catalog: MatterCatalog, self: District): ValidIntake {
  const parsed = applicationSchema.safeParse(input);
  if (!parsed.success) {
    const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
      field: i.path.join('.') || '(body)',
      code: i.message === 'required' || i.code === 'invalid_type' ? 'REQUIRED' : 'INVALID',
      message: i.message,
    }));
    throw new AppError('VALIDATION_FAILED', `${issues.length} field(s) are missing or invalid`, issues);
  }
  const app = parsed.data as Application;
  const matter = catalog.get(app.matterId);
  if (!matter) {
    throw new AppError('UNKNOWN_MATTER', `matter ${app.matterId} is not in the catalog`, [
      { field: 'matterId', code: 'UNKNOWN_MATTER', message: '事项不在跨城通办目录中' },
    ]);
  }
  if (matter.handlingDistrict === self) {
    throw new AppError('WRONG_DISTRICT_FOR_MATTER', `matter ${matter.id} is handled here in ${self}; take it in through the local system`, [
      { field: 'matterId', code: 'WRONG_DISTRICT_FOR_MATTER', message: '该事项由本区办理，不属于跨城通办收件' },
    ]);
  }

  const issues: FieldIssue[] = [];
  const a = app.applicant;
  if (a.kind !== matter.applicantKind) {
    issues.push({ field: 'applicant.kind', code: 'INVALID', message: `该事项的申请人应为${matter.applicantKind === 'company' ? '企业' : '个人'}` });
  }
  if (a.kind === 'person' && !isValidResidentId(a.idNumber ?? '')) {
    issues.push({ field: 'applicant.idNumber', code: a.idNumber ? 'INVALID_ID_NUMBER' : 'REQUIRED', message: '居民身份证号码无效' });
  }
  if (a.kind === 'company' && !isValidCreditCode(a.creditCode ?? '')) {
    issues.push({ field: 'applicant.creditCode', code: a.creditCode ? 'INVALID_CREDIT_CODE' : 'REQUIRED', message: '统一社会信用代码无效' });
  }
  if (!isValidMobile(a.phone)) issues.push({ field: 'applicant.phone', code: 'INVALID_MOBILE', message: '手机号码无效' });
  for (const f of matter.formFields) {
    if (f.required && !app.form[f.key]?.trim()) issues.push({ field: `form.${f.key}`, code: 'REQUIRED', message: `请填写${f.label}` });
  }
  const known = new Set(matter.formFields.map((f) => f.key));
  for (const key of Object.keys(app.form)) {
    if (!known.has(key)) issues.push({ field: `form.${key}`, code: 'UNKNOWN_FIELD', message: '该事项没有此表单项' });
  }
  const given = new Set(app.materials.map((m) => m.name));
  matter.materials.forEach((m) => {
    if (!given.has(m.name)) issues.push({ field: 'materials', code: 'MATERIAL_MISSING', message: `缺少材料：${m.name}` });
  });
  if (issues.length > 0) throw new AppError('VALIDATION_FAILED', `${issues.length} field(s) are missing or invalid`, issues);
  return { application: app, matter };
}
