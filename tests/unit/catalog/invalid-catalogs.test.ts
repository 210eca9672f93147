/**
 * A catalogue of bad catalog files: each is refused at start with the exact problem —
 * where (matter id, line, or section), field (dotted path) and message — and nothing is loaded.
 * Each test starts from a valid generated catalog of two matters and breaks one thing:
 *   KC-M-0001: business permit handled by Nanhai; KC-M-0002: construction handled by Liwan.
 * Field indices of a full generated matter: 0 companyName, 3 registeredCapital, 4 plannedStart,
 * 5 premisesType (enum owned|leased), 6 leaseEnds (requiredWhen premisesType=leased), 7 byAgent
 * (boolean), 9 creditCode; material 3 premises_proof is conditional on premisesType=leased.
 */
import { describe, expect, it } from 'vitest';
import { CatalogError, loadMatterCatalog, parseCatalog, type MatterCatalog } from '../../../gateway/catalog/catalog.js';
import type { CatalogProblem } from '../../../gateway/catalog/checks.js';
import { catalogYaml, creditCode, generatedCatalog, generatedCatalogYaml } from '../../helpers/catalog-fixtures.js';

// The tests reach into the generated catalog freely; it is plain data.
type Raw = any;

function problemsOf(text: string, file = 'matters.yaml'): CatalogProblem[] {
  let loaded: MatterCatalog | undefined;
  try {
    loaded = parseCatalog(text, file);
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    expect(loaded).toBeUndefined();
    return err.problems;
  }
  throw new Error('the catalog loaded, but it should have been refused');
}

/** Problems of the valid two-matter catalog after `breakIt` changed it. */
function problemsAfter(breakIt: (catalog: Raw) => void): CatalogProblem[] {
  const catalog: Raw = generatedCatalog(2, { full: true });
  breakIt(catalog);
  return problemsOf(catalogYaml(catalog));
}

const m1 = (c: Raw) => c.matters[0];
const m2 = (c: Raw) => c.matters[1];
const p = (where: string, field: string, message: string): CatalogProblem => ({ where, field, message });

/** The text of the valid catalog with line `n` (1-based, the first line equal to `line`) replaced. */
function replacingLine(line: string, by: string[]): { text: string; n: number } {
  const lines = generatedCatalogYaml(2, { full: true }).split('\n');
  const i = lines.indexOf(line);
  if (i < 0) throw new Error(`no line "${line}"`);
  return { text: [...lines.slice(0, i), ...by, ...lines.slice(i + 1)].join('\n'), n: i + 1 };
}

describe('the valid base', () => {
  it('when nothing is broken, then the two-matter catalog loads', () => {
    expect(parseCatalog(generatedCatalogYaml(2, { full: true }), 'matters.yaml').list()).toHaveLength(2);
  });
});

describe('YAML', () => {
  it('when a flow map is not closed, then the syntax error names its line and column', () => {
    const { text, n } = replacingLine('    result: { document: 许可证 }', ['    result: { document: 许可证 ]']);
    expect(problemsOf(text)).toEqual([p(`line ${n}`, expect.stringMatching(/^column \d+$/), 'missed comma between flow collection entries')]);
  });

  it('when a key appears twice in one map, then the duplicate is refused at its line', () => {
    const { text, n } = replacingLine('    name: 生成事项0001', ['    name: 生成事项0001', '    name: 重复的名称']);
    expect(problemsOf(text)).toEqual([p(`line ${n + 1}`, expect.stringMatching(/^column \d+$/), 'duplicated mapping key')]);
  });

  it('when one stray bracket breaks the rest of the file, then the first syntax error is named at its line, not hundreds of follow-ons', () => {
    const { text, n } = replacingLine('    result: { document: 许可证 }', ['    result: { document: 许可证 }}']);
    expect(problemsOf(text)).toEqual([p(`line ${n}`, expect.stringMatching(/^column \d+$/), expect.any(String))]);
  });

  it('when an alias has no anchor, then it is a problem of the file, not a crash', () => {
    expect(problemsOf('version: 1\nbatches: *missing\n')).toEqual([p('line 2', 'column 18', 'unidentified alias "missing"')]);
  });

  it('when the file cannot be read, then the problem says so', () => {
    let error: unknown;
    try {
      loadMatterCatalog('/nonexistent/matters.yaml');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CatalogError);
    expect((error as CatalogError).problems).toEqual([p('file', '', 'cannot be read (ENOENT)')]);
  });
});

