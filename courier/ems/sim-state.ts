/**
 * What the EMS simulator holds (in memory): parcels with their scripts and released histories,
 * subscriptions, the push log and the configuration, and the operations the EMS routes and the
 * control routes share. No HTTP here: ./sim-api.ts and ./sim-control.ts translate.
 */
import { formatBeijingLocal } from '../../adapters/beijing-time.js';
import type { components } from './generated/tracking-api.js';
import type { ScriptedTrace } from './sim-journeys.js';
import type { PushAttempt, QueuedPush } from './sim-pushes.js';

type Schemas = components['schemas'];

export interface SimParcel {
  waybillNo: string;
  script: ScriptedTrace[];
  /** Index of the next scripted trace to release. */
  next: number;
  /** Released traces in release order, a trace recorded twice appearing twice. */
  history: ScriptedTrace[];
  pushesDelivered: number;
}

export interface SimSubscription {
  subscriptionId: string;
  waybillNo: string;
  callbackUrl: string;
  subscribedAt: number;
}

const MAX_PUSH_LOG = 10_000;

/** As EMS lists a history: newest first by opTime (the format sorts as text), later release first on ties. */
export function newestFirst(history: readonly ScriptedTrace[]): Schemas['EmsTrace'][] {
  return history
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (a.t.opTime < b.t.opTime ? 1 : a.t.opTime > b.t.opTime ? -1 : b.i - a.i))
    .map(({ t: { recordedTwice: _ignored, ...wire } }) => wire);
}

export class EmsSimState {
  readonly parcels = new Map<string, SimParcel>();
  readonly subscriptions = new Map<string, SimSubscription>();
  readonly pushLog: PushAttempt[] = [];
  readonly config: Schemas['SimConfig'] = { outage: false, pushesEnabled: true, slowMs: 0 };
  private nextSubscription = 1;
  private nextPush = 1;

  constructor(
    private readonly now: () => number,
    /** Hands a push to the delivery queue. */
    private readonly send: (push: QueuedPush) => void,
  ) {}

  /** Idempotent on waybillNo: a repeat updates the callback URL and keeps the subscription. */
  subscribe(waybillNo: string, callbackUrl: string): { subscription: SimSubscription; created: boolean } {
    const existing = this.subscriptions.get(waybillNo);
    if (existing) {
      existing.callbackUrl = callbackUrl;
      return { subscription: existing, created: false };
    }
    const subscription: SimSubscription = {
      subscriptionId: `SUB${String(this.nextSubscription++).padStart(12, '0')}`,
      waybillNo,
      callbackUrl,
      subscribedAt: this.now(),
    };
    this.subscriptions.set(waybillNo, subscription);
    // The traces it already has are pushed at once, as EMS does on a new subscription.
    this.queuePush(waybillNo);
    return { subscription, created: true };
  }

  /** The history EMS would answer, or undefined when it has no trace of the waybill. */
  history(waybillNo: string): Schemas['EmsTrace'][] | undefined {
    const parcel = this.parcels.get(waybillNo);
    return parcel && parcel.history.length > 0 ? newestFirst(parcel.history) : undefined;
  }

  addParcel(waybillNo: string, script: ScriptedTrace[]): SimParcel | undefined {
    if (this.parcels.has(waybillNo)) return undefined;
    const parcel: SimParcel = { waybillNo, script, next: 0, history: [], pushesDelivered: 0 };
    this.parcels.set(waybillNo, parcel);
    return parcel;
  }

  /** Releases up to `count` scripted traces and queues the push(es); the released traces. */
  advance(parcel: SimParcel, count: number, pushes: number): ScriptedTrace[] {
    const released = parcel.script.slice(parcel.next, parcel.next + count);
    for (const t of released) {
      parcel.history.push(t);
      if (t.recordedTwice) parcel.history.push(t);
    }
    parcel.next += released.length;
    this.queuePush(parcel.waybillNo, pushes);
    return released;
  }

  recordAttempt(attempt: PushAttempt): void {
    if (this.pushLog.length >= MAX_PUSH_LOG) this.pushLog.shift();
    this.pushLog.push(attempt);
    const parcel = this.parcels.get(attempt.waybillNo);
    if (parcel && attempt.outcome === 'delivered') parcel.pushesDelivered += 1;
  }

  view(parcel: SimParcel): Schemas['SimParcel'] {
    return {
      waybillNo: parcel.waybillNo,
      released: parcel.history.length,
      remaining: parcel.script.length - parcel.next,
      subscribed: this.subscriptions.has(parcel.waybillNo),
      pushesDelivered: parcel.pushesDelivered,
    };
  }

  /** The full history, newest first, to the subscriber — `times` pushes with their own pushIds. */
  private queuePush(waybillNo: string, times = 1): void {
    const subscription = this.subscriptions.get(waybillNo);
    const parcel = this.parcels.get(waybillNo);
    if (!subscription || !parcel || parcel.history.length === 0 || !this.config.pushesEnabled) return;
    for (let i = 0; i < times; i++) {
      const body: Schemas['EmsPush'] = {
        pushId: `EMSP${String(this.nextPush++).padStart(10, '0')}`,
        waybillNo,
        pushTime: formatBeijingLocal(this.now()),
        traces: newestFirst(parcel.history),
      };
      this.send({ url: subscription.callbackUrl, pushId: body.pushId, waybillNo, body: JSON.stringify(body) });
    }
  }
}
