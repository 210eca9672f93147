/**
 * An envelope the peer refuses for good goes to the dead-letter queue, where staff see it; once
 * the cause is fixed, staff resend it and it is delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMatterCatalog, type MatterCatalog } from '../../gateway/catalog/catalog.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

let redis: RedisHandle;
let sys: TwoGateways;
const full = loadMatterCatalog();
/** Nanhai before it has published the food-business permit for cross-city handling. */
const withoutFoodPermit: MatterCatalog = {
  ...full,
  get: (id) => (id === 'KC-M-0002' ? undefined : full.get(id)),
  list: (filter) => full.list(filter).filter((m) => m.id !== 'KC-M-0002'),
};
const catalogs: { nanhai?: MatterCatalog } = { nanhai: withoutFoodPermit };

const foodPermit = applicationFor('nanhai', {
  matterId: 'KC-M-0002',
  form: { premisesAddress: '佛山市南海区桂城街道3号', businessCategory: 'prepackaged' },
  materials: [
    { name: '食品经营许可申请书', form: 'original', copies: 1 },
    { name: '营业执照', form: 'copy', copies: 1 },
    { name: '经营场所平面图', form: 'original', copies: 1 },
  ],
});

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'dead-letters', catalogs });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

describe('dead letters', () => {
  it('when the peer refuses an envelope for good, then it is dead-lettered at once, listed for staff, and delivered after a resend once fixed', async () => {
    const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, foodPermit);
    expect(created.status).toBe(201);
    const caseNo = created.body.caseNo as string;

    const dead = await eventually(async () => {
      const r = await getJson(`${sys.httpUrl.liwan}/api/v1/dead-letters`);
      return (r.body.deadLetters as { caseNo: string; messageId: string }[]).find((d) => d.caseNo === caseNo);
    }, 'dead letter');
    const record = (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body;
    expect(record.state).toBe('submitted');
    expect(record.crossings[0]).toMatchObject({ delivery: 'dead_lettered', lastError: 'UNKNOWN_MATTER', attempts: 1 });
    expect(record.events.map((e: any) => e.kind)).toContain('dead_lettered');

    // Nanhai publishes the matter; staff resend.
    catalogs.nanhai = full;
    await sys.restartGateway('nanhai');
    const resent = await postJson(`${sys.httpUrl.liwan}/api/v1/dead-letters/${caseNo}/${dead.messageId}/resend`, {});
    expect(resent.status).toBe(202);
    await eventually(async () => (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body.state === 'registered', 'registered after resend');
    const after = await getJson(`${sys.httpUrl.liwan}/api/v1/dead-letters`);
    expect(after.body.deadLetters.find((d: any) => d.caseNo === caseNo)).toBeUndefined();

    const again = await postJson(`${sys.httpUrl.liwan}/api/v1/dead-letters/${caseNo}/${dead.messageId}/resend`, {});
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('NOT_DEAD_LETTERED');
  });
});
