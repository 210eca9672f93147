/**
 * The staff console (GET /console) in a real headless Chromium at a window PC's size, for browser
 * and end-to-end tests:
 *
 *   const liwan = await openConsole(sys.districts.liwan.httpUrl);
 *   await signInAs(liwan.page, 'window');
 *   await liwan.shot('intake');                       // var/artifacts/console/intake.png
 *   expect(liwan.offOrigin()).toEqual([]);
 *   await liwan.close();
 *
 * Each console gets its own browser context: cookies are per host, not per port, so the two
 * districts' consoles on 127.0.0.1 would otherwise overwrite each other's session cookie.
 * Requests to any host but 127.0.0.1 are aborted and recorded; page errors (a script that threw,
 * a CSP refusal) are collected so a test can assert there were none.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { LOCAL_STAFF_PASSWORD } from '../../scripts/local-system.js';
import { REPO_ROOT } from '../../scripts/processes.js';
import { CHROMIUM } from './browser.js';

export const SCREENSHOT_DIR = join(REPO_ROOT, 'var', 'artifacts', 'console');

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let browser: Promise<Browser> | undefined;
let open = 0;

async function sharedBrowser(): Promise<Browser> {
  browser ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  return browser;
}

export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** URLs to hosts other than 127.0.0.1 (each was aborted). */
  offOrigin(): string[];
  /** Uncaught page errors and console errors (CSP refusals show here). */
  problems(): string[];
  /** Saves a full-page PNG as var/artifacts/console/<name>.png and returns its path. */
  shot(name: string): Promise<string>;
  close(): Promise<void>;
}

/** Opens `${baseUrl}/console` in a fresh browser context (1280×900, zh-CN, Beijing time). */
export async function openConsole(baseUrl: string, opts: { viewport?: { width: number; height: number } } = {}): Promise<ConsolePage> {
  const b = await sharedBrowser();
  open += 1;
  const context = await b.newContext({
    viewport: opts.viewport ?? { width: 1280, height: 900 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    serviceWorkers: 'block',
  });
  const blocked: string[] = [];
  const problems: string[] = [];
  await context.route('**/*', async (route) => {
    const url = route.request().url();
    if (new URL(url).hostname === '127.0.0.1') return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer as a failed load; the API's are the console's to show. Missing
    // assets are caught below with their URL.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (res) => {
    const path = new URL(res.url()).pathname;
    if (path.startsWith('/console') && res.status() !== 200) problems.push(`asset ${path}: ${res.status()}`);
    if (res.status() >= 500) problems.push(`${res.request().method()} ${path}: ${res.status()}`);
  });
  const response = await page.goto(`${baseUrl}/console`);
  if (response?.status() !== 200) throw new Error(`GET ${baseUrl}/console answered ${response?.status()}`);
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return {
    page,
    context,
    offOrigin: () => [...blocked],
    problems: () => [...problems],
    async shot(name) {
      const path = join(SCREENSHOT_DIR, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      open -= 1;
      if (open === 0 && browser) {
        const b2 = await browser;
        browser = undefined;
        await b2.close();
      }
    },
  };
}

/** Waits until the view `name` has finished drawing (main[data-view][data-ready=true]). */
export async function viewReady(page: Page, name: string): Promise<void> {
  await page.locator(`main[data-view="${name}"][data-ready="true"]`).waitFor({ state: 'attached', timeout: 15_000 });
}

/** Signs in on the console's form and waits for the first view; returns the user line shown. */
export async function signInAs(page: Page, username: string, password = LOCAL_STAFF_PASSWORD): Promise<string> {
  await page.getByTestId('sign-in').waitFor();
  await page.getByLabel('用户名').fill(username);
  await page.getByLabel('密码').fill(password);
  await page.getByTestId('sign-in-button').click();
  await page.getByTestId('nav').waitFor();
  await page.locator('main[data-ready="true"]').waitFor({ state: 'attached' });
  return ((await page.getByTestId('who').textContent()) ?? '').trim();
}

export async function signOut(page: Page): Promise<void> {
  await page.getByTestId('sign-out').click();
  await page.getByTestId('sign-in').waitFor();
}

/** Goes to a #route and waits for its view. */
export async function go(page: Page, hash: string, view: string): Promise<void> {
  await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
  await viewReady(page, view);
}

/** Opens a case's detail page (fresh from the server) and waits for its timeline. */
export async function openCase(page: Page, caseNo: string): Promise<void> {
  // Leave first, so that opening the page it is already on reads the case again.
  await go(page, '#/cases', 'cases');
  await go(page, `#/cases/${caseNo}`, 'case');
}

/** The texts of the nav links the signed-in role can see. */
export async function visibleNav(page: Page): Promise<string[]> {
  const out: string[] = [];
  for (const a of await page.getByTestId('nav').locator('a').all()) if (await a.isVisible()) out.push(((await a.textContent()) ?? '').trim());
  return out;
}
