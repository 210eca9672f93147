/*
 * Small DOM helpers and the console's Chinese labels. Server data is only ever written with
 * textContent or attributes (never innerHTML), so nothing a case holds can become markup.
 */

/**
 * el('p', { class: 'muted', testid: 'x', text: '…', hidden: true, on: { click: fn } }, child, …)
 * Children may be nodes, strings or arrays of them; null and false are skipped.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'testid') node.setAttribute('data-testid', value);
    else if (key === 'on') for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === 'hidden' || key === 'disabled' || key === 'checked' || key === 'required' || key === 'selected') node[key] = Boolean(value);
    else if (key === 'value') node.value = String(value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export function $(id) {
  return document.getElementById(id);
}

/** A labelled input block: <div class="field"><label>…</label>{control}<p class="field-error"></p></div> */
export function field(label, control, opts = {}) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  control.id = id;
  const error = el('p', { class: 'field-error', role: 'alert', hidden: true, testid: opts.errorTestId });
  control.setAttribute('aria-describedby', `${id}-err`);
  error.id = `${id}-err`;
  return el(
    'div',
    { class: `field${opts.wide ? ' wide' : ''}`, testid: opts.testid },
    // Required is marked by a class (console.css adds the star), so requiredWhen can toggle it.
    el('label', { for: id, class: opts.required ? 'required-now' : null }, label),
    opts.suffix ? el('div', { class: 'with-suffix' }, control, el('span', { class: 'suffix', text: opts.suffix })) : control,
    opts.hint ? el('p', { class: 'hint', text: opts.hint }) : null,
    error,
  );
}

/** Shows (or with '' clears) the message under a field made by field(). */
export function setFieldError(control, message) {
  const box = control.closest('.field');
  const error = box && box.querySelector('.field-error');
  if (!error) return;
  error.textContent = message || '';
  error.hidden = !message;
  if (message) control.setAttribute('aria-invalid', 'true');
  else control.removeAttribute('aria-invalid');
}

export function loading(text = '正在加载…') {
  return el('p', { class: 'loading', role: 'status', testid: 'loading', text });
}

export function empty(text) {
  return el('p', { class: 'empty muted', testid: 'empty', text });
}

export function errorBox(message, testid = 'error') {
  return el('p', { class: 'error', role: 'alert', testid, text: message });
}

/** yyyy-MM-dd HH:mm in Beijing time, whatever the browser's own time zone. */
export function beijingTime(iso) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return iso ? String(iso) : '—';
  const d = new Date(ms + 8 * 3600 * 1000);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`;
}

/** Today in Beijing as YYYY-MM-DD. */
export function beijingToday() {
  return beijingTime(new Date().toISOString()).slice(0, 10);
}

export const DISTRICT_SHORT = { liwan: '荔湾', nanhai: '南海' };
export const DISTRICT_FULL = { liwan: '广州市荔湾区', nanhai: '佛山市南海区' };
export const ROLE_ZH = { window: '收件', handler: '办理', supervisor: '监察' };
export const CASE_STATE_ZH = {
  submitted: '已收件',
  forwarded: '已送达办理地',
  registered: '办理地已登记',
  accepted: '已受理',
  supplement_requested: '待补正',
  supplement_received: '补正材料已收到',
  approved: '准予许可',
  rejected: '不予许可',
};
export const COLOUR_ZH = { green: '正常', yellow: '临近期限', red: '已超期' };
export const HANDOFF_KIND_ZH = {
  materials_to_handling: '申请材料寄送办理地',
  result_to_applicant: '办理结果寄送申请人',
  result_to_window: '办理结果寄回窗口',
};
export const HANDOFF_STATUS_ZH = { in_transit: '在途', received: '已签收核对', exception: '交接异常' };
export const CARRIER_ZH = { ems: 'EMS', china_post: '中国邮政' };
export const FORM_ZH = { original: '原件', copy: '复印件' };
export const DELIVERY_ZH = { queued: '待发送', retrying: '重试中', receipted: '已回执', dead_lettered: '发送失败（死信）', received: '已接收' };
export const DISCREPANCY_ZH = { missing: '缺少', fewer_copies: '份数不足', fewer_pages: '页数不足', not_on_manifest: '清单外' };

export const district = (d) => DISTRICT_SHORT[d] ?? d ?? '—';

/** A deadline colour badge (green / yellow / red), or a grey dash when no deadline runs. */
export function colourBadge(colour, label, testid = 'deadline-badge') {
  if (!colour) return el('span', { class: 'badge none', testid, text: label || '未计时' });
  return el('span', { class: `badge ${colour}`, 'data-colour': colour, testid, text: label || COLOUR_ZH[colour] || colour });
}

/** "KC-…" → "#/cases/KC-…" */
export const caseHref = (caseNo) => `#/cases/${encodeURIComponent(caseNo)}`;
