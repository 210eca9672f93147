/**
 * The staff timeline of a case (gateway/views/case-timeline.ts), built from a case record through
 * the real case view: one list, oldest first, of events, envelopes and receipts, hand-offs with
 * their manifests and seals, the carrier's scans, pauses, cards and alerts — and never the
 * applicant's data or anyone's free text.
 */
import { describe, expect, it } from 'vitest';
import { checkManifest, type DispatchedStep, type ManifestItem, type ReceivedStep } from '../../../courier/handoff.js';
import type { TrackingEvent } from '../../../courier/tracking-status.js';
import { s10CheckDigit } from '../../../courier/waybill.js';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { ManualClock } from '../../../gateway/clock.js';
import type { Application } from '../../../gateway/domain/application.js';
import { formatCaseNo, type CaseEvent, type CaseRecord, type CaseState, type Crossing } from '../../../gateway/domain/case.js';
import type { SharedEventData, SharedEventKind } from '../../../gateway/domain/shared-events.js';
import { caseTimeline, type TimelineEntry } from '../../../gateway/views/case-timeline.js';
import { caseView } from '../../../gateway/views/case-view.js';

const catalog = loadMatterCatalog();
const calendar = loadCalendar();
const clock = new ManualClock(Date.parse('2026-03-27T10:00:00+08:00'));
const ctx = { catalog, calendar, clock };

const APPLICANT = { kind: 'person' as const, name: '欧阳娜娜', idNumber: '44010319900307123X', phone: '13987654321', address: '广州市荔湾区多宝路88号302房' };
const FORM = { companyName: '佛山南海示例有限公司', registeredCapital: '100', businessScope: '贸易', legalRepresentative: '张三丰' };
const application: Application = { matterId: 'KC-M-0001', applicant: APPLICANT, form: FORM, materials: [{ name: '公司章程', form: 'original', copies: 1 }] };
const PERSONAL = [APPLICANT.name, APPLICANT.idNumber, APPLICANT.phone, APPLICANT.address, ...Object.values(FORM)];

const CASE_NO = formatCaseNo('liwan', '20260316', 7);
const ulid = (n: number) => `01HZY3K5Q8W0ABCDEFGHJK${String(n).padStart(4, '0')}`;
const MATERIALS_HANDOFF = ulid(1);
const RESULT_HANDOFF = ulid(2);
const PAUSE = ulid(3);
const waybill = (serial: string) => `EA${serial}${s10CheckDigit(serial)}CN`;
const MATERIALS_WAYBILL = waybill('12345678');
const RESULT_WAYBILL = waybill('87654321');
const msg = (n: number) => ulid(100 + n);

const at = (beijing: string) => `2026-03-${beijing}+08:00`;
let seq = 0;
const ev = (kind: string, state: CaseState, when: string, extra: Partial<CaseEvent> = {}): CaseEvent => ({ seq: ++seq, kind, state, at: at(when), ...extra });
const shared = <K extends SharedEventKind>(
  kind: K,
  state: CaseState,
  when: string,
  data: SharedEventData<K>,
  extra: Partial<CaseEvent> = {},
): CaseEvent => ev(kind, state, when, { eventId: `${kind}:${seq}`, data: data as Record<string, unknown>, ...extra });

const manifest: ManifestItem[] = [
  { name: '公司章程', form: 'original', copies: 1, pages: 12 },
  { name: '股东会决议', form: 'copy', copies: 2, pages: 3 },
];
const dispatched: DispatchedStep = {
  handoffId: MATERIALS_HANDOFF,
  step: 'dispatched',
  handoffKind: 'materials_to_handling',
  manifest,
  sealNo: 'LW-SEAL-000123',
  handedBy: 'LW-W-0007',
  takenBy: 'EMS-C-0042',
  carrier: 'ems',
  waybill: MATERIALS_WAYBILL,
};
const discrepancies = checkManifest(manifest, [{ name: '公司章程', copies: 1, pages: 10 }, { name: '股东会决议', copies: 2, pages: 3 }]);
const receivedWithException: ReceivedStep = { handoffId: MATERIALS_HANDOFF, step: 'received', receivedBy: 'NH-R-0003', sealIntact: false, discrepancies, exception: true };
const resultDispatched: DispatchedStep = { ...dispatched, handoffId: RESULT_HANDOFF, handoffKind: 'result_to_applicant', manifest: [{ name: '营业执照', form: 'original', copies: 1, pages: 1 }], waybill: RESULT_WAYBILL, sealNo: 'NH-SEAL-000456', handedBy: 'NH-W-0001' };

