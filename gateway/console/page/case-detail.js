/*
 * One case: its facts and deadline, the paper's chain of custody with the actions this district and
 * this role may take on it (send the materials, receive and check a parcel against its manifest,
 * post the result), the envelopes that crossed with a resend for a dead-lettered one, and one
 * timeline of everything (GET …/timeline). After an action the case is read again.
 */
import { api } from './api.js';
import { renderDispatchForm, renderReceiveForm } from './handoff-forms.js';
import {
  beijingTime,
  CARRIER_ZH,
  CASE_STATE_ZH,
  clear,
  DELIVERY_ZH,
  DISCREPANCY_ZH,
  DISTRICT_FULL,
  district,
  el,
  empty,
  errorBox,
  FORM_ZH,
  HANDOFF_KIND_ZH,
  HANDOFF_STATUS_ZH,
  loading,
} from './dom.js';

export async function renderCaseDetail(view, ctx, flash) {
  const caseNo = ctx.params[0];
  clear(view).appendChild(el('p', {}, el('a', { href: '#/cases', text: '← 返回办件列表' })));
  view.appendChild(el('h2', { testid: 'case-title' }, '办件 ', el('span', { class: 'mono', text: caseNo })));
  if (flash) view.appendChild(el('p', { class: 'notice', role: 'status', testid: 'flash', text: flash }));
  const body = view.appendChild(el('div'));
  body.appendChild(loading());
  const r = await api('GET', `/api/v1/cases/${encodeURIComponent(caseNo)}`);
  clear(body);
  if (!r.ok) return void body.appendChild(errorBox(r.message));
  const c = r.body;
  const reload = (message) => (ctx.current() ? renderCaseDetail(view, ctx, message) : undefined);

  body.append(factsCard(c), handoffsCard(c, ctx, reload), actionsCard(c, ctx, reload), crossingsCard(c, ctx, reload));
  const timeline = body.appendChild(el('section', { class: 'card', testid: 'timeline-card' }, el('h3', { text: '办件时间线' })));
  await renderTimeline(timeline, c);
}

function deadlineText(d) {
  if (!d) return '—';
  if (d.state === 'not_started') return `尚未开始计时（承诺 ${d.promisedDays} 个工作日，${d.clockStartsOn === 'materials_received' ? '收到材料' : '受理'}后起算）`;
  if (d.state === 'paused') return `计时暂停中（已用 ${d.usedDays} 个工作日）`;
  if (d.state === 'completed') return `${d.completedOn} 办结，用时 ${d.usedDays} 个工作日${d.onTime === false ? '（超期）' : '（按时）'}`;
  const left = d.remainingDays < 0 ? `已超期 ${-d.remainingDays} 个工作日` : `剩余 ${d.remainingDays} 个工作日`;
  return `${d.deadline ?? '—'} 前办结（${left}）${d.provisional ? '（节假日安排未公布，期限为暂定）' : ''}`;
}

function factsCard(c) {
  const item = (label, value, testid) => [el('dt', { text: label }), el('dd', { testid, text: value })];
  const d = c.deadline;
  const resultDelivered = c.resultDelivered;
  return el(
    'section',
    { class: 'card' },
    el('h3', { text: '基本情况' }),
    el(
      'dl',
      { class: 'facts' },
      item('办理事项', `${c.matterName || ''}（${c.matterId}）`),
      item('收件地', DISTRICT_FULL[c.originDistrict] ?? c.originDistrict),
      item('办理地', DISTRICT_FULL[c.handlingDistrict] ?? c.handlingDistrict),
      item('当前状态', c.stateLabel || CASE_STATE_ZH[c.state] || c.state, 'detail-state'),
      item('办结期限', deadlineText(d), 'detail-deadline'),
      item('办理地编号', c.handlingLocalNo ?? '—'),
      item('申请人', c.application?.applicant?.name ?? '—'),
      item('收件时间', beijingTime(c.createdAt)),
      item('结果送达', resultDelivered ? `已送达（运单 ${resultDelivered.waybill ?? ''}）` : '未送达', 'detail-result-delivered'),
    ),
  );
}

/** Where a hand-off is received by staff (none: a result posted to the applicant is the applicant's). */
function receivedIn(h, c) {
  if (h.kind === 'materials_to_handling') return c.handlingDistrict;
  if (h.kind === 'result_to_window') return c.originDistrict;
  return null;
}

