/**
 * The catalog-driven mapping both adapters use: every field type, value map, date format, unit
 * scale and JSON type, material codes, status codes of both systems — and what a district system
 * (the simulators) finds wrong with what it receives.
 */
import { describe, expect, it } from 'vitest';
import { DISTRICTS } from '../../../gateway/domain/district.js';
import type { Matter } from '../../../gateway/catalog/schema.js';
import {
  beijingMidnight,
  decisionFromCode,
  districtFormProblems,
  districtMappingProblems,
  isDistrictDate,
  localMatterCode,
  statusFromCode,
  toDistrictForm,
  toDistrictMaterials,
} from '../../../adapters/form-mapping.js';
import { SAMPLE, sampleForm, sampleMaterials } from '../../helpers/catalog-fixtures.js';
import { catalog, expectAdapterError, generated, shippedMatter } from './fixtures.js';

const SYSTEM = 'test system';

/** Generated matter 1: handled by Nanhai, dates yyyyMMdd (Liwan) and epoch ms as a number (Nanhai). */
const M1 = generated(1);
/** Generated matter 2: handled by Liwan, dates yyyy/MM/dd (Liwan) and yyyy-MM-dd (Nanhai). */
const M2 = generated(2);

const FULL_FORM = {
  companyName: ' 示例有限公司 ',
  businessScope: '批发\n零售',
  employees: '12',
  registeredCapital: '12.5',
  plannedStart: '2026-06-15',
  premisesType: 'leased',
  leaseEnds: '2027-06-30',
  byAgent: 'true',
  agentIdNumber: SAMPLE.otherIdNumber,
  creditCode: SAMPLE.creditCode,
  mobile: SAMPLE.mobile,
  telephone: SAMPLE.phone,
  postcode: SAMPLE.postcode,
};

/** A matter with one field, for edge cases of a single map. */
function oneField(field: Partial<Matter['fields'][number]> & Pick<Matter['fields'][number], 'type' | 'map'>): Matter {
  return { ...M2, fields: [{ key: 'f', label: 'F', required: false, ...field }] };
}

