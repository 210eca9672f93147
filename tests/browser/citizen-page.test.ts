/**
 * The citizen tracking page in headless Chromium at a phone's size, against two real gateways:
 * a lookup shows the state and the parcel timeline (Beijing times, newest first), a wrong phone
 * and an unknown number show one Chinese error, 429 and a lost network have their own words, the
 * completed case is rated from the page — and the page asks nothing of any host but 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { NOT_FOUND_MESSAGE } from '../../gateway/citizen/lookup.js';
import { applicationFor, COMPANY_NAME, getJson, PHONE, postJson } from '../helpers/applications.js';
import { lookUp, openTrackingPage, rateOnPage, readParcels, readProgress, type TrackingPage } from '../helpers/browser.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { dispatchMaterials, recordScans } from '../helpers/handoffs.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const LAST4 = PHONE.slice(-4);
const WAYBILL = 'EA123456785CN';

let redis: RedisHandle;
let sys: TwoGateways;
let browser: TrackingPage | undefined;

beforeAll(async () => {
  redis = await startRedis();
  sys = await startTwoGateways({ redisUrl: redis.url, name: 'citizen-page' });
});

afterEach(async () => {
  // Whatever a test did, the page never reached beyond loopback.
  if (browser) expect(browser.offOrigin()).toEqual([]);
  await browser?.close();
  browser = undefined;
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
});

async function newCase(): Promise<string> {
  const created = await postJson(`${sys.httpUrl.liwan}/api/v1/cases`, applicationFor('nanhai'));
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.caseNo as string;
}

/** A case whose materials left Liwan by EMS, with three carrier scans (the last echoes the applicant). */
async function caseWithParcel(): Promise<string> {
  const caseNo = await newCase();
  const handoffId = await dispatchMaterials(sys.httpUrl.liwan, caseNo, { waybill: WAYBILL });
  await recordScans(sys.gateways.liwan.ctx, caseNo, handoffId, WAYBILL, [
    { eventTime: '2026-03-16T11:05:00+08:00', status: 'picked_up', rawCode: '10', rawText: '已收寄', location: '广州市荔湾区邮政局' },
    // Written with a UTC offset by the carrier: still shown in Beijing time.
    { eventTime: '2026-03-16T10:20:00Z', status: 'in_transit', rawCode: '20', rawText: '离开广州处理中心', location: '广州处理中心' },
    { eventTime: '2026-03-17T08:40:00+08:00', status: 'out_for_delivery', rawCode: '40', rawText: `派送中，收件人${COMPANY_NAME}` },
  ]);
  return caseNo;
}

