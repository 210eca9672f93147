/**
 * The staff console in headless Chromium against the real-process local system (two gateways,
 * two Redis, two approval simulators, the EMS simulator), one case from intake to delivery:
 * a Liwan window takes in a Nanhai matter (inline checks, the server's field issues, one case for
 * a double click, the printable receipt), sends the paper; Nanhai sees the case arrive, receives
 * and checks the parcel, the approval simulator decides, Nanhai posts the licence and the carrier
 * delivers it — both consoles then show the result delivered. A window-only clerk sees no
 * supervision and is refused it by the server when forcing the URL; sign-out and a lost session
 * go back to the sign-in form. Screenshots go to var/artifacts/console/.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { s10CheckDigit } from '../../courier/waybill.js';
import { CONSOLE_CSP } from '../../gateway/console/routes.js';
import { applicationFor, COMPANY_NAME, CREDIT_CODES, getJson, PHONE, postJson } from '../helpers/applications.js';
import { go, openCase, openConsole, signInAs, signOut, viewReady, visibleNav, type ConsolePage } from '../helpers/console.js';
import { eventually } from '../helpers/gateways.js';
import { startSystem, type SystemUnderTest } from '../helpers/system.js';

let sys: SystemUnderTest;
const consoles: ConsolePage[] = [];

beforeAll(async () => {
  sys = await startSystem({ KC_PARCEL_TICK_MS: '100', KC_PARCEL_POLL_MS: '2000' });
}, 90_000);

afterEach(async ({ task }) => {
  // What each console showed when a step failed, beside the step screenshots.
  if (task.result?.state !== 'fail') return;
  let n = 0;
  for (const c of consoles) await c.shot(`failed-${task.name.slice(0, 24).replace(/\W+/g, '-')}-${n++}`).catch(() => undefined);
});

afterAll(async () => {
  for (const c of consoles) {
    // Whatever happened, no console asked anything of the outside world or threw.
    expect(c.offOrigin()).toEqual([]);
    expect(c.problems()).toEqual([]);
    await c.close();
  }
  await sys?.cleanup();
});

const url = (d: 'liwan' | 'nanhai') => sys.districts[d].httpUrl;
const sim = (path: string, body?: unknown) => (body === undefined ? getJson(`${sys.courier.url}${path}`) : postJson(`${sys.courier.url}${path}`, body));
const MATERIALS_WAYBILL = `EA${41_000_001}${s10CheckDigit('41000001')}CN`;
const RESULT_WAYBILL = '1180012345679';

async function open(d: 'liwan' | 'nanhai'): Promise<ConsolePage> {
  const c = await openConsole(url(d));
  consoles.push(c);
  return c;
}

describe('the staff console, one case from the Liwan window to the applicant', () => {
  let liwan: ConsolePage;
  let nanhai: ConsolePage;
  let caseNo: string;

  it('when a Liwan window clerk signs in and takes in a Nanhai matter, then the form checks as typed, shows the server’s field issues, makes one case for a double click and prints a receipt', { timeout: 90_000 }, async () => {
    liwan = await open('liwan');
    const { page } = liwan;
    expect(await page.title()).toBe('跨城通办 工作台');
    await expect.poll(() => page.getByTestId('sign-in-district').textContent()).toContain('荔湾');
    await liwan.shot('01-sign-in');

    // A wrong password: one Chinese answer, still on the form.
    await page.getByLabel('用户名').fill('window');
    await page.getByLabel('密码').fill('not-the-password');
    await page.getByTestId('sign-in-button').click();
    await expect.poll(() => page.getByTestId('sign-in-error').textContent()).toContain('用户名或密码错误');

    const who = await signInAs(page, 'window');
    expect(who).toContain('收件');
    expect(await page.getByTestId('district-name').textContent()).toContain('荔湾');
    expect(await visibleNav(page)).toEqual(['受理', '办件']);
    await viewReady(page, 'intake');

    // The catalog, searchable; only matters the other district handles.
    await page.getByTestId('matter-search').fill('企业设立');
    const options = page.getByTestId('matter-option');
    await expect.poll(() => options.count()).toBe(1);
    await liwan.shot('02-matter-picker');
    await options.first().click();
    await page.getByTestId('intake-form').waitFor();
    expect(await page.getByTestId('intake-matter').textContent()).toBe('企业设立登记');

    // Checked before anything is sent: every problem at once, next to its field.
    await page.getByTestId('submit-intake').click();
    await expect.poll(() => page.getByTestId('form-error').isVisible()).toBe(true);
    expect(await page.locator('[aria-invalid="true"]').count()).toBeGreaterThanOrEqual(7);
    await page.getByTestId('applicant-creditCode').fill('91440101MA59ABCD1X');
    await page.getByTestId('applicant-phone').fill('1391234567');
    await page.getByTestId('applicant-phone').blur();
    const errorOf = (testid: string) => page.getByTestId(testid).locator('xpath=ancestor::div[contains(@class,"field")][1]').locator('.field-error');
    expect(await errorOf('applicant-creditCode').textContent()).toBe('统一社会信用代码无效，请核对');
    expect(await errorOf('applicant-phone').textContent()).toBe('联系手机不是有效的手机号码');
    expect(await page.getByTestId('materials-error').textContent()).toContain('缺少材料：公司登记（备案）申请书');
    // Leased premises make the premises proof a required material.
    await page.getByTestId('field-premisesType').selectOption('leased');
    await liwan.shot('03-intake-inline-errors');

    // Filled in properly.
    await page.getByTestId('applicant-name').fill(COMPANY_NAME);
    await page.getByTestId('applicant-creditCode').fill(CREDIT_CODES[0]);
    await page.getByTestId('applicant-phone').fill(PHONE);
    await page.getByTestId('applicant-address').fill('广州市荔湾区中山八路1号');
    await page.getByTestId('field-companyName').fill('佛山南海示例有限公司');
    await page.getByTestId('field-registeredCapital').fill('100');
    await page.getByTestId('field-businessScope').fill('日用百货销售');
    await page.getByTestId('field-legalRepresentative').fill('张三丰');
    await page.getByTestId('field-premisesType').selectOption('owned');
    for (const row of await page.getByTestId('material-row').all()) {
      if ((await row.getAttribute('data-name')) !== '住所使用证明') await row.getByTestId('material-received').check();
    }

    // The server's own field issues land next to their fields (answer stubbed once: the real
    // server accepts this form; its 422 shape is what is tested).
    await page.route('**/api/v1/cases', (route) =>
      route.fulfill({
        status: 422,
        contentType: 'application/json',
        body: JSON.stringify({
          error: {
            code: 'VALIDATION_FAILED',
            message: '1 field(s) are missing or invalid',
            issues: [
              { field: 'form.companyName', code: 'PATTERN_MISMATCH', message: '企业名称格式不正确' },
              { field: 'materials[1].copies', code: 'MATERIAL_TOO_FEW_COPIES', message: '“公司章程”须提交2份' },
            ],
          },
        }),
      }),
      { times: 1 },
    );
    await page.getByTestId('submit-intake').click();
    await expect.poll(() => errorOf('field-companyName').textContent()).toBe('企业名称格式不正确');
    expect(await page.getByTestId('material-row').nth(1).locator('.field-error').textContent()).toBe('“公司章程”须提交2份');
    await liwan.shot('04-intake-server-issues');

    // A double click: one Idempotency-Key for the form, so one case.
    const posts: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/v1/cases')) posts.push(r.headers()['idempotency-key'] ?? '');
    });
    await page.getByTestId('submit-intake').dblclick();
    await page.getByTestId('receipt').waitFor();
    caseNo = ((await page.getByTestId('receipt-case-no').textContent()) ?? '').trim();
    expect(caseNo).toMatch(/^KC-LW-\d{8}-\d{6}$/);
    expect(new Set(posts).size).toBe(1);
    expect(posts[0]).toMatch(/^[\w.:-]{8,128}$/);
    expect(await page.getByTestId('receipt-matter').textContent()).toBe('企业设立登记');
    expect(await page.getByTestId('receipt-deadline').textContent()).toContain('3 个工作日');
    expect(await page.getByTestId('receipt-track').textContent()).toContain(`${url('liwan')}/track`);
    expect(await page.getByTestId('receipt-track').textContent()).toContain(`尾号 ${PHONE.slice(-4)}`);
    expect(await page.getByTestId('receipt-materials').locator('tbody tr').count()).toBe(3);
    await liwan.shot('05-receipt');
    await page.emulateMedia({ media: 'print' });
    await liwan.shot('06-receipt-print');
    expect(await page.getByTestId('nav').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });

    // One case in Liwan's list, whatever the double click sent.
    await go(page, '#/cases', 'cases');
    await expect.poll(() => page.getByTestId('case-row').count()).toBe(1);
    expect(await page.getByTestId('case-row').first().getAttribute('data-case-no')).toBe(caseNo);
  });

  it('when the clerk sends the materials by EMS, then the hand-off shows on the case with its waybill', { timeout: 90_000 }, async () => {
    const { page } = liwan;
    await sys.waitForState('liwan', caseNo, 'registered', 30_000);
    expect((await sim('/_sim/parcels', { waybillNo: MATERIALS_WAYBILL, journey: 'delivered' })).status).toBe(201);
    await openCase(page, caseNo);
    await page.getByTestId('dispatch-materials').click();
    const form = page.getByTestId('dispatch-form');
    await form.waitFor();
    for (const pages of await form.getByTestId('manifest-pages').all()) await pages.fill('3');
    await form.getByTestId('waybill').fill(MATERIALS_WAYBILL);
    await form.getByTestId('seal-no').fill('lw-seal-0001');
    await form.getByTestId('taken-by').fill('EMS-C-0042');
    await form.getByTestId('submit-dispatch').click();
    await expect.poll(() => page.getByTestId('flash').textContent()).toContain(MATERIALS_WAYBILL);
    const handoff = page.getByTestId('handoff');
    await expect.poll(() => handoff.count()).toBe(1);
    expect(await handoff.getAttribute('data-status')).toBe('in_transit');
    await viewReady(page, 'case');
    await expect.poll(() => page.getByTestId('timeline-entry').count()).toBeGreaterThan(2);
    await liwan.shot('07-liwan-case-materials-sent');
  });

  it('when Nanhai’s handler signs in, then the case has arrived; the parcel is received and checked against its manifest', { timeout: 60_000 }, async () => {
    nanhai = await open('nanhai');
    const { page } = nanhai;
    expect(await signInAs(page, 'handler')).toContain('办理');
    expect(await page.getByTestId('district-name').textContent()).toContain('南海');
    expect(await visibleNav(page)).toEqual(['办件', '报文重发']);
    await viewReady(page, 'cases');
    const row = page.locator(`[data-testid=case-row][data-case-no="${caseNo}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.textContent()).toContain('荔湾 → 南海');
    await nanhai.shot('08-nanhai-case-list');

    await openCase(page, caseNo);
    // A handler in Nanhai receives the materials; sending them is Liwan's.
    expect(await page.getByTestId('dispatch-materials').count()).toBe(0);
    await page.getByTestId('receive-handoff').click();
    await page.getByTestId('receive-form').waitFor();
    await page.getByTestId('submit-receipt').click();
    await expect.poll(() => page.getByTestId('flash').textContent()).toBe('已签收，材料与清单一致');
    await expect.poll(() => page.getByTestId('handoff').getAttribute('data-status')).toBe('received');
    await nanhai.shot('09-nanhai-parcel-received');
  });

  it('when Nanhai’s approval system accepts and approves, and the licence is posted and delivered, then both consoles show it delivered', { timeout: 150_000 }, async () => {
    const localNo = (await sys.simRecords('nanhai')).find((r) => r.externalRef === caseNo)!.localNo;
    await sys.advance('nanhai', localNo, 'accept');
    await sys.waitForState('nanhai', caseNo, 'accepted', 30_000);
    await sys.advance('nanhai', localNo, 'approve');
    await eventually(async () => (await sys.getCase('nanhai', caseNo))?.events.some((e: any) => e.kind === 'result_issued'), 'result issued', 30_000);
    expect((await sim('/_sim/parcels', { waybillNo: RESULT_WAYBILL, journey: 'delivered' })).status).toBe(201);

    const { page } = nanhai;
    await openCase(page, caseNo);
    expect(await page.getByTestId('detail-state').textContent()).toBe('准予许可');
    await page.getByTestId('dispatch-result').click();
    const form = page.getByTestId('dispatch-form');
    await form.waitFor();
    expect(await form.getByTestId('handoff-kind').inputValue()).toBe('result_to_applicant');
    await expect.poll(() => form.locator('[data-field="manifest.0.name"]').inputValue()).toBe('营业执照');
    await form.getByTestId('manifest-pages').first().fill('1');
    await form.getByTestId('waybill').fill(RESULT_WAYBILL);
    await form.getByTestId('seal-no').fill('NH-SEAL-0002');
    await form.getByTestId('taken-by').fill('EMS-C-0099');
    await form.getByTestId('submit-dispatch').click();
    await expect.poll(() => page.getByTestId('flash').textContent()).toContain(RESULT_WAYBILL);

    await eventually(async () => (await sim(`/_sim/parcels/${RESULT_WAYBILL}`)).body.subscribed === true, 'result parcel subscribed', 20_000);
    await sim(`/_sim/parcels/${RESULT_WAYBILL}/advance`, { all: true });
    for (const d of ['nanhai', 'liwan'] as const) {
      await eventually(async () => (await sys.getCase(d, caseNo))?.resultDelivered, `result delivered at ${d}`, 20_000);
    }

    await openCase(page, caseNo);
    expect(await page.getByTestId('detail-result-delivered').textContent()).toContain('已送达');
    expect(await page.getByTestId('timeline-title').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/送达|签收/)]));
    await nanhai.shot('10-nanhai-result-delivered');

    await openCase(liwan.page, caseNo);
    expect(await liwan.page.getByTestId('detail-result-delivered').textContent()).toContain('已送达');
    expect(await liwan.page.getByTestId('detail-state').textContent()).toBe('准予许可');
    await liwan.shot('11-liwan-result-delivered');
  });

  it('when Nanhai’s supervisor opens supervision and diagnostics, then the figures, charts and link status are drawn', { timeout: 60_000 }, async () => {
    const { page } = nanhai;
    await signOut(page);
    await signInAs(page, 'supervisor');
    expect(await visibleNav(page)).toEqual(['办件', '监察', '报文重发', '运行状况']);
    await go(page, '#/supervision', 'supervision');
    expect(await page.getByTestId('chart-on-time').count()).toBe(1);
    expect(await page.getByTestId('table-on-time').locator('tbody tr').count()).toBe(6);
    expect(await page.getByTestId('table-by-matter').textContent()).toContain('企业设立登记');
    await nanhai.shot('12-supervision');
    await go(page, '#/diagnostics', 'diagnostics');
    expect(await page.getByTestId('diag-dead').textContent()).toMatch(/\d+ 条|未提供/);
    expect(await page.getByTestId('diag-audit-size').textContent()).toMatch(/共 \d+ 条，库中 \d+ 条，已归档 \d+ 条/);
    await nanhai.shot('13-diagnostics');
  });
});

describe('a window-only clerk', () => {
  it('when a window clerk forces the supervision page, then the nav never offered it and the server’s 403 STAFF_FORBIDDEN is shown; sign-out and a lost session return to the sign-in form', { timeout: 60_000 }, async () => {
    // Public, self-contained and locked down: the page and its modules come with the CSP.
    for (const path of ['/console', '/console/app.js', '/console/console.css']) {
      const res = await fetch(`${url('liwan')}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect((await fetch(`${url('liwan')}/console/routes.ts`)).status).toBe(404);

    const c = await open('liwan');
    const { page } = c;
    await signInAs(page, 'window');
    expect(await visibleNav(page)).not.toContain('监察');
    expect(await page.getByTestId('nav-supervision').isVisible()).toBe(false);

    await go(page, '#/supervision', 'supervision');
    const error = page.getByTestId('supervision-error');
    expect(await error.textContent()).toBe('您的角色无权进行此操作（STAFF_FORBIDDEN）');
    await c.shot('14-window-forbidden-supervision');

    await signOut(page);
    expect(await page.getByTestId('nav').isVisible()).toBe(false);
    expect(await page.getByTestId('who').isVisible()).toBe(false);
    // The session is gone on the server too: a reload asks for the sign-in again.
    await page.reload();
    await page.getByTestId('sign-in').waitFor();
    await c.shot('15-signed-out');

    // A session lost under the page (expired, or signed out elsewhere): the next call returns to sign-in.
    await signInAs(page, 'window');
    await c.context.clearCookies();
    await page.evaluate(`location.hash = '#/cases'`);
    await page.getByTestId('sign-in').waitFor();
    expect(await page.getByTestId('sign-in-error').textContent()).toBe('登录已失效，请重新登录');
  });
});

