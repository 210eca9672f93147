/**
 * The staff console (工作台): one page at GET /console and its assets under /console/…, plain ES
 * modules with no build step. Every asset is read once at start, so a missing file stops the
 * gateway now rather than a window clerk later. The page only calls this gateway's /api/v1 (the
 * API checks the session, the role and the CSRF header); nothing is loaded from elsewhere and
 * nothing runs inline, which the CSP below enforces in the browser.
 */
import { Router, type RequestHandler } from 'express';
import { readdirSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';

/** As the citizen page's, plus nothing: charts are inline SVG drawn by the page's own module. */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const PAGE_DIR = new URL('./page/', import.meta.url);
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
/** Asset names as they may appear in a URL: no dots but the extension's, no slashes. */
const ASSET_NAME = /^[a-z][a-z0-9-]*\.(js|css)$/;

interface Asset {
  body: Buffer;
  type: string;
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(PAGE_DIR)) {
    const type = TYPES[extname(name)];
    if (!type || (name !== 'console.html' && !ASSET_NAME.test(name))) continue;
    assets.set(name, { body: readFileSync(new URL(name, PAGE_DIR)), type });
  }
  if (!assets.has('console.html')) throw new Error('gateway/console/page/console.html is missing');
  return assets;
}

export function consoleRoutes(): Router {
  const router = Router();
  const assets = loadAssets();
  const send =
    (asset: Asset): RequestHandler =>
    (_req, res) => {
      res.set({
        'Content-Type': asset.type,
        'Content-Security-Policy': CONSOLE_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        'Cache-Control': 'no-cache',
      });
      res.send(asset.body);
    };

  // The console routes itself with the URL's #fragment, so this is its only page (also at /console/).
  router.get('/console', send(assets.get('console.html')!));
  for (const [name, asset] of assets) {
    if (name !== 'console.html') router.get(`/console/${name}`, send(asset));
  }
  return router;
}
