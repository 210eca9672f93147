import { describe, expect, it } from 'vitest';
import type { TrackingEvent } from '../../../courier/tracking-status.js';
import { emptyTimeline, ingestEvent, MAX_EVENTS_PER_PARCEL, mergeEvents, type ParcelTimeline } from '../../../courier/tracking-timeline.js';
import { prng } from '../../helpers/prng.js';
import { emsS10, event, expectCourierError, shuffled } from './helpers.js';

let serial = 30_000_000;
const newWaybill = () => emsS10(serial++);

const statuses = (t: ParcelTimeline) => t.events.map((e) => e.status);
const times = (t: ParcelTimeline) => t.events.map((e) => e.eventTime);

/** A delivered journey, oldest first. */
function journey(w: string): TrackingEvent[] {
  return [
    event(w, '2024-05-06 09:00', 'info_received'),
    event(w, '2024-05-06 10:00', 'picked_up'),
    event(w, '2024-05-06 14:00', 'in_transit', '离开【佛山邮件处理中心】'),
    event(w, '2024-05-06 18:00', 'in_transit', '到达【广州邮件处理中心】'),
    event(w, '2024-05-07 08:30', 'out_for_delivery'),
    event(w, '2024-05-07 11:00', 'attempt_failed'),
    event(w, '2024-05-08 09:00', 'out_for_delivery', '再次投递'),
    event(w, '2024-05-08 10:15', 'delivered'),
  ];
}

describe('timeline — order and status', () => {
  it('when events arrive in order, then the timeline keeps them oldest first and the status is the last one', () => {
    const w = newWaybill();
    let t = emptyTimeline(w);
    for (const e of journey(w)) t = ingestEvent(t, e).timeline;
    expect(statuses(t)).toEqual(journey(w).map((e) => e.status));
    expect(t.state.status).toBe('delivered');
  });

  it('when a full-history push lists the events newest first, then the timeline is still oldest first', () => {
    const w = newWaybill();
    const result = mergeEvents(emptyTimeline(w), journey(w).reverse());
    expect(statuses(result.timeline)).toEqual(journey(w).map((e) => e.status));
    expect(result).toMatchObject({ duplicates: 0, late: 0, previousStatus: 'pending', statusChanged: true });
    expect(result.timeline.state.status).toBe('delivered');
  });

  it('when an event is stored, then its time is rewritten as +08:00 with milliseconds and its instant cached', () => {
    const w = newWaybill();
    const { timeline } = ingestEvent(emptyTimeline(w), { ...event(w, '2024-05-06 09:00', 'picked_up'), eventTime: '2024-05-06T01:00:00Z' });
    expect(timeline.events[0]).toMatchObject({ eventTime: '2024-05-06T09:00:00.000+08:00', atMs: Date.parse('2024-05-06T01:00:00Z') });
  });

  it('when a late scan arrives (earlier than what is there), then it is inserted in time order and counted late', () => {
    const w = newWaybill();
    const [received, picked, left, arrived, out] = journey(w) as [TrackingEvent, TrackingEvent, TrackingEvent, TrackingEvent, TrackingEvent];
    const before = mergeEvents(emptyTimeline(w), [received, picked, arrived, out]).timeline;

    const result = ingestEvent(before, left);

    expect(times(result.timeline)).toEqual([received, picked, left, arrived, out].map((e) => e.eventTime.replace('+08:00', '.000+08:00')));
    expect(result).toMatchObject({ late: 1, statusChanged: false });
    expect(result.timeline.state.status).toBe('out_for_delivery');
  });

  it('when a late exception lands before a normal scan that is already there, then the status stays normal (time order decides)', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), [event(w, '2024-05-06 10:00', 'picked_up'), event(w, '2024-05-06 12:00', 'in_transit')]).timeline;
    const result = ingestEvent(t, event(w, '2024-05-06 11:00', 'exception', '滞留：安检复查'));
    expect(statuses(result.timeline)).toEqual(['picked_up', 'exception', 'in_transit']);
    expect(result.timeline.state.status).toBe('in_transit');
    expect(result.statusChanged).toBe(false);
  });

  it('when a later event would move the status backwards, then the event joins the timeline but the status stays', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), [event(w, '2024-05-06 10:00', 'picked_up'), event(w, '2024-05-07 10:00', 'delivered')]).timeline;
    const result = ingestEvent(t, event(w, '2024-05-07 12:00', 'in_transit', '到达【广州邮件处理中心】'));
    expect(result.added).toHaveLength(1);
    expect(statuses(result.timeline)).toEqual(['picked_up', 'delivered', 'in_transit']);
    expect(result.timeline.state.status).toBe('delivered');
    expect(result.statusChanged).toBe(false);
  });

  it('when a later exception arrives after delivered, then the status is exception and statusChanged says so', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), journey(w)).timeline;
    const result = ingestEvent(t, event(w, '2024-05-09 09:00', 'exception', '破损'));
    expect(result).toMatchObject({ previousStatus: 'delivered', statusChanged: true });
    expect(result.timeline.state.status).toBe('exception');
  });

  it('when two events share an instant, then the order is the flow order whatever the arrival order', () => {
    const w = newWaybill();
    const out = event(w, '2024-05-07 10:00', 'out_for_delivery');
    const delivered = event(w, '2024-05-07 10:00', 'delivered');
    for (const order of [[out, delivered], [delivered, out]]) {
      const t = mergeEvents(emptyTimeline(w), order).timeline;
      expect(statuses(t)).toEqual(['out_for_delivery', 'delivered']);
      expect(t.state.status).toBe('delivered');
    }
  });
});

