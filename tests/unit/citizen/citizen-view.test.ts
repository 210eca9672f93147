/**
 * The citizen view (gateway/citizen/citizen-view.ts) on synthetic case records: it shows progress,
 * deadline and parcels, and none of the applicant's data, form values, staff ids, seals or
 * manifests — even when a carrier's text echoes the recipient's name and phone.
 */
import { describe, expect, it } from 'vitest';
import { citizenView, scrubCarrierText } from '../../../gateway/citizen/citizen-view.js';
import { loadCalendar } from '../../../gateway/calendar/calendar-data.js';
import { loadMatterCatalog } from '../../../gateway/catalog/catalog.js';
import { ManualClock } from '../../../gateway/clock.js';
import type { CaseEvent, CaseRecord, CaseState } from '../../../gateway/domain/case.js';
import type { District } from '../../../gateway/domain/district.js';

const catalog = loadMatterCatalog();
const calendar = loadCalendar();
const clock = new ManualClock(Date.parse('2026-03-20T10:00:00+08:00'));
const ctxAt = (district: District) => ({ catalog, calendar, clock, district });

const PERSON = {
  kind: 'person' as const,
  name: '欧阳娜娜',
  idNumber: '44010319900307123X',
  phone: '13987654321',
  address: '广州市荔湾区多宝路88号302房',
};
const COMPANY = { kind: 'company' as const, name: '广州荔湾示例贸易有限公司', creditCode: '91440101MA59ABCD1D', phone: '13912345678', address: '广州市荔湾区中山八路1号' };
const FORM = { companyName: '佛山南海示例有限公司', registeredCapital: '100', businessScope: '贸易', legalRepresentative: '张三丰' };

const HANDOFF_ID = '01HZY3K5Q8W0ABCDEFGHJKMNPQ';
const WAYBILL = 'EA123456785CN';
const SECRETS_OF_STAFF = ['LW-SEAL-000123', 'LW-W-0007', 'EMS-C-0042', 'NH-R-0003', '公司章程', 'manifest', 'sealNo', 'handedBy'];

let seq = 0;
const ev = (kind: string, state: CaseState, at: string, extra: Partial<CaseEvent> = {}): CaseEvent => ({ seq: ++seq, kind, state, at, ...extra });

