/*
 * 报文重发: envelopes the dispatcher gave up on (the dead-letter list) and the resend that puts one
 * back in the outbox. Shown on its own page (handlers may resend) and inside the supervision page.
 */
import { api } from './api.js';
import { beijingTime, caseHref, clear, el, empty, errorBox, loading } from './dom.js';

export async function renderDeadLetters(card, ctx) {
  const slot = card.appendChild(el('div', { testid: 'dead-letters' }));
  const notice = card.appendChild(el('p', { class: 'notice', role: 'status', hidden: true, testid: 'dead-letter-notice' }));
  const draw = async () => {
    clear(slot).appendChild(loading());
    const r = await api('GET', '/api/v1/dead-letters');
    clear(slot);
    if (!r.ok) return void slot.appendChild(errorBox(r.message, 'dead-letters-error'));
    const items = Array.isArray(r.body.deadLetters) ? r.body.deadLetters : [];
    if (!items.length) return void slot.appendChild(empty('没有发送失败的报文'));
    const rows = items.map((d) => {
      const cell = el('td');
      if (ctx.can('deadletters:resend')) {
        const error = el('span', { class: 'field-error', role: 'alert', hidden: true });
        const button = el('button', { type: 'button', class: 'small', testid: 'resend-dead-letter', text: '重新发送' });
        button.addEventListener('click', async () => {
          button.disabled = true;
          const res = await api('POST', `/api/v1/dead-letters/${encodeURIComponent(d.caseNo)}/${encodeURIComponent(d.messageId)}/resend`);
          button.disabled = false;
          if (!res.ok) {
            error.textContent = res.message;
            error.hidden = false;
            return;
          }
          notice.textContent = `办件 ${d.caseNo} 的报文已重新排队发送`;
          notice.hidden = false;
          draw();
        });
        cell.append(button, error);
      }
      return el(
        'tr',
        { testid: 'dead-letter', 'data-case-no': d.caseNo },
        el('td', {}, el('a', { href: caseHref(d.caseNo), class: 'mono', text: d.caseNo })),
        el('td', { class: 'mono small', text: d.messageId }),
        el('td', { text: beijingTime(d.deadAt) }),
        cell,
      );
    });
    slot.appendChild(
      el(
        'div',
        { class: 'table-wrap' },
        el('table', { class: 'table compact' }, el('thead', {}, el('tr', {}, ['办件编号', '报文编号', '进入死信时间', ''].map((t) => el('th', { text: t })))), el('tbody', {}, rows)),
      ),
    );
  };
  await draw();
}

export async function renderDeadLetterView(view, ctx) {
  view.appendChild(el('h2', { text: '报文重发' }));
  const card = view.appendChild(el('section', { class: 'card' }, el('p', { class: 'muted', text: '以下报文多次发送到对方区网关均未成功。请确认对方网关恢复后重新发送。' })));
  await renderDeadLetters(card, ctx);
}