describe('the tracking page on a phone', () => {
  it('when the right number and digits are entered, then the state, the deadline and the parcel timeline are shown, newest first, in Beijing time', async () => {
    const caseNo = await caseWithParcel();
    // A phone set to London: times must still read as Beijing's.
    browser = await openTrackingPage(sys.httpUrl.liwan, { timezoneId: 'Europe/London' });
    const { page } = browser;
    expect(await page.title()).toBe('跨城通办 办件查询');
    expect(await page.locator('html').getAttribute('lang')).toBe('zh-CN');

    const outcome = await lookUp(page, caseNo, LAST4);
    expect(outcome).toEqual({ ok: true, state: expect.stringMatching(/^(已收件|已送达办理地|办理地已登记)$/) });
    const progress = await readProgress(page);
    expect(progress.matter).toMatch(/\S/);
    expect(progress.deadline).toMatch(/\S/);
    expect(progress.milestones.at(-1)).toMatchObject({ text: '窗口已收件', time: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/) });
    expect(progress.milestones.map((m) => m.text)).toContain('申请材料寄送办理地：已交寄');

    expect(await readParcels(page)).toEqual([
      {
        kind: '申请材料寄送办理地',
        waybill: WAYBILL,
        status: '派送中',
        carrier: `EMS 运单号 ${WAYBILL}`,
        events: [
          { time: '2026-03-17 08:40', text: '派送中，收件人***', location: null },
          { time: '2026-03-16 18:20', text: '离开广州处理中心', location: '广州处理中心' },
          { time: '2026-03-16 11:05', text: '已收寄', location: '广州市荔湾区邮政局' },
        ],
      },
    ]);
    const shown = await browser.bodyText();
    for (const secret of [COMPANY_NAME, PHONE, 'LW-SEAL-000888', 'LW-W-0007']) expect(shown).not.toContain(secret);
    // Made for the phone: nothing wider than the screen.
    expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
    // The digits never went into a URL.
    expect(browser.requests().some((u) => u.includes(LAST4))).toBe(false);
  });

  it('when the phone digits are wrong or the number is unknown, then the same Chinese error is shown and no result', async () => {
    const caseNo = await newCase();
    browser = await openTrackingPage(sys.httpUrl.liwan);
    const { page } = browser;
    expect(await lookUp(page, caseNo, LAST4)).toMatchObject({ ok: true });
    const wrongPhone = await lookUp(page, caseNo, LAST4 === '0000' ? '1111' : '0000');
    expect(wrongPhone).toEqual({ ok: false, error: NOT_FOUND_MESSAGE });
    expect(await page.getByTestId('result').isVisible()).toBe(false);
    expect(await lookUp(page, caseNo.replace(/\d{6}$/, '999999'), LAST4)).toEqual(wrongPhone);
    // Checked on the phone before anything is sent.
    expect(await lookUp(page, caseNo, '12')).toEqual({ ok: false, error: '请输入申请时所留手机号的后四位数字' });
  });

  it('when the gateway answers 429 or the network is down, then the page says so in Chinese and stops loading', async () => {
    browser = await openTrackingPage(sys.httpUrl.liwan);
    const { page } = browser;
    await page.route('**/api/v1/track', (route) =>
      route.fulfill({
        status: 429,
        headers: { 'Retry-After': '120' },
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'RATE_LIMITED', message: '查询过于频繁，请稍后再试' } }),
      }),
    );
    expect(await lookUp(page, 'KC-LW-20260101-000001', '1234')).toEqual({ ok: false, error: '查询过于频繁，请稍后再试（约 2 分钟后可再试）' });
    await page.unroute('**/api/v1/track');
    await page.route('**/api/v1/track', (route) => route.abort('internetdisconnected'));
    expect(await lookUp(page, 'KC-LW-20260101-000001', '1234')).toEqual({ ok: false, error: '网络连接失败，请检查网络后重试' });
    expect(await page.getByRole('button', { name: '查询' }).isEnabled()).toBe(true);
    expect(await page.getByTestId('loading').isVisible()).toBe(false);
  });

  it('when the case is approved, then the citizen rates it from the page once, and the rating stays shown', async () => {
    const caseNo = await newCase();
    const registered = await eventually(async () => {
      const c = (await getJson(`${sys.httpUrl.liwan}/api/v1/cases/${caseNo}`)).body;
      return c.state === 'registered' ? c : undefined;
    }, 'registered', 15_000);
    for (const action of ['accept', 'approve']) {
      const r = await postJson(`${sys.simulators.nanhai.url}/_sim/cases/${registered.handlingLocalNo}/advance`, { action, note: '' });
      expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    }
    browser = await openTrackingPage(sys.httpUrl.liwan);
    const { page } = browser;
    await eventually(async () => {
      const o = await lookUp(page, caseNo, LAST4);
      return o.ok && o.state === '准予许可';
    }, 'approved on the page', 15_000);
    expect(await page.getByTestId('rating').isVisible()).toBe(true);

    expect(await rateOnPage(page, '满意')).toEqual({ ok: true, thanks: '您的评价：满意。感谢您的反馈！' });
    expect(await page.getByTestId('rate-satisfied').isVisible()).toBe(false);

    expect(await lookUp(page, caseNo, LAST4)).toMatchObject({ ok: true });
    expect(await page.getByTestId('rating-done').textContent()).toBe('您的评价：满意。感谢您的反馈！');
    expect(await page.getByTestId('rate-neutral').isVisible()).toBe(false);
  });
});