describe('form mapping — every field type in both districts', () => {
  it('when a form with every field type is mapped for Liwan, then names, value maps, yyyyMMdd dates and strings follow the catalog', () => {
    expect(toDistrictForm(SYSTEM, M1, 'liwan', FULL_FORM)).toEqual({
      qymc: '示例有限公司',
      jyfw: '批发\n零售',
      cyrs: '12',
      zczb: '12.5',
      jhksrq: '20260615',
      csxz: '2',
      zldqr: '20270630',
      sfwtdl: '1',
      dlrsfzhm: SAMPLE.otherIdNumber,
      tyshxydm: SAMPLE.creditCode,
      sjhm: SAMPLE.mobile,
      lxdh: SAMPLE.phone,
      yzbm: SAMPLE.postcode,
    });
  });

  it('when the same form is mapped for Nanhai, then 万元 becomes 元 as a number, dates are Beijing-midnight epoch ms or yyyy-MM-dd, booleans are JSON booleans', () => {
    expect(toDistrictForm(SYSTEM, M1, 'nanhai', FULL_FORM)).toEqual({
      enterpriseName: '示例有限公司',
      businessScope: '批发\n零售',
      employeeCount: 12,
      registeredCapitalYuan: 125_000,
      plannedStart: Date.parse('2026-06-14T16:00:00Z'),
      premisesType: 'LEASE',
      leaseEnds: '2027-06-30',
      byAgent: true,
      agentIdNo: SAMPLE.otherIdNumber,
      uscc: SAMPLE.creditCode,
      mobile: SAMPLE.mobile,
      telephone: SAMPLE.phone,
      postalCode: SAMPLE.postcode,
    });
  });

  it('when a matter writes dates yyyy/MM/dd (Liwan) and yyyy-MM-dd (Nanhai), then each district gets its own format', () => {
    const form = { ...FULL_FORM, byAgent: 'false', premisesType: 'owned' };
    expect(toDistrictForm(SYSTEM, M2, 'liwan', form)).toMatchObject({ jhksrq: '2026/06/15', sfwtdl: '0', csxz: '1' });
    expect(toDistrictForm(SYSTEM, M2, 'nanhai', form)).toMatchObject({ plannedStart: '2026-06-15', byAgent: false, premisesType: 'OWN' });
  });

  it('when the shipped KC-M-0003 form is mapped, then the change item takes each district value map and the resolution date each format', () => {
    const m = shippedMatter('KC-M-0003');
    const form = { changeItem: 'legal_rep', changeBefore: '甲', changeAfter: '乙', resolutionDate: '2024-04-30' };
    expect(toDistrictForm(SYSTEM, m, 'liwan', form)).toEqual({ bgsx: '03', bgqnr: '甲', bghnr: '乙', jyrq: '20240430' });
    expect(toDistrictForm(SYSTEM, m, 'nanhai', form)).toEqual({
      changeType: 'LEGAL_PERSON',
      before: '甲',
      after: '乙',
      resolutionDate: Date.parse('2024-04-29T16:00:00Z'),
    });
  });

  it('when a decimal in 万元 is scaled to 元, then binary noise is rounded away and trailing zeros do not matter', () => {
    const m = shippedMatter('KC-M-0001');
    const map = (capital: string) => toDistrictForm(SYSTEM, m, 'nanhai', { registeredCapital: capital })['registeredCapitalYuan'];
    expect(map('0.1')).toBe(1_000);
    expect(map('100.50')).toBe(1_005_000);
    expect(map('0.0001')).toBe(1);
    expect(toDistrictForm(SYSTEM, m, 'liwan', { registeredCapital: '100.50' })['zczb']).toBe('100.5');
  });

  it('when an enum maps to a number field, then the district value is sent as a JSON number', () => {
    const m = oneField({ type: 'enum', options: [{ value: 'a', label: 'A' }, { value: 'b', label: 'B' }], map: { liwan: { field: 'x', values: { a: '1', b: '2' }, as: 'number' }, nanhai: { field: 'y', values: { a: 'A', b: 'B' } } } });
    expect(toDistrictForm(SYSTEM, m, 'liwan', { f: 'b' })).toEqual({ x: 2 });
    expect(toDistrictForm(SYSTEM, m, 'nanhai', { f: 'b' })).toEqual({ y: 'B' });
  });

  it('when optional fields are empty or blank, then they are left out rather than sent empty', () => {
    expect(toDistrictForm(SYSTEM, M1, 'liwan', { companyName: 'A', telephone: '   ', postcode: '' })).toEqual({ qymc: 'A' });
  });
});