describe('the case list', () => {
  it('when there are more cases than a page, then 加载更多 appends the next page from nextCursor until all are shown, and the filters narrow it', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 2; i++) {
      const r = await postJson(`${url('liwan')}/api/v1/cases`, applicationFor('nanhai'));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const c = await open('liwan');
    const { page } = c;
    await signInAs(page, 'window');
    await go(page, '#/cases?limit=2', 'cases');
    const rows = page.getByTestId('case-row');
    await expect.poll(() => rows.count()).toBe(2);
    const more = page.getByTestId('load-more');
    expect(await more.isVisible()).toBe(true);
    await more.click();
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(3);
    await expect.poll(() => more.isVisible()).toBe(false);
    const all = await rows.count();
    expect(new Set(await Promise.all((await rows.all()).map((r) => r.getAttribute('data-case-no')))).size).toBe(all);
    expect(await page.getByTestId('case-count').textContent()).toContain('已全部显示');
    await c.shot('16-case-list-paged');

    // A state nothing is in: the empty state, not an error.
    await page.getByTestId('filter-state').selectOption('rejected');
    await page.getByTestId('apply-filters').click();
    await expect.poll(() => page.getByTestId('empty').textContent()).toBe('没有符合条件的办件');
    expect(await rows.count()).toBe(0);
  });
});
