/**
 * The catalog that ships (gateway/catalog/matters.yaml): it loads, covers what the 2016 batches
 * cover, and every matter can be filled in — the sample form and materials of each matter pass the
 * catalog's own rules, with its conditions met and unmet.
 */
import { describe, expect, it } from 'vitest';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { DATE_FORMATS, FIELD_TYPES, MATTER_DOMAINS } from '../../../gateway/catalog/schema.js';
import { DISTRICTS } from '../../../gateway/domain/district.js';
import { isValidCreditCode } from '../../../gateway/intake/identifiers.js';
import { sampleApplicant, sampleForm, sampleMaterials } from '../../helpers/catalog-fixtures.js';
import type { FormValues, Material } from '../../../gateway/domain/application.js';
import type { Matter } from '../../../gateway/catalog/schema.js';
import { formIssues, materialIssues } from '../../../gateway/intake/field-rules.js';

// The intake validator's own rules, as `field:CODE` lines.
const formProblems = (m: Matter, form: FormValues, nowMs: number) => formIssues(form, m, nowMs).map((i) => `${i.field}:${i.code}`).sort();
const materialProblems = (m: Matter, form: FormValues, materials: Material[]) => materialIssues(materials, m, form).map((i) => `${i.field}:${i.code}`);

const catalog = loadMatterCatalog();
const matters = catalog.list();
/** A fixed "now" for resident-ID birth dates, so the test does not depend on the clock. */
const NOW = Date.parse('2026-11-21T00:00:00+08:00');

