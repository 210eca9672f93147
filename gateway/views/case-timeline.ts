/**
 * A case's timeline for staff (GET /api/v1/cases/:caseNo/timeline): one list, oldest first, of
 * everything that happened to it — its events (status changes, supplements, hand-offs, pauses,
 * cards, alerts, ratings), the envelopes that crossed and their receipts, and the carrier's scans of
 * each parcel. Pure: it reads a CaseView (gateway/views/case-view.ts) and nothing else.
 *
 * Built field by field from what is known to carry no personal data: never the application, never
 * free text (status notes, pause notes; the carrier's text and places may name people or give the
 * applicant's address) — only codes, labels, staff ids, document names and numbers.
 */
import { HANDOFF_KIND_ZH, type Discrepancy, type DispatchedStep, type HandoffKind, type ReceivedStep } from '../../courier/handoff.js';
import { NEEDS_ATTENTION } from '../../courier/tracking-status.js';
import type { Carrier } from '../../courier/waybill.js';
import { RATING_ZH } from '../cases/rating.js';
import { CARRIER_ZH } from '../citizen/citizen-view.js';
import { PAUSE_REASON_ZH, type PauseReason } from '../deadlines/pauses.js';
import { CASE_STATE_ZH, type CaseEvent, type CaseState, type Crossing } from '../domain/case.js';
import { DISTRICT_NAME_ZH } from '../domain/district.js';
import { SHARED_EVENT_ZH, type SharedEventData, type SharedEventKind } from '../domain/shared-events.js';
import { CARD_ZH } from '../supervision/thresholds.js';
import type { CaseView } from './case-view.js';

export type TimelineTone = 'info' | 'ok' | 'warn' | 'alert';

export interface TimelineEntry {
  /** ISO 8601 instant (UTC). */
  at: string;
  kind: string;
  title: string;
  detail?: string;
  tone: TimelineTone;
  ref?: { messageId?: string; handoffId?: string; pauseId?: string; cardId?: string };
}

export interface CaseTimeline {
  caseNo: string;
  entries: TimelineEntry[];
}

const ENVELOPE_TYPE_ZH: Record<string, string> = { application: '办件申请', status: '状态变更', event: '共享事件' };
const DISCREPANCY_ZH: Record<Discrepancy['problem'], string> = {
  missing: '缺失',
  fewer_copies: '份数不足',
  fewer_pages: '页数不足',
  not_on_manifest: '清单外材料',
};
const ALERT_REASON_ZH: Record<SharedEventData<'parcel_alert'>['reason'], string> = {
  stalled: '长时间无物流更新',
  attempt_failed: '投递失败',
  exception: '物流异常',
  returned: '邮件被退回',
  expired: '邮件逾期未取',
};
const RATING_CHANNEL_ZH: Record<SharedEventData<'rated'>['channel'], string> = { window: '窗口', partner: '合作系统', citizen: '网上查询' };
const APPROVAL_JOB_ZH: Record<string, string> = { submit: '提交办件', supplement: '提交补正材料', result: '获取办理结果' };

export function caseTimeline(view: CaseView): TimelineEntry[] {
  const entries: TimelineEntry[] = [];
  const handoffKinds = new Map<string, HandoffKind>();
  for (const e of view.events) {
    const entry = eventEntry(e, handoffKinds);
    if (entry) entries.push(entry);
  }
  // The event an envelope carried (or, for our application, created the case): the first with its id.
  const byMessage = new Map<string, CaseEvent>();
  for (const e of view.events) if (e.messageId && !byMessage.has(e.messageId)) byMessage.set(e.messageId, e);
  for (const c of view.crossings) entries.push(...crossingEntries(c, byMessage.get(c.id)));
  for (const h of view.handoffs) {
    for (const t of h.tracking.events) {
      const tone: TimelineTone = t.status === 'delivered' ? 'ok' : NEEDS_ATTENTION.has(t.status) ? 'alert' : 'info';
      // The carrier's text and place are left out: they may name whoever signed, or be the applicant's address.
      entries.push({
        at: t.eventTime,
        kind: 'tracking',
        title: `邮件${t.statusLabel}`,
        detail: `${carrierName(h.carrier)} ${h.waybill}`,
        tone,
        ref: { handoffId: h.handoffId },
      });
    }
  }
  // Oldest first; entries of the same instant keep the order above (an event before its envelope).
  return entries
    .map((entry, n) => ({ entry: { ...entry, at: isoOf(entry.at) }, ms: msOf(entry.at), n }))
    .sort((a, b) => a.ms - b.ms || a.n - b.n)
    .map(({ entry }) => entry);
}

