/*
 * 受理: the window takes in an application for a matter of the other district. The clerk picks a
 * matter from the catalog, fills in the form the catalog describes (checked as typed, and the
 * server's answer shown next to each field on 422), ticks the materials handed over, and submits
 * once: the form carries one Idempotency-Key, so a double click or a retry makes one case. Then the
 * receipt (受理回执) is printed for the applicant.
 */
import { api, newIdempotencyKey } from './api.js';
import { renderReceipt } from './receipt.js';
import { clear, district, el, empty, errorBox, field, loading, setFieldError } from './dom.js';
import { conditionHolds, fieldMessage, normalise } from './validate.js';

export async function renderIntake(view, ctx) {
  view.appendChild(el('h2', { text: '跨城通办收件' }));
  const body = view.appendChild(el('div'));
  body.appendChild(loading('正在加载事项目录…'));
  const r = await api('GET', '/api/v1/matters');
  clear(body);
  if (!r.ok) return void body.appendChild(errorBox(r.message));
  const matters = Array.isArray(r.body.matters) ? r.body.matters : [];
  const preselected = ctx.query.matter && matters.find((m) => m.id === ctx.query.matter);
  if (preselected) renderForm(body, preselected, ctx, matters);
  else renderPicker(body, matters, ctx);
}

/** The matter picker: the catalog of what this window may take in today, searchable by name or code. */
function renderPicker(body, matters, ctx) {
  clear(body);
  const search = el('input', { id: 'matter-search', type: 'search', placeholder: '输入事项名称或编码搜索', autocomplete: 'off', testid: 'matter-search' });
  const list = el('ul', { class: 'matter-list', testid: 'matter-list' });
  const count = el('p', { class: 'muted small' });
  body.append(
    el('section', { class: 'card' }, el('h3', { text: '选择事项（由对方区办理）' }), field('搜索事项', search), count, list),
  );
  const draw = () => {
    const q = search.value.normalize('NFKC').trim().toLowerCase();
    const shown = matters.filter((m) => !q || haystack(m).includes(q));
    clear(list);
    count.textContent = `共 ${shown.length} 项`;
    if (!shown.length) list.appendChild(el('li', {}, empty(matters.length ? '没有符合条件的事项' : '今日没有可收件的跨城通办事项')));
    for (const m of shown) {
      list.appendChild(
        el(
          'li',
          {},
          el(
            'button',
            { type: 'button', class: 'matter', testid: 'matter-option', 'data-matter-id': m.id, on: { click: () => renderForm(body, m, ctx, matters) } },
            el('span', { class: 'matter-name', text: m.name }),
            el('span', { class: 'matter-meta', text: `${m.id} · ${m.handlingCode ?? ''} · 办理地：${district(m.handlingDistrict)} · ${m.handlingDepartment ?? ''}` }),
            el('span', { class: 'matter-meta', text: `承诺 ${m.timeLimits?.promisedDays ?? '—'} 个工作日（法定 ${m.timeLimits?.statutoryDays ?? '—'} 个工作日）· ${m.applicantKind === 'person' ? '个人' : '企业'}申请` }),
          ),
        ),
      );
    }
  };
  search.addEventListener('input', draw);
  draw();
  search.focus();
}

const haystack = (m) =>
  [m.id, m.name, m.handlingCode, m.handlingName, m.catalogCode, m.domainLabel, m.handlingDepartment].filter(Boolean).join(' ').normalize('NFKC').toLowerCase();

