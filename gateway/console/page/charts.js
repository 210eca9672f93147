/*
 * Small inline-SVG charts for the supervision page: nothing downloaded, no library. Colours come
 * from classes in console.css (the CSP allows no inline style); each chart has a <title> and an
 * aria-label, and the same figures are always in a table beside it for screen readers and print.
 */
const NS = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(width, height, label, testid) {
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, class: 'chart', 'data-testid': testid, preserveAspectRatio: 'xMinYMin meet' });
  root.appendChild(svg('title', {}, label));
  return root;
}

/** Clips long Chinese labels so they stay in their column. */
const clip = (s, n) => ([...String(s)].length > n ? `${[...String(s)].slice(0, n - 1).join('')}…` : String(s));

/**
 * Vertical columns, one per item, for values from 0 to `max` (null: no data, drawn as a dash).
 * items: [{ label, value, text }] — text is printed above the column.
 */
export function columnChart({ label, items, max = 1, testid, tone = () => 'blue' }) {
  const width = 640;
  const height = 240;
  const top = 24;
  const bottom = 36;
  const left = 40;
  const plot = height - top - bottom;
  const step = (width - left - 8) / Math.max(items.length, 1);
  const root = frame(width, height, label, testid);
  for (const f of [0, 0.5, 1]) {
    const y = top + plot * (1 - f);
    root.appendChild(svg('line', { x1: left, x2: width - 4, y1: y, y2: y, class: 'grid-line' }));
    root.appendChild(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'axis' }, max === 1 ? `${Math.round(f * 100)}%` : Math.round(f * max)));
  }
  items.forEach((item, i) => {
    const x = left + i * step + step * 0.2;
    const w = step * 0.6;
    const cx = x + w / 2;
    if (item.value === null || item.value === undefined) {
      root.appendChild(svg('text', { x: cx, y: top + plot - 6, 'text-anchor': 'middle', class: 'axis' }, '—'));
    } else {
      const h = Math.max(1, (Math.min(item.value, max) / max) * plot);
      const bar = svg('rect', { x, y: top + plot - h, width: w, height: h, rx: 3, class: `bar ${tone(item)}` });
      bar.appendChild(svg('title', {}, `${item.label}：${item.text ?? item.value}`));
      root.appendChild(bar);
      root.appendChild(svg('text', { x: cx, y: top + plot - h - 6, 'text-anchor': 'middle', class: 'value' }, item.text ?? item.value));
    }
    root.appendChild(svg('text', { x: cx, y: height - bottom + 18, 'text-anchor': 'middle', class: 'axis' }, clip(item.label, 10)));
  });
  return root;
}

/**
 * Horizontal stacked bars, one row per item, with a legend.
 * series: [{ key, name, tone }]; items: [{ label, values: { [key]: number } }]
 */
export function stackedBarChart({ label, items, series, testid }) {
  const width = 640;
  const row = 30;
  const top = 30;
  const labelWidth = 210;
  const height = top + Math.max(items.length, 1) * row + 8;
  const root = frame(width, height, label, testid);
  let lx = labelWidth;
  for (const s of series) {
    root.appendChild(svg('rect', { x: lx, y: 6, width: 12, height: 12, rx: 2, class: `bar ${s.tone}` }));
    root.appendChild(svg('text', { x: lx + 16, y: 16, class: 'axis' }, s.name));
    lx += 110;
  }
  const totals = items.map((it) => series.reduce((n, s) => n + (Number(it.values[s.key]) || 0), 0));
  const max = Math.max(1, ...totals);
  const plot = width - labelWidth - 40;
  items.forEach((item, i) => {
    const y = top + i * row;
    root.appendChild(svg('text', { x: labelWidth - 8, y: y + row / 2 + 4, 'text-anchor': 'end', class: 'axis' }, clip(item.label, 14)));
    let x = labelWidth;
    for (const s of series) {
      const v = Number(item.values[s.key]) || 0;
      if (!v) continue;
      const w = (v / max) * plot;
      const bar = svg('rect', { x, y: y + 5, width: w, height: row - 10, class: `bar ${s.tone}` });
      bar.appendChild(svg('title', {}, `${item.label} ${s.name}：${v}`));
      root.appendChild(bar);
      x += w;
    }
    root.appendChild(svg('text', { x: x + 6, y: y + row / 2 + 4, class: 'value' }, totals[i]));
  });
  if (!items.length) root.appendChild(svg('text', { x: labelWidth, y: top + 18, class: 'axis' }, '暂无数据'));
  return root;
}