/** An unreadable time (never written by this gateway) sorts last rather than breaking the order. */
const msOf = (at: string) => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? Number.MAX_SAFE_INTEGER : ms;
};

const isoOf = (at: string) => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : new Date(ms).toISOString();
};

const carrierName = (carrier: string) => CARRIER_ZH[carrier as Carrier] ?? carrier;
const stateZh = (state: string) => CASE_STATE_ZH[state as CaseState] ?? state;
const ref = (messageId: string | undefined) => (messageId ? { ref: { messageId } } : {});

function eventEntry(e: CaseEvent, handoffKinds: Map<string, HandoffKind>): TimelineEntry | undefined {
  const base = { at: e.at, ...ref(e.messageId) };
  const refused = /^(\w+)_refused$/.exec(e.kind);
  if (refused) {
    const job = APPROVAL_JOB_ZH[refused[1]!] ?? refused[1]!;
    return { ...base, kind: 'approval_refused', title: `审批系统拒绝${job}`, detail: `错误代码 ${e.note ?? ''}`.trim(), tone: 'alert' };
  }
  switch (e.kind) {
    case 'created':
      return { ...base, kind: 'created', title: `窗口${CASE_STATE_ZH.submitted}`, tone: 'ok' };
    case 'received':
      return { ...base, kind: 'received', title: '已收到收件地转来的办件', tone: 'ok' };
    case 'forwarded':
      return { ...base, kind: 'status', title: `办件状态：${CASE_STATE_ZH.forwarded}`, tone: 'ok' };
    // Its receipt is the crossing's entry.
    case 'receipted':
      return undefined;
    case 'status':
      return { ...base, kind: 'status', title: `办件状态：${stateZh(e.state)}`, tone: statusTone(e.state) };
    case 'status_ignored':
      return {
        ...base,
        kind: 'status_ignored',
        title: '状态变更未采用',
        detail: `收到“${stateZh(e.note ?? '')}”，办件已是“${stateZh(e.state)}”`,
        tone: 'warn',
      };
    case 'dead_lettered':
      return { ...base, kind: 'dead_lettered', title: '报文多次投递失败，已转入死信队列', detail: `错误代码 ${e.note ?? ''}`.trim(), tone: 'alert' };
    case 'resent':
      return { ...base, kind: 'resent', title: '死信报文已重新排队投递', tone: 'info' };
    default:
      return sharedEventEntry(e, handoffKinds);
  }
}

function statusTone(state: CaseState): TimelineTone {
  if (state === 'approved') return 'ok';
  if (state === 'rejected' || state === 'supplement_requested') return 'warn';
  return 'info';
}

