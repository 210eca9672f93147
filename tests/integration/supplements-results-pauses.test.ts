/**
 * The work a case does after registration, across both gateways: supplements handed in at the
 * origin window reach the handling approval system, the decision record comes back as a result,
 * §45 suspensions stop the clock on both sides — and both sides compute the same deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRICTS, otherDistrict, type District } from '../../gateway/domain/district.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'supplements' });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

const getCase = async (d: District, caseNo: string) => (await getJson(`${sys.httpUrl[d]}/api/v1/cases/${caseNo}`)).body;
const advance = async (d: District, localNo: string, action: string, note = '') => {
  const r = await postJson(`${sys.simulators[d].url}/_sim/cases/${localNo}/advance`, { action, note });
  expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
};
const waitFor = (d: District, caseNo: string, what: string, test: (c: Record<string, any>) => boolean) =>
  eventually(async () => {
    const c = await getCase(d, caseNo);
    return test(c) ? c : undefined;
  }, `${what} at ${d}`, 15_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${sys.logs().split('\n').filter((l) => /supplement|refused|error/i.test(l)).slice(-15).join('\n')}`);
  });
const hasEvent = (kind: string) => (c: Record<string, any>) => c.events?.some((e: any) => e.kind === kind);

async function registeredCase(origin: District) {
  const handling = otherDistrict(origin);
  const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(handling));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const caseNo = created.body.caseNo as string;
  const c = await waitFor(origin, caseNo, 'registered', (x) => x.state === 'registered');
  return { caseNo, handling, localNo: c.handlingLocalNo as string };
}

describe.each(DISTRICTS)('taken in at %s', (origin) => {
  it('when supplements are asked for and handed in at the origin window, then the handling system files them and both sides see it', async () => {
    const { caseNo, handling, localNo } = await registeredCase(origin);
    await advance(handling, localNo, 'accept');
    await advance(handling, localNo, 'request_supplement', '请补充股东会决议原件');
    await waitFor(origin, caseNo, 'supplement_requested', (c) => c.state === 'supplement_requested');

    const notOnList = await postJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}/supplements`, { materials: [{ name: '情况说明', form: 'original', copies: 1 }] });
    expect(notOnList.status).toBe(422);
    expect(notOnList.body.error.issues).toEqual([expect.objectContaining({ field: 'materials[0]', code: 'UNKNOWN_MATERIAL' })]);

    const filed = await postJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}/supplements`, {
      materials: [{ name: handling === 'liwan' ? '股东会决议' : '公司章程', form: 'original', copies: 1 }],
      note: '申请人已补齐',
    });
    expect(filed.status, JSON.stringify(filed.body)).toBe(202);

    const atOrigin = await waitFor(origin, caseNo, 'supplement registered', hasEvent('supplement_registered'));
    const registered = atOrigin.events.find((e: any) => e.kind === 'supplement_registered');
    expect(registered.data.supplementId).toBe(filed.body.supplementId);
    expect(registered.data.receiptNo).toEqual(expect.any(String));
    // The pause closes at whichever comes first of supplement_filed and supplement_received; they
    // cross back separately, so read the origin once it holds both, as the handling side does.
    const received = await waitFor(origin, caseNo, 'supplement_received and filed',
      (c) => c.state === 'supplement_received' && hasEvent('supplement_filed')(c));
    const atHandling = await getCase(handling, caseNo);
    expect(atHandling.events.filter((e: any) => e.kind === 'supplement_filed')).toHaveLength(1);
    // The supplement pause is closed on both sides, the same way.
    expect(received.deadline.pauses.every((p: any) => p.to)).toBe(true);
    expect(received.deadline.pauses).toEqual(atHandling.deadline.pauses);
  });

  it('when the case is approved, then the decision record comes back to the origin as a result', async () => {
    const { caseNo, handling, localNo } = await registeredCase(origin);
    await advance(handling, localNo, 'accept');
    await advance(handling, localNo, 'approve');
    const atOrigin = await waitFor(origin, caseNo, 'result', hasEvent('result_issued'));
    const result = atOrigin.events.find((e: any) => e.kind === 'result_issued');
    expect(result.data).toMatchObject({ decision: 'approved', documentNo: expect.any(String), documentName: expect.any(String) });
    expect(atOrigin.deadline.state).toBe('completed');
    const atHandling = await getCase(handling, caseNo);
    expect(atHandling.deadline).toEqual(atOrigin.deadline);
  });

  it('when the handling officer suspends and resumes the clock, then both sides count the same pause', async () => {
    const { caseNo, handling, localNo } = await registeredCase(origin);
    await advance(handling, localNo, 'accept');
    await waitFor(origin, caseNo, 'accepted', (c) => c.state === 'accepted');

    const refused = await postJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}/clock/pauses`, { reason: 'hearing' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('CASE_STATE_CONFLICT');
    const bad = await postJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}/clock/pauses`, { reason: 'lunch' });
    expect(bad.status).toBe(422);

    const paused = await postJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}/clock/pauses`, { reason: 'expert_review', note: '组织专家评审' });
    expect(paused.status).toBe(201);
    const whilePaused = await waitFor(origin, caseNo, 'paused', (c) => c.deadline?.state === 'paused');
    expect(whilePaused.deadline.deadline).toBeNull();

    const resumed = await postJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}/clock/pauses/${paused.body.pauseId}/resume`, {});
    expect(resumed.status).toBe(200);
    const again = await postJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}/clock/pauses/${paused.body.pauseId}/resume`, {});
    expect(again.body.error.code).toBe('CASE_STATE_CONFLICT');
    const atOrigin = await waitFor(origin, caseNo, 'running again', (c) => c.deadline?.state === 'running');
    expect(atOrigin.deadline.pauses).toMatchObject([{ reason: 'expert_review' }]);
    expect((await getCase(handling, caseNo)).deadline).toEqual(atOrigin.deadline);
  });

  it('when supplements are handed in while none are asked for, then CASE_STATE_CONFLICT; with no materials, VALIDATION_FAILED', async () => {
    const { caseNo, handling } = await registeredCase(origin);
    const material = { name: handling === 'liwan' ? '股东会决议' : '公司章程', form: 'original', copies: 1 };
    const early = await postJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}/supplements`, { materials: [material] });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe('CASE_STATE_CONFLICT');
    const empty = await postJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}/supplements`, { materials: [] });
    expect(empty.status).toBe(422);
    expect(empty.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('when the handling staff record the paper as received, then a matter whose clock starts on receipt starts it on both sides, once', async () => {
    const handling = otherDistrict(origin);
    // KC-M-0002 (Nanhai) and KC-M-0004 (Liwan) start their clocks on receipt of the paper.
    const app =
      handling === 'nanhai'
        ? applicationFor('nanhai', {
            matterId: 'KC-M-0002',
            form: { premisesAddress: '佛山市南海区桂城街道3号', businessCategory: 'prepackaged' },
            materials: [
              { name: '食品经营许可申请书', form: 'original', copies: 1 },
              { name: '营业执照', form: 'copy', copies: 1 },
              { name: '经营场所平面图', form: 'original', copies: 1 },
            ],
          })
        : applicationFor('liwan', {
            matterId: 'KC-M-0004',
            form: { projectName: '荔湾示例工程', projectAddress: '广州市荔湾区芳村大道1号', contractPrice: '1200', plannedStart: '2027-01-10' },
            materials: [
              { name: '建筑工程施工许可申请表', form: 'original', copies: 1 },
              { name: '建设工程规划许可证', form: 'copy', copies: 1 },
              { name: '施工合同', form: 'copy', copies: 1 },
            ],
          });
    const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, app);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const caseNo = created.body.caseNo as string;
    const registered = await waitFor(origin, caseNo, 'registered', (c) => c.state === 'registered');
    await advance(handling, registered.handlingLocalNo, 'accept');
    const accepted = await waitFor(origin, caseNo, 'accepted', (c) => c.state === 'accepted');
    expect(accepted.deadline.state).toBe('not_started');

    const wrongSide = await postJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}/materials-received`, { receivedBy: 'W-0001' });
    expect(wrongSide.body.error.code).toBe('CASE_STATE_CONFLICT');
    const first = await postJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}/materials-received`, { receivedBy: 'H-0042' });
    expect(first.status).toBe(201);
    const again = await postJson(`${sys.httpUrl[handling]}/api/v1/cases/${caseNo}/materials-received`, { receivedBy: 'H-0042' });
    expect(again.body.outcome).toBe('already_recorded');

    const atOrigin = await waitFor(origin, caseNo, 'clock running', (c) => c.deadline?.state === 'running');
    expect(atOrigin.deadline.deadline).toEqual(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/));
    expect((await getCase(handling, caseNo)).deadline).toEqual(atOrigin.deadline);
  });
});