const scan = (wb: string, time: string, status: TrackingEvent['status'], rawText: string, location?: string): TrackingEvent => ({
  waybill: wb,
  eventTime: at(time),
  status,
  rawCode: status.slice(0, 4),
  rawText,
  ...(location ? { location } : {}),
});

/** A case taken in at Liwan for Nanhai, through to its rating, as the origin gateway holds it. */
function wholeLife(): CaseRecord {
  seq = 0;
  const events: CaseEvent[] = [
    ev('created', 'submitted', '16T09:00:00.000', { messageId: msg(1), note: APPLICANT.name }),
    ev('forwarded', 'forwarded', '16T09:00:02.000', { messageId: msg(1) }),
    ev('status', 'registered', '16T09:05:00.000', { messageId: msg(2), note: `申请人${APPLICANT.name}` }),
    shared('handoff', 'registered', '16T10:00:00.000', dispatched, { messageId: msg(3) }),
    // Two batches that overlap: the timeline shows each scan once, in time order.
    shared('tracking', 'registered', '16T18:00:00.000', {
      handoffId: MATERIALS_HANDOFF,
      waybill: MATERIALS_WAYBILL,
      events: [scan(MATERIALS_WAYBILL, '16T11:00:00.000', 'picked_up', `揽收，联系电话 ${APPLICANT.phone}`, '荔湾揽投部')],
    }),
    shared('tracking', 'registered', '17T08:00:00.000', {
      handoffId: MATERIALS_HANDOFF,
      waybill: MATERIALS_WAYBILL,
      events: [
        scan(MATERIALS_WAYBILL, '16T11:00:00.000', 'picked_up', `揽收，联系电话 ${APPLICANT.phone}`, '荔湾揽投部'),
        scan(MATERIALS_WAYBILL, '16T20:00:00.000', 'in_transit', '离开广州处理中心', '广州 13800001111'),
      ],
    }),
    shared('parcel_alert', 'registered', '17T07:00:00.000', { handoffId: MATERIALS_HANDOFF, waybill: MATERIALS_WAYBILL, reason: 'stalled', lastEventAt: at('16T20:00:00.000') }),
    shared('handoff', 'registered', '17T09:30:00.000', receivedWithException, { note: '交接异常', messageId: msg(4) }),
    shared('materials_received', 'registered', '17T09:30:01.000', { receivedBy: 'NH-R-0003' }, { messageId: msg(5) }),
    ev('status', 'accepted', '17T10:00:00.000', { messageId: msg(6) }),
    shared('clock_paused', 'accepted', '18T09:00:00.000', { pauseId: PAUSE, reason: 'expert_review' }, { note: `专家：${APPLICANT.name}的材料` }),
    shared('clock_resumed', 'accepted', '19T09:00:00.000', { pauseId: PAUSE }),
    ev('status', 'supplement_requested', '19T10:00:00.000'),
    shared('supplement_filed', 'supplement_requested', '20T09:00:00.000', { supplementId: ulid(4), materials: [{ name: '补充说明', form: 'original', copies: 1 }] }),
    shared('supplement_registered', 'supplement_received', '20T10:00:00.000', { supplementId: ulid(4), receiptNo: 'NH-BZ-2026-0001' }),
    shared('card_issued', 'supplement_received', '23T00:00:00.000', { card: 'pre_warning', deadline: '2026-03-24', remainingDays: 1 }),
    shared('card_issued', 'supplement_received', '25T00:00:00.000', { card: 'yellow', deadline: '2026-03-24', remainingDays: -1 }),
    shared('card_issued', 'supplement_received', '26T00:00:00.000', { card: 'red', deadline: '2026-03-24', remainingDays: -2 }),
    ev('status_ignored', 'supplement_received', '26T08:00:00.000', { note: 'registered' }),
    ev('status', 'approved', '26T09:00:00.000', { note: `准予 ${APPLICANT.name}` }),
    shared('result_issued', 'approved', '26T09:10:00.000', { decision: 'approved', documentName: '营业执照', documentNo: 'NH-YYZZ-0001', issuedAt: at('26T09:00:00.000') }),
    shared('handoff', 'approved', '26T10:00:00.000', resultDispatched),
    shared('tracking', 'approved', '27T09:00:00.000', {
      handoffId: RESULT_HANDOFF,
      waybill: RESULT_WAYBILL,
      events: [scan(RESULT_WAYBILL, '27T08:30:00.000', 'delivered', `${APPLICANT.name}本人签收`, APPLICANT.address)],
    }),
    shared('result_delivered', 'approved', '27T09:00:00.000', { handoffId: RESULT_HANDOFF, waybill: RESULT_WAYBILL, deliveredAt: at('27T08:30:00.000') }),
    shared('rated', 'approved', '27T09:30:00.000', { rating: 'satisfied', channel: 'citizen' }),
    ev('dead_lettered', 'approved', '27T09:40:00.000', { messageId: msg(9), note: 'PEER_UNAVAILABLE' }),
    ev('resent', 'approved', '27T09:45:00.000', { messageId: msg(9) }),
    ev('submit_refused', 'approved', '27T09:50:00.000', { note: 'APPROVAL_REJECTED' }),
  ];
  const crossings: Crossing[] = [
    { id: msg(1), type: 'application', direction: 'out', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'receipted', attempts: 1, createdAt: at('16T09:00:00.000'), receiptId: ulid(201), receiptedAt: at('16T09:00:02.000'), bodySha256: 'ab'.repeat(32) },
    { id: msg(2), type: 'status', direction: 'in', from: 'nanhai', to: 'liwan', seq: 1, delivery: 'received', attempts: 1, createdAt: at('16T09:05:01.000'), receiptId: ulid(202), receiptedAt: at('16T09:05:01.000') },
    { id: msg(3), type: 'event', direction: 'out', from: 'liwan', to: 'nanhai', seq: 2, delivery: 'retrying', attempts: 2, createdAt: at('16T10:00:00.000'), lastError: 'PEER_UNAVAILABLE', ...{ lastAttemptAt: at('16T10:00:30.000') } },
  ];
  return {
    caseNo: CASE_NO,
    matterId: 'KC-M-0001',
    origin: 'liwan',
    handling: 'nanhai',
    state: 'approved',
    localNo: 'NH-2026-000123',
    createdAt: at('16T09:00:00.000'),
    updatedAt: at('27T09:50:00.000'),
    application,
    events,
    crossings,
  };
}

