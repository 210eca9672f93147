/*
 * The two hand-off forms (courier/handoff.ts): dispatch — the paper leaves with a manifest, a seal,
 * the carrier's waybill and who gave and took it — and receipt — the other end counts what arrived
 * against the manifest and notes the seal. Staff and couriers appear by id (工号), never by name.
 */
import { api } from './api.js';
import { CARRIER_ZH, clear, el, errorBox, field, FORM_ZH, HANDOFF_KIND_ZH, setFieldError } from './dom.js';

const STAFF_ID = /^[A-Za-z0-9_-]{1,40}$/;
const SEAL = /^[A-Z0-9-]{4,32}$/;

/** Puts each server issue next to its [data-field] control; the rest go in `box`. */
function placeIssues(form, r, box) {
  const loose = [];
  for (const issue of r.issues) {
    const control = form.querySelector(`[data-field="${CSS.escape(String(issue.field))}"]`);
    if (control) setFieldError(control, issue.message);
    else loose.push(issue.message);
  }
  clear(box).appendChild(el('p', { text: r.message }));
  if (loose.length) box.appendChild(el('ul', {}, loose.map((t) => el('li', { text: t }))));
  box.hidden = false;
}

const int = (v) => (/^\d+$/.test(String(v).trim()) ? Number(v) : NaN);

function manifestEditor(initial) {
  const tbody = el('tbody');
  const addRow = (item = {}) => {
    const i = tbody.childNodes.length;
    const name = el('input', { type: 'text', value: item.name ?? '', maxlength: 200, 'data-field': `manifest.${i}.name`, 'aria-label': '材料名称' });
    const form = el('select', { 'data-field': `manifest.${i}.form`, 'aria-label': '形式' }, Object.entries(FORM_ZH).map(([v, t]) => el('option', { value: v, text: t, selected: v === item.form })));
    const copies = el('input', { type: 'number', min: 1, max: 99, class: 'narrow', value: item.copies ?? 1, 'data-field': `manifest.${i}.copies`, 'aria-label': '份数' });
    const pages = el('input', { type: 'number', min: 1, max: 9999, class: 'narrow', value: item.pages ?? '', 'data-field': `manifest.${i}.pages`, 'aria-label': '页数', testid: 'manifest-pages' });
    const remove = el('button', { type: 'button', class: 'small', text: '删除', on: { click: () => row.remove() } });
    const cell = (c) => el('td', {}, el('div', { class: 'field' }, c, el('p', { class: 'field-error', role: 'alert', hidden: true })));
    const row = el('tr', { testid: 'manifest-row' }, cell(name), cell(form), cell(copies), cell(pages), el('td', {}, remove));
    row.read = () => ({ name: name.value.trim(), form: form.value, copies: int(copies.value), pages: int(pages.value) });
    row.check = () => {
      let ok = true;
      const v = row.read();
      setFieldError(name, v.name ? '' : '请填写材料名称');
      setFieldError(copies, v.copies >= 1 && v.copies <= 99 ? '' : '份数须为1–99');
      setFieldError(pages, v.pages >= 1 && v.pages <= 9999 ? '' : '请填写页数');
      ok = Boolean(v.name) && v.copies >= 1 && v.copies <= 99 && v.pages >= 1 && v.pages <= 9999;
      return ok;
    };
    tbody.appendChild(row);
  };
  for (const item of initial) addRow(item);
  const node = el(
    'div',
    { class: 'manifest' },
    el('div', { class: 'table-wrap' }, el('table', { class: 'table compact', testid: 'manifest' }, el('thead', {}, el('tr', {}, ['材料名称', '形式', '份数', '页数', ''].map((t) => el('th', { text: t })))), tbody)),
    el('button', { type: 'button', class: 'small', text: '添加一项', on: { click: () => addRow() } }),
  );
  return { node, rows: () => [...tbody.childNodes] };
}

