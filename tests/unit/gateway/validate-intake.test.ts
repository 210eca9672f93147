/**
 * Intake validation at the origin window (gateway/intake/validate.ts): every problem is reported at
 * once (一次性告知), each naming its field with a stable code. The catalog is built here, so the test
 * does not depend on what gateway/catalog/matters.json holds today.
 */
import { describe, expect, it } from 'vitest';
import type { District } from '../../../gateway/domain/district.js';
import type { Matter, MatterCatalog } from '../../../gateway/domain/matters.js';
import { AppError, type FieldIssue } from '../../../gateway/errors.js';
import { validateIntake } from '../../../gateway/intake/validate.js';

const CREDIT_CODE = '91440101MA59ABCD1D';
const RESIDENT_ID = '440103199003071232';
const PHONE = '13912345678';

function matter(overrides: Partial<Matter> = {}): Matter {
  return {
    id: 'KC-M-9001',
    name: '企业设立登记（测试）',
    domain: 'company_registration',
    handlingDistrict: 'nanhai',
    localCodes: { liwan: 'LW-T-9001', nanhai: 'NH-T-9001' },
    promisedDays: 3,
    statutoryDays: 15,
    applicantKind: 'company',
    formFields: [
      { key: 'companyName', label: '企业名称', required: true },
      { key: 'registeredCapital', label: '注册资本', required: true },
      { key: 'businessScope', label: '经营范围', required: true },
      { key: 'remark', label: '备注', required: false },
    ],
    materials: [
      { name: '申请书', form: 'original', copies: 1 },
      { name: '公司章程', form: 'original', copies: 1 },
      { name: '身份证明', form: 'copy', copies: 1 },
    ],
    ...overrides,
  };
}

function catalogOf(...matters: Matter[]): MatterCatalog {
  const byId = new Map(matters.map((m) => [m.id, m]));
  return { get: (id) => byId.get(id), list: () => [...byId.values()] };
}

/** A complete, valid company application for `m`. */
function companyApplication(m: Matter, overrides: Record<string, unknown> = {}) {
  return {
    matterId: m.id,
    applicant: { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: CREDIT_CODE, phone: PHONE, address: '广州市荔湾区中山八路1号' },
    form: Object.fromEntries(m.formFields.filter((f) => f.required).map((f) => [f.key, `${f.label}的内容`])),
    materials: m.materials.map((x) => ({ ...x })),
    ...overrides,
  };
}

function failureOf(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error('expected an AppError, but validation passed');
}

/** Field and code of each issue, sorted, for order-independent comparison. */
const pairs = (issues: FieldIssue[]) => issues.map((i) => `${i.field}:${i.code}`).sort();

const LIWAN: District = 'liwan';
const NOW = Date.UTC(2026, 10, 21, 4);