function sharedEventEntry(e: CaseEvent, handoffKinds: Map<string, HandoffKind>): TimelineEntry | undefined {
  const base = { at: e.at, ...ref(e.messageId) };
  const kind = e.kind as SharedEventKind;
  const d = e.data ?? {};
  switch (kind) {
    case 'supplement_filed': {
      const { materials } = d as SharedEventData<'supplement_filed'>;
      const names = (materials ?? []).map((m) => m.name);
      return { ...base, kind, title: SHARED_EVENT_ZH[kind], detail: `共 ${names.length} 项：${names.join('、')}`, tone: 'info' };
    }
    case 'supplement_registered': {
      const { receiptNo } = d as SharedEventData<'supplement_registered'>;
      return { ...base, kind, title: SHARED_EVENT_ZH[kind], detail: `办理地回执号 ${receiptNo}`, tone: 'ok' };
    }
    case 'result_issued': {
      const r = d as SharedEventData<'result_issued'>;
      return {
        ...base,
        kind,
        title: `${SHARED_EVENT_ZH[kind]}：${stateZh(r.decision)}`,
        detail: r.documentNo ? `${r.documentName}（${r.documentNo}）` : r.documentName,
        tone: r.decision === 'approved' ? 'ok' : 'warn',
      };
    }
    case 'clock_paused': {
      const p = d as SharedEventData<'clock_paused'>;
      const reason = PAUSE_REASON_ZH[p.reason as PauseReason] ?? p.reason;
      return { ...base, kind, title: SHARED_EVENT_ZH[kind], detail: `中止原因：${reason}`, tone: 'warn', ref: { ...base.ref, pauseId: p.pauseId } };
    }
    case 'clock_resumed': {
      const p = d as SharedEventData<'clock_resumed'>;
      return { ...base, kind, title: SHARED_EVENT_ZH[kind], tone: 'info', ref: { ...base.ref, pauseId: p.pauseId } };
    }
    case 'card_issued': {
      const c = d as SharedEventData<'card_issued'>;
      const left = c.remainingDays >= 0 ? `剩余 ${c.remainingDays} 个工作日` : `已超期 ${-c.remainingDays} 个工作日`;
      return {
        ...base,
        kind: c.card === 'pre_warning' ? 'pre_warning' : `${c.card}_card`,
        title: `电子监察${CARD_ZH[c.card] ?? c.card}`,
        detail: `办理期限 ${c.deadline}，${left}`,
        tone: c.card === 'red' ? 'alert' : 'warn',
      };
    }
    case 'materials_received': {
      const m = d as SharedEventData<'materials_received'>;
      return { ...base, kind, title: SHARED_EVENT_ZH[kind], detail: `签收人工号 ${m.receivedBy}`, tone: 'ok' };
    }
    case 'handoff':
      return handoffEntry(e, d as DispatchedStep | ReceivedStep, handoffKinds);
    case 'parcel_alert': {
      const a = d as SharedEventData<'parcel_alert'>;
      return {
        ...base,
        kind,
        title: `${SHARED_EVENT_ZH[kind]}：${ALERT_REASON_ZH[a.reason] ?? a.reason}`,
        detail: `运单号 ${a.waybill}`,
        tone: 'alert',
        ref: { ...base.ref, handoffId: a.handoffId },
      };
    }
    case 'result_delivered': {
      const r = d as SharedEventData<'result_delivered'>;
      // When the carrier delivered it, not when the gateway heard.
      return { ...base, at: r.deliveredAt ?? e.at, kind, title: SHARED_EVENT_ZH[kind], detail: `运单号 ${r.waybill}`, tone: 'ok', ref: { ...base.ref, handoffId: r.handoffId } };
    }
    case 'rated': {
      const r = d as SharedEventData<'rated'>;
      return {
        ...base,
        kind,
        title: `${SHARED_EVENT_ZH[kind]}：${RATING_ZH[r.rating] ?? r.rating}`,
        detail: `评价渠道：${RATING_CHANNEL_ZH[r.channel] ?? r.channel}`,
        tone: r.rating === 'dissatisfied' ? 'warn' : 'ok',
      };
    }
    // Shown per parcel from the merged, de-duplicated timeline (see caseTimeline), not per batch.
    case 'tracking':
      return undefined;
    default:
      // A kind this build does not know (a newer peer): shown by name, its data left out.
      return { ...base, kind: e.kind, title: SHARED_EVENT_ZH[kind] ?? '办件事件', tone: 'info' };
  }
}

