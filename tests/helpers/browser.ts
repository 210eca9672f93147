/**
 * The citizen tracking page (GET /track) in a real headless Chromium at a phone's size, for
 * browser and end-to-end tests:
 *
 *   const page = await openTrackingPage(sys.httpUrl.liwan);
 *   const outcome = await lookUp(page, caseNo, '5678');   // { ok: true, state: '已受理' }
 *   const parcels = await readParcels(page);               // waybill, status and event texts, newest first
 *   expect(page.offOrigin()).toEqual([]);                  // nothing but 127.0.0.1 was asked for
 *   await page.close();
 *
 * The readers take the TrackingPage or its Playwright `page` alike.
 * A fresh profile per browser, removed on close. Every request to a host other than 127.0.0.1 is
 * aborted and recorded, so a page that tried to fetch anything from outside shows in offOrigin().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TrackingPage {
  /** The Playwright page, for anything the helpers here do not cover. */
  page: Page;
  context: BrowserContext;
  /** Every URL the page asked for, in order. */
  requests(): string[];
  /** URLs to hosts other than 127.0.0.1 (each was aborted). */
  offOrigin(): string[];
  /** Everything the page shows as text (to check that no personal data is on it). */
  bodyText(): Promise<string>;
  close(): Promise<void>;
}

type PageLike = Page | TrackingPage;
const pageOf = (p: PageLike): Page => ('offOrigin' in p ? p.page : p);

export interface OpenOptions {
  /** The phone's time zone; the page must show Beijing time whatever it is. Default Asia/Shanghai. */
  timezoneId?: string;
  /** Default 390×844, a common phone. */
  viewport?: { width: number; height: number };
}

/** Launches Chromium with a fresh profile and opens `${baseUrl}/track`. */
export async function openTrackingPage(baseUrl: string, opts: OpenOptions = {}): Promise<TrackingPage> {
  const profile = mkdtempSync(join(tmpdir(), 'kc-chromium-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: opts.viewport ?? { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: 'zh-CN',
      timezoneId: opts.timezoneId ?? 'Asia/Shanghai',
      serviceWorkers: 'block',
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const seen: string[] = [];
  const blocked: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    seen.push(url);
    if (new URL(url).hostname === '127.0.0.1') return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const response = await page.goto(`${baseUrl}/track`);
  if (response?.status() !== 200) throw new Error(`GET ${baseUrl}/track answered ${response?.status()}`);
  return {
    page,
    context,
    requests: () => [...seen],
    offOrigin: () => [...blocked],
    bodyText: async () => (await page.locator('body').textContent()) ?? '',
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export type LookupOutcome = { ok: true; state: string } | { ok: false; error: string };

/** Fills the form, presses 查询 and waits for the answer on screen: the case's state, or the error shown. */
export async function lookUp(target: PageLike, caseNo: string, last4: string): Promise<LookupOutcome> {
  const page = pageOf(target);
  const main = page.locator('main');
  const before = Number((await main.getAttribute('data-lookups')) ?? '0');
  await page.getByLabel('办件编号').fill(caseNo);
  await page.getByLabel('手机号后四位').fill(last4);
  await page.getByRole('button', { name: '查询' }).click();
  await page.locator(`main[data-lookups="${before + 1}"]`).waitFor({ state: 'attached' });
  const error = page.getByTestId('error');
  if (await error.isVisible()) return { ok: false, error: (await error.textContent()) ?? '' };
  return { ok: true, state: (await page.getByTestId('case-state').textContent()) ?? '' };
}

export interface EventOnPage {
  /** As shown: yyyy-MM-dd HH:mm, Beijing time. */
  time: string;
  text: string;
  location: string | null;
}

export interface ParcelOnPage {
  kind: string;
  waybill: string;
  /** The status label, e.g. 运输中, 已签收. */
  status: string;
  /** e.g. "EMS 运单号 EA123456785CN". */
  carrier: string;
  /** Newest first, as on the page. */
  events: EventOnPage[];
}

const textOf = async (l: Locator): Promise<string> => ((await l.textContent()) ?? '').trim();

async function readTimeline(items: Locator, prefix: string): Promise<EventOnPage[]> {
  const out: EventOnPage[] = [];
  for (const item of await items.all()) {
    const where = item.getByTestId(`${prefix}-location`);
    out.push({
      time: await textOf(item.getByTestId(`${prefix}-time`)),
      text: await textOf(item.getByTestId(`${prefix}-text`)),
      location: (await where.count()) ? await textOf(where) : null,
    });
  }
  return out;
}

/** The parcels as rendered after a lookup: kind, status label, carrier line and timeline. */
export async function readParcels(target: PageLike): Promise<ParcelOnPage[]> {
  const out: ParcelOnPage[] = [];
  for (const parcel of await pageOf(target).getByTestId('parcel').all()) {
    out.push({
      kind: await textOf(parcel.getByTestId('parcel-kind')),
      waybill: await textOf(parcel.getByTestId('parcel-waybill')),
      status: await textOf(parcel.getByTestId('parcel-status')),
      carrier: await textOf(parcel.getByTestId('parcel-carrier')),
      events: await readTimeline(parcel.getByTestId('parcel-event'), 'parcel-event'),
    });
  }
  return out;
}

/** The progress block as rendered: state, deadline line and milestones (newest first). */
export async function readProgress(target: PageLike): Promise<{ state: string; matter: string; deadline: string; milestones: EventOnPage[] }> {
  const page = pageOf(target);
  return {
    state: await textOf(page.getByTestId('case-state')),
    matter: await textOf(page.getByTestId('matter-name')),
    deadline: await textOf(page.getByTestId('deadline')),
    milestones: await readTimeline(page.getByTestId('milestone'), 'milestone'),
  };
}

export type RatingOutcome = { ok: true; thanks: string } | { ok: false; error: string };

/** Presses a rating button (满意 / 一般 / 不满意) and waits for the answer: the thanks shown, or the error. */
export async function rateOnPage(target: PageLike, label: '满意' | '一般' | '不满意'): Promise<RatingOutcome> {
  const page = pageOf(target);
  const section = page.getByTestId('rating');
  const before = Number((await section.getAttribute('data-ratings')) ?? '0');
  await section.getByRole('button', { name: label, exact: true }).click();
  await page.locator(`[data-testid=rating][data-ratings="${before + 1}"]`).waitFor({ state: 'attached' });
  const error = page.getByTestId('rating-error');
  if (await error.isVisible()) return { ok: false, error: await textOf(error) };
  return { ok: true, thanks: await textOf(page.getByTestId('rating-done')) };
}