describe('timeline — duplicates', () => {
  it('when the same full history is pushed twice, then the second push adds nothing and returns the same timeline', () => {
    const w = newWaybill();
    const first = mergeEvents(emptyTimeline(w), journey(w).reverse()).timeline;
    const second = mergeEvents(first, journey(w).reverse());
    expect(second).toMatchObject({ added: [], duplicates: 8, late: 0, statusChanged: false });
    expect(second.timeline).toBe(first);
  });

  it('when a push holds the same scan twice, then it is stored once', () => {
    const w = newWaybill();
    const e = event(w, '2024-05-06 10:00', 'picked_up', '已收寄');
    const result = mergeEvents(emptyTimeline(w), [e, { ...e }]);
    expect(result.timeline.events).toHaveLength(1);
    expect(result.duplicates).toBe(1);
  });

  it('when the same instant is written with another offset and the same text, then it is a duplicate', () => {
    const w = newWaybill();
    const e = event(w, '2024-05-06 10:00', 'picked_up', '已收寄');
    const t = ingestEvent(emptyTimeline(w), e).timeline;
    const again = ingestEvent(t, { ...e, eventTime: '2024-05-06T02:00:00.000Z' });
    expect(again.duplicates).toBe(1);
    expect(again.timeline).toBe(t);
  });

  it('when two scans share an instant but not their text, then both are kept', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), [
      event(w, '2024-05-06 14:00', 'in_transit', '离开【佛山邮件处理中心】'),
      event(w, '2024-05-06 14:00', 'in_transit', '发往【广州邮件处理中心】'),
    ]).timeline;
    expect(t.events).toHaveLength(2);
  });

  it('when the same text comes at another instant, then it is a new event (a second delivery round)', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), [
      event(w, '2024-05-07 08:30', 'out_for_delivery', '安排投递'),
      event(w, '2024-05-08 08:30', 'out_for_delivery', '安排投递'),
    ]).timeline;
    expect(t.events).toHaveLength(2);
  });
});

describe('timeline — convergence', () => {
  it('when the same events (with duplicates) arrive in any order and any batching, then the timeline and status are identical', () => {
    const w = newWaybill();
    const all = [
      ...journey(w),
      event(w, '2024-05-07 12:00', 'exception', '滞留'),
      event(w, '2024-05-07 12:00', 'in_transit', '退回投递局'),
      event(w, '2024-05-08 10:15', 'delivered'), // duplicate of the journey's delivered
      event(w, '2024-05-06 10:00', 'picked_up'), // duplicate
    ];
    const reference = mergeEvents(emptyTimeline(w), all).timeline;
    const random = prng(4);
    for (let run = 0; run < 200; run++) {
      let t = emptyTimeline(w);
      const order = shuffled(all, random);
      while (order.length > 0) t = mergeEvents(t, order.splice(0, 1 + Math.floor(random() * 3))).timeline;
      expect(t.events).toEqual(reference.events);
      expect(t.state).toEqual(reference.state);
    }
    expect(reference.events).toHaveLength(10);
    expect(reference.state.status).toBe('delivered');
  });

  it('when a timeline goes through JSON (as the store keeps it), then merging into it gives the same result', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), journey(w).slice(0, 5)).timeline;
    const stored = JSON.parse(JSON.stringify(t)) as ParcelTimeline;
    const rest = journey(w).slice(3);
    expect(mergeEvents(stored, rest)).toEqual(mergeEvents(t, rest));
  });

  it('when the input timeline is frozen, then merging works and leaves it untouched', () => {
    const w = newWaybill();
    const t = mergeEvents(emptyTimeline(w), journey(w).slice(0, 3)).timeline;
    const frozen: ParcelTimeline = Object.freeze({ ...t, events: Object.freeze([...t.events]), state: Object.freeze({ ...t.state }) });
    const result = mergeEvents(frozen, [event(w, '2024-05-06 09:30', 'info_received', '补录')]);
    expect(result.timeline.events).toHaveLength(4);
    expect(frozen.events).toHaveLength(3);
  });
});