function handoffsCard(c, ctx, reload) {
  const card = el('section', { class: 'card', testid: 'handoffs' }, el('h3', { text: '材料与结果交接' }));
  const handoffs = Array.isArray(c.handoffs) ? c.handoffs : [];
  if (!handoffs.length) return card.appendChild(empty('暂无交接记录')), card;
  for (const h of handoffs) {
    const box = el(
      'article',
      { class: `handoff ${h.status}`, testid: 'handoff', 'data-handoff-id': h.handoffId, 'data-status': h.status },
      el(
        'div',
        { class: 'handoff-head' },
        el('strong', { text: HANDOFF_KIND_ZH[h.kind] ?? h.kind }),
        el('span', { class: `badge ${h.status === 'exception' ? 'red' : h.status === 'received' ? 'green' : 'none'}`, testid: 'handoff-status', text: HANDOFF_STATUS_ZH[h.status] ?? h.status }),
        h.tracking ? el('span', { class: `badge ${h.tracking.needsAttention ? 'red' : h.tracking.status === 'delivered' ? 'green' : 'none'}`, testid: 'parcel-status', text: `邮件：${h.tracking.statusLabel ?? h.tracking.status}` }) : null,
      ),
      el(
        'p',
        { class: 'small' },
        `${CARRIER_ZH[h.carrier] ?? h.carrier} 运单号 `,
        el('span', { class: 'mono', testid: 'handoff-waybill', text: h.waybill }),
        ` · 封签号 ${h.sealNo} · 交件人 ${h.handedBy} · 当前持有 ${h.lastHolder} · 交寄 ${beijingTime(h.dispatchedAt)}`,
        h.receivedAt ? ` · 签收 ${beijingTime(h.receivedAt)}（${h.receivedBy}，封签${h.sealIntact ? '完好' : '破损'}）` : '',
      ),
      el(
        'table',
        { class: 'table compact' },
        el('thead', {}, el('tr', {}, ['清单材料', '形式', '份数', '页数'].map((t) => el('th', { text: t })))),
        el('tbody', {}, (h.manifest ?? []).map((m) => el('tr', {}, el('td', { text: m.name }), el('td', { text: FORM_ZH[m.form] ?? m.form }), el('td', { text: m.copies }), el('td', { text: m.pages })))),
      ),
      h.discrepancies?.length
        ? el(
            'ul',
            { class: 'discrepancies', testid: 'discrepancies' },
            h.discrepancies.map((d) => el('li', { text: `${d.name}：${DISCREPANCY_ZH[d.problem] ?? d.problem}（应 ${d.expected}，实 ${d.found}）` })),
          )
        : null,
    );
    const mayReceive = h.status === 'in_transit' && receivedIn(h, c) === ctx.session.district && ctx.can('handoffs:write');
    if (mayReceive) {
      const slot = el('div');
      box.append(
        el('div', { class: 'actions' }, el('button', { type: 'button', class: 'primary', testid: 'receive-handoff', text: '签收并核对清单', on: { click: (e) => { e.target.hidden = true; renderReceiveForm(slot, c, h, ctx, reload); } } })),
        slot,
      );
    }
    card.appendChild(box);
  }
  return card;
}

function actionsCard(c, ctx, reload) {
  const here = ctx.session.district;
  const card = el('section', { class: 'card', testid: 'case-actions' }, el('h3', { text: '可办理的操作' }));
  const slot = el('div');
  const buttons = el('div', { class: 'actions' });
  const handoffs = Array.isArray(c.handoffs) ? c.handoffs : [];
  const events = Array.isArray(c.events) ? c.events : [];
  if (ctx.can('handoffs:write') && c.originDistrict === here) {
    const sent = handoffs.some((h) => h.kind === 'materials_to_handling' && h.status !== 'exception');
    buttons.appendChild(
      el('button', { type: 'button', testid: 'dispatch-materials', text: sent ? '再次寄送申请材料' : '寄送申请材料', on: { click: () => renderDispatchForm(slot, c, 'materials', ctx, reload) } }),
    );
  }
  const resultIssued = events.some((e) => e.kind === 'result_issued');
  if (ctx.can('handoffs:write') && c.handlingDistrict === here) {
    buttons.appendChild(
      el('button', {
        type: 'button',
        testid: 'dispatch-result',
        text: '寄送办理结果',
        disabled: !resultIssued,
        title: resultIssued ? '' : '办理结果出具后才能寄送',
        on: { click: () => renderDispatchForm(slot, c, 'result', ctx, reload) },
      }),
    );
  }
  if (!buttons.childNodes.length) card.appendChild(empty('您在本区对该办件没有可办理的操作'));
  else card.append(buttons, slot);
  return card;
}