describe('one entry on its own (schema)', () => {
  it('when a matter has no result, then the missing key is named', () => {
    expect(problemsAfter((c) => delete m1(c).result)).toEqual([p('KC-M-0001', 'result', 'Invalid input: expected object, received undefined')]);
  });

  it('when a matter has a key the format does not know, then it is refused (strict objects)', () => {
    expect(problemsAfter((c) => (m1(c).remark = '备注'))).toEqual([p('KC-M-0001', '', 'Unrecognized key: "remark"')]);
  });

  it('when a district field map has a key the format does not know, then its path is named', () => {
    expect(problemsAfter((c) => (m1(c).fields[0].map.liwan.type = 'string'))).toEqual([p('KC-M-0001', 'fields[0].map.liwan', 'Unrecognized key: "type"')]);
  });

  it('when the catalog header has an unknown key, then it is refused', () => {
    expect(problemsAfter((c) => (c.owner = '市政务服务数据管理局'))).toEqual([p('catalog', '', 'Unrecognized key: "owner"')]);
  });

  it('when a date does not exist (2016-02-30), then it is refused as not a calendar date', () => {
    expect(problemsAfter((c) => (m1(c).effectiveFrom = '2016-02-30'))).toEqual([p('KC-M-0001', 'effectiveFrom', 'is not a real calendar date')]);
  });

  it('when a date is written another way (2016/11/18), then it is refused with the expected form', () => {
    expect(problemsAfter((c) => (m1(c).effectiveFrom = '2016/11/18'))).toEqual([
      p('KC-M-0001', 'effectiveFrom', 'must be a date YYYY-MM-DD'),
      p('KC-M-0001', 'effectiveFrom', 'is not a real calendar date'),
    ]);
  });

  it('when a field type is unknown, then the allowed types are listed', () => {
    const [problem] = problemsAfter((c) => (m1(c).fields[0].type = 'string'));
    expect(problem).toEqual(p('KC-M-0001', 'fields[0].type', expect.stringMatching(/^Invalid option: expected one of "text"\|"textarea"\|/)));
  });

  it('when a matter id is malformed, then the entry is named by its id as written', () => {
    expect(problemsAfter((c) => (m2(c).id = 'KC-0002'))).toEqual([p('KC-0002', 'id', 'must look like KC-M-0001')]);
  });

  it('when a matter has no id at all, then the entry is named by its index', () => {
    expect(problemsAfter((c) => delete m2(c).id)).toEqual([p('matters[1]', 'id', 'Invalid input: expected string, received undefined')]);
  });
});

describe('time limits, batches and dates (checks)', () => {
  it('when the promised limit is longer than the statutory one, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).timeLimits = { statutoryDays: 5, promisedDays: 10 }))).toEqual([
      p('KC-M-0001', 'timeLimits.promisedDays', 'promised (10) must not exceed statutory (5) working days'),
    ]);
  });

  it('when a matter names a batch that does not exist, then the known batches are listed', () => {
    expect(problemsAfter((c) => (m1(c).batch = '2017-05'))).toEqual([p('KC-M-0001', 'batch', '"2017-05" is not one of the batches (2016-02, 2016-11)')]);
  });

  it('when a matter is effective before its batch was announced, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).effectiveFrom = '2016-11-01'))).toEqual([p('KC-M-0001', 'effectiveFrom', 'must not be before batch 2016-11 was announced (2016-11-18)')]);
  });

  it('when a matter is withdrawn before it took effect, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).withdrawnFrom = '2016-06-01'))).toEqual([p('KC-M-0001', 'withdrawnFrom', 'must be after effectiveFrom (2016-11-18)')]);
  });

  it('when two batches share an id, then the second is refused', () => {
    expect(problemsAfter((c) => (c.batches[1].id = '2016-02'))).toEqual([
      p('batches', 'batches[1].id', 'batch id "2016-02" is used twice (also at index 0)'),
      // …and the matters of the vanished batch name an unknown one.
      p('KC-M-0001', 'batch', '"2016-11" is not one of the batches (2016-02)'),
      p('KC-M-0002', 'batch', '"2016-11" is not one of the batches (2016-02)'),
    ]);
  });
});

