/*
 * 电子监察: the last six months' figures (GET /api/v1/supervision/figures?period=YYYY-MM, one call
 * per month) as tables and inline-SVG charts — on-time rate per month and per matter, the
 * departments' pre-warnings and yellow and red cards — and the dead-letter list with resend.
 */
import { api } from './api.js';
import { columnChart, stackedBarChart } from './charts.js';
import { renderDeadLetters } from './dead-letters.js';
import { beijingToday, clear, district, el, empty, errorBox, loading } from './dom.js';

const MONTHS = 6;

/** The last `n` months as YYYY-MM, oldest first, ending with this month (Beijing). */
export function lastMonths(n, today = beijingToday()) {
  let y = Number(today.slice(0, 4));
  let m = Number(today.slice(5, 7));
  const out = [];
  for (let i = 0; i < n; i++) {
    out.unshift(`${y}-${String(m).padStart(2, '0')}`);
    m -= 1;
    if (m === 0) {
      m = 12;
      y -= 1;
    }
  }
  return out;
}

const pct = (num, den) => (den ? `${Math.round((num / den) * 1000) / 10}%` : '—');
const monthLabel = (p) => `${Number(p.slice(5, 7))}月`;
const num = (row, ...keys) => {
  for (const k of keys) if (typeof row[k] === 'number') return row[k];
  return 0;
};

export async function renderSupervision(view, ctx) {
  view.appendChild(el('h2', { text: '电子监察' }));
  const body = view.appendChild(el('div'));
  body.appendChild(loading('正在统计近六个月的数据…'));
  const periods = lastMonths(MONTHS);
  const answers = await Promise.all(periods.map((period) => api('GET', '/api/v1/supervision/figures', { query: { period } })));
  clear(body);
  const failed = answers.find((r) => !r.ok);
  if (failed) return void body.appendChild(errorBox(failed.message, 'supervision-error'));
  const byPeriod = periods.map((period, i) => ({ period, rows: Array.isArray(answers[i].body.rows) ? answers[i].body.rows : [] }));

  body.append(onTimeByMonth(byPeriod), onTimeByMatter(byPeriod), cardsByDepartment(byPeriod));
  const dead = body.appendChild(el('section', { class: 'card' }, el('h3', { text: '发送失败的报文（死信）' })));
  await renderDeadLetters(dead, ctx);
}

function onTimeByMonth(byPeriod) {
  const months = byPeriod.map(({ period, rows }) => {
    const completed = rows.reduce((n, r) => n + num(r, 'completed'), 0);
    const onTime = rows.reduce((n, r) => n + num(r, 'completedOnTime'), 0);
    const overdue = rows.reduce((n, r) => n + num(r, 'openOverdue'), 0);
    return { period, completed, onTime, overdue };
  });
  return el(
    'section',
    { class: 'card', testid: 'on-time-by-month' },
    el('h3', { text: '按时办结率（按月）' }),
    columnChart({
      label: '近六个月按时办结率',
      testid: 'chart-on-time',
      items: months.map((m) => ({ label: monthLabel(m.period), value: m.completed ? m.onTime / m.completed : null, text: pct(m.onTime, m.completed) })),
      tone: (item) => (item.value >= 0.95 ? 'green' : item.value >= 0.8 ? 'yellow' : 'red'),
    }),
    table(
      ['统计月份', '办结件数', '按时办结', '按时办结率', '在办超期'],
      months.map((m) => [m.period, m.completed, m.onTime, pct(m.onTime, m.completed), m.overdue]),
      'table-on-time',
    ),
  );
}

function onTimeByMatter(byPeriod) {
  const matters = new Map();
  for (const { period, rows } of byPeriod) {
    for (const r of rows) {
      const key = `${r.handlingDistrict}|${r.matterId}`;
      const m = matters.get(key) ?? { name: r.matterName || r.matterId, district: r.handlingDistrict, months: {} };
      const cell = m.months[period] ?? { completed: 0, onTime: 0 };
      cell.completed += num(r, 'completed');
      cell.onTime += num(r, 'completedOnTime');
      m.months[period] = cell;
      matters.set(key, m);
    }
  }
  const card = el('section', { class: 'card', testid: 'on-time-by-matter' }, el('h3', { text: '按时办结率（按事项、按月）' }));
  if (!matters.size) return card.appendChild(empty('近六个月没有办结或在办的办件')), card;
  const periods = byPeriod.map((p) => p.period);
  card.appendChild(
    table(
      ['事项', '办理地', ...periods.map(monthLabel)],
      [...matters.values()].map((m) => [
        m.name,
        district(m.district),
        ...periods.map((p) => {
          const c = m.months[p];
          return c && c.completed ? `${pct(c.onTime, c.completed)}（${c.onTime}/${c.completed}）` : '—';
        }),
      ]),
      'table-by-matter',
    ),
  );
  return card;
}

function cardsByDepartment(byPeriod) {
  const departments = new Map();
  for (const { rows } of byPeriod) {
    for (const r of rows) {
      const key = r.department || '（未注明部门）';
      const d = departments.get(key) ?? { preWarnings: 0, yellow: 0, red: 0 };
      d.preWarnings += num(r, 'preWarnings', 'pre_warnings');
      d.yellow += num(r, 'yellowCards', 'yellow');
      d.red += num(r, 'redCards', 'red');
      departments.set(key, d);
    }
  }
  const items = [...departments.entries()].map(([label, values]) => ({ label, values }));
  return el(
    'section',
    { class: 'card', testid: 'cards-by-department' },
    el('h3', { text: '预警与亮牌（按部门，近六个月）' }),
    stackedBarChart({
      label: '各部门预警、黄牌、红牌数',
      testid: 'chart-cards',
      items,
      series: [
        { key: 'preWarnings', name: '预警', tone: 'blue' },
        { key: 'yellow', name: '黄牌', tone: 'yellow' },
        { key: 'red', name: '红牌', tone: 'red' },
      ],
    }),
    items.length
      ? table(['部门', '预警', '黄牌', '红牌'], items.map((i) => [i.label, i.values.preWarnings, i.values.yellow, i.values.red]), 'table-cards')
      : empty('近六个月没有预警或亮牌'),
  );
}

function table(headers, rows, testid) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'table compact', testid },
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { text: h })))),
      el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', { text: c }))))),
    ),
  );
}
