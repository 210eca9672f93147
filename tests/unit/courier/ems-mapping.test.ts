import { describe, expect, it } from 'vitest';
import { mapEmsTrace, mapEmsTraces } from '../../../courier/ems/mapping.js';
import { EMS_OP_CODES } from '../../../courier/ems/op-codes.js';
import type { EmsTraceWire } from '../../../courier/ems/wire.js';
import { emptyTimeline, mergeEvents } from '../../../courier/tracking-timeline.js';
import { emsS10, expectCourierError, inTimeZone } from './helpers.js';

let serial = 40_000_000;
const newWaybill = () => emsS10(serial++);

function trace(opCode: string, opTime: string, extra: Partial<EmsTraceWire> = {}): EmsTraceWire {
  return { opCode, opName: EMS_OP_CODES[opCode as keyof typeof EMS_OP_CODES]?.name ?? '其他', opDesc: `轨迹 ${opCode}`, opTime, ...extra };
}

describe('EMS op codes → status', () => {
  it('when every documented code is mapped, then it gives the status of the README table', () => {
    const table = Object.fromEntries(Object.entries(EMS_OP_CODES).map(([code, info]) => [code, [info.name, info.status]]));
    expect(table).toEqual({
      '10': ['下单', 'info_received'],
      '20': ['收寄', 'picked_up'],
      '30': ['离开', 'in_transit'],
      '31': ['到达', 'in_transit'],
      '32': ['运输', 'in_transit'],
      '40': ['派送', 'out_for_delivery'],
      '41': ['未妥投', 'attempt_failed'],
      '42': ['待自提', 'available_for_pickup'],
      '50': ['妥投', 'delivered'],
      '51': ['自提签收', 'delivered'],
      '60': ['退回', 'returned'],
      '61': ['退回妥投', 'returned'],
      '70': ['拒收', 'exception'],
      '71': ['丢失', 'exception'],
      '72': ['破损', 'exception'],
      '73': ['滞留', 'exception'],
      '90': ['停止跟踪', 'expired'],
    });
    const w = newWaybill();
    for (const [code, info] of Object.entries(EMS_OP_CODES)) {
      expect(mapEmsTrace(w, trace(code, '2024-05-06 09:30:00')).status).toBe(info.status);
    }
  });

  it('when a trace is mapped, then raw code and text are kept, the facility becomes the location and the time is +08:00', () => {
    const w = newWaybill();
    const event = mapEmsTrace(w, trace('31', '2024-05-06 23:59:59', { opDesc: '到达【广州邮件处理中心】', opOrgCity: '广州市', opOrgName: '广州邮件处理中心', opOrgProvName: '广东省' }));
    expect(event).toEqual({
      waybill: w,
      eventTime: '2024-05-06T23:59:59.000+08:00',
      status: 'in_transit',
      rawCode: '31',
      rawText: '到达【广州邮件处理中心】',
      location: '广州市 广州邮件处理中心',
    });
  });

  it('when the host runs in another time zone, then the local time is still read as Beijing time, across midnight', () => {
    inTimeZone('America/Los_Angeles', () => {
      const event = mapEmsTrace(newWaybill(), trace('20', '2025-01-01 00:30:15'));
      expect(event.eventTime).toBe('2025-01-01T00:30:15.000+08:00');
      expect(Date.parse(event.eventTime)).toBe(Date.parse('2024-12-31T16:30:15Z'));
    });
  });

  it('when EMS leaves the description empty, then rawText is the operation name', () => {
    expect(mapEmsTrace(newWaybill(), trace('50', '2024-05-06 09:30:00', { opDesc: ' ' })).rawText).toBe('妥投');
  });

  it('when a trace has no facility, then the event has no location key', () => {
    expect(mapEmsTrace(newWaybill(), trace('20', '2024-05-06 09:30:00'))).not.toHaveProperty('location');
  });

  it('when EMS writes the waybill in lower case, then the event carries the normalised number', () => {
    expect(mapEmsTrace('ea123456785cn', trace('20', '2024-05-06 09:30:00')).waybill).toBe('EA123456785CN');
  });
});

describe('EMS mapping — codes outside the table and bad times', () => {
  it('when a code is outside the table, then the event is kept as exception with its raw code, and the code is reported once', () => {
    const w = newWaybill();
    const result = mapEmsTraces(w, [trace('45', '2024-05-06 12:00:00', { opDesc: '转投他局' }), trace('20', '2024-05-06 10:00:00'), trace('45', '2024-05-06 13:00:00')]);
    expect(result.unknownCodes).toEqual(['45']);
    expect(result.skipped).toEqual([]);
    expect(result.events.map((e) => [e.rawCode, e.status, e.rawText])).toEqual([
      ['45', 'exception', '转投他局'],
      ['20', 'picked_up', '轨迹 20'],
      ['45', 'exception', '轨迹 45'],
    ]);
  });

  it.each([
    ['2024-02-30 10:00:00', 'a day that does not exist'],
    ['2024-05-06T10:00:00+08:00', 'ISO instead of the EMS format'],
    ['2024-5-6 9:30:00', 'unpadded fields'],
    ['2024-05-06 24:00:00', 'hour 24'],
    ['', 'empty'],
  ])('when opTime is %j (%s), then that trace is skipped with COURIER_EVENT_BAD_TIME and the others are kept', (opTime) => {
    const w = newWaybill();
    const result = mapEmsTraces(w, [trace('40', '2024-05-07 08:30:00'), trace('31', opTime), trace('20', '2024-05-06 10:00:00')]);
    expect(result.events.map((e) => e.rawCode)).toEqual(['40', '20']);
    expect(result.skipped).toEqual([{ index: 1, code: 'COURIER_EVENT_BAD_TIME', rawCode: '31', why: expect.any(String) }]);
  });

  it('when one trace is mapped alone with a bad time, then mapEmsTrace throws COURIER_EVENT_BAD_TIME', async () => {
    await expectCourierError(() => mapEmsTrace(newWaybill(), trace('20', '2024-13-01 10:00:00')), 'COURIER_EVENT_BAD_TIME');
  });

  it('when a skipped trace’s text names a person, then the reason does not repeat it', () => {
    const result = mapEmsTraces(newWaybill(), [trace('50', 'not a time', { opDesc: '已签收，签收人：张三' })]);
    expect(result.skipped[0]?.why).not.toContain('张三');
  });

  it('when a full-history push is mapped and merged, then the timeline is oldest first with the final status', () => {
    const w = newWaybill();
    const newestFirst = [trace('50', '2024-05-07 10:15:00'), trace('40', '2024-05-07 08:30:00'), trace('31', '2024-05-06 18:00:00'), trace('20', '2024-05-06 10:00:00')];
    const { events } = mapEmsTraces(w, newestFirst);
    const { timeline } = mergeEvents(emptyTimeline(w), events);
    expect(timeline.events.map((e) => e.rawCode)).toEqual(['20', '31', '40', '50']);
    expect(timeline.state.status).toBe('delivered');
  });
});