function handoffEntry(e: CaseEvent, step: DispatchedStep | ReceivedStep, handoffKinds: Map<string, HandoffKind>): TimelineEntry {
  const base = { at: e.at, ref: { ...(e.messageId ? { messageId: e.messageId } : {}), handoffId: step.handoffId } };
  if (step.step === 'dispatched') {
    handoffKinds.set(step.handoffId, step.handoffKind);
    const copies = step.manifest.reduce((n, m) => n + m.copies, 0);
    const pages = step.manifest.reduce((n, m) => n + m.pages, 0);
    return {
      ...base,
      kind: 'handoff_dispatched',
      title: `${HANDOFF_KIND_ZH[step.handoffKind] ?? SHARED_EVENT_ZH.handoff}：已交寄`,
      detail:
        `材料清单 ${step.manifest.length} 项（共 ${copies} 份 ${pages} 页），封条号 ${step.sealNo}，` +
        `${carrierName(step.carrier)} 运单号 ${step.waybill}，交件人 ${step.handedBy}，揽件人 ${step.takenBy}`,
      tone: 'info',
    };
  }
  const kindZh = HANDOFF_KIND_ZH[handoffKinds.get(step.handoffId) as HandoffKind] ?? SHARED_EVENT_ZH.handoff;
  const problems = step.discrepancies.map((x) => `${x.name}${DISCREPANCY_ZH[x.problem] ?? x.problem}（应为 ${x.expected}，实收 ${x.found}）`);
  const check = problems.length === 0 ? '清单核对无误' : `清单核对发现 ${problems.length} 处不符：${problems.join('；')}`;
  return {
    ...base,
    kind: step.exception ? 'handoff_exception' : 'handoff_received',
    title: `${kindZh}：${step.exception ? '签收异常' : '已签收'}`,
    detail: `封条${step.sealIntact ? '完好' : '破损'}，${check}，签收人 ${step.receivedBy}`,
    tone: step.exception ? 'alert' : 'ok',
  };
}

/** Envelopes and receipts: what crossed, which way, and whether its signature was checked. */
function crossingEntries(c: Crossing, event: CaseEvent | undefined): TimelineEntry[] {
  const what = event && event.kind !== 'created' && event.kind !== 'received' ? eventName(event) : (ENVELOPE_TYPE_ZH[c.type] ?? c.type);
  const r = { ref: { messageId: c.id } };
  if (c.direction === 'in') {
    const receipt = c.receiptId ? `，已签发回执 ${c.receiptId}` : '';
    return [
      {
        at: c.createdAt,
        kind: 'envelope_received',
        title: `收到报文：${what}`,
        detail: `来自${DISTRICT_NAME_ZH[c.from] ?? c.from}，序号 ${c.seq}，签名已验证${receipt}`,
        tone: 'info',
        ...r,
      },
    ];
  }
  const out: TimelineEntry[] = [
    { at: c.createdAt, kind: 'envelope_sent', title: `发出报文：${what}`, detail: `发往${DISTRICT_NAME_ZH[c.to] ?? c.to}，序号 ${c.seq}`, tone: 'info', ...r },
  ];
  if (c.delivery === 'receipted' && c.receiptedAt) {
    out.push({
      at: c.receiptedAt,
      kind: 'receipt',
      title: '收到对方签收回执',
      // The dispatcher stores a receipt only after checking its signature and the envelope digest it names.
      detail: `回执 ${c.receiptId ?? ''}，回执签名已验证`,
      tone: 'ok',
      ...r,
    });
  } else if (c.delivery === 'retrying') {
    const lastAttemptAt = c.lastAttemptAt ?? c.createdAt;
    out.push({
      at: lastAttemptAt,
      kind: 'delivery_failed',
      title: '报文投递失败，将自动重试',
      detail: `已尝试 ${c.attempts} 次${c.lastError ? `，错误代码 ${c.lastError}` : ''}`,
      tone: 'warn',
      ...r,
    });
  }
  return out;
}

function eventName(e: CaseEvent): string {
  if (e.kind === 'status' || e.kind === 'forwarded') return `办件状态“${stateZh(e.state)}”`;
  return SHARED_EVENT_ZH[e.kind as SharedEventKind] ?? ENVELOPE_TYPE_ZH.event!;
}
