/*
 * 运行状况: what an operator checks first — certificates (warned 30 days before expiry), the link
 * to the other district's gateway, the outbox and dead-letter depth, the approval system and the
 * last courier tracking push. Drawn defensively: a part the server does not report is "未提供".
 */
import { api } from './api.js';
import { beijingTime, clear, DISTRICT_FULL, el, errorBox, loading } from './dom.js';

const WARN_DAYS = 30;
const CERT_ROLE_ZH = { signing: '报文签名证书', tls: '通信（TLS）证书', root: '根证书' };
const PEER_ZH = { up: '正常', down: '中断', unknown: '未知' };
const MISSING = '未提供';

const row = (label, value, tone, testid) =>
  el('tr', { testid }, el('th', { scope: 'row', text: label }), el('td', {}, tone ? el('span', { class: `badge ${tone}`, text: value }) : value));

export async function renderDiagnostics(view) {
  view.appendChild(el('h2', { text: '运行状况' }));
  const body = view.appendChild(el('div'));
  body.appendChild(loading());
  const r = await api('GET', '/api/v1/diagnostics');
  clear(body);
  if (!r.ok) return void body.appendChild(errorBox(r.message, 'diagnostics-error'));
  const d = r.body ?? {};
  body.append(certificates(d.certificates), links(d), audit(d.audit), versions(d));
}

/** 审计日志: its size against the warning bound (then: archive it) and the last signed checkpoints. */
function audit(a) {
  const card = el('section', { class: 'card', testid: 'audit' }, el('h3', { text: '审计日志' }));
  if (!a || typeof a !== 'object') return card.appendChild(el('p', { class: 'muted', text: `审计日志信息${MISSING}` })), card;
  const checkpoint = (c) => (c ? `第 ${c.count} 条 · ${beijingTime(c.at)}` : '尚无');
  const size = `共 ${a.entries ?? 0} 条，库中 ${a.live ?? 0} 条，已归档 ${a.archived ?? 0} 条`;
  card.appendChild(
    el(
      'table',
      { class: 'facts-table' },
      el(
        'tbody',
        {},
        row('日志条数', a.warn ? `${size}（已达 ${a.warnEntries} 条上限提示，请执行归档 kc audit-archive）` : size, a.warn ? 'yellow' : 'green', 'diag-audit-size'),
        row('本区最近签名检查点', checkpoint(a.lastCheckpoint), null, 'diag-audit-checkpoint'),
        row('对方区最近检查点', checkpoint(a.lastPeerCheckpoint), null, 'diag-audit-peer-checkpoint'),
      ),
    ),
  );
  return card;
}

function certificates(certs) {
  const card = el('section', { class: 'card', testid: 'certificates' }, el('h3', { text: '证书有效期' }));
  if (!Array.isArray(certs) || !certs.length) return card.appendChild(el('p', { class: 'muted', text: `证书信息${MISSING}` })), card;
  const rows = certs.map((c) => {
    const days = typeof c.daysLeft === 'number' ? c.daysLeft : c.notAfter ? Math.floor((Date.parse(c.notAfter) - Date.now()) / 86_400_000) : null;
    const warn = c.warn === true || (days !== null && days <= WARN_DAYS);
    const state = days === null ? '—' : days < 0 ? `已过期 ${-days} 天` : `剩余 ${days} 天`;
    return el(
      'tr',
      { testid: 'certificate', 'data-warn': String(warn) },
      el('td', { text: CERT_ROLE_ZH[c.role] ?? c.role ?? '—' }),
      el('td', { class: 'small mono', text: c.subject ?? '—' }),
      el('td', { text: c.notAfter ? beijingTime(c.notAfter) : '—' }),
      el('td', {}, el('span', { class: `badge ${days !== null && days < 0 ? 'red' : warn ? 'yellow' : 'green'}`, text: warn ? `${state}，请尽快更换` : state })),
    );
  });
  card.appendChild(
    el('div', { class: 'table-wrap' }, el('table', { class: 'table compact' }, el('thead', {}, el('tr', {}, ['证书', '主题', '到期时间', '状态'].map((t) => el('th', { text: t })))), el('tbody', {}, rows))),
  );
  return card;
}

