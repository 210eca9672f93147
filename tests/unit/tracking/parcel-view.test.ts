/**
 * The parcel view both districts show (gateway/tracking/parcel-view.ts): the timeline folded from
 * the case's `tracking` events, however they were batched or repeated, and when a parcel needs
 * staff's attention.
 */
import { describe, expect, it } from 'vitest';
import type { TrackingEvent } from '../../../courier/tracking-status.js';
import type { CaseEvent } from '../../../gateway/domain/case.js';
import { parcelTrackingView } from '../../../gateway/tracking/parcel-view.js';

const HANDOFF = '01JD0000000000000000000001';
const OTHER = '01JD0000000000000000000002';
const WAYBILL = 'EA123456785CN';

const ev = (code: string, status: TrackingEvent['status'], time: string, text = `scan ${code}`): TrackingEvent => ({
  waybill: WAYBILL,
  eventTime: `2026-11-20T${time}:00.000+08:00`,
  status,
  rawCode: code,
  rawText: text,
});

let seq = 0;
const tracking = (events: TrackingEvent[], handoffId = HANDOFF, waybill = WAYBILL): CaseEvent => ({
  seq: ++seq,
  kind: 'tracking',
  state: 'accepted',
  at: '2026-11-20T12:00:00.000Z',
  data: { handoffId, waybill, events },
});
const alert = (reason: string, at: string): CaseEvent => ({
  seq: ++seq,
  kind: 'parcel_alert',
  state: 'accepted',
  at,
  data: { handoffId: HANDOFF, waybill: WAYBILL, reason, lastEventAt: null },
});

describe('parcelTrackingView', () => {
  it('when batches overlap and arrive out of order, then the timeline is de-duplicated and in time order', () => {
    const view = parcelTrackingView(
      [
        tracking([ev('31', 'in_transit', '15:00'), ev('20', 'picked_up', '10:00')]),
        tracking([ev('20', 'picked_up', '10:00'), ev('30', 'in_transit', '12:00')]),
        tracking([ev('40', 'out_for_delivery', '16:00')], OTHER),
        tracking([ev('10', 'info_received', '09:00')]),
      ],
      HANDOFF,
      WAYBILL,
    );
    expect(view.events.map((e) => e.rawCode)).toEqual(['10', '20', '30', '31']);
    expect(view).toMatchObject({ status: 'in_transit', statusLabel: '运输中', needsAttention: false, lastEventAt: '2026-11-20T15:00:00.000+08:00', deliveredAt: null });
  });

  it('when nothing was tracked yet, then the parcel is pending with no events', () => {
    expect(parcelTrackingView([], HANDOFF, WAYBILL)).toMatchObject({ status: 'pending', statusLabel: '暂无物流信息', events: [], lastEventAt: null, needsAttention: false });
  });

  it('when a stall alert was raised after the last scan, then the parcel needs attention until it moves again', () => {
    const scans = tracking([ev('20', 'picked_up', '10:00')]);
    const stalled = alert('stalled', '2026-11-22T02:00:00.000Z');
    expect(parcelTrackingView([scans, stalled], HANDOFF, WAYBILL)).toMatchObject({ needsAttention: true, alerts: [{ reason: 'stalled' }] });
    const moved = tracking([{ ...ev('30', 'in_transit', '12:00'), eventTime: '2026-11-22T11:00:00.000+08:00' }]);
    expect(parcelTrackingView([scans, stalled, moved], HANDOFF, WAYBILL).needsAttention).toBe(false);
  });

  it('when the parcel is lost, then it needs attention; when delivered, the delivery time is given', () => {
    const lost = parcelTrackingView([tracking([ev('20', 'picked_up', '10:00'), ev('71', 'exception', '11:00', '邮件丢失')])], HANDOFF, WAYBILL);
    expect(lost).toMatchObject({ status: 'exception', needsAttention: true });
    const delivered = parcelTrackingView([tracking([ev('40', 'out_for_delivery', '10:00'), ev('50', 'delivered', '11:00')])], HANDOFF, WAYBILL);
    expect(delivered).toMatchObject({ status: 'delivered', statusLabel: '已签收', deliveredAt: '2026-11-20T11:00:00.000+08:00', needsAttention: false });
  });

  it('when a tracking event names another waybill, then it is left out', () => {
    const view = parcelTrackingView([tracking([{ ...ev('20', 'picked_up', '10:00'), waybill: 'EA000000000CN' }], HANDOFF, 'EA000000000CN')], HANDOFF, WAYBILL);
    expect(view.events).toEqual([]);
  });
});
