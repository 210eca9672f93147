/**
 * The catalog fixtures other tests rely on: generated catalogs are valid at any size and in both
 * shapes, and the sample forms they give pass the catalog's own rules for generated matters too.
 */
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../../../gateway/catalog/catalog.js';
import { isValidCreditCode, isValidResidentId } from '../../../gateway/intake/identifiers.js';
import { creditCode, generatedCatalogYaml, residentId, SAMPLE, sampleForm, sampleForPattern, sampleMaterials } from '../../helpers/catalog-fixtures.js';
import type { FormValues, Material } from '../../../gateway/domain/application.js';
import type { Matter } from '../../../gateway/catalog/schema.js';
import { formIssues, materialIssues } from '../../../gateway/intake/field-rules.js';

// The intake validator's own rules, as `field:CODE` lines.
const formProblems = (m: Matter, form: FormValues, nowMs: number) => formIssues(form, m, nowMs).map((i) => `${i.field}:${i.code}`).sort();
const materialProblems = (m: Matter, form: FormValues, materials: Material[]) => materialIssues(materials, m, form).map((i) => `${i.field}:${i.code}`);

const NOW = Date.parse('2026-11-21T00:00:00+08:00');

describe('catalog fixtures', () => {
  it.each([1, 2, 7, 60])('when %i matters are generated, then the catalog loads with all of them', (n) => {
    expect(parseCatalog(generatedCatalogYaml(n), 'g.yaml').list()).toHaveLength(n);
    expect(parseCatalog(generatedCatalogYaml(n, { full: true }), 'g.yaml').list()).toHaveLength(n);
  });

  it('when a generated catalog is read, then it spans domains, handling districts, batches and applicant kinds', () => {
    const matters = parseCatalog(generatedCatalogYaml(30), 'g.yaml').list();
    expect(new Set(matters.map((m) => m.domain)).size).toBe(3);
    expect(new Set(matters.map((m) => m.handlingDistrict)).size).toBe(2);
    expect(new Set(matters.map((m) => m.batch)).size).toBe(2);
    expect(new Set(matters.map((m) => m.applicantKind)).size).toBe(2);
  });

  it('when sample forms are built for full generated matters, then they pass the field rules in both condition modes', () => {
    for (const m of parseCatalog(generatedCatalogYaml(6, { full: true }), 'g.yaml').list()) {
      for (const conditions of ['met', 'unmet'] as const) {
        const form = sampleForm(m, { conditions });
        expect(formProblems(m, form, NOW), `${m.id} ${conditions}`).toEqual([]);
        expect(materialProblems(m, form, sampleMaterials(m, form))).toEqual([]);
      }
      expect(sampleForm(m).agentIdNumber).toBe(SAMPLE.idNumber);
      expect(sampleForm(m, { conditions: 'unmet' }).agentIdNumber).toBeUndefined();
    }
  });

  it('when overrides are given, then they are used and decide the conditions', () => {
    const [m] = parseCatalog(generatedCatalogYaml(1, { full: true }), 'g.yaml').list();
    const form = sampleForm(m!, { overrides: { premisesType: 'owned', companyName: '佛山南海示例有限公司' } });
    expect(form.companyName).toBe('佛山南海示例有限公司');
    expect(form.leaseEnds).toBeUndefined();
    expect(sampleMaterials(m!, form).map((x) => x.name)).not.toContain('场所使用证明');
  });

  it('when identifiers are made, then their check characters are valid', () => {
    expect(isValidResidentId(SAMPLE.idNumber, NOW)).toBe(true);
    expect(isValidResidentId(SAMPLE.otherIdNumber, NOW)).toBe(true);
    expect(residentId('11010519491231002')).toBe('11010519491231002X');
    for (const c of [SAMPLE.creditCode, SAMPLE.otherCreditCode, SAMPLE.soleTraderCreditCode]) expect(isValidCreditCode(c)).toBe(true);
    expect(creditCode('91350100M000100Y4')).toBe('91350100M000100Y43');
  });

  it('when a pattern is simple, then a matching sample is made; when it is not, then the fixture says so', () => {
    expect(sampleForPattern('^D\\d{9}$')).toBe('D111111111');
    expect(sampleForPattern('^\\d{4}[0-9A-Z]{16}$')).toMatch(/^\d{4}[0-9A-Z]{16}$/);
    expect(sampleForPattern('^粤[A-Z]\\d{5}$')).toBe('粤A11111');
    expect(() => sampleForPattern('^(a|b)$')).toThrow(/not supported/);
  });
});