function links(d) {
  const peer = d.peer && typeof d.peer === 'object' ? d.peer : null;
  const queues = d.queues && typeof d.queues === 'object' ? d.queues : d.outboxDepth && typeof d.outboxDepth === 'object' ? d.outboxDepth : null;
  const lastPush = d.courier && 'lastPushAt' in d.courier ? d.courier.lastPushAt : undefined;
  const approval = d.approval && typeof d.approval === 'object' ? d.approval : null;
  const unmapped = approval && Array.isArray(approval.unmapped) ? approval.unmapped.length : null;
  const outbox = queues ? Number(queues.outbox ?? 0) : null;
  const dead = queues ? Number(queues.dead ?? 0) : null;
  const peerText = peer
    ? `${PEER_ZH[peer.status] ?? peer.status ?? '未知'}${peer.lastSuccessAt ? ` · 最近成功 ${beijingTime(peer.lastSuccessAt)}` : ''}${peer.status === 'down' && peer.lastError ? ` · ${peer.lastError}` : ''}`
    : MISSING;
  const approvalState = approval ? approvalText(approval) : MISSING;
  return el(
    'section',
    { class: 'card', testid: 'links' },
    el('h3', { text: '连接与队列' }),
    el(
      'table',
      { class: 'facts-table' },
      el(
        'tbody',
        {},
        row('对方区网关', peerText, peer ? (peer.status === 'up' ? 'green' : peer.status === 'down' ? 'red' : 'none') : null, 'diag-peer'),
        row('待发送报文（发件箱）', outbox === null ? MISSING : `${outbox} 条`, outbox === null ? null : outbox > 100 ? 'yellow' : 'green', 'diag-outbox'),
        row('发送失败报文（死信）', dead === null ? MISSING : `${dead} 条`, dead === null ? null : dead > 0 ? 'red' : 'green', 'diag-dead'),
        row('审批系统', approvalState, approval ? (approval.circuit === 'closed' ? 'green' : approval.circuit === 'open' ? 'red' : 'yellow') : null, 'diag-approval'),
        row('未能映射的审批状态', unmapped === null ? MISSING : `${unmapped} 条`, unmapped ? 'yellow' : null, 'diag-unmapped'),
        row('最近一次快递轨迹推送', lastPush === undefined ? MISSING : lastPush ? beijingTime(lastPush) : '尚未收到', null, 'diag-courier'),
      ),
    ),
  );
}

const CIRCUIT_ZH = { closed: '正常', open: '熔断（暂停调用）', half_open: '试探恢复中' };

function approvalText(a) {
  const parts = [CIRCUIT_ZH[a.circuit] ?? a.circuit ?? '—'];
  if (a.since) parts.push(`自 ${beijingTime(a.since)}`);
  if (a.window && typeof a.window === 'object') parts.push(`近期调用 ${a.window.attempts ?? 0} 次，失败 ${a.window.failures ?? 0} 次`);
  if (a.lastFailure && a.lastFailure.code) parts.push(`最近失败 ${a.lastFailure.code}（${beijingTime(a.lastFailure.at)}）`);
  return parts.join(' · ');
}

function versions(d) {
  return el(
    'section',
    { class: 'card', testid: 'versions' },
    el('h3', { text: '数据版本' }),
    el(
      'table',
      { class: 'facts-table' },
      el(
        'tbody',
        {},
        row('本区', DISTRICT_FULL[d.district] ?? d.district ?? MISSING),
        row('事项目录版本', d.catalogVersion ?? MISSING),
        row('工作日历', d.calendar ? `${d.calendar.version ?? ''}（${(d.calendar.years ?? []).join('、')}）` : MISSING),
      ),
    ),
  );
}