describe('timeline — bad input', () => {
  it('when an event is for another waybill, then TRACKING_WAYBILL_MISMATCH', async () => {
    const w = newWaybill();
    await expectCourierError(() => ingestEvent(emptyTimeline(w), event(newWaybill(), '2024-05-06 10:00', 'picked_up')), 'TRACKING_WAYBILL_MISMATCH');
  });

  it.each([
    ['2024-05-06 10:00:00', 'a local time without offset'],
    ['2024-02-30T10:00:00+08:00', 'a date that does not exist (Date.parse would roll it into March)'],
    ['2024-05-06T24:00:00+08:00', 'hour 24 (Date.parse would take it as the next midnight)'],
    ['yesterday', 'not a date'],
    ['', 'empty'],
  ])('when eventTime is %j (%s), then TRACKING_EVENT_INVALID', async (eventTime) => {
    const w = newWaybill();
    await expectCourierError(() => ingestEvent(emptyTimeline(w), { ...event(w, '2024-05-06 10:00', 'picked_up'), eventTime }), 'TRACKING_EVENT_INVALID');
  });

  it('when the status is not one of the model, then TRACKING_EVENT_INVALID', async () => {
    const w = newWaybill();
    const bad = { ...event(w, '2024-05-06 10:00', 'picked_up'), status: 'lost' } as unknown as TrackingEvent;
    await expectCourierError(() => ingestEvent(emptyTimeline(w), bad), 'TRACKING_EVENT_INVALID');
  });

  it('when rawText is missing or huge, then TRACKING_EVENT_INVALID', async () => {
    const w = newWaybill();
    const base = event(w, '2024-05-06 10:00', 'picked_up');
    await expectCourierError(() => ingestEvent(emptyTimeline(w), { ...base, rawText: undefined } as unknown as TrackingEvent), 'TRACKING_EVENT_INVALID');
    await expectCourierError(() => ingestEvent(emptyTimeline(w), { ...base, rawText: 'x'.repeat(5_000) }), 'TRACKING_EVENT_INVALID');
  });

  it('when one event of a batch is invalid, then nothing of the batch is merged', async () => {
    const w = newWaybill();
    const t = emptyTimeline(w);
    await expectCourierError(
      () => mergeEvents(t, [event(w, '2024-05-06 10:00', 'picked_up'), { ...event(w, '2024-05-06 11:00', 'in_transit'), eventTime: 'soon' }]),
      'TRACKING_EVENT_INVALID',
    );
    expect(t.events).toEqual([]);
  });

  it('when a parcel already holds the maximum number of events, then TRACKING_TOO_MANY_EVENTS (duplicates still pass)', async () => {
    const w = newWaybill();
    const start = Date.parse('2024-05-06T00:00:00+08:00');
    const many = Array.from({ length: MAX_EVENTS_PER_PARCEL }, (_, i) => ({
      waybill: w,
      eventTime: new Date(start + i * 60_000).toISOString(),
      status: 'in_transit' as const,
      rawCode: '31',
      rawText: `scan ${i}`,
    }));
    const full = mergeEvents(emptyTimeline(w), many).timeline;
    expect(mergeEvents(full, [many[0]!]).duplicates).toBe(1);
    await expectCourierError(() => ingestEvent(full, event(w, '2024-06-01 10:00', 'delivered')), 'TRACKING_TOO_MANY_EVENTS');
  });
});