describe('validateIntake', () => {
  it('when a complete application for a matter of the other district is taken in, then it passes with the matter', () => {
    const m = matter();
    const input = companyApplication(m);
    const { application, matter: found } = validateIntake(input, catalogOf(m), LIWAN, NOW);
    expect(found).toBe(m);
    expect(application).toEqual(input);
  });

  it('when form and materials are left out entirely, then they default to empty and each missing one is reported', () => {
    const m = matter();
    const { form: _f, materials: _m, ...rest } = companyApplication(m);
    const err = failureOf(() => validateIntake(rest, catalogOf(m), LIWAN, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(pairs(err.issues)).toEqual(
      [
        'form.businessScope:REQUIRED',
        'form.companyName:REQUIRED',
        'form.registeredCapital:REQUIRED',
        'materials:MATERIAL_MISSING',
        'materials:MATERIAL_MISSING',
        'materials:MATERIAL_MISSING',
      ].sort(),
    );
  });

  it('when several form fields are missing, the phone is bad and a material is missing, then one VALIDATION_FAILED lists every issue', () => {
    const m = matter();
    const input = companyApplication(m, {
      applicant: { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: CREDIT_CODE, phone: '12345' },
      form: { companyName: '  ', remark: '无' },
      materials: [
        { name: '申请书', form: 'original', copies: 1 },
        { name: '身份证明', form: 'copy', copies: 1 },
      ],
    });
    const err = failureOf(() => validateIntake(input, catalogOf(m), LIWAN, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(pairs(err.issues)).toEqual(
      [
        'applicant.phone:INVALID_MOBILE',
        'form.businessScope:REQUIRED',
        'form.companyName:REQUIRED',
        'form.registeredCapital:REQUIRED',
        'materials:MATERIAL_MISSING',
      ].sort(),
    );
    const material = err.issues.find((i) => i.code === 'MATERIAL_MISSING');
    expect(material?.message).toContain('公司章程');
    for (const issue of err.issues) expect(issue.message.length).toBeGreaterThan(0);
  });

  it('when the credit code, the applicant kind and an unknown form field are all wrong, then each is reported with its own code', () => {
    const m = matter();
    const input = companyApplication(m, {
      applicant: { kind: 'person', name: '张三', idNumber: '440103199003071233', phone: PHONE },
      form: { ...companyApplication(m).form, favouriteColour: '红' },
    });
    const err = failureOf(() => validateIntake(input, catalogOf(m), LIWAN, NOW));
    expect(pairs(err.issues)).toEqual(['applicant.idNumber:INVALID_ID_NUMBER', 'applicant.kind:INVALID', 'form.favouriteColour:UNKNOWN_FIELD']);
  });

  it('when a company applicant has no credit code or a wrong one, then REQUIRED or INVALID_CREDIT_CODE names applicant.creditCode', () => {
    const m = matter();
    const base = companyApplication(m);
    const missing = failureOf(() => validateIntake({ ...base, applicant: { ...base.applicant, creditCode: undefined } }, catalogOf(m), LIWAN, NOW));
    expect(pairs(missing.issues)).toEqual(['applicant.creditCode:REQUIRED']);
    const wrong = failureOf(() => validateIntake({ ...base, applicant: { ...base.applicant, creditCode: '91440101MA59ABCD1E' } }, catalogOf(m), LIWAN, NOW));
    expect(pairs(wrong.issues)).toEqual(['applicant.creditCode:INVALID_CREDIT_CODE']);
  });

  it('when a person matter is applied for with a valid resident ID, then it passes; without one, REQUIRED names applicant.idNumber', () => {
    const m = matter({ id: 'KC-M-9002', applicantKind: 'person', formFields: [], materials: [] });
    const person = { kind: 'person', name: '张三', idNumber: RESIDENT_ID, phone: PHONE };
    expect(validateIntake({ matterId: m.id, applicant: person }, catalogOf(m), LIWAN, NOW).matter.id).toBe(m.id);
    const { idNumber: _id, ...noId } = person;
    const err = failureOf(() => validateIntake({ matterId: m.id, applicant: noId }, catalogOf(m), LIWAN, NOW));
    expect(pairs(err.issues)).toEqual(['applicant.idNumber:REQUIRED']);
  });

  it('when the matter is not in the catalog, then UNKNOWN_MATTER names matterId', () => {
    const m = matter();
    const err = failureOf(() => validateIntake(companyApplication(m, { matterId: 'KC-M-0404' }), catalogOf(m), LIWAN, NOW));
    expect(err.code).toBe('UNKNOWN_MATTER');
    expect(pairs(err.issues)).toEqual(['matterId:UNKNOWN_MATTER']);
  });

  it('when the matter is handled by this same district, then WRONG_DISTRICT_FOR_MATTER names matterId', () => {
    const m = matter({ handlingDistrict: 'liwan' });
    const err = failureOf(() => validateIntake(companyApplication(m), catalogOf(m), LIWAN, NOW));
    expect(err.code).toBe('WRONG_DISTRICT_FOR_MATTER');
    expect(pairs(err.issues)).toEqual(['matterId:WRONG_DISTRICT_FOR_MATTER']);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'application'],
    ['an array', []],
  ])('when the body is %s, then VALIDATION_FAILED names the body', (_what, body) => {
    const err = failureOf(() => validateIntake(body, catalogOf(matter()), LIWAN, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.issues.map((i) => i.field)).toEqual(['(body)']);
  });

  it('when the body is an empty object, then matterId and applicant are both reported as REQUIRED', () => {
    const err = failureOf(() => validateIntake({}, catalogOf(matter()), LIWAN, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(pairs(err.issues)).toEqual(['applicant:REQUIRED', 'matterId:REQUIRED']);
  });

  it('when several shapes are wrong at once, then every one is reported with its field path', () => {
    const m = matter();
    const input = {
      matterId: '',
      applicant: { kind: 'robot', name: '   ', phone: '' },
      form: { companyName: 42 },
      materials: [{ name: '申请书', form: 'scan', copies: 0 }],
    };
    const err = failureOf(() => validateIntake(input, catalogOf(m), LIWAN, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(err.issues.map((i) => i.field).sort()).toEqual(
      ['applicant.kind', 'applicant.name', 'applicant.phone', 'form.companyName', 'materials.0.copies', 'materials.0.form', 'matterId'].sort(),
    );
    const byField = new Map(err.issues.map((i) => [i.field, i.code]));
    expect(byField.get('matterId')).toBe('REQUIRED');
    expect(byField.get('applicant.name')).toBe('REQUIRED');
    expect(byField.get('applicant.phone')).toBe('REQUIRED');
    expect(byField.get('applicant.kind')).toBe('INVALID');
    expect(byField.get('materials.0.copies')).toBe('INVALID');
  });

  it('when a shape problem and a catalog problem occur together, then both are reported in the one error (一次性告知)', () => {
    // The applicant's name is blank (a shape problem) and a required form field is missing (a catalog
    // problem): staff must hear about both at once, not the second only after fixing the first.
    const m = matter();
    const input = companyApplication(m, {
      applicant: { kind: 'company', name: ' ', creditCode: CREDIT_CODE, phone: PHONE },
      form: { companyName: '示例', registeredCapital: '100' },
    });
    const err = failureOf(() => validateIntake(input, catalogOf(m), LIWAN, NOW));
    expect(err.code).toBe('VALIDATION_FAILED');
    expect(pairs(err.issues)).toEqual(['applicant.name:REQUIRED', 'form.businessScope:REQUIRED']);
  });
});
