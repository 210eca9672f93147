/**
 * Every matter in the shipped catalog, in both directions, through real processes: taken in at a
 * window of the other district, mapped by the handling district's adapter into its approval
 * system's own fields and codes, and every status of that system mapped back — registered,
 * accepted, supplement requested, supplement received, approved or rejected — with the decision
 * record returned to the origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toDistrictForm } from '../../adapters/form-mapping.js';
import { shanghaiDateOf } from '../../gateway/calendar/dates.js';
import { loadMatterCatalog, type Matter } from '../../gateway/catalog/catalog.js';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { postJson } from '../helpers/applications.js';
import { sampleApplicant, sampleForm, sampleMaterials } from '../helpers/catalog-fixtures.js';
import { eventually } from '../helpers/gateways.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

const catalog = loadMatterCatalog();
const open = catalog.list({ openOn: shanghaiDateOf(Date.now()) });
let sys: SystemUnderTest;

beforeAll(async () => {
  sys = await startSystem();
}, 120_000);

afterAll(async () => {
  await sys?.cleanup();
});

/** The approval system's record of a case, with the submit body as it arrived there. */
async function simRecord(d: District, localNo: string): Promise<Record<string, any> | undefined> {
  const r = await fetch(`${sys.districts[d].approvalUrl}/_sim/records/${localNo}`);
  return r.status === 200 ? ((await r.json()) as Record<string, any>) : undefined;
}

async function roundTrip(matter: Matter, index: number) {
  const handling = matter.handlingDistrict;
  const origin = otherDistrict(handling);
  const form = sampleForm(matter);
  const created = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases`, {
    matterId: matter.id,
    applicant: sampleApplicant(matter),
    form,
    materials: sampleMaterials(matter, form),
  });
  expect(created.status, `${matter.id}: ${JSON.stringify(created.body)}`).toBe(201);
  const caseNo = created.body.caseNo as string;

  const registered = await sys.waitForState(origin, caseNo, 'registered', 30_000);
  const localNo = registered.handlingLocalNo as string;
  // Forward mapping: the approval system holds the form under its own field names and values.
  const record = await eventually(() => simRecord(handling, localNo), `${matter.id} approval record`);
  expect(record.externalRef).toBe(caseNo);
  const expected = toDistrictForm('test', matter, handling, form);
  expect(JSON.stringify(record.request), matter.id).toContain(matter.districts[handling].code);
  for (const [field, value] of Object.entries(expected)) expect(JSON.stringify(record.request), `${matter.id} ${field}`).toContain(JSON.stringify(value));

  // The paper arrives at the handling district (the clock's start for some matters).
  const received = await postJson(`${sys.districts[handling].httpUrl}/api/v1/cases/${caseNo}/materials-received`, { receivedBy: 'H-0001' });
  expect(received.status).toBe(201);

  // Every status back, through the district's own codes.
  await sys.advance(handling, localNo, 'accept');
  await sys.waitForState(origin, caseNo, 'accepted', 30_000);
  await sys.advance(handling, localNo, 'request_supplement', '请补正');
  await sys.waitForState(origin, caseNo, 'supplement_requested', 30_000);
  const supplement = sampleMaterials(matter, form).slice(0, 1);
  const filed = await postJson(`${sys.districts[origin].httpUrl}/api/v1/cases/${caseNo}/supplements`, { materials: supplement });
  expect(filed.status, JSON.stringify(filed.body)).toBe(202);
  await sys.waitForState(origin, caseNo, 'supplement_received', 30_000);
  await sys.advance(handling, localNo, 'accept');
  await sys.waitForState(origin, caseNo, 'accepted', 30_000);
  const decision = index % 3 === 2 ? 'rejected' : 'approved';
  await sys.advance(handling, localNo, decision === 'approved' ? 'approve' : 'reject', decision === 'rejected' ? '材料不符合法定形式' : '');
  const done = await eventually(async () => {
    const c = await sys.getCase(origin, caseNo);
    return c?.events.some((e: any) => e.kind === 'result_issued') ? c : undefined;
  }, `${matter.id} result at ${origin}`, 30_000);
  expect(done.state).toBe(decision);
  expect(done.events.find((e: any) => e.kind === 'result_issued').data.decision).toBe(decision);
  const states = done.events.filter((e: any) => e.kind === 'status').map((e: any) => e.state);
  expect(states).toEqual(['registered', 'accepted', 'supplement_requested', 'supplement_received', 'accepted', decision]);
  expect(done.deadline).toMatchObject({ state: 'completed', onTime: true, promisedDays: matter.timeLimits.promisedDays });
  return caseNo;
}

describe('the shipped catalog, end to end', () => {
  it('when the catalog is loaded, then it has open matters handled by each district', () => {
    for (const d of ['liwan', 'nanhai'] as const) expect(open.filter((m) => m.handlingDistrict === d).length).toBeGreaterThan(5);
  });

  it('when every open matter is taken in at the other district, then each round-trips forward and through every status back', async () => {
    // A few at a time: all at once would only measure this two-core machine.
    const queue = open.map((m, i) => [m, i] as const);
    const done: string[] = [];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) done.push(await roundTrip(next[0], next[1]));
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(done).toHaveLength(open.length);
    // Nothing applied twice: one approval record per case.
    for (const d of ['liwan', 'nanhai'] as const) {
      const r = await fetch(`${sys.districts[d].approvalUrl}/_sim/records`);
      const records = ((await r.json()) as { records: { externalRef: string; submitCount: number }[] }).records;
      expect(new Set(records.map((x) => x.externalRef)).size).toBe(records.length);
    }
  }, 300_000);
});
