/**
 * Intake validation at the origin window (gateway/intake/validate.ts): every problem is reported at
 * once (一次性告知), each naming its field with a stable code. The catalog is built here, so the test
 * does not depend on what gateway/catalog/matters.yaml holds today.
 */
import { describe, expect, it } from 'vitest';
import type { District } from '../../../gateway/domain/district.js';
import { catalogFromData, type Matter, type MatterCatalog } from '../../../gateway/catalog/catalog.js';
import { AppError, type FieldIssue } from '../../../gateway/errors.js';
import { validateIntake } from '../../../gateway/intake/validate.js';
import { thrownBy } from '../../helpers/thrown.js';

const CREDIT_CODE = '91440101MA59ABCD1D';
const RESIDENT_ID = '440103199003071232';
const PHONE = '13912345678';

const codes = (n: number) => ({ liwan: `LW-T-${n}`, nanhai: `NH-T-${n}` });
const text = (key: string, label: string, required: boolean) => ({
  key,
  label,
  type: 'text' as const,
  required,
  map: { liwan: { field: `lw_${key}` }, nanhai: { field: `nh_${key}` } },
});

function matter(overrides: Partial<Matter> = {}): Matter {
  return {
    id: 'KC-M-9001',
    name: '企业设立登记（测试）',
    domain: 'company_registration',
    catalogCode: '000120010001',
    batch: '2016-02',
    effectiveFrom: '2016-02-26',
    handlingDistrict: 'nanhai',
    applicantKind: 'company',
    districts: {
      liwan: { code: 'LW-T-9001', name: '企业设立登记', implementationCode: '11440103MB2C12340K000120010001', department: '荔湾区' },
      nanhai: { code: 'NH-T-9001', name: '企业设立登记', implementationCode: '11440605MB2D56780K000120010001', department: '南海区' },
    },
    timeLimits: { statutoryDays: 15, promisedDays: 3 },
    clock: { startsOn: 'accepted', courierTimeCounts: false },
    result: { document: '营业执照' },
    fields: [
      text('companyName', '企业名称', true),
      { ...text('registeredCapital', '注册资本', true), type: 'decimal', unit: '万元', min: 1 },
      text('businessScope', '经营范围', true),
      text('remark', '备注', false),
    ],
    materials: [
      { id: 'form', name: '申请书', form: 'original', copies: 1, requirement: 'required', codes: codes(1) },
      { id: 'articles', name: '公司章程', form: 'original', copies: 1, requirement: 'required', codes: codes(2) },
      { id: 'identity', name: '身份证明', form: 'copy', copies: 1, requirement: 'required', codes: codes(3) },
    ],
    ...overrides,
  };
}

const SYSTEMS = {
  liwan: { statuses: { '01': 'registered', '02': 'accepted', '03': 'supplement_requested', '06': 'supplement_received', '04': 'approved', '05': 'rejected' } },
  nanhai: { statuses: { R: 'registered', A: 'accepted', S: 'supplement_requested', SR: 'supplement_received', OK: 'approved', NO: 'rejected' } },
};

/** A catalog of these matters, checked exactly as the shipped file is. */
function catalogOf(...matters: Matter[]): MatterCatalog {
  return catalogFromData({ version: 1, batches: [{ id: '2016-02', name: '第一批', announcedOn: '2016-02-26' }], systems: SYSTEMS, matters }, 'test');
}

/** A complete, valid company application for `m`. */
function companyApplication(m: Matter, overrides: Record<string, unknown> = {}) {
  return {
    matterId: m.id,
    applicant: { kind: 'company', name: '广州荔湾示例贸易有限公司', creditCode: CREDIT_CODE, phone: PHONE, address: '广州市荔湾区中山八路1号' },
    form: Object.fromEntries(m.fields.filter((f) => f.required).map((f) => [f.key, f.type === 'decimal' ? '100' : `${f.label}的内容`])),
    materials: m.materials.map(({ name, form, copies }) => ({ name, form, copies })),
    ...overrides,
  };
}

const failureOf = (fn: () => unknown): AppError => thrownBy(AppError, fn);

/** Field and code of each issue, sorted, for order-independent comparison. */
const pairs = (issues: FieldIssue[]) => issues.map((i) => `${i.field}:${i.code}`).sort();