/** 寄送: what = 'materials' (origin window → handling district) or 'result' (handling → applicant or window). */
export async function renderDispatchForm(slot, c, what, ctx, reload) {
  clear(slot);
  let initial;
  if (what === 'materials') {
    initial = (c.application?.materials ?? []).map((m) => ({ name: m.name, form: m.form, copies: m.copies }));
  } else {
    const m = await api('GET', `/api/v1/matters/${encodeURIComponent(c.matterId)}`);
    initial = [{ name: m.ok ? m.body.resultDocument : '', form: 'original', copies: 1 }];
  }
  const kind =
    what === 'materials'
      ? el('select', { 'data-field': 'kind', disabled: true }, el('option', { value: 'materials_to_handling', text: HANDOFF_KIND_ZH.materials_to_handling }))
      : el('select', { 'data-field': 'kind', testid: 'handoff-kind' }, ['result_to_applicant', 'result_to_window'].map((k) => el('option', { value: k, text: HANDOFF_KIND_ZH[k] })));
  const manifest = manifestEditor(initial);
  const sealNo = el('input', { type: 'text', 'data-field': 'sealNo', maxlength: 32, autocapitalize: 'characters', testid: 'seal-no' });
  const carrier = el('select', { 'data-field': 'carrier', testid: 'carrier' }, Object.entries(CARRIER_ZH).map(([v, t]) => el('option', { value: v, text: t })));
  const waybill = el('input', { type: 'text', 'data-field': 'waybill', maxlength: 40, autocapitalize: 'characters', testid: 'waybill' });
  const handedBy = el('input', { type: 'text', 'data-field': 'handedBy', maxlength: 40, value: ctx.session.username, testid: 'handed-by' });
  const takenBy = el('input', { type: 'text', 'data-field': 'takenBy', maxlength: 40, testid: 'taken-by' });
  const summary = el('div', { class: 'error', role: 'alert', hidden: true, testid: 'handoff-error' });
  const submit = el('button', { type: 'submit', class: 'primary', testid: 'submit-dispatch', text: '登记交寄' });
  const form = el(
    'form',
    { class: 'subform', novalidate: true, testid: 'dispatch-form' },
    el('h4', { text: what === 'materials' ? '寄送申请材料' : '寄送办理结果' }),
    el('div', { class: 'grid' }, field('交接类型', kind), field('快递公司', carrier), field('运单号', waybill, { required: true, hint: '13位数字，或如 EA123456785CN' }), field('封签号', sealNo, { required: true, hint: '大写字母、数字和“-”' }), field('交件人工号', handedBy, { required: true }), field('揽收快递员编号', takenBy, { required: true })),
    el('h4', { text: '交接清单' }),
    manifest.node,
    summary,
    el('div', { class: 'actions' }, submit, el('button', { type: 'button', text: '取消', on: { click: () => clear(slot) } })),
  );
  slot.appendChild(form);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    summary.hidden = true;
    sealNo.value = sealNo.value.normalize('NFKC').trim().toUpperCase();
    let ok = true;
    const check = (control, good, message) => {
      setFieldError(control, good ? '' : message);
      ok = ok && good;
    };
    check(waybill, waybill.value.trim() !== '', '请填写运单号');
    check(sealNo, SEAL.test(sealNo.value), '封签号格式不正确');
    check(handedBy, STAFF_ID.test(handedBy.value.trim()), '请填写工号（字母、数字、-、_）');
    check(takenBy, STAFF_ID.test(takenBy.value.trim()), '请填写快递员编号（字母、数字、-、_）');
    const rows = manifest.rows();
    for (const row of rows) ok = row.check() && ok;
    if (!rows.length) ok = false;
    if (!ok) {
      clear(summary).appendChild(el('p', { text: rows.length ? '请按提示修改标红的项目' : '交接清单至少要有一项' }));
      summary.hidden = false;
      return;
    }
    submit.disabled = true;
    const r = await api('POST', `/api/v1/cases/${encodeURIComponent(c.caseNo)}/handoffs`, {
      body: {
        kind: kind.value,
        manifest: rows.map((row) => row.read()),
        sealNo: sealNo.value,
        handedBy: handedBy.value.trim(),
        takenBy: takenBy.value.trim(),
        carrier: carrier.value,
        waybill: waybill.value,
      },
    });
    submit.disabled = false;
    if (!r.ok) return placeIssues(form, r, summary);
    reload(`已登记交寄，运单号 ${r.body.waybill}`);
  });
}