const timelineOf = (record: CaseRecord) => caseTimeline(caseView(record, ctx, { includeApplication: true }));
const only = (entries: TimelineEntry[], kind: string) => entries.filter((e) => e.kind === kind);

describe('caseTimeline', () => {
  it('when a case has lived its whole life, then its entries come oldest first as ISO instants, each with a Chinese title', () => {
    const entries = timelineOf(wholeLife());
    const times = entries.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    for (const e of entries) {
      expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(e.title).toMatch(/[\u4e00-\u9fff]/);
      expect(['info', 'ok', 'warn', 'alert']).toContain(e.tone);
    }
    expect(entries[0]).toMatchObject({ kind: 'created', title: '窗口已收件', at: '2026-03-16T01:00:00.000Z', ref: { messageId: msg(1) } });
    expect(new Set(entries.map((e) => e.kind))).toEqual(
      new Set([
        'created', 'envelope_sent', 'receipt', 'status', 'envelope_received', 'handoff_dispatched', 'delivery_failed', 'tracking', 'parcel_alert',
        'handoff_exception', 'materials_received', 'clock_paused', 'clock_resumed', 'supplement_filed', 'supplement_registered', 'pre_warning',
        'yellow_card', 'red_card', 'status_ignored', 'result_issued', 'result_delivered', 'rated', 'dead_lettered', 'resent', 'approval_refused',
      ]),
    );
  });

  it('when the status changes, then each change is an entry with its state label', () => {
    const titles = only(timelineOf(wholeLife()), 'status').map((e) => e.title);
    expect(titles).toEqual(['办件状态：已送达办理地', '办件状态：办理地已登记', '办件状态：已受理', '办件状态：待补正', '办件状态：准予许可']);
    expect(only(timelineOf(wholeLife()), 'status_ignored')[0]).toMatchObject({ detail: '收到“办理地已登记”，办件已是“补正材料已收到”', tone: 'warn' });
  });

  it('when envelopes cross, then each is shown with its direction and the receipt with its verified signature', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'envelope_sent')[0]).toMatchObject({ title: '发出报文：办件申请', detail: '发往佛山市南海区，序号 1', ref: { messageId: msg(1) } });
    expect(only(entries, 'receipt')).toEqual([
      { at: '2026-03-16T01:00:02.000Z', kind: 'receipt', title: '收到对方签收回执', detail: `回执 ${ulid(201)}，回执签名已验证`, tone: 'ok', ref: { messageId: msg(1) } },
    ]);
    expect(only(entries, 'envelope_received')).toEqual([
      {
        at: '2026-03-16T01:05:01.000Z',
        kind: 'envelope_received',
        title: '收到报文：办件状态“办理地已登记”',
        detail: `来自佛山市南海区，序号 1，签名已验证，已签发回执 ${ulid(202)}`,
        tone: 'info',
        ref: { messageId: msg(2) },
      },
    ]);
  });

  it('when a delivery fails, then a retry is a warning and a dead letter an alert, each with its error code', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'delivery_failed')).toEqual([
      { at: '2026-03-16T02:00:30.000Z', kind: 'delivery_failed', title: '报文投递失败，将自动重试', detail: '已尝试 2 次，错误代码 PEER_UNAVAILABLE', tone: 'warn', ref: { messageId: msg(3) } },
    ]);
    expect(only(entries, 'dead_lettered')[0]).toMatchObject({ tone: 'alert', detail: '错误代码 PEER_UNAVAILABLE', ref: { messageId: msg(9) } });
    expect(only(entries, 'resent')[0]).toMatchObject({ title: '死信报文已重新排队投递' });
    expect(only(entries, 'approval_refused')[0]).toMatchObject({ title: '审批系统拒绝提交办件', detail: '错误代码 APPROVAL_REJECTED', tone: 'alert' });
  });

  it('when paper is handed off, then the dispatch names manifest count, seal, carrier and waybill, and the receipt the seal and the manifest check', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'handoff_dispatched')[0]).toEqual({
      at: '2026-03-16T02:00:00.000Z',
      kind: 'handoff_dispatched',
      title: '申请材料寄送办理地：已交寄',
      detail: `材料清单 2 项（共 3 份 15 页），封条号 LW-SEAL-000123，EMS 运单号 ${MATERIALS_WAYBILL}，交件人 LW-W-0007，揽件人 EMS-C-0042`,
      tone: 'info',
      ref: { messageId: msg(3), handoffId: MATERIALS_HANDOFF },
    });
    expect(only(entries, 'handoff_exception')).toEqual([
      {
        at: '2026-03-17T01:30:00.000Z',
        kind: 'handoff_exception',
        title: '申请材料寄送办理地：签收异常',
        detail: '封条破损，清单核对发现 1 处不符：公司章程页数不足（应为 12页，实收 10页），签收人 NH-R-0003',
        tone: 'alert',
        ref: { messageId: msg(4), handoffId: MATERIALS_HANDOFF },
      },
    ]);
    expect(only(entries, 'handoff_dispatched')[1]).toMatchObject({ title: '办理结果寄送申请人：已交寄', ref: { handoffId: RESULT_HANDOFF } });
  });

  it('when a hand-off is received intact and complete, then the receipt is ok and says so', () => {
    const record = wholeLife();
    const intact: ReceivedStep = { handoffId: MATERIALS_HANDOFF, step: 'received', receivedBy: 'NH-R-0003', sealIntact: true, discrepancies: [], exception: false };
    record.events = record.events.map((e) => (e.kind === 'handoff' && e.data?.['step'] === 'received' ? { ...e, data: intact } : e));
    expect(only(timelineOf(record), 'handoff_received')[0]).toMatchObject({ title: '申请材料寄送办理地：已签收', detail: '封条完好，清单核对无误，签收人 NH-R-0003', tone: 'ok' });
  });

  it('when the carrier reports scans in overlapping batches, then each scan is one entry in time order, with the parcel alert and the delivery', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'tracking').map((e) => [e.at, e.title, e.ref?.handoffId])).toEqual([
      ['2026-03-16T03:00:00.000Z', '邮件已揽收', MATERIALS_HANDOFF],
      ['2026-03-16T12:00:00.000Z', '邮件运输中', MATERIALS_HANDOFF],
      ['2026-03-27T00:30:00.000Z', '邮件已签收', RESULT_HANDOFF],
    ]);
    expect(only(entries, 'tracking')[0]!.detail).toBe(`EMS ${MATERIALS_WAYBILL}`);
    expect(only(entries, 'parcel_alert')[0]).toMatchObject({ title: '邮件异常提醒：长时间无物流更新', tone: 'alert', ref: { handoffId: MATERIALS_HANDOFF } });
    expect(only(entries, 'result_delivered')[0]).toMatchObject({ at: '2026-03-27T00:30:00.000Z', detail: `运单号 ${RESULT_WAYBILL}`, tone: 'ok' });
  });

  it('when the clock pauses and resumes, then both entries name the pause, and the pause its reason', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'clock_paused')[0]).toMatchObject({ title: '办理时限中止计算', detail: '中止原因：专家评审', tone: 'warn', ref: { pauseId: PAUSE } });
    expect(only(entries, 'clock_resumed')[0]).toMatchObject({ title: '办理时限恢复计算', ref: { pauseId: PAUSE } });
  });

  it('when 电子监察 warns and issues cards, then the pre-warning and the yellow card are warnings and the red card an alert', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'pre_warning')[0]).toMatchObject({ title: '电子监察预警', detail: '办理期限 2026-03-24，剩余 1 个工作日', tone: 'warn' });
    expect(only(entries, 'yellow_card')[0]).toMatchObject({ title: '电子监察黄牌', detail: '办理期限 2026-03-24，已超期 1 个工作日', tone: 'warn' });
    expect(only(entries, 'red_card')[0]).toMatchObject({ title: '电子监察红牌', detail: '办理期限 2026-03-24，已超期 2 个工作日', tone: 'alert' });
  });

  it('when supplements, the result and the rating are recorded, then each is shown with what it carried', () => {
    const entries = timelineOf(wholeLife());
    expect(only(entries, 'supplement_filed')[0]).toMatchObject({ title: '已提交补正材料', detail: '共 1 项：补充说明' });
    expect(only(entries, 'supplement_registered')[0]).toMatchObject({ detail: '办理地回执号 NH-BZ-2026-0001', tone: 'ok' });
    expect(only(entries, 'result_issued')[0]).toMatchObject({ title: '已出具办理结果：准予许可', detail: '营业执照（NH-YYZZ-0001）', tone: 'ok' });
    expect(only(entries, 'rated')[0]).toMatchObject({ title: '申请人已评价：满意', detail: '评价渠道：网上查询' });
  });

  it('when the view holds the application and notes and carrier texts echo the applicant, then no personal data reaches the timeline', () => {
    const text = JSON.stringify(timelineOf(wholeLife()));
    for (const secret of PERSONAL) expect(text).not.toContain(secret);
    expect(text).not.toContain('13800001111');
  });

  it('when a case was just taken in, then its timeline is its creation and its queued envelope', () => {
    const record = wholeLife();
    record.events = record.events.slice(0, 1);
    record.crossings = [{ ...record.crossings[0]!, delivery: 'queued', attempts: 0 }];
    delete record.crossings[0]!.receiptId;
    delete record.crossings[0]!.receiptedAt;
    expect(timelineOf(record).map((e) => e.kind)).toEqual(['created', 'envelope_sent']);
  });
});