describe('form mapping — refused before any call', () => {
  it('when the form carries a key the catalog does not know for the matter, then UNKNOWN_FIELD names it', async () => {
    const err = await expectAdapterError(() => toDistrictForm(SYSTEM, M1, 'liwan', { companyName: 'A', favouriteColour: 'blue' }), 'UNKNOWN_FIELD', false);
    expect(err.message).toContain('favouriteColour');
    expect(err.message).not.toContain('blue');
  });

  it('when an enum value is not an option (or is an Object.prototype name), then APPROVAL_REJECTED_REQUEST is thrown without the value', async () => {
    for (const value of ['rented', '__proto__', 'constructor', 'toString']) {
      const err = await expectAdapterError(() => toDistrictForm(SYSTEM, M1, 'nanhai', { premisesType: value }), 'APPROVAL_REJECTED_REQUEST', false);
      expect(err.message).toContain('premisesType');
    }
  });

  it('when a boolean is not "true" or "false", then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    await expectAdapterError(() => toDistrictForm(SYSTEM, M1, 'nanhai', { byAgent: 'yes' }), 'APPROVAL_REJECTED_REQUEST');
  });

  it('when a date is not a real calendar date, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    for (const value of ['2024-02-30', '2024-13-01', '2024/05/06', '20240506', '2024-5-6']) {
      await expectAdapterError(() => toDistrictForm(SYSTEM, M1, 'liwan', { plannedStart: value }), 'APPROVAL_REJECTED_REQUEST');
    }
  });

  it('when a number is not written as plain digits (integer without a fraction), then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    for (const [key, value] of [['employees', '1.5'], ['employees', '1e3'], ['registeredCapital', '0x10'], ['registeredCapital', '12,5'], ['registeredCapital', 'Infinity']] as const) {
      await expectAdapterError(() => toDistrictForm(SYSTEM, M1, 'nanhai', { [key]: value }), 'APPROVAL_REJECTED_REQUEST');
    }
  });

  it('when the catalog sends a mapped value as a boolean that is not true/false, then APPROVAL_REJECTED_REQUEST names the catalog', async () => {
    const m = oneField({ type: 'boolean', map: { liwan: { field: 'x', values: { true: 'Y', false: 'N' }, as: 'boolean' }, nanhai: { field: 'y', values: { true: 'true', false: 'false' } } } });
    const err = await expectAdapterError(() => toDistrictForm(SYSTEM, m, 'liwan', { f: 'true' }), 'APPROVAL_REJECTED_REQUEST');
    expect(err.message).toContain('catalog');
    expect(districtMappingProblems(m)).toEqual([{ field: 'fields[0](f).map.liwan.values.true', message: '"Y" cannot be sent as a boolean' }, { field: 'fields[0](f).map.liwan.values.false', message: '"N" cannot be sent as a boolean' }]);
  });

  it('when a matter is handled by the other district, then its local code is refused locally', async () => {
    expect(localMatterCode(SYSTEM, shippedMatter('KC-M-0003'), 'liwan')).toBe('440103-SCJG-BGDJ-003');
    expect(localMatterCode(SYSTEM, shippedMatter('KC-M-0001'), 'nanhai')).toBe('NH-SCJG-QYDJ-001');
    await expectAdapterError(() => localMatterCode(SYSTEM, shippedMatter('KC-M-0001'), 'liwan'), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('material codes', () => {
  it('when materials are on the checklist, then each district gets its own material code with form and copies', () => {
    const m = shippedMatter('KC-M-0004');
    const materials = [
      { name: '建筑工程施工许可申请表', form: 'original' as const, copies: 1 },
      { name: '施工合同', form: 'copy' as const, copies: 3 },
    ];
    expect(toDistrictMaterials(SYSTEM, m, 'liwan', materials).map((x) => [x.code, x.form, x.copies])).toEqual([
      ['440103-CL-4001', 'original', 1],
      ['440103-CL-4003', 'copy', 3],
    ]);
    expect(toDistrictMaterials(SYSTEM, m, 'nanhai', materials).map((x) => x.code)).toEqual(['NH-M-SG01', 'NH-M-SG03']);
  });

  it('when a material is not on the checklist or has no whole number of copies, then APPROVAL_REJECTED_REQUEST is thrown', async () => {
    const m = shippedMatter('KC-M-0004');
    await expectAdapterError(() => toDistrictMaterials(SYSTEM, m, 'liwan', [{ name: '身份证', form: 'copy', copies: 1 }]), 'APPROVAL_REJECTED_REQUEST');
    await expectAdapterError(() => toDistrictMaterials(SYSTEM, m, 'liwan', [{ name: '施工合同', form: 'copy', copies: 0 }]), 'APPROVAL_REJECTED_REQUEST');
  });
});

describe('status codes', () => {
  const EXPECTED = {
    liwan: { '01': 'registered', '02': 'accepted', '03': 'supplement_requested', '06': 'supplement_received', '04': 'approved', '05': 'rejected' },
    nanhai: {
      RECEIVED: 'registered',
      ACCEPTED: 'accepted',
      NEED_SUPPLEMENT: 'supplement_requested',
      SUPPLEMENTED: 'supplement_received',
      APPROVED: 'approved',
      DENIED: 'rejected',
    },
  } as const;

  it.each(DISTRICTS)('when every %s status code is read through the catalog table, then each maps to its shared status', (d) => {
    for (const [code, status] of Object.entries(EXPECTED[d])) expect(statusFromCode(SYSTEM, catalog.statuses(d), code, 'test')).toBe(status);
  });

  it('when a code is not in the table (or is an Object.prototype name), then UNKNOWN_STATUS names it', async () => {
    for (const code of ['07', 'ARCHIVED', '__proto__', 'toString', '']) {
      const err = await expectAdapterError(() => statusFromCode(SYSTEM, catalog.statuses('liwan'), code, 'xh 9'), 'UNKNOWN_STATUS', false);
      expect(err.message).toContain(`"${code}"`);
    }
  });

  it('when a result carries a code that is known but not a decision, then APPROVAL_BAD_RESPONSE is thrown; decisions map', async () => {
    expect(decisionFromCode(SYSTEM, catalog.statuses('liwan'), '04', 'r')).toBe('approved');
    expect(decisionFromCode(SYSTEM, catalog.statuses('nanhai'), 'DENIED', 'r')).toBe('rejected');
    await expectAdapterError(() => decisionFromCode(SYSTEM, catalog.statuses('liwan'), '02', 'r'), 'APPROVAL_BAD_RESPONSE');
    await expectAdapterError(() => decisionFromCode(SYSTEM, catalog.statuses('nanhai'), 'PENDING', 'r'), 'UNKNOWN_STATUS');
  });
});

describe('what a district system checks on receipt', () => {
  it.each(catalog.list().map((m) => [m.id, m] as const))('when %s is mapped from a sample form, then neither district finds a problem', (_id, m) => {
    const form = sampleForm(m);
    for (const d of DISTRICTS) expect(districtFormProblems(m, d, toDistrictForm(SYSTEM, m, d, form))).toEqual([]);
    expect(sampleMaterials(m, form).length).toBeGreaterThan(0);
  });

  it('when the shipped catalog is checked for maps an adapter cannot send, then there are none', () => {
    expect(catalog.list().flatMap((m) => districtMappingProblems(m).map((p) => `${m.id} ${p.field}`))).toEqual([]);
  });

  it('when the received form has unknown names, wrong JSON types, values outside the map, bad dates or misses required fields, then each is named without its value', () => {
    const problems = districtFormProblems(M1, 'nanhai', {
      enterpriseName: '甲',
      nickname: '乙',
      employeeCount: '12',
      premisesType: 'RENT',
      plannedStart: Date.parse('2026-06-15T00:00:00Z'),
      byAgent: true,
    });
    expect(problems).toEqual([
      'nickname: not a field of NH-SCJG-SCSX-0001',
      'employeeCount: must be a number',
      'premisesType: not one of the field\'s values',
      'plannedStart: not a date epochMillis',
      'businessScope: required',
      'registeredCapitalYuan: required',
      'agentIdNo: required when byAgent has that value',
      'uscc: required',
      'mobile: required',
    ]);
    expect(problems.join(' ')).not.toContain('乙');
  });

  it('when a conditional field\'s condition does not hold, then its absence is fine', () => {
    const data = toDistrictForm(SYSTEM, M1, 'liwan', { ...FULL_FORM, premisesType: 'owned', leaseEnds: '', byAgent: 'false', agentIdNumber: '' });
    expect(districtFormProblems(M1, 'liwan', data)).toEqual([]);
  });

  it('when district dates are checked, then each format accepts only real dates in its own shape', () => {
    expect(isDistrictDate('20240229', 'yyyyMMdd')).toBe(true);
    expect(isDistrictDate('20230229', 'yyyyMMdd')).toBe(false);
    expect(isDistrictDate('2024/02/29', 'yyyy/MM/dd')).toBe(true);
    expect(isDistrictDate('2024-02-29', 'yyyy/MM/dd')).toBe(false);
    expect(isDistrictDate('2024-02-29', 'yyyy-MM-dd')).toBe(true);
    expect(isDistrictDate(beijingMidnight('2024-02-29')!, 'epochMillis')).toBe(true);
    expect(isDistrictDate(Date.parse('2024-02-29T00:00:00Z'), 'epochMillis')).toBe(false);
    expect(beijingMidnight('2024-02-30')).toBeUndefined();
  });
});