/** One control per catalog field type; values travel as strings. */
function controlFor(f) {
  const attrs = { name: f.key, 'data-field': `form.${f.key}`, 'data-type': f.type, testid: `field-${f.key}` };
  switch (f.type) {
    case 'textarea':
      return el('textarea', { ...attrs, rows: 3, maxlength: f.maxLength });
    case 'enum':
      return el('select', attrs, el('option', { value: '', text: '请选择' }), (f.options ?? []).map((o) => el('option', { value: o.value, text: o.label })));
    case 'boolean':
      return el('select', attrs, el('option', { value: '', text: '请选择' }), el('option', { value: 'true', text: '是' }), el('option', { value: 'false', text: '否' }));
    case 'date':
      return el('input', { ...attrs, type: 'date' });
    case 'integer':
      return el('input', { ...attrs, type: 'text', inputmode: 'numeric' });
    case 'decimal':
      return el('input', { ...attrs, type: 'text', inputmode: 'decimal' });
    case 'mobile':
    case 'phone':
      return el('input', { ...attrs, type: 'tel', maxlength: 20 });
    case 'postcode':
      return el('input', { ...attrs, type: 'text', inputmode: 'numeric', maxlength: 6 });
    case 'idNumber':
    case 'creditCode':
      return el('input', { ...attrs, type: 'text', maxlength: 18, autocapitalize: 'characters', spellcheck: 'false' });
    default:
      return el('input', { ...attrs, type: 'text', maxlength: f.maxLength });
  }
}

/** The applicant's own fields, as rules in the catalog's shape so one checker serves both. */
function applicantFields(kind) {
  return kind === 'person'
    ? [
        { key: 'name', label: '申请人姓名', type: 'text', required: true, maxLength: 200 },
        { key: 'idNumber', label: '居民身份证号码', type: 'idNumber', required: true },
        { key: 'phone', label: '联系手机', type: 'mobile', required: true, hint: '办件查询时核对后四位' },
        { key: 'address', label: '联系地址（结果寄送地址）', type: 'text', maxLength: 500 },
      ]
    : [
        { key: 'name', label: '企业名称', type: 'text', required: true, maxLength: 200 },
        { key: 'creditCode', label: '统一社会信用代码', type: 'creditCode', required: true },
        { key: 'phone', label: '联系手机', type: 'mobile', required: true, hint: '办件查询时核对后四位' },
        { key: 'address', label: '联系地址（结果寄送地址）', type: 'text', maxLength: 500 },
      ];
}