describe('codes (checks)', () => {
  it('when the credit code in an implementation code has a wrong check character, then it is refused', () => {
    expect(
      problemsAfter((c) => {
        const d = m1(c).districts.nanhai;
        d.implementationCode = `11440605MB2D56780A${d.implementationCode.slice(18)}`;
      }),
    ).toEqual([p('KC-M-0001', 'districts.nanhai.implementationCode', 'the first 18 characters are not a valid unified social credit code (GB 32100-2015 check character)')]);
  });

  it('when an implementation code ends with another catalog code, then it is refused', () => {
    expect(
      problemsAfter((c) => {
        const d = m1(c).districts.nanhai;
        d.implementationCode = `${d.implementationCode.slice(0, 18)}000100000002`;
      }),
    ).toEqual([p('KC-M-0001', 'districts.nanhai.implementationCode', 'must end with the catalog code 000100000001')]);
  });

  it('when a Liwan department has a credit code registered in Nanhai, then the division is refused', () => {
    const nanhaiCode = creditCode('11440605MB2F99990');
    expect(
      problemsAfter((c) => {
        m1(c).districts.liwan.implementationCode = nanhaiCode + m1(c).catalogCode;
      }),
    ).toEqual([p('KC-M-0001', 'districts.liwan.implementationCode', 'a liwan department is registered in division 440103, not 440605')]);
  });

  it('when one department is given two credit codes, then the second is refused', () => {
    expect(
      problemsAfter((c) => {
        // KC-M-0001's Liwan side is the window, 政务服务数据管理局, as in KC-M-0003 onwards; give it 住建局's code.
        m1(c).districts.liwan.implementationCode = `11440103MB2E00517G${m1(c).catalogCode}`;
      }),
    ).toEqual([p('KC-M-0002', 'districts.liwan.department', 'the credit code 11440103MB2E00517G belongs to 广州市荔湾区政务服务数据管理局 (as in KC-M-0001)')]);
  });

  it('when two matters share an id, then the second is refused', () => {
    expect(problemsAfter((c) => (m2(c).id = 'KC-M-0001'))).toEqual([p('matters', 'matters[1].id', 'matter id "KC-M-0001" is used twice (also at index 0)')]);
  });

  it('when two matters share a local matter code, then the second is refused', () => {
    expect(problemsAfter((c) => (m2(c).districts.liwan.code = 'LW-KC-0001'))).toEqual([
      p('matters', 'KC-M-0002.districts.liwan.code', 'liwan local matter code "LW-KC-0001" is used twice (also at index 0)'),
    ]);
  });

  it('when two matters share a catalog code, then the second is refused', () => {
    expect(
      problemsAfter((c) => {
        m2(c).catalogCode = '000100000001';
        for (const d of ['liwan', 'nanhai']) m2(c).districts[d].implementationCode = m2(c).districts[d].implementationCode.slice(0, 18) + '000100000001';
      }),
    ).toEqual([p('matters', 'KC-M-0002.catalogCode', 'catalog code "000100000001" is used twice (also at index 0)')]);
  });

  it('when a district system has no code for a shared status, then the missing status is named', () => {
    expect(problemsAfter((c) => delete c.systems.nanhai.statuses.SUPPLEMENTED)).toEqual([p('systems', 'nanhai.statuses', 'no nanhai status code for supplement_received')]);
  });

  it('when a status code maps to a status that does not exist, then it is refused', () => {
    const [problem] = problemsAfter((c) => (c.systems.liwan.statuses['07'] = 'withdrawn'));
    expect(problem).toEqual(p('catalog', 'systems.liwan.statuses.07', expect.stringMatching(/^Invalid option: expected one of "registered"\|/)));
  });
});