/** 签收: count what arrived against the manifest; a broken seal or any difference is an exception both sides see. */
export function renderReceiveForm(slot, c, h, ctx, reload) {
  clear(slot);
  const receivedBy = el('input', { type: 'text', 'data-field': 'receivedBy', maxlength: 40, value: ctx.session.username, testid: 'received-by' });
  const sealIntact = el('input', { type: 'checkbox', checked: true, 'data-field': 'sealIntact', testid: 'seal-intact' });
  const rows = (h.manifest ?? []).map((m, i) => {
    const present = el('input', { type: 'checkbox', checked: true, 'aria-label': `${m.name} 已收到` });
    const copies = el('input', { type: 'number', min: 0, max: 99, class: 'narrow', value: m.copies, 'data-field': `received.${i}.copies`, 'aria-label': `${m.name} 实收份数` });
    const pages = el('input', { type: 'number', min: 0, max: 9999, class: 'narrow', value: m.pages, 'data-field': `received.${i}.pages`, 'aria-label': `${m.name} 实收页数` });
    return {
      m,
      present,
      copies,
      pages,
      row: el('tr', { testid: 'receive-row' }, el('td', {}, el('label', { class: 'check' }, present, el('span', { text: m.name }))), el('td', { text: `${m.copies} 份 ${m.pages} 页` }), el('td', {}, copies), el('td', {}, pages)),
    };
  });
  const summary = el('div', { class: 'error', role: 'alert', hidden: true, testid: 'receive-error' });
  const submit = el('button', { type: 'submit', class: 'primary', testid: 'submit-receipt', text: '确认签收' });
  const form = el(
    'form',
    { class: 'subform', novalidate: true, testid: 'receive-form' },
    el('h4', { text: `签收核对 · 封签号 ${h.sealNo}` }),
    el('div', { class: 'grid' }, field('签收人工号', receivedBy, { required: true }), el('div', { class: 'field' }, el('label', { class: 'check' }, sealIntact, el('span', { text: '封签完好' })))),
    el(
      'div',
      { class: 'table-wrap' },
      el('table', { class: 'table compact' }, el('thead', {}, el('tr', {}, ['材料', '清单', '实收份数', '实收页数'].map((t) => el('th', { text: t })))), el('tbody', {}, rows.map((r) => r.row))),
    ),
    summary,
    el('div', { class: 'actions' }, submit),
  );
  slot.appendChild(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    summary.hidden = true;
    if (!STAFF_ID.test(receivedBy.value.trim())) return setFieldError(receivedBy, '请填写工号（字母、数字、-、_）');
    setFieldError(receivedBy, '');
    const received = rows.filter((r) => r.present.checked).map((r) => ({ name: r.m.name, copies: int(r.copies.value) || 0, pages: int(r.pages.value) || 0 }));
    submit.disabled = true;
    const r = await api('POST', `/api/v1/cases/${encodeURIComponent(c.caseNo)}/handoffs/${encodeURIComponent(h.handoffId)}/receipt`, {
      body: { receivedBy: receivedBy.value.trim(), sealIntact: sealIntact.checked, received },
    });
    submit.disabled = false;
    if (!r.ok) return placeIssues(form, r, summary);
    const problems = r.body.discrepancies?.length ?? 0;
    reload(r.body.status === 'exception' ? `已签收，但有异常（${!r.body.sealIntact ? '封签破损' : ''}${problems ? `${problems} 项材料与清单不符` : ''}），两地均可见` : '已签收，材料与清单一致');
  });
}