function crossingsCard(c, ctx, reload) {
  const crossings = Array.isArray(c.crossings) ? c.crossings : [];
  const dead = crossings.filter((x) => x.delivery === 'dead_lettered').length;
  // Folded away unless one needs a resend: most days this is detail for the help desk.
  const card = el(
    'details',
    { class: 'card', testid: 'crossings', open: dead > 0 },
    el('summary', {}, el('h3', { class: 'inline', text: `两地报文（${crossings.length} 条${dead ? `，${dead} 条发送失败` : ''}）` })),
  );
  if (!crossings.length) return card.appendChild(empty('暂无报文')), card;
  const rows = crossings.map((x) => {
    const deadHere = x.delivery === 'dead_lettered' && x.direction === 'out';
    const action = el('td');
    if (deadHere && ctx.can('deadletters:resend')) {
      const button = el('button', { type: 'button', class: 'small', testid: 'resend', text: '重新发送' });
      const error = el('span', { class: 'field-error', role: 'alert', hidden: true });
      button.addEventListener('click', async () => {
        button.disabled = true;
        const r = await api('POST', `/api/v1/dead-letters/${encodeURIComponent(c.caseNo)}/${encodeURIComponent(x.id)}/resend`);
        button.disabled = false;
        if (r.ok) return reload('报文已重新排队发送');
        error.textContent = r.message;
        error.hidden = false;
      });
      action.append(button, error);
    }
    return el(
      'tr',
      { 'data-delivery': x.delivery, testid: 'crossing' },
      el('td', { text: beijingTime(x.createdAt) }),
      el('td', { text: x.type }),
      el('td', { text: `${district(x.from)} → ${district(x.to)}` }),
      el('td', {}, el('span', { class: `badge ${deadHere ? 'red' : x.delivery === 'receipted' || x.delivery === 'received' ? 'green' : 'none'}`, text: DELIVERY_ZH[x.delivery] ?? x.delivery })),
      el('td', { class: 'small', text: `${x.attempts ?? 0} 次${x.lastError ? ` · ${x.lastError}` : ''}` }),
      action,
    );
  });
  card.appendChild(
    el(
      'div',
      { class: 'table-wrap' },
      el('table', { class: 'table compact' }, el('thead', {}, el('tr', {}, ['时间', '报文', '方向', '投递', '尝试', ''].map((t) => el('th', { text: t })))), el('tbody', {}, rows)),
    ),
  );
  return card;
}

async function renderTimeline(card, c) {
  const slot = card.appendChild(el('div'));
  slot.appendChild(loading('正在加载时间线…'));
  const r = await api('GET', `/api/v1/cases/${encodeURIComponent(c.caseNo)}/timeline`);
  clear(slot);
  let entries;
  if (r.ok && Array.isArray(r.body.entries)) entries = r.body.entries;
  else if (r.code === 'ROUTE_NOT_FOUND') entries = (c.events ?? []).map((e) => ({ at: e.at, kind: e.kind, title: e.note || e.kind, tone: 'info' }));
  else return void slot.appendChild(errorBox(r.message, 'timeline-error'));
  if (!entries.length) return void slot.appendChild(empty('暂无记录'));
  // Newest first: what happened last is what staff look for.
  const list = el('ol', { class: 'timeline', testid: 'timeline' });
  for (const e of [...entries].reverse()) {
    list.appendChild(
      el(
        'li',
        { class: `tone-${e.tone ?? 'info'}`, testid: 'timeline-entry', 'data-kind': e.kind },
        el('span', { class: 'when', text: beijingTime(e.at) }),
        el('span', { class: 'what', testid: 'timeline-title', text: e.title }),
        e.detail ? el('span', { class: 'detail', text: e.detail }) : null,
      ),
    );
  }
  slot.appendChild(list);
}