describe('fields and their district maps (checks)', () => {
  it('when an enum option has no district value, then the option is named', () => {
    expect(problemsAfter((c) => delete m1(c).fields[5].map.liwan.values.leased)).toEqual([p('KC-M-0001', 'fields[5](premisesType).map.liwan.values', 'no district value for leased')]);
  });

  it('when a value map has a value that is not an option, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[5].map.nanhai.values.rented = 'RENT'))).toEqual([
      p('KC-M-0001', 'fields[5](premisesType).map.nanhai.values', 'maps values that are not options: rented'),
    ]);
  });

  it('when two options map to the same district value, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[5].map.liwan.values = { owned: '1', leased: '1' }))).toEqual([
      p('KC-M-0001', 'fields[5](premisesType).map.liwan.values', 'two options map to the same district value'),
    ]);
  });

  it('when a boolean field has no value map, then both values are named', () => {
    expect(problemsAfter((c) => delete m1(c).fields[7].map.liwan.values)).toEqual([p('KC-M-0001', 'fields[7](byAgent).map.liwan.values', 'no district value for true, false')]);
  });

  it('when a text field has a date format, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[0].map.liwan.dateFormat = 'yyyyMMdd'))).toEqual([
      p('KC-M-0001', 'fields[0](companyName).map.liwan.dateFormat', 'only date fields have a date format, not text'),
    ]);
  });

  it('when a text field has a scale, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[0].map.nanhai.scale = 10000))).toEqual([
      p('KC-M-0001', 'fields[0](companyName).map.nanhai.scale', 'only integer and decimal fields can be scaled, not text'),
    ]);
  });

  it('when a district unit differs from the shared unit without a factor, then it is refused', () => {
    expect(problemsAfter((c) => delete m1(c).fields[3].map.nanhai.scale)).toEqual([
      p('KC-M-0001', 'fields[3](registeredCapital).map.nanhai.scale', 'the district unit 元 differs from the shared unit 万元: give the factor'),
    ]);
  });

  it('when a factor is given for the shared unit itself, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[3].map.liwan.scale = 10000))).toEqual([
      p('KC-M-0001', 'fields[3](registeredCapital).map.liwan.scale', 'the district unit is the shared unit 万元: a factor would change the value'),
    ]);
  });

  it('when a boolean is sent as a JSON boolean but its district values are 1/0, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[7].map.liwan.as = 'boolean'))).toEqual([
      p('KC-M-0001', 'fields[7](byAgent).map.liwan.as', 'as: boolean needs a boolean field whose district values are "true" and "false"'),
    ]);
  });

  it('when a yyyy-MM-dd date is sent as a number, then it is refused', () => {
    expect(problemsAfter((c) => (m2(c).fields[4].map.nanhai.as = 'number'))).toEqual([
      p('KC-M-0002', 'fields[4](plannedStart).map.nanhai.as', 'as: number needs a number field, an epochMillis date or numeric district values, not this date field'),
    ]);
  });

  it('when a condition points at a field that does not exist, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[6].requiredWhen.field = 'premisesKind'))).toEqual([
      p('KC-M-0001', 'fields[6](leaseEnds).requiredWhen.field', 'refers to "premisesKind", which is not a field of this matter'),
    ]);
  });

  it('when a condition points at a field that is not an enum or boolean, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[6].requiredWhen.field = 'companyName'))).toEqual([
      p('KC-M-0001', 'fields[6](leaseEnds).requiredWhen.field', '"companyName" must be an enum or boolean field to be a condition'),
    ]);
  });

  it('when a condition asks for a value that is not an option, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[6].requiredWhen.equals = 'rented'))).toEqual([
      p('KC-M-0001', 'fields[6](leaseEnds).requiredWhen.equals', '"rented" is not an option of premisesType'),
    ]);
  });

  it('when a required field is also conditional, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[6].required = true))).toEqual([p('KC-M-0001', 'fields[6](leaseEnds).requiredWhen', 'a required field cannot also be conditional')]);
  });

  it('when two fields share a key, then the second is refused', () => {
    expect(problemsAfter((c) => (m1(c).fields[1].key = 'companyName'))).toEqual([p('KC-M-0001', 'fields[1].key', 'field key "companyName" is used twice (also at index 0)')]);
  });
});