function recordWith(applicant: typeof PERSON | typeof COMPANY, opts: { state?: CaseState; rated?: boolean; extra?: CaseEvent[] } = {}): CaseRecord {
  const events: CaseEvent[] = [
    ev('created', 'submitted', '2026-03-16T09:00:00.000+08:00', { note: applicant.name }),
    ev('forwarded', 'forwarded', '2026-03-16T09:00:02.000+08:00'),
    ev('status', 'registered', '2026-03-16T09:05:00.000+08:00', { note: `申请人${applicant.name}` }),
    ev('handoff', 'registered', '2026-03-16T10:00:00.000+08:00', {
      eventId: `handoff:${HANDOFF_ID}:dispatched`,
      data: {
        handoffId: HANDOFF_ID,
        step: 'dispatched',
        handoffKind: 'materials_to_handling',
        manifest: [{ name: '公司章程', form: 'original', copies: 1, pages: 12 }],
        sealNo: 'LW-SEAL-000123',
        handedBy: 'LW-W-0007',
        takenBy: 'EMS-C-0042',
        carrier: 'ems',
        waybill: WAYBILL,
      },
    }),
    ev('tracking', 'registered', '2026-03-16T12:00:00.000+08:00', {
      data: {
        handoffId: HANDOFF_ID,
        waybill: WAYBILL,
        events: [
          { waybill: WAYBILL, eventTime: '2026-03-16T11:00:00+08:00', status: 'picked_up', rawCode: '10', rawText: '已收寄', location: '广州市荔湾区邮政局' },
          { waybill: WAYBILL, eventTime: '2026-03-17T15:30:00+08:00', status: 'delivered', rawCode: '50', rawText: `已签收，签收人：${applicant.name}，电话 ${applicant.phone}，投递员电话 138-0013-8000`, location: '南海区桂城揽投部' },
          { waybill: WAYBILL, eventTime: '2026-03-17T08:00:00+08:00', status: 'out_for_delivery', rawCode: '40', rawText: `派送中，送往${applicant.address}` },
        ],
      },
    }),
    ev('parcel_alert', 'registered', '2026-03-16T13:00:00.000+08:00', { data: { handoffId: HANDOFF_ID, waybill: WAYBILL, reason: 'stalled', lastEventAt: null } }),
    ev('handoff', 'registered', '2026-03-17T16:00:00.000+08:00', {
      data: { handoffId: HANDOFF_ID, step: 'received', receivedBy: 'NH-R-0003', sealIntact: true, discrepancies: [], exception: false },
    }),
    ev('materials_received', 'registered', '2026-03-17T16:00:00.000+08:00', { data: { receivedBy: 'NH-R-0003' } }),
    ev('status', 'accepted', '2026-03-17T16:30:00.000+08:00'),
    ev('card_issued', 'accepted', '2026-03-18T09:00:00.000+08:00', { data: { card: 'pre_warning', deadline: '2026-03-20', remainingDays: 2 } }),
    ...(opts.extra ?? []),
  ];
  if (opts.rated) events.push(ev('rated', opts.state ?? 'approved', '2026-03-20T09:00:00.000+08:00', { data: { rating: 'neutral', channel: 'citizen' } }));
  return {
    caseNo: 'KC-LW-20260316-000042',
    matterId: 'KC-M-0001',
    origin: 'liwan',
    handling: 'nanhai',
    state: opts.state ?? 'accepted',
    localNo: 'NH-LOCAL-77',
    createdAt: '2026-03-16T09:00:00.000+08:00',
    updatedAt: '2026-03-17T16:30:00.000+08:00',
    application: { matterId: 'KC-M-0001', applicant, form: FORM, materials: [{ name: '公司章程', form: 'original', copies: 1 }] },
    events,
    crossings: [{ id: 'X', type: 'application', direction: 'out', from: 'liwan', to: 'nanhai', seq: 1, delivery: 'receipted', attempts: 1, createdAt: '2026-03-16T09:00:00.000+08:00', lastError: applicant.name }],
  };
}

const decided = (decision: 'approved' | 'rejected'): CaseEvent[] => [
  ev('result_issued', 'accepted', '2026-03-19T10:00:00.000+08:00', { data: { decision, documentName: '营业执照', documentNo: 'ZZ-2026-001', issuedAt: '2026-03-19T10:00:00.000+08:00' } }),
  ev('status', decision, '2026-03-19T10:00:00.000+08:00'),
];

describe('citizen view: no personal data', () => {
  it.each([
    ['a person', PERSON],
    ['a company', COMPANY],
  ])('when the applicant is %s, then neither their data, the form, the local number nor staff ids, seals or manifests appear anywhere in the view', (_, applicant) => {
    const json = JSON.stringify(citizenView(recordWith(applicant), ctxAt('liwan')));
    const forbidden = [...Object.values(applicant).filter((v) => v.length > 6 || /[\u4e00-\u9fff]/.test(v)), ...Object.values(FORM).filter((v) => v.length > 3), 'NH-LOCAL-77', ...SECRETS_OF_STAFF];
    for (const value of forbidden) expect(json, `leaks ${value}`).not.toContain(value);
    // The last four digits (the lookup secret) and the phone with separators do not appear either.
    expect(json).not.toMatch(new RegExp(`(?<!\\d)${applicant.phone.slice(-4)}(?!\\d)`));
    expect(json).not.toMatch(/1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}/);
    expect(json).not.toContain('crossings');
    expect(json).not.toContain('application');
  });

  it('when a carrier text names the recipient and gives phone numbers, then they are masked and the rest of the text is kept', () => {
    expect(scrubCarrierText('已签收，签收人：欧阳娜娜，电话 13987654321，投递员电话 138-0013-8000，020-81234567', ['欧阳娜娜'])).toBe(
      '已签收，签收人：***，电话 ***，投递员电话 ***，***',
    );
    expect(scrubCarrierText('身份证 44010319900307123X 已核验', [])).toBe('身份证 *** 已核验');
    expect(scrubCarrierText('已收寄 EA123456785CN', [])).toBe('已收寄 EA123456785CN');
  });
});

