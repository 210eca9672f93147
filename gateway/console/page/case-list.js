/*
 * 办件: the district's cases, newest first, filtered by handling district, matter, state and
 * deadline colour, paged with the server's nextCursor ("加载更多") so thousands of cases never load
 * at once. Filters live in the URL (#/cases?state=…), so a reload or a shared link keeps them.
 */
import { api } from './api.js';
import { beijingTime, CASE_STATE_ZH, caseHref, clear, colourBadge, COLOUR_ZH, DISTRICT_SHORT, district, el, empty, errorBox, field, loading } from './dom.js';

const PAGE_SIZE = 50;

export async function renderCaseList(view, ctx) {
  view.appendChild(el('h2', { text: '办件列表' }));
  const q = ctx.query;
  const select = (name, options, value) =>
    el('select', { name, testid: `filter-${name}` }, options.map(([v, label]) => el('option', { value: v, text: label, selected: v === (value ?? '') })));
  const handling = select('handlingDistrict', [['', '全部'], ...Object.entries(DISTRICT_SHORT)], q.handlingDistrict);
  const matter = select('matterId', [['', '全部事项']], q.matterId);
  const state = select('state', [['', '全部状态'], ...Object.entries(CASE_STATE_ZH)], q.state);
  const colour = select('deadline', [['', '全部'], ...Object.entries(COLOUR_ZH).map(([k, v]) => [k, `${v}（${{ green: '绿', yellow: '黄', red: '红' }[k]}）`])], q.deadline);
  const caseNo = el('input', { type: 'search', name: 'caseNo', placeholder: 'KC-LW-20260101-000001', testid: 'filter-case-no', autocomplete: 'off' });

  const filters = el(
    'form',
    { class: 'card filters', testid: 'case-filters' },
    field('办理地', handling),
    field('事项', matter),
    field('状态', state),
    field('期限', colour),
    el('div', { class: 'filter-actions' }, el('button', { type: 'submit', class: 'primary', testid: 'apply-filters', text: '查询' })),
  );
  const jump = el(
    'form',
    { class: 'card jump' },
    field('按办件编号打开', caseNo),
    el('div', { class: 'filter-actions' }, el('button', { type: 'submit', text: '打开' })),
  );
  view.append(el('div', { class: 'toolbar' }, filters, jump));

  // The catalog's matters, for the filter (every matter, open or not, of either district).
  api('GET', '/api/v1/matters', { query: { includeUnavailable: 'true' } }).then((r) => {
    if (!r.ok || !Array.isArray(r.body.matters)) return;
    for (const m of r.body.matters) matter.appendChild(el('option', { value: m.id, text: `${m.id} ${m.name}`, selected: m.id === q.matterId }));
  });

  filters.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const s of [handling, matter, state, colour]) if (s.value) params.set(s.name, s.value);
    if (q.limit) params.set('limit', q.limit);
    const next = `#/cases${params.toString() ? `?${params}` : ''}`;
    if (location.hash === next) renderCaseList(clear(view), ctx);
    else location.hash = next;
  });
  jump.addEventListener('submit', (event) => {
    event.preventDefault();
    const no = caseNo.value.normalize('NFKC').replace(/\s+/g, '').toUpperCase();
    if (no) location.hash = caseHref(no);
  });

  const tbody = el('tbody', { testid: 'case-rows' });
  const table = el(
    'table',
    { class: 'table cases', testid: 'case-table' },
    el('thead', {}, el('tr', {}, ['办件编号', '事项', '收件地 → 办理地', '状态', '期限', '更新时间'].map((h) => el('th', { text: h })))),
    tbody,
  );
  const status = el('div', { class: 'list-status' });
  const more = el('button', { type: 'button', testid: 'load-more', text: '加载更多', hidden: true });
  const counter = el('p', { class: 'muted small', testid: 'case-count' });
  view.append(el('section', { class: 'card' }, el('div', { class: 'table-wrap' }, table), status, el('div', { class: 'actions' }, more, counter)));

  const filter = {
    handlingDistrict: q.handlingDistrict,
    matterId: q.matterId,
    state: q.state,
    deadline: q.deadline,
    // #/cases?limit=N for a shorter page (the API takes 1–200).
    limit: Math.min(Math.max(Number(q.limit) || PAGE_SIZE, 1), 200),
  };
  let shown = 0;
  let cursor = null;

  async function loadPage() {
    more.hidden = true;
    clear(status).appendChild(loading());
    const r = await api('GET', '/api/v1/cases', { query: { ...filter, cursor } });
    clear(status);
    if (!r.ok) return void status.appendChild(errorBox(r.message, 'list-error'));
    const cases = Array.isArray(r.body.cases) ? r.body.cases : [];
    for (const c of cases) tbody.appendChild(caseRow(c));
    shown += cases.length;
    cursor = r.body.nextCursor ?? null;
    if (shown === 0) status.appendChild(empty('没有符合条件的办件'));
    counter.textContent = shown ? `已显示 ${shown} 件${cursor ? '' : '（已全部显示）'}` : '';
    more.hidden = !cursor;
  }
  more.addEventListener('click', loadPage);
  await loadPage();
}

function caseRow(c) {
  const d = c.deadline;
  return el(
    'tr',
    { testid: 'case-row', 'data-case-no': c.caseNo, 'data-colour': d?.colour ?? '' },
    el('td', {}, el('a', { href: caseHref(c.caseNo), class: 'mono', text: c.caseNo })),
    el('td', { text: c.matterName || c.matterId }),
    el('td', { text: `${district(c.originDistrict)} → ${district(c.handlingDistrict)}` }),
    el('td', { testid: 'case-state', text: c.stateLabel || CASE_STATE_ZH[c.state] || c.state }),
    el('td', {}, colourBadge(d?.colour, d?.colourLabel), d?.dueDate ? el('span', { class: 'small muted', text: ` ${d.dueDate}` }) : null),
    el('td', { class: 'small', text: beijingTime(c.updatedAt) }),
  );
}