describe('materials (checks)', () => {
  it('when a conditional material has no condition for staff, then it is refused', () => {
    expect(problemsAfter((c) => delete m1(c).materials[3].condition)).toEqual([
      p('KC-M-0001', 'materials[3](premises_proof).condition', 'a conditional material needs its condition in words for staff'),
    ]);
  });

  it('when a material condition points at a missing field, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).materials[3].requiredWhen.field = 'premises'))).toEqual([
      p('KC-M-0001', 'materials[3](premises_proof).requiredWhen.field', 'refers to "premises", which is not a field of this matter'),
    ]);
  });

  it('when a required material has a condition, then it is refused', () => {
    expect(problemsAfter((c) => (m1(c).materials[0].condition = '租赁时'))).toEqual([p('KC-M-0001', 'materials[0](application_form)', 'a required material has no condition')]);
  });

  it('when two materials share a district code, then the second is refused', () => {
    expect(problemsAfter((c) => (m1(c).materials[1].codes.nanhai = 'NH-M-SC00011'))).toEqual([
      p('KC-M-0001', 'materials[1].codes.nanhai', 'nanhai material code "NH-M-SC00011" is used twice (also at index 0)'),
    ]);
  });
});

describe('a catalog with many problems', () => {
  it('when several matters and sections are broken at once, then every problem is reported and nothing is loaded', () => {
    const catalog: Raw = generatedCatalog(3, { full: true });
    catalog.systems.liwan.statuses = { '01': 'registered', '02': 'accepted', '04': 'approved', '05': 'rejected' };
    m1(catalog).timeLimits = { statutoryDays: 20, promisedDays: 25 };
    m1(catalog).batch = '2016-13';
    delete m1(catalog).fields[5].map.liwan.values.leased;
    m1(catalog).fields[0].map.liwan.dateFormat = 'yyyyMMdd';
    m2(catalog).effectiveFrom = '2016-02-30';
    m2(catalog).remark = 'x';
    catalog.matters[2].id = 'KC-M-0001';
    catalog.matters[2].materials[3].requiredWhen.equals = 'rented';

    const text = catalogYaml(catalog);
    let loaded: MatterCatalog | undefined;
    let error: CatalogError | undefined;
    try {
      loaded = parseCatalog(text, '/etc/kuacheng/matters.yaml');
    } catch (err) {
      error = err as CatalogError;
    }
    expect(loaded).toBeUndefined();
    expect(error).toBeInstanceOf(CatalogError);
    const problems = error!.problems;
    expect(problems).toEqual([
      // Each entry's own shape first (KC-M-0002 is left out of the cross checks)…
      p('KC-M-0002', 'effectiveFrom', 'is not a real calendar date'),
      p('KC-M-0002', '', 'Unrecognized key: "remark"'),
      // …then the whole file.
      p('systems', 'liwan.statuses', 'no liwan status code for supplement_requested, supplement_received'),
      p('matters', 'matters[1].id', 'matter id "KC-M-0001" is used twice (also at index 0)'),
      p('KC-M-0001', 'timeLimits.promisedDays', 'promised (25) must not exceed statutory (20) working days'),
      p('KC-M-0001', 'batch', '"2016-13" is not one of the batches (2016-02, 2016-11)'),
      p('KC-M-0001', 'fields[0](companyName).map.liwan.dateFormat', 'only date fields have a date format, not text'),
      p('KC-M-0001', 'fields[5](premisesType).map.liwan.values', 'no district value for leased'),
      p('KC-M-0001', 'materials[3](premises_proof).requiredWhen.equals', '"rented" is not an option of premisesType'),
    ]);
    // One line per problem: `file: matter: field: message`.
    const lines = error!.message.split('\n');
    expect(lines[0]).toBe('invalid matter catalog /etc/kuacheng/matters.yaml (9 problems):');
    expect(lines.slice(1)).toEqual(problems.map((x) => `  matters.yaml: ${x.where}: ${x.field || '(entry)'}: ${x.message}`));
    expect(lines[1]).toBe('  matters.yaml: KC-M-0002: effectiveFrom: is not a real calendar date');
  });

  it('when the catalog header is broken too, then the matters are still checked on their own', () => {
    const catalog: Raw = generatedCatalog(2, { full: true });
    catalog.batches[0].announcedOn = '2016-02-30';
    m1(catalog).timeLimits.statutoryDays = 0;
    m2(catalog).fields[0].type = 'string';
    const problems = problemsOf(catalogYaml(catalog));
    expect(problems.map((x) => [x.where, x.field])).toEqual([
      ['catalog', 'batches[0].announcedOn'],
      ['KC-M-0001', 'timeLimits.statutoryDays'],
      ['KC-M-0002', 'fields[0].type'],
    ]);
  });
});