const LIWAN: District = 'liwan';
const NOW = Date.UTC(2026, 10, 21, 4);

describe('validateIntake', () => {
  it('when a complete application for a matter of the other district is taken in, then it passes with the matter', () => {
    const m = matter();
    const input = companyApplication(m);
    const { application, matter: found } = validateIntake(input, catalogOf(m), LIWAN, NOW);
    expect(found).toEqual(m);
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
    const m = matter({ id: 'KC-M-9002', applicantKind: 'person', fields: [text('remark', '备注', false)], materials: [{ id: 'form', name: '申请书', form: 'copy', copies: 1, requirement: 'conditional', condition: '需要时', codes: codes(1) }] });
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

  describe('catalog field rules', () => {
    const typed = matter({
      id: 'KC-M-9003',
      fields: [
        text('companyName', '企业名称', true),
        { ...text('employees', '从业人数', false), type: 'integer', min: 1, max: 10000 },
        { ...text('capital', '注册资本', false), type: 'decimal', unit: '万元', min: 0.01 },
        { ...text('startDate', '开业日期', false), type: 'date' },
        {
          ...text('premisesType', '住所性质', false),
          type: 'enum',
          options: [
            { value: 'owned', label: '自有' },
            { value: 'leased', label: '租赁' },
          ],
          map: { liwan: { field: 'zsxz', values: { owned: '1', leased: '2' } }, nanhai: { field: 'pt', values: { owned: 'O', leased: 'L' } } },
        },
        { ...text('leaseEnd', '租赁截止日期', false), type: 'date', requiredWhen: { field: 'premisesType', equals: 'leased' } },
        { ...text('chainStore', '是否连锁', false), type: 'boolean', map: { liwan: { field: 'sfls', values: { true: 'Y', false: 'N' } }, nanhai: { field: 'chain', values: { true: '1', false: '0' } } } },
        { ...text('contactMobile', '联系手机', false), type: 'mobile' },
        { ...text('officePhone', '办公电话', false), type: 'phone' },
        { ...text('postcode', '邮政编码', false), type: 'postcode' },
        { ...text('managerId', '负责人身份证号', false), type: 'idNumber' },
        { ...text('parentCode', '总公司信用代码', false), type: 'creditCode' },
        { ...text('shortName', '简称', false), maxLength: 4, pattern: '[\\p{Script=Han}]+' },
      ],
      materials: [
        { id: 'form', name: '申请书', form: 'original', copies: 2, requirement: 'required', codes: codes(1) },
        { id: 'lease', name: '租赁合同', form: 'copy', copies: 1, requirement: 'conditional', condition: '租赁场所提交', requiredWhen: { field: 'premisesType', equals: 'leased' }, codes: codes(2) },
      ],
    });
    const base = () => companyApplication(typed, { materials: [{ name: '申请书', form: 'original', copies: 2 }] });

    it('when every typed field holds a valid value, then the application passes', () => {
      const input = {
        ...base(),
        form: {
          companyName: '示例',
          employees: '12',
          capital: '100.5',
          startDate: '2026-12-01',
          premisesType: 'leased',
          leaseEnd: '2030-12-31',
          chainStore: 'false',
          contactMobile: '13912345678',
          officePhone: '020-81234567',
          postcode: '510140',
          managerId: RESIDENT_ID,
          parentCode: CREDIT_CODE,
          shortName: '荔湾',
        },
        materials: [
          { name: '申请书', form: 'original', copies: 2 },
          { name: '租赁合同', form: 'copy', copies: 1 },
        ],
      };
      expect(validateIntake(input, catalogOf(typed), LIWAN, NOW).application.form.leaseEnd).toBe('2030-12-31');
    });

    it('when every typed field is wrong at once, then each is reported with its own stable code', () => {
      const input = {
        ...base(),
        form: {
          companyName: '示例',
          employees: '12.5',
          capital: '0',
          startDate: '2026-02-30',
          premisesType: 'borrowed',
          chainStore: 'maybe',
          contactMobile: '1391234',
          officePhone: '12345',
          postcode: '51014',
          managerId: '440103199003071233',
          parentCode: '91440101MA59ABCD1E',
          shortName: '荔湾示例公司',
        },
      };
      const err = failureOf(() => validateIntake(input, catalogOf(typed), LIWAN, NOW));
      expect(pairs(err.issues)).toEqual(
        [
          'form.employees:NOT_INTEGER',
          'form.capital:OUT_OF_RANGE',
          'form.startDate:INVALID_DATE',
          'form.premisesType:NOT_AN_OPTION',
          'form.chainStore:NOT_BOOLEAN',
          'form.contactMobile:INVALID_MOBILE',
          'form.officePhone:INVALID_PHONE',
          'form.postcode:INVALID_POSTCODE',
          'form.managerId:INVALID_ID_NUMBER',
          'form.parentCode:INVALID_CREDIT_CODE',
          'form.shortName:TOO_LONG',
        ].sort(),
      );
      expect(err.issues.find((i) => i.field === 'form.premisesType')?.message).toContain('自有、租赁');
    });

    it('when a text value breaks the field pattern, then PATTERN_MISMATCH names it', () => {
      const err = failureOf(() => validateIntake({ ...base(), form: { companyName: '示例', shortName: 'LW' } }, catalogOf(typed), LIWAN, NOW));
      expect(pairs(err.issues)).toEqual(['form.shortName:PATTERN_MISMATCH']);
    });

    it('when the condition of a conditional field and material holds but they are missing, then both are REQUIRED / MATERIAL_MISSING', () => {
      const err = failureOf(() => validateIntake({ ...base(), form: { companyName: '示例', premisesType: 'leased' } }, catalogOf(typed), LIWAN, NOW));
      expect(pairs(err.issues)).toEqual(['form.leaseEnd:REQUIRED', 'materials:MATERIAL_MISSING']);
      expect(err.issues.find((i) => i.code === 'MATERIAL_MISSING')?.message).toBe('缺少材料：租赁合同（租赁场所提交）');
    });

    it('when the condition does not hold, then the conditional field and material may be left out', () => {
      const input = { ...base(), form: { companyName: '示例', premisesType: 'owned' } };
      expect(validateIntake(input, catalogOf(typed), LIWAN, NOW).matter.id).toBe('KC-M-9003');
    });

    it('when materials are a copy instead of an original, too few, repeated or not on the checklist, then each has its own code', () => {
      const input = {
        ...base(),
        materials: [
          { name: '申请书', form: 'copy', copies: 1 },
          { name: '申请书', form: 'original', copies: 2 },
          { name: '营业执照', form: 'copy', copies: 1 },
        ],
      };
      const err = failureOf(() => validateIntake(input, catalogOf(typed), LIWAN, NOW));
      expect(pairs(err.issues)).toEqual(
        ['materials[0].form:MATERIAL_WRONG_FORM', 'materials[0].copies:MATERIAL_TOO_FEW_COPIES', 'materials[1]:DUPLICATE_MATERIAL', 'materials[2]:UNKNOWN_MATERIAL'].sort(),
      );
    });
  });

  describe('matter availability', () => {
    it('when the matter takes effect after today (Beijing), then MATTER_NOT_OPEN says not yet effective', () => {
      const m = matter({ effectiveFrom: '2026-11-22' });
      const err = failureOf(() => validateIntake(companyApplication(m), catalogOf(m), LIWAN, NOW));
      expect(err.code).toBe('MATTER_NOT_OPEN');
      expect(pairs(err.issues)).toEqual(['matterId:MATTER_NOT_YET_EFFECTIVE']);
    });

    it('when the matter is withdrawn from today, then MATTER_NOT_OPEN says withdrawn', () => {
      const m = matter({ withdrawnFrom: '2026-11-21' });
      const err = failureOf(() => validateIntake(companyApplication(m), catalogOf(m), LIWAN, NOW));
      expect(err.code).toBe('MATTER_NOT_OPEN');
      expect(pairs(err.issues)).toEqual(['matterId:MATTER_WITHDRAWN']);
    });

    it('when it is 23:30 in UTC but already the next day in Beijing, then the Beijing date decides', () => {
      const m = matter({ effectiveFrom: '2026-11-22' });
      const lateUtc = Date.UTC(2026, 10, 21, 16, 30); // 2026-11-22 00:30 in Beijing
      expect(validateIntake(companyApplication(m), catalogOf(m), LIWAN, lateUtc).matter.id).toBe(m.id);
    });
  });
});
