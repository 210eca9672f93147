/**
 * Start-up stays fast as the catalog grows: 1,000 generated matters are parsed and checked whole.
 *
 * The time splits in two. The schema and cross-entry checks are ours and take a few hundred ms at
 * most for 1,000 matters. YAML parsing with the `yaml` package is the larger part: about 0.5–2 µs
 * per character on a busy 2-core machine, ~1–5 s for a 1,000-matter file (the shipped 25 matters
 * parse in well under 100 ms). The first bound holds our code to "well under a second"; the second
 * only guards against a pathological slowdown of the whole load. See gateway/catalog/README.md.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { catalogFromData, loadMatterCatalog, parseCatalog } from '../../../gateway/catalog/catalog.js';
import { generatedCatalog, generatedCatalogYaml } from '../../helpers/catalog-fixtures.js';

const N = 1000;

describe('catalog start-up time', () => {
  it('when 1,000 matters are checked, then the schema and cross-entry checks take well under a second', () => {
    const data = generatedCatalog(N);
    catalogFromData(generatedCatalog(10), 'warm-up');
    const start = performance.now();
    const catalog = catalogFromData(data, 'generated');
    const ms = performance.now() - start;
    console.log(`catalog checks: ${N} matters in ${ms.toFixed(0)} ms`);
    expect(catalog.list()).toHaveLength(N);
    expect(ms).toBeLessThan(2000);
  });

  it('when a 1,000-matter YAML file is loaded, then it parses and checks whole, and the time is printed', () => {
    const text = generatedCatalogYaml(N);
    parseCatalog(generatedCatalogYaml(10), 'warm-up.yaml');
    const start = performance.now();
    const catalog = parseCatalog(text, 'generated.yaml');
    const ms = performance.now() - start;
    console.log(`catalog load: ${N} matters, ${(text.length / 1e6).toFixed(2)} M characters of YAML, in ${ms.toFixed(0)} ms (${((ms * 1000) / text.length).toFixed(2)} µs/char)`);
    expect(catalog.list()).toHaveLength(N);
    expect(catalog.get('KC-M-1000')?.name).toBe('生成事项1000');
    expect(ms).toBeLessThan(3_000);
  });

  it('when the shipped catalog is loaded, then it takes well under a second', () => {
    loadMatterCatalog();
    const start = performance.now();
    const catalog = loadMatterCatalog();
    const ms = performance.now() - start;
    console.log(`shipped catalog: ${catalog.list().length} matters in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(1000);
  });

  it('when the generator is asked twice, then it gives the same text (deterministic)', () => {
    expect(generatedCatalogYaml(30)).toBe(generatedCatalogYaml(30));
    expect(generatedCatalogYaml(30, { full: true })).toBe(generatedCatalogYaml(30, { full: true }));
    expect((parse(generatedCatalogYaml(3)) as { matters: unknown[] }).matters).toHaveLength(3);
  });
});
