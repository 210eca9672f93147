import { describe, expect, it } from 'vitest';
import {
  advanceStatus,
  FLOW_RANK,
  INITIAL_STATUS_STATE,
  NEEDS_ATTENTION,
  TRACKING_STATUS_LABEL,
  TRACKING_STATUSES,
  type StatusState,
  type TrackingStatus,
} from '../../../courier/tracking-status.js';

const fold = (...statuses: TrackingStatus[]): StatusState => statuses.reduce(advanceStatus, INITIAL_STATUS_STATE);

describe('status model', () => {
  it('when the model is listed, then it has the eleven statuses of issue 4', () => {
    expect(TRACKING_STATUSES).toEqual([
      'pending',
      'info_received',
      'picked_up',
      'in_transit',
      'out_for_delivery',
      'available_for_pickup',
      'attempt_failed',
      'delivered',
      'exception',
      'returned',
      'expired',
    ]);
  });

  it('when citizens read a status, then the label is the Chinese word they know', () => {
    expect(TRACKING_STATUS_LABEL).toEqual({
      pending: '暂无物流信息',
      info_received: '已下单',
      picked_up: '已揽收',
      in_transit: '运输中',
      out_for_delivery: '派送中',
      available_for_pickup: '待自提',
      attempt_failed: '投递失败',
      delivered: '已签收',
      exception: '异常',
      returned: '已退回',
      expired: '已过期',
    });
  });

  it('when the forward flow is ranked, then pending < info_received < picked_up < in_transit < last mile < delivered', () => {
    expect(FLOW_RANK.pending).toBeLessThan(FLOW_RANK.info_received);
    expect(FLOW_RANK.info_received).toBeLessThan(FLOW_RANK.picked_up);
    expect(FLOW_RANK.picked_up).toBeLessThan(FLOW_RANK.in_transit);
    expect(FLOW_RANK.in_transit).toBeLessThan(FLOW_RANK.out_for_delivery);
    expect(FLOW_RANK.out_for_delivery).toBe(FLOW_RANK.available_for_pickup);
    expect(FLOW_RANK.out_for_delivery).toBe(FLOW_RANK.attempt_failed);
    expect(FLOW_RANK.attempt_failed).toBeLessThan(FLOW_RANK.delivered);
  });

  it('when staff alerts are derived, then failed attempts, exceptions, returns and expiries need attention', () => {
    expect([...NEEDS_ATTENTION].sort()).toEqual(['attempt_failed', 'exception', 'expired', 'returned']);
  });
});

describe('advanceStatus — forward only', () => {
  it('when events follow the flow, then the status follows them to delivered', () => {
    expect(fold('info_received', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered')).toEqual({
      status: 'delivered',
      progress: 'delivered',
      returned: false,
    });
  });

  it('when a lower scan follows a higher one, then the status does not move back (and the state object is unchanged)', () => {
    const out = fold('picked_up', 'out_for_delivery');
    expect(advanceStatus(out, 'in_transit')).toBe(out);
    expect(advanceStatus(out, 'picked_up')).toBe(out);
    expect(advanceStatus(out, 'pending')).toBe(out);
  });

  it('when a failed attempt is followed by a new delivery round, then the newest last-mile status wins', () => {
    expect(fold('in_transit', 'out_for_delivery', 'attempt_failed').status).toBe('attempt_failed');
    expect(fold('in_transit', 'out_for_delivery', 'attempt_failed', 'out_for_delivery').status).toBe('out_for_delivery');
    expect(fold('out_for_delivery', 'available_for_pickup').status).toBe('available_for_pickup');
  });

  it('when anything of the normal flow follows delivered, then it stays delivered', () => {
    for (const later of ['in_transit', 'out_for_delivery', 'attempt_failed', 'info_received'] as const) {
      expect(fold('out_for_delivery', 'delivered', later).status).toBe('delivered');
    }
  });
});

describe('advanceStatus — exception, returned, expired', () => {
  it('when an exception follows any status, delivered included, then the status is exception', () => {
    for (const before of ['pending', 'picked_up', 'in_transit', 'attempt_failed', 'delivered', 'returned', 'expired'] as const) {
      expect(fold(before, 'exception').status).toBe('exception');
    }
  });

  it('when a normal event follows an exception, then the status returns to the highest normal status reached, never lower', () => {
    expect(fold('picked_up', 'exception', 'in_transit').status).toBe('in_transit');
    expect(fold('out_for_delivery', 'exception', 'in_transit')).toEqual({ status: 'out_for_delivery', progress: 'out_for_delivery', returned: false });
    expect(fold('delivered', 'exception', 'in_transit').status).toBe('delivered');
  });

  it('when a parcel is returned, then the return trip’s own scans (transit, even delivered) keep it returned', () => {
    expect(fold('out_for_delivery', 'returned', 'in_transit', 'out_for_delivery', 'delivered')).toEqual({
      status: 'returned',
      progress: 'out_for_delivery',
      returned: true,
    });
  });

  it('when a returned parcel is lost on the way back and then found, then exception, then returned again', () => {
    const lost = fold('in_transit', 'returned', 'exception');
    expect(lost.status).toBe('exception');
    expect(advanceStatus(lost, 'in_transit').status).toBe('returned');
  });

  it('when a delivered parcel is later reported returned, then it is returned (staff must see it)', () => {
    expect(fold('delivered', 'returned').status).toBe('returned');
  });

  it('when tracking expires on a moving parcel, then expired; on a delivered, returned or lost one, then no change', () => {
    expect(fold('in_transit', 'expired').status).toBe('expired');
    expect(fold('attempt_failed', 'expired').status).toBe('expired');
    expect(fold('delivered', 'expired').status).toBe('delivered');
    expect(fold('returned', 'expired').status).toBe('returned');
    expect(fold('in_transit', 'exception', 'expired').status).toBe('exception');
  });

  it('when a normal event follows expired, then the parcel is moving again at its highest status', () => {
    expect(fold('out_for_delivery', 'expired', 'in_transit').status).toBe('out_for_delivery');
  });
});