function renderForm(body, matter, ctx, matters) {
  clear(body);
  // One key per form: resubmitting the same form (double click, retry after a lost answer) is one case.
  let idempotencyKey = newIdempotencyKey();
  const formFields = Array.isArray(matter.fields) ? matter.fields : [];
  const materials = Array.isArray(matter.materials) ? matter.materials : [];
  const kind = matter.applicantKind === 'person' ? 'person' : 'company';
  const applicantRules = applicantFields(kind);

  const applicantControls = applicantRules.map((f) => {
    const c = controlFor(f);
    c.setAttribute('data-field', `applicant.${f.key}`);
    c.setAttribute('data-testid', `applicant-${f.key}`);
    return { f, c };
  });
  const formControls = formFields.map((f) => ({ f, c: controlFor(f) }));

  const materialRows = materials.map((m) => {
    const received = el('input', { type: 'checkbox', 'data-material': m.name, testid: 'material-received' });
    const formSelect =
      m.form === 'original'
        ? el('select', { disabled: true, 'aria-label': `${m.name} 原件或复印件` }, el('option', { value: 'original', text: '原件' }))
        : el('select', { 'aria-label': `${m.name} 原件或复印件` }, el('option', { value: 'copy', text: '复印件' }), el('option', { value: 'original', text: '原件' }));
    const copies = el('input', { type: 'number', min: m.copies, max: 99, value: m.copies, class: 'narrow', 'aria-label': `${m.name} 份数` });
    const need = el('span', { class: `tag ${m.requirement === 'required' ? 'required' : 'conditional'}` });
    const error = el('p', { class: 'field-error', role: 'alert', hidden: true });
    const row = el(
      'tr',
      { testid: 'material-row', 'data-name': m.name },
      el('td', {}, el('label', { class: 'check' }, received, el('span', { text: m.name }))),
      el('td', {}, need, m.condition ? el('div', { class: 'hint', text: m.condition }) : null),
      el('td', { text: `${m.form === 'original' ? '原件' : '复印件'} ${m.copies} 份` }),
      el('td', {}, formSelect),
      el('td', {}, copies, error),
    );
    return { m, row, received, formSelect, copies, need, error };
  });

  const materialsError = el('p', { class: 'field-error', role: 'alert', hidden: true, testid: 'materials-error' });
  const summary = el('div', { class: 'error', role: 'alert', hidden: true, testid: 'form-error' });
  const submit = el('button', { type: 'submit', class: 'primary', testid: 'submit-intake', text: '受理并生成回执' });

  const form = el(
    'form',
    { class: 'intake', novalidate: true, testid: 'intake-form' },
    el(
      'section',
      { class: 'card matter-head' },
      el('h3', { testid: 'intake-matter', text: matter.name }),
      el('p', { class: 'muted', text: `${matter.id} · 办理地：${district(matter.handlingDistrict)}（${matter.handlingDepartment ?? ''}）· 承诺 ${matter.timeLimits?.promisedDays ?? '—'} 个工作日` }),
      el('button', { type: 'button', class: 'link', text: '重新选择事项', on: { click: () => renderPicker(body, matters, ctx) } }),
    ),
    el(
      'section',
      { class: 'card' },
      el('h3', { text: kind === 'person' ? '申请人（个人）' : '申请人（企业）' }),
      el('div', { class: 'grid' }, applicantControls.map(({ f, c }) => field(f.label, c, { required: f.required, hint: f.hint }))),
    ),
    el(
      'section',
      { class: 'card' },
      el('h3', { text: '申请表' }),
      el(
        'div',
        { class: 'grid' },
        formControls.map(({ f, c }) => field(f.label, c, { required: f.required, hint: f.hint, suffix: f.unit, wide: f.type === 'textarea', testid: `form-field-${f.key}` })),
      ),
    ),
    el(
      'section',
      { class: 'card' },
      el('h3', { text: '材料清单（请逐项核对后勾选已收材料）' }),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'table materials', testid: 'materials' },
          el('thead', {}, el('tr', {}, ['材料名称', '要求', '清单规定', '收取形式', '份数'].map((h) => el('th', { text: h })))),
          el('tbody', {}, materialRows.map((r) => r.row)),
        ),
      ),
      materialsError,
    ),
    summary,
    el('div', { class: 'actions' }, submit),
  );
  body.appendChild(form);

  const formValues = () => Object.fromEntries(formControls.map(({ f, c }) => [f.key, normalise(f.type, c.value)]));

  /** requiredWhen: what is required now, given the form as filled in. */
  const refreshRequired = () => {
    const values = formValues();
    for (const { f, c } of formControls) {
      const label = c.closest('.field').querySelector('label');
      label.classList.toggle('required-now', Boolean(f.required || conditionHolds(f.requiredWhen, values)));
    }
    for (const r of materialRows) {
      const needed = r.m.requirement === 'required' || conditionHolds(r.m.requiredWhen, values);
      r.need.textContent = r.m.requirement === 'required' ? '必交' : needed ? '须提交（条件已满足）' : '视情形提交';
      r.need.classList.toggle('required', needed);
      r.row.classList.toggle('needed', needed);
    }
  };

  const checkOne = ({ f, c }, values) => {
    const message = fieldMessage(f, normalise(f.type, c.value), values);
    setFieldError(c, message);
    return !message;
  };
  // A field is checked when the clerk leaves it, and a message only appears then; it goes as they
  // type the right value. Leaving a field never removes one: that would move the page under the
  // pointer on its way to the button (a blur happens on mousedown) and swallow the click.
  for (const pair of [...applicantControls, ...formControls]) {
    pair.c.addEventListener('blur', () => {
      const message = fieldMessage(pair.f, normalise(pair.f.type, pair.c.value), formValues());
      if (message) setFieldError(pair.c, message);
    });
    pair.c.addEventListener('input', () => {
      if (pair.c.getAttribute('aria-invalid')) checkOne(pair, formValues());
    });
    pair.c.addEventListener('change', refreshRequired);
  }
  for (const r of materialRows) r.received.addEventListener('change', () => setMaterialErrors());
  refreshRequired();

  function setMaterialErrors(messages = []) {
    materialsError.textContent = messages.join('；');
    materialsError.hidden = messages.length === 0;
  }

  const checkAll = () => {
    const values = formValues();
    let ok = true;
    for (const pair of [...applicantControls, ...formControls]) ok = checkOne(pair, values) && ok;
    const missing = materialRows.filter((r) => !r.received.checked && (r.m.requirement === 'required' || conditionHolds(r.m.requiredWhen, values)));
    setMaterialErrors(missing.map((r) => `缺少材料：${r.m.name}${r.m.condition ? `（${r.m.condition}）` : ''}`));
    for (const r of materialRows) {
      const n = Number(r.copies.value);
      const bad = r.received.checked && (!Number.isInteger(n) || n < r.m.copies || n > 99);
      r.error.textContent = bad ? `须提交${r.m.copies}份` : '';
      r.error.hidden = !bad;
      if (bad) ok = false;
    }
    return ok && missing.length === 0;
  };

  let submitting = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submitting) return;
    summary.hidden = true;
    if (!checkAll()) {
      summary.textContent = '请按提示修改标红的项目后再提交';
      summary.hidden = false;
      form.querySelector('[aria-invalid="true"]')?.focus();
      return;
    }
    const applicant = { kind };
    for (const { f, c } of applicantControls) {
      const v = normalise(f.type, c.value);
      if (v) applicant[f.key] = v;
    }
    const values = {};
    for (const [k, v] of Object.entries(formValues())) if (v !== '') values[k] = v;
    const received = materialRows.filter((r) => r.received.checked);
    const payload = {
      matterId: matter.id,
      applicant,
      form: values,
      materials: received.map((r) => ({ name: r.m.name, form: r.formSelect.value, copies: Number(r.copies.value) })),
    };
    submitting = true;
    submit.disabled = true;
    submit.textContent = '正在提交…';
    const r = await api('POST', '/api/v1/cases', { body: payload, headers: { 'Idempotency-Key': idempotencyKey } });
    submitting = false;
    submit.disabled = false;
    submit.textContent = '受理并生成回执';
    if (!r.ok) {
      showServerIssues(r, received);
      return;
    }
    idempotencyKey = newIdempotencyKey();
    renderReceipt(body, r.body, { matter, applicant, materials: payload.materials, ctx, again: () => renderPicker(body, matters, ctx) });
  });

  /** 422: each issue next to its field; what has no field here goes in the summary. */
  function showServerIssues(r, received) {
    const loose = [];
    const materialMessages = [];
    for (const issue of r.issues) {
      const name = String(issue.field ?? '');
      const control = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
      const m = /^materials\[(\d+)\]/.exec(name);
      if (control) setFieldError(control, issue.message);
      else if (m && received[Number(m[1])]) {
        const row = received[Number(m[1])];
        row.error.textContent = issue.message;
        row.error.hidden = false;
      } else if (name === 'materials') materialMessages.push(issue.message);
      else loose.push(issue.message);
    }
    if (materialMessages.length) setMaterialErrors(materialMessages);
    clear(summary).appendChild(el('p', { text: r.issues.length ? '提交未成功，请按提示修改标红的项目。' : r.message }));
    if (loose.length) summary.appendChild(el('ul', {}, loose.map((t) => el('li', { text: t }))));
    summary.hidden = false;
    form.querySelector('[aria-invalid="true"]')?.focus();
  }
}
