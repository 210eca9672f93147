/**
 * The catalog's field rules applied to what a window typed: one function per concern, each issue
 * naming the field with a stable code and a message staff can act on (Chinese).
 */
import type { Condition, FormField, Matter, MaterialSpec } from '../catalog/schema.js';
import type { FormValues, Material } from '../domain/application.js';
import type { FieldIssue } from '../errors.js';
import { isValidCreditCode, isValidMobile, isValidResidentId } from './identifiers.js';

const INTEGER = /^-?\d{1,15}$/;
const DECIMAL = /^-?\d{1,15}(\.\d{1,6})?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const POSTCODE = /^\d{6}$/;
/** Fixed line with area code (020-81234567, 075786123456) or a mobile number. */
const FIXED_LINE = /^0\d{2,3}-?\d{7,8}$/;

function isRealDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Whether a conditional item is needed, given the form as filled in. */
export function conditionHolds(cond: Condition | undefined, form: FormValues): boolean {
  return cond !== undefined && form[cond.field]?.trim() === cond.equals;
}

function rangeIssue(f: FormField, n: number): string | undefined {
  if (f.min !== undefined && n < f.min) return `${f.label}不得小于${f.min}${f.unit ?? ''}`;
  if (f.max !== undefined && n > f.max) return `${f.label}不得大于${f.max}${f.unit ?? ''}`;
  return undefined;
}

/** The issue with one filled-in value, or undefined when it is fine. */
export function valueIssue(f: FormField, value: string, nowMs: number): Omit<FieldIssue, 'field'> | undefined {
  switch (f.type) {
    case 'text':
    case 'textarea':
      if (f.maxLength !== undefined && [...value].length > f.maxLength) return { code: 'TOO_LONG', message: `${f.label}不得超过${f.maxLength}个字` };
      if (f.pattern !== undefined && !new RegExp(`^(?:${f.pattern})$`, 'u').test(value)) return { code: 'PATTERN_MISMATCH', message: `${f.label}格式不正确` };
      return undefined;
    case 'integer':
    case 'decimal': {
      if (!(f.type === 'integer' ? INTEGER : DECIMAL).test(value)) {
        return { code: f.type === 'integer' ? 'NOT_INTEGER' : 'NOT_NUMBER', message: `${f.label}须为${f.type === 'integer' ? '整数' : '数字'}` };
      }
      const out = rangeIssue(f, Number(value));
      return out ? { code: 'OUT_OF_RANGE', message: out } : undefined;
    }
    case 'date':
      return isRealDate(value) ? undefined : { code: 'INVALID_DATE', message: `${f.label}须为有效日期（YYYY-MM-DD）` };
    case 'enum':
      return f.options?.some((o) => o.value === value)
        ? undefined
        : { code: 'NOT_AN_OPTION', message: `${f.label}须为以下之一：${(f.options ?? []).map((o) => o.label).join('、')}` };
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : { code: 'NOT_BOOLEAN', message: `${f.label}须为“是”或“否”` };
    case 'mobile':
      return isValidMobile(value) ? undefined : { code: 'INVALID_MOBILE', message: `${f.label}不是有效的手机号码` };
    case 'phone':
      return isValidMobile(value) || FIXED_LINE.test(value) ? undefined : { code: 'INVALID_PHONE', message: `${f.label}不是有效的电话号码` };
    case 'postcode':
      return POSTCODE.test(value) ? undefined : { code: 'INVALID_POSTCODE', message: `${f.label}须为6位邮政编码` };
    case 'idNumber':
      return isValidResidentId(value, nowMs) ? undefined : { code: 'INVALID_ID_NUMBER', message: `${f.label}不是有效的居民身份证号码` };
    case 'creditCode':
      return isValidCreditCode(value) ? undefined : { code: 'INVALID_CREDIT_CODE', message: `${f.label}不是有效的统一社会信用代码` };
  }
}

/** Every problem with the form: missing required values, values against their rules, unknown keys. */
export function formIssues(form: FormValues, matter: Matter, nowMs: number): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const f of matter.fields) {
    const value = form[f.key]?.trim() ?? '';
    const field = `form.${f.key}`;
    if (value === '') {
      if (f.required || conditionHolds(f.requiredWhen, form)) issues.push({ field, code: 'REQUIRED', message: `请填写${f.label}` });
      continue;
    }
    const issue = valueIssue(f, value, nowMs);
    if (issue) issues.push({ field, ...issue });
  }
  const known = new Set(matter.fields.map((f) => f.key));
  for (const key of Object.keys(form)) {
    if (!known.has(key)) issues.push({ field: `form.${key}`, code: 'UNKNOWN_FIELD', message: '该事项没有此表单项' });
  }
  return issues;
}

function isNeeded(spec: MaterialSpec, form: FormValues): boolean {
  return spec.requirement === 'required' || conditionHolds(spec.requiredWhen, form);
}

/** Every problem with the materials handed in, against the matter's checklist. */
export function materialIssues(materials: Material[], matter: Matter, form: FormValues): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const specs = new Map(matter.materials.map((m) => [m.name, m]));
  const given = new Set<string>();
  materials.forEach((m, i) => {
    const field = `materials[${i}]`;
    const spec = specs.get(m.name);
    if (!spec) return void issues.push({ field, code: 'UNKNOWN_MATERIAL', message: `“${m.name}”不在该事项的材料清单中` });
    if (given.has(m.name)) return void issues.push({ field, code: 'DUPLICATE_MATERIAL', message: `“${m.name}”重复登记` });
    given.add(m.name);
    if (spec.form === 'original' && m.form === 'copy') issues.push({ field: `${field}.form`, code: 'MATERIAL_WRONG_FORM', message: `“${m.name}”须提交原件` });
    if (m.copies < spec.copies) issues.push({ field: `${field}.copies`, code: 'MATERIAL_TOO_FEW_COPIES', message: `“${m.name}”须提交${spec.copies}份` });
  });
  for (const spec of matter.materials) {
    if (!given.has(spec.name) && isNeeded(spec, form)) {
      issues.push({ field: 'materials', code: 'MATERIAL_MISSING', message: `缺少材料：${spec.name}${spec.condition ? `（${spec.condition}）` : ''}` });
    }
  }
  return issues;
}
