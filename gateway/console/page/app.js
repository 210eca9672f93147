/*
 * 跨城通办 工作台 — the staff console. Plain ES modules, no framework, no build step.
 * The session comes from GET /api/v1/session; its `permissions` decide which navigation and
 * actions are shown (the server enforces them anyway). Views are chosen by the URL's #fragment
 * (#/intake, #/cases, #/cases/KC-…, #/supervision, #/dead-letters, #/diagnostics); each view draws
 * into a fresh container, so an answer that arrives after the clerk moved on lands nowhere.
 */
import { api, setCsrfToken } from './api.js';
import { $, clear, DISTRICT_FULL, DISTRICT_SHORT, el, errorBox, ROLE_ZH } from './dom.js';
import { renderIntake } from './intake.js';
import { renderCaseList } from './case-list.js';
import { renderCaseDetail } from './case-detail.js';
import { renderSupervision } from './supervision.js';
import { renderDeadLetterView } from './dead-letters.js';
import { renderDiagnostics } from './diagnostics.js';

let session = null;
let renders = 0;

const can = (permission) => Boolean(session && session.permissions.includes(permission));

/** The first view a role lands on. */
function homeOf() {
  if (can('cases:create')) return '#/intake';
  if (can('cases:read')) return '#/cases';
  if (can('supervision:read')) return '#/supervision';
  if (can('diagnostics:read')) return '#/diagnostics';
  return '#/cases';
}

const ROUTES = [
  { pattern: /^\/intake$/, name: 'intake', render: renderIntake },
  { pattern: /^\/cases$/, name: 'cases', render: renderCaseList },
  { pattern: /^\/cases\/([^/]+)$/, name: 'case', render: renderCaseDetail },
  { pattern: /^\/supervision$/, name: 'supervision', render: renderSupervision },
  { pattern: /^\/dead-letters$/, name: 'dead-letters', render: renderDeadLetterView },
  { pattern: /^\/diagnostics$/, name: 'diagnostics', render: renderDiagnostics },
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { path, query: Object.fromEntries(new URLSearchParams(search)) };
}

async function route() {
  if (!session) return;
  const { path, query } = parseHash();
  const match = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).find((x) => x.m);
  if (!match) {
    location.replace(homeOf());
    return;
  }
  // A forced URL still asks the server, which answers 403 for a role that may not: the view shows it.
  const main = $('main');
  const view = el('div', { class: 'view', 'data-view': match.r.name });
  clear(main).appendChild(view);
  const token = ++renders;
  main.setAttribute('data-view', match.r.name);
  main.setAttribute('data-ready', 'false');
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.getAttribute('href') === `#/${path.split('/')[1]}`);
  }
  try {
    await match.r.render(view, {
      session,
      can,
      params: match.m.slice(1).map(decodeURIComponent),
      query,
      /** Whether this view is still the one on screen. */
      current: () => token === renders,
    });
  } catch (err) {
    view.appendChild(errorBox('页面出错，请刷新后重试'));
    console.error(err);
  }
  if (token === renders) main.setAttribute('data-ready', 'true');
}

function showSignIn(message) {
  session = null;
  renders += 1; // whatever view was drawing is no longer on screen
  setCsrfToken(null);
  $('who').hidden = true;
  $('nav').hidden = true;
  const main = clear($('main'));
  main.setAttribute('data-view', 'sign-in');
  main.removeAttribute('data-ready');
  main.hidden = true;
  $('sign-in').hidden = false;
  const error = $('sign-in-error');
  error.textContent = message || '';
  error.hidden = !message;
  $('password').value = '';
  $('username').focus();
}

/** Shows the console for a session; after a fresh sign-in, on the role's first view. */
function enter(s, { fromSignIn = false } = {}) {
  session = s;
  setCsrfToken(s.csrfToken);
  $('sign-in').hidden = true;
  const main = $('main');
  main.hidden = false;
  main.setAttribute('data-ready', 'false');
  const districtName = DISTRICT_SHORT[s.district] ?? s.district;
  $('district-name').textContent = `${DISTRICT_FULL[s.district] ?? s.district}（${districtName}）`;
  document.title = `跨城通办 工作台 · ${districtName}`;
  $('user-name').textContent = s.displayName || s.username;
  $('user-roles').textContent = (s.roles || []).map((r) => ROLE_ZH[r] ?? r).join(' / ');
  $('who').hidden = false;
  for (const a of document.querySelectorAll('#nav a')) {
    const needs = a.getAttribute('data-permission').split(' ');
    a.hidden = !needs.some(can);
  }
  $('nav').hidden = false;
  // A reload keeps the clerk where they were; a new sign-in (perhaps another role) starts at home.
  const target = fromSignIn || parseHash().path === '/' ? homeOf() : location.hash;
  if (location.hash === target) route();
  else location.replace(target); // hashchange draws it
}

async function onSignIn(event) {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  const error = $('sign-in-error');
  if (!username || !password) {
    error.textContent = '请输入用户名和密码';
    error.hidden = false;
    return;
  }
  const button = $('sign-in-button');
  button.disabled = true;
  button.textContent = '登录中…';
  const r = await api('POST', '/api/v1/session', { body: { username, password } });
  button.disabled = false;
  button.textContent = '登录';
  if (!r.ok) {
    error.textContent = r.message;
    error.hidden = false;
    $('password').value = '';
    return;
  }
  enter(r.body, { fromSignIn: true });
}

async function onSignOut() {
  const button = $('sign-out');
  button.disabled = true;
  await api('DELETE', '/api/v1/session', { quiet401: true });
  button.disabled = false;
  // Whatever the answer, the clerk is shown the sign-in form: a stale cookie is refused anyway.
  showSignIn('');
}

async function boot() {
  $('sign-in-form').addEventListener('submit', onSignIn);
  $('sign-out').addEventListener('click', onSignOut);
  window.addEventListener('hashchange', route);
  window.addEventListener('kc:unauthenticated', () => showSignIn('登录已失效，请重新登录'));
  // Which district this gateway serves, for the sign-in form (public, no session needed).
  api('GET', '/healthz').then((r) => {
    const d = r.ok && r.body ? r.body.district : null;
    if (d) $('sign-in-district').textContent = `${DISTRICT_FULL[d] ?? d}（${DISTRICT_SHORT[d] ?? d}）跨城通办窗口`;
  });
  const r = await api('GET', '/api/v1/session', { quiet401: true });
  if (r.ok) enter(r.body);
  else showSignIn(r.status === 401 ? '' : r.message);
}

boot();