describe('citizen view: what is shown', () => {
  it('when a case is in progress, then it shows its state, districts in Chinese, the deadline and the milestones newest first, without internal events', () => {
    const view = citizenView(recordWith(COMPANY), ctxAt('liwan'));
    expect(view).toMatchObject({
      caseNo: 'KC-LW-20260316-000042',
      matterName: expect.stringMatching(/\S/),
      state: 'accepted',
      stateLabel: '已受理',
      originDistrictName: '广州市荔湾区',
      handlingDistrictName: '佛山市南海区',
      result: null,
      resultDelivered: null,
      rating: { canRate: false, rating: null, ratingLabel: null },
    });
    expect(view.deadline).toMatchObject({ state: 'running', paused: false, date: expect.stringMatching(/^2026-03-\d\d$/) });
    expect(view.progress.map((m) => m.label)).toEqual([
      '已受理',
      '办理地已收到纸质材料',
      '申请材料寄送办理地：已交寄',
      '办理地已登记',
      '已送达办理地',
      '窗口已收件',
    ]);
    const at = view.progress.map((m) => Date.parse(m.at));
    expect([...at].sort((a, b) => b - a)).toEqual(at);
  });

  it('when a parcel has carrier events, then it shows kind, carrier, waybill, status and the events newest first', () => {
    const [parcel, ...more] = citizenView(recordWith(PERSON), ctxAt('nanhai')).parcels;
    expect(more).toEqual([]);
    expect(parcel).toMatchObject({
      kind: 'materials_to_handling',
      kindLabel: '申请材料寄送办理地',
      carrier: 'ems',
      carrierLabel: 'EMS',
      waybill: WAYBILL,
      status: 'delivered',
      statusLabel: '已签收',
      deliveredAt: '2026-03-17T15:30:00.000+08:00',
    });
    expect(parcel!.events.map((e) => [e.statusLabel, e.location])).toEqual([
      ['已签收', '南海区桂城揽投部'],
      ['派送中', null],
      ['已揽收', '广州市荔湾区邮政局'],
    ]);
    expect(parcel!.events[0]!.text).toBe('已签收，签收人：***，电话 ***，投递员电话 ***');
    expect(parcel!.events[1]!.text).toBe('派送中，送往***');
  });

  it('when the case is approved and not rated, then it can be rated where it was taken in, and only there', () => {
    const record = recordWith(COMPANY, { state: 'approved', extra: decided('approved') });
    const atOrigin = citizenView(record, ctxAt('liwan'));
    expect(atOrigin.rating).toEqual({ canRate: true, rating: null, ratingLabel: null });
    expect(atOrigin.result).toEqual({ decision: 'approved', decisionLabel: '准予许可', documentName: '营业执照', issuedAt: '2026-03-19T10:00:00.000+08:00' });
    expect(atOrigin.deadline).toMatchObject({ state: 'completed', completedOn: '2026-03-19' });
    expect(citizenView(record, ctxAt('nanhai')).rating.canRate).toBe(false);
  });

  it('when the case was already rated, then the rating is shown and it cannot be rated again', () => {
    const view = citizenView(recordWith(COMPANY, { state: 'rejected', extra: decided('rejected'), rated: true }), ctxAt('liwan'));
    expect(view.rating).toEqual({ canRate: false, rating: 'neutral', ratingLabel: '一般' });
    expect(view.progress[0]!.label).toBe('申请人已评价');
  });
});
