/**
 * The routing file (gateway/supervision/routing.ts): department → officer, section head and unit
 * leader. A bad file is refused with every problem listed; a department without a route of its own
 * gets the default one.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { recipientsOf } from '../../../gateway/supervision/cards.js';
import { loadRouting, NO_ROUTING, parseRouting, RoutingError } from '../../../gateway/supervision/routing.js';
import { thrownBy } from '../../helpers/thrown.js';

const catalog = loadMatterCatalog();
const dir = mkdtempSync(join(tmpdir(), 'kc-routing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const good = `
version: 1
district: nanhai
default:
  officer: { staffId: NH-DEF-01 }
  sectionHead: { staffId: NH-DEF-02 }
  unitLeader: { staffId: NH-DEF-03 }
departments:
  佛山市南海区市场监督管理局:
    officer: { staffId: NH-SCJG-0101, name: 李承办 }
    sectionHead: { staffId: NH-SCJG-0102 }
    unitLeader: { staffId: NH-SCJG-0103 }
`;

function problemsOf(text: string, district: 'nanhai' | 'liwan' = 'nanhai'): string[] {
  return thrownBy(RoutingError, () => parseRouting(text, '/etc/kc/routing.yaml', { district })).problems.map((p) => `${p.where}: ${p.message}`);
}

describe('routing file', () => {
  it('when a department has its own route, then its cards go to its three people; otherwise to the default three', () => {
    const { routing } = parseRouting(good, 'routing.yaml', { district: 'nanhai' });
    expect(recipientsOf(routing, '佛山市南海区市场监督管理局')).toEqual({
      source: 'department',
      recipients: [
        { role: 'officer', staffId: 'NH-SCJG-0101', name: '李承办' },
        { role: 'sectionHead', staffId: 'NH-SCJG-0102' },
        { role: 'unitLeader', staffId: 'NH-SCJG-0103' },
      ],
    });
    expect(recipientsOf(routing, '佛山市南海区政务服务数据管理局')).toEqual({
      source: 'default',
      recipients: [
        { role: 'officer', staffId: 'NH-DEF-01' },
        { role: 'sectionHead', staffId: 'NH-DEF-02' },
        { role: 'unitLeader', staffId: 'NH-DEF-03' },
      ],
    });
  });

  it('when the file is JSON, then it is read the same way', () => {
    const json = JSON.stringify({ version: 1, district: 'liwan', default: { officer: { staffId: 'a' }, sectionHead: { staffId: 'b' }, unitLeader: { staffId: 'c' } } });
    expect(recipientsOf(parseRouting(json, 'routing.json', { district: 'liwan' }).routing, 'x').recipients.map((r) => r.staffId)).toEqual(['a', 'b', 'c']);
  });

  it('when several things are wrong, then every problem is listed with where it is', () => {
    const bad = `
version: 2
district: nanhai
default:
  officer: { staffId: "NH 01" }
  sectionHead: { staffId: NH-02, phone: "13912345678" }
departments:
  佛山市南海区市场监督管理局:
    officer: { staffId: NH-1 }
    sectionHead: { staffId: NH-2 }
`;
    expect(problemsOf(bad)).toEqual([
      'version: Invalid input: expected 1',
      'default.officer.staffId: must be 1–64 letters, digits, . _ : - (no spaces)',
      'default.sectionHead: Unrecognized key: "phone"',
      'default.unitLeader: Invalid input: expected object, received undefined',
      'departments.佛山市南海区市场监督管理局.unitLeader: Invalid input: expected object, received undefined',
    ]);
  });

  it('when the file is written for the other district, then it is refused', () => {
    expect(problemsOf(good, 'liwan')).toEqual(['district: is nanhai, but this gateway serves liwan']);
  });

  it('when one staff id carries two names, then it is refused naming both places', () => {
    const text = good.replace('sectionHead: { staffId: NH-SCJG-0102 }', 'sectionHead: { staffId: NH-SCJG-0101, name: 李四 }');
    expect(problemsOf(text)).toEqual(['departments.佛山市南海区市场监督管理局.sectionHead.name: staff NH-SCJG-0101 is named differently at departments.佛山市南海区市场监督管理局.officer']);
  });

  it('when the YAML is broken or repeats a department, then the problems name their lines', () => {
    expect(problemsOf('version: 1\ndistrict: [nanhai\n')).toEqual([expect.stringMatching(/^line 3, column 1: /)]);
    const twice = `${good}  佛山市南海区市场监督管理局:\n    officer: { staffId: X }\n    sectionHead: { staffId: Y }\n    unitLeader: { staffId: Z }\n`;
    expect(problemsOf(twice)).toEqual([expect.stringMatching(/^line 13, column 3: Map keys must be unique/)]);
  });

  it('when the error is shown, then its message lists each problem on a line of its own with the file name', () => {
    expect(() => parseRouting('version: 1\n', '/etc/kc/routing.yaml', { district: 'nanhai' })).toThrow(
      'invalid routing file /etc/kc/routing.yaml (2 problems):\n' +
        '  routing.yaml: district: Invalid option: expected one of "liwan"|"nanhai"\n' +
        '  routing.yaml: default: Invalid input: expected object, received undefined',
    );
  });

  it('when a catalog is given, then departments no matter names and departments with no route are warnings, not refusals', () => {
    const text = good.replace('佛山市南海区市场监督管理局:', '佛山市南海区市场监管局:');
    const { warnings } = parseRouting(text, 'routing.yaml', { district: 'nanhai', catalog });
    expect(warnings).toContain('department 佛山市南海区市场监管局 handles no matter of nanhai in the catalog');
    expect(warnings).toContain('department 佛山市南海区市场监督管理局 has no route of its own; its cards go to the default route');
  });

  it('when no routing file is configured, then cards are addressed to no one and a warning says so', () => {
    const loaded = loadRouting(undefined, { district: 'nanhai' });
    expect(loaded.routing).toBe(NO_ROUTING);
    expect(recipientsOf(loaded.routing, 'any')).toEqual({ recipients: [], source: 'none' });
    expect(loaded.warnings).toEqual(['KC_ROUTING_FILE is not set: cards reach the console and the log, addressed to no officer']);
  });

  it('when the routing file cannot be read, then start-up is refused naming the file', () => {
    expect(() => loadRouting(join(dir, 'missing.yaml'), { district: 'nanhai' })).toThrow(/invalid routing file .*missing\.yaml \(1 problem\):\n {2}missing\.yaml: \(file\): cannot be read: ENOENT/);
  });

  it('when the routing file is on disk, then loadRouting reads it', () => {
    const file = join(dir, 'routing.yaml');
    writeFileSync(file, good);
    expect(loadRouting(file, { district: 'nanhai' }).routing.routeFor('佛山市南海区市场监督管理局').route?.officer.staffId).toBe('NH-SCJG-0101');
  });
});
