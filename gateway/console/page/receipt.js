/*
 * 受理回执: what the applicant takes home — the case number, the materials received, the promised
 * deadline and how to follow the case (the citizen page and the phone's last four digits). The
 * print stylesheet prints this block alone.
 */
import { beijingTime, caseHref, clear, DISTRICT_FULL, el, FORM_ZH } from './dom.js';

function deadlineLine(view, matter) {
  const d = view.deadline;
  const promised = d?.promisedDays ?? matter.timeLimits?.promisedDays;
  const statutory = d?.statutoryDays ?? matter.timeLimits?.statutoryDays;
  if (d && d.deadline) return `${d.deadline} 前办结（承诺 ${promised} 个工作日）`;
  const startsOn = (d?.clockStartsOn ?? matter.clock?.startsOn) === 'materials_received' ? '办理地收到申请材料' : '办理地受理';
  return `自${startsOn}之日起 ${promised ?? '—'} 个工作日内办结（法定时限 ${statutory ?? '—'} 个工作日）`;
}

export function renderReceipt(body, view, { matter, applicant, materials, ctx, again }) {
  clear(body);
  const origin = view.originDistrict ?? ctx.session.district;
  const last4 = String(applicant.phone ?? '').slice(-4);
  const row = (label, value, testid) => el('tr', {}, el('th', { scope: 'row', text: label }), el('td', { testid, text: value }));
  const receipt = el(
    'article',
    { class: 'receipt card', testid: 'receipt' },
    el('h2', { class: 'receipt-title', text: '跨城通办受理回执' }),
    el('p', { class: 'receipt-no' }, '办件编号：', el('strong', { testid: 'receipt-case-no', text: view.caseNo })),
    el(
      'table',
      { class: 'receipt-facts' },
      el(
        'tbody',
        {},
        row('收件单位', `${DISTRICT_FULL[origin] ?? origin}跨城通办窗口`),
        row('收件时间', beijingTime(view.createdAt)),
        row('办理事项', view.matterName || matter.name, 'receipt-matter'),
        row('办理地', `${DISTRICT_FULL[view.handlingDistrict] ?? view.handlingDistrict}${matter.handlingDepartment ? ` ${matter.handlingDepartment}` : ''}`),
        row('申请人', applicant.name ?? ''),
        row('承诺办结期限', deadlineLine(view, matter), 'receipt-deadline'),
        row('办理结果', `${matter.resultDocument ?? '办理结果'}免费邮寄至申请人联系地址`),
      ),
    ),
    el('h3', { text: '已收取材料' }),
    el(
      'table',
      { class: 'table', testid: 'receipt-materials' },
      el('thead', {}, el('tr', {}, el('th', { text: '序号' }), el('th', { text: '材料名称' }), el('th', { text: '形式' }), el('th', { text: '份数' }))),
      el(
        'tbody',
        {},
        materials.map((m, i) => el('tr', {}, el('td', { text: i + 1 }), el('td', { text: m.name }), el('td', { text: FORM_ZH[m.form] ?? m.form }), el('td', { text: m.copies }))),
      ),
    ),
    el('h3', { text: '进度查询' }),
    el(
      'p',
      { testid: 'receipt-track' },
      '请访问 ',
      el('strong', { text: `${location.origin}/track` }),
      `，输入办件编号和申请时所留手机号的后四位（尾号 ${last4}）查询办理进度和邮件轨迹。`,
    ),
    el(
      'div',
      { class: 'receipt-sign' },
      el('span', { text: `经办人：${ctx.session.displayName || ctx.session.username}` }),
      el('span', { text: '窗口（盖章）：' }),
    ),
  );
  body.append(
    receipt,
    el(
      'div',
      { class: 'actions no-print' },
      el('button', { type: 'button', class: 'primary', testid: 'print-receipt', text: '打印回执', on: { click: () => window.print() } }),
      el('a', { class: 'button', href: caseHref(view.caseNo), testid: 'open-case', text: '查看办件' }),
      el('button', { type: 'button', testid: 'intake-again', text: '继续受理', on: { click: again } }),
    ),
  );
  receipt.scrollIntoView?.();
}