describe('the shipped matter catalog', () => {
  it('when it is loaded, then it holds at least 20 matters in all three domains, both handling districts and both batches', () => {
    expect(matters.length).toBeGreaterThanOrEqual(20);
    expect(new Set(matters.map((m) => m.domain))).toEqual(new Set(MATTER_DOMAINS));
    expect(new Set(matters.map((m) => m.handlingDistrict))).toEqual(new Set(DISTRICTS));
    expect(new Set(matters.map((m) => m.batch))).toEqual(new Set(['2016-02', '2016-11']));
    for (const d of DISTRICTS) {
      const share = catalog.list({ handlingDistrict: d }).length / matters.length;
      expect(share, `share handled by ${d}`).toBeGreaterThanOrEqual(0.4);
    }
  });

  it('when it is loaded, then the first four example matters keep their ids, field keys and material names', () => {
    expect(catalog.get('KC-M-0001')?.fields.map((f) => f.key)).toEqual(['companyName', 'registeredCapital', 'businessScope', 'legalRepresentative', 'premisesType']);
    expect(catalog.get('KC-M-0001')?.materials.map((m) => m.name)).toEqual(['公司登记（备案）申请书', '公司章程', '法定代表人身份证明', '住所使用证明']);
    expect(catalog.get('KC-M-0002')?.fields.map((f) => f.key)).toEqual(['premisesAddress', 'businessCategory', 'floorArea']);
    expect(catalog.get('KC-M-0003')?.materials.map((m) => m.name)).toEqual(['公司变更登记申请书', '股东会决议']);
    expect(catalog.get('KC-M-0004')?.fields.map((f) => f.key)).toEqual(['projectName', 'projectAddress', 'contractPrice', 'plannedStart']);
  });

  it('when its matters are read together, then every field type, date format, clock rule and applicant kind is used', () => {
    const fields = matters.flatMap((m) => m.fields);
    expect(new Set(fields.map((f) => f.type))).toEqual(new Set(FIELD_TYPES));
    const formats = new Set(fields.flatMap((f) => DISTRICTS.map((d) => f.map[d].dateFormat)).filter((x) => x !== undefined));
    expect(formats).toEqual(new Set(DATE_FORMATS));
    expect(fields.some((f) => f.map.nanhai.scale === 10000 && f.unit === '万元' && f.map.nanhai.unit === '元')).toBe(true);
    expect(fields.some((f) => f.requiredWhen !== undefined)).toBe(true);
    expect(matters.flatMap((m) => m.materials).some((x) => x.requiredWhen !== undefined)).toBe(true);
    expect(new Set(matters.map((m) => m.clock.startsOn))).toEqual(new Set(['accepted', 'materials_received']));
    expect(new Set(matters.map((m) => m.clock.courierTimeCounts))).toEqual(new Set([true, false]));
    expect(new Set(matters.map((m) => m.applicantKind))).toEqual(new Set(['person', 'company']));
    expect(matters.some((m) => m.timeLimits.promisedDays < m.timeLimits.statutoryDays)).toBe(true);
  });

  it('when a date is asked about, then a future matter is not yet effective and a withdrawn one is closed', () => {
    const future = matters.filter((m) => m.effectiveFrom > '2026-11-21');
    const withdrawn = matters.filter((m) => m.withdrawnFrom !== undefined && m.withdrawnFrom <= '2026-11-21');
    expect(future.map((m) => m.id)).toEqual(['KC-M-0024']);
    expect(withdrawn.map((m) => m.id)).toEqual(['KC-M-0010']);
    expect(catalog.availability(future[0]!, '2026-12-31')).toBe('not_yet_effective');
    expect(catalog.availability(future[0]!, '2027-01-01')).toBe('open');
    expect(catalog.availability(withdrawn[0]!, '2019-02-28')).toBe('open');
    expect(catalog.availability(withdrawn[0]!, '2019-03-01')).toBe('withdrawn');
    const open = catalog.list({ openOn: '2026-11-21' }).map((m) => m.id);
    expect(open).not.toContain('KC-M-0024');
    expect(open).not.toContain('KC-M-0010');
    expect(open).toHaveLength(matters.length - 2);
  });

  it('when each district reads a matter, then the handling district names its own department and every implementation code is valid', () => {
    for (const m of matters) {
      for (const d of DISTRICTS) {
        const { implementationCode, department } = m.districts[d];
        expect(isValidCreditCode(implementationCode.slice(0, 18)), `${m.id} ${d}`).toBe(true);
        expect(implementationCode.slice(18)).toBe(m.catalogCode);
        expect(department.startsWith(d === 'liwan' ? '广州市荔湾区' : '佛山市南海区'), `${m.id} ${d} ${department}`).toBe(true);
      }
      const window = m.districts[m.handlingDistrict === 'liwan' ? 'nanhai' : 'liwan'];
      expect(window.department, m.id).toMatch(/政务服务数据管理局$/);
      expect(m.districts[m.handlingDistrict].code, m.id).toMatch(m.handlingDistrict === 'liwan' ? /^440103-[A-Z]+-[A-Z]+-\d{3}$/ : /^NH-[A-Z]+-[A-Z]+-\d{3}$/);
    }
  });

  it('when the district naming conventions are read, then Liwan fields are pinyin abbreviations and Nanhai fields camelCase English', () => {
    for (const m of matters) {
      for (const f of m.fields) {
        expect(f.map.liwan.field, `${m.id} ${f.key}`).toMatch(/^[a-z]+$/);
        expect(f.map.nanhai.field, `${m.id} ${f.key}`).toMatch(/^[a-z]+[A-Za-z0-9]*$/);
      }
      for (const x of m.materials) {
        expect(x.codes.liwan, `${m.id} ${x.id}`).toMatch(/^(440103-CL-|LWCL-)\d{4}$/);
        expect(x.codes.nanhai, `${m.id} ${x.id}`).toMatch(/^NH-M-[A-Z]{2}\d{2}$/);
      }
    }
  });

  describe.each(matters.map((m) => [m.id, m] as const))('matter %s', (_id, matter) => {
    it('when its sample form is built with the conditions met, then it passes the field rules and the materials match the checklist', () => {
      const form = sampleForm(matter);
      expect(formProblems(matter, form, NOW)).toEqual([]);
      expect(materialProblems(matter, form, sampleMaterials(matter, form))).toEqual([]);
      for (const f of matter.fields.filter((x) => x.required)) expect(form[f.key], f.key).toBeDefined();
    });

    it('when its sample form is built with the conditions unmet, then it still passes', () => {
      const form = sampleForm(matter, { conditions: 'unmet' });
      expect(formProblems(matter, form, NOW)).toEqual([]);
      expect(materialProblems(matter, form, sampleMaterials(matter, form))).toEqual([]);
    });

    it('when its sample applicant is built, then it is of the matter applicant kind', () => {
      const a = sampleApplicant(matter);
      expect(a.kind).toBe(matter.applicantKind);
      expect(matter.applicantKind === 'person' ? a.idNumber : a.creditCode).toBeDefined();
    });
  });

  it('when a condition holds in the sample form, then the conditional field is filled and the conditional material listed', () => {
    const m = catalog.get('KC-M-0007')!;
    const met = sampleForm(m);
    expect(met.agentApplies).toBe('true');
    expect(met.agentName).toBeDefined();
    expect(sampleMaterials(m, met).map((x) => x.name)).toContain('委托代理人证明及其身份证明');
    const unmet = sampleForm(m, { conditions: 'unmet' });
    expect(unmet.agentApplies).toBe('false');
    expect(unmet.agentName).toBeUndefined();
    expect(sampleMaterials(m, unmet).map((x) => x.name)).not.toContain('委托代理人证明及其身份证明');
  });

  it('when a matter breaks a field rule, then the rule check says so (the check is not vacuous)', () => {
    const m = catalog.get('KC-M-0018')!;
    const form = { ...sampleForm(m), netAssets: 'abc', technicalDirectorIdNumber: '440103198503150013', existingCertificateNo: 'X1', stray: '1' };
    delete (form as Record<string, string>).companyName;
    expect(formProblems(m, form, NOW)).toEqual(
      [
        'form.stray:UNKNOWN_FIELD',
        'form.companyName:REQUIRED',
        'form.existingCertificateNo:PATTERN_MISMATCH',
        'form.netAssets:NOT_NUMBER',
        'form.technicalDirectorIdNumber:INVALID_ID_NUMBER',
      ].sort(),
    );
  });
});
