/**
 * The EMS simulator's push delivery: one ordered queue drained in the background (a request that
 * queues a push never waits for it), each attempt signed afresh (new timestamp), retried with
 * back-off until accepted or given up, held while the carrier is "down". Ordered, so that push
 * n+1 never overtakes push n: tests can reason about what arrived.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from '../../gateway/workers/backoff.js';
import type { components } from './generated/tracking-api.js';
import { EMS_PARTNER_HEADER, EMS_SIGNATURE_HEADER, EMS_TIMESTAMP_HEADER, signEmsPush } from './signature.js';

export type PushAttempt = components['schemas']['SimPushAttempt'];

export interface QueuedPush {
  url: string;
  pushId: string;
  waybillNo: string;
  /** The JSON body, serialised once: every attempt sends (and signs) the same bytes. */
  body: string;
}

export interface PushQueueOptions {
  secret: string;
  partnerId: string;
  /** Attempts per push (≥ 1). */
  attempts: number;
  /** First back-off; doubles per attempt up to maxDelayMs, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  logger: Logger;
  now: () => number;
  /** While true (a carrier outage), nothing is sent; the queue waits. */
  paused: () => boolean;
  onAttempt: (attempt: PushAttempt) => void;
}

const PUSH_TIMEOUT_MS = 5_000;
const PAUSE_POLL_MS = 20;

export class PushQueue {
  private readonly queue: QueuedPush[] = [];
  private readonly stopping = new AbortController();
  private draining: Promise<void> | undefined;

  constructor(private readonly opts: PushQueueOptions) {}

  enqueue(push: QueuedPush): void {
    if (this.stopping.signal.aborted) return;
    this.queue.push(push);
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  get pending(): number {
    return this.queue.length;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopping.signal.aborted) {
      await this.deliver(this.queue.shift()!);
    }
  }

  private async waitWhilePaused(): Promise<void> {
    while (this.opts.paused() && !this.stopping.signal.aborted) {
      await sleep(PAUSE_POLL_MS, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  private async deliver(push: QueuedPush): Promise<void> {
    const { attempts, logger } = this.opts;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      await this.waitWhilePaused();
      if (this.stopping.signal.aborted) return;
      const last = attempt === attempts;
      const record = (outcome: PushAttempt['outcome'], httpStatus?: number) => {
        const entry: PushAttempt = { pushId: push.pushId, waybillNo: push.waybillNo, attempt, outcome };
        if (httpStatus !== undefined) entry.httpStatus = httpStatus;
        this.opts.onAttempt(entry);
      };
      try {
        const timestamp = String(this.opts.now());
        const res = await fetch(push.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [EMS_PARTNER_HEADER]: this.opts.partnerId,
            [EMS_TIMESTAMP_HEADER]: timestamp,
            [EMS_SIGNATURE_HEADER]: signEmsPush(this.opts.secret, timestamp, push.body),
          },
          body: push.body,
          signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(PUSH_TIMEOUT_MS)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          record('delivered', res.status);
          logger.debug({ pushId: push.pushId, waybillNo: push.waybillNo, attempt }, 'push delivered');
          return;
        }
        record(last ? 'given_up' : 'refused', res.status);
        logger.warn({ pushId: push.pushId, waybillNo: push.waybillNo, attempt, httpStatus: res.status }, 'push refused');
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        record(last ? 'given_up' : 'failed');
        logger.warn({ pushId: push.pushId, waybillNo: push.waybillNo, attempt, error: err instanceof Error ? err.name : 'error' }, 'push failed');
      }
      if (!last) {
        const delay = backoffDelay(attempt - 1, this.opts.baseDelayMs, this.opts.maxDelayMs);
        await sleep(delay, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      }
    }
    logger.error({ pushId: push.pushId, waybillNo: push.waybillNo, attempts }, 'push given up; the history API still has the traces');
  }
}
