/**
 * Prometheus metrics of one gateway, on a registry of its own: two gateways run in one test process,
 * so nothing goes to prom-client's global default registry. Every series carries `district`.
 *
 * Counters and the histogram are bumped where things happen (dispatcher, inbound, watcher, the
 * adapter and courier wrappers in ./instrument.ts). Gauges that describe stored state — queue depths,
 * cases by deadline, certificate expiry — are read on scrape (`observe(ctx)`), so replicas never
 * disagree about them and nothing has to keep them in step.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import type { GatewayContext } from '../context.js';
import type { ErrorCode } from '../errors.js';
import { certificateReport } from '../ops/certificates.js';
import { DEADLINE_BUCKETS, deadlineStateCounter } from './deadline-states.js';
import { createPeerLink, type PeerLink } from './peer-link.js';

/** What the peer's answer to an inbound envelope was: applied now, held for an earlier one, or a duplicate. */
export type ReceivedOutcome = 'applied' | 'held' | 'duplicate';

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The peer link as this process last saw it (diagnostics, readiness). */
  readonly peerLink: PeerLink;
  /** An outgoing envelope came back with a verified receipt, `seconds` after it was sent. */
  envelopeSent(type: string, seconds: number): void;
  /** A delivery attempt failed with `code` (PEER_UNAVAILABLE or the peer's refusal). */
  deliveryFailed(code: ErrorCode): void;
  envelopeReceived(type: string, outcome: ReceivedOutcome): void;
  /** An inbound envelope was refused (any code: transport identity, verification, sequence, store). */
  envelopeRejected(code: string): void;
  approvalCall(operation: string): void;
  approvalError(operation: string, code: string): void;
  courierCall(operation: string): void;
  courierError(operation: string, code: string): void;
  cardIssued(kind: string): void;
  /** Registers the gauges read from the store, the deadline watch and the certificates on each scrape. */
  observe(ctx: GatewayContext): void;
}

export interface MetricsOptions {
  district: string;
  clock: Clock;
  /** Default process metrics (CPU, memory, event loop, GC); on unless a test context turns them off. */
  processMetrics?: boolean;
}

export function createGatewayMetrics(opts: MetricsOptions): GatewayMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ district: opts.district });
  // Process metrics under their usual names (process_*, nodejs_*), which dashboards expect.
  if (opts.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const sent = new Counter({ name: 'kc_envelopes_sent_total', help: 'Envelopes delivered to the peer gateway and receipted, by envelope type.', labelNames: ['type'], registers });
  const deliveryFailures = new Counter({
    name: 'kc_envelope_delivery_failures_total',
    help: 'Failed delivery attempts to the peer gateway, by error code (PEER_UNAVAILABLE or the peer’s refusal).',
    labelNames: ['code'],
    registers,
  });
  const receiptLatency = new Histogram({
    name: 'kc_envelope_receipt_seconds',
    help: 'From sending an envelope to holding the peer’s verified signed receipt.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const received = new Counter({
    name: 'kc_envelopes_received_total',
    help: 'Envelopes accepted from the peer gateway and receipted, by type and outcome (applied, held, duplicate).',
    labelNames: ['type', 'outcome'],
    registers,
  });
  const rejected = new Counter({ name: 'kc_envelopes_rejected_total', help: 'Envelopes from the peer gateway that were refused, by error code.', labelNames: ['code'], registers });
  const approvalCalls = new Counter({ name: 'kc_approval_requests_total', help: 'Calls to the approval system through the adapter, by operation.', labelNames: ['operation'], registers });
  const approvalErrors = new Counter({
    name: 'kc_approval_errors_total',
    help: 'Adapter calls to the approval system that failed, by operation and adapter error code.',
    labelNames: ['operation', 'code'],
    registers,
  });
  const courierCalls = new Counter({ name: 'kc_courier_requests_total', help: 'Calls to the courier tracking API, by operation.', labelNames: ['operation'], registers });
  const courierErrors = new Counter({
    name: 'kc_courier_errors_total',
    help: 'Calls to the courier tracking API that failed, by operation and courier error code.',
    labelNames: ['operation', 'code'],
    registers,
  });
  const cards = new Counter({ name: 'kc_cards_issued_total', help: '电子监察 cards issued by this district, by kind (pre_warning, yellow, red).', labelNames: ['kind'], registers });

  const peerLink = createPeerLink();
  let observing = false;

  return {
    registry,
    peerLink,
    envelopeSent(type, seconds) {
      sent.inc({ type });
      receiptLatency.observe(seconds);
      peerLink.delivered(opts.clock.now());
    },
    deliveryFailed(code) {
      deliveryFailures.inc({ code });
      peerLink.failed(code, opts.clock.now());
    },
    envelopeReceived: (type, outcome) => received.inc({ type, outcome }),
    envelopeRejected: (code) => rejected.inc({ code }),
    approvalCall: (operation) => approvalCalls.inc({ operation }),
    approvalError: (operation, code) => approvalErrors.inc({ operation, code }),
    courierCall: (operation) => courierCalls.inc({ operation }),
    courierError: (operation, code) => courierErrors.inc({ operation, code }),
    cardIssued: (kind) => cards.inc({ kind }),
    observe(ctx) {
      if (observing) return;
      observing = true;
      // A gauge that cannot be read (Redis away, say) keeps its last values rather than failing the whole page.
      const quietly = async (read: () => Promise<void>) => {
        try {
          await read();
        } catch (err) {
          ctx.logger.debug({ err: (err as Error).message }, 'metrics: a stored gauge could not be read');
        }
      };
      const depth = (queue: 'outbox' | 'dead') =>
        function (this: Gauge) {
          return quietly(async () => this.set((await ctx.store.outboxDepth())[queue]));
        };
      new Gauge({ name: 'kc_outbox_depth', help: 'Envelopes waiting in the outbox for delivery to the peer.', registers, collect: depth('outbox') });
      new Gauge({ name: 'kc_dead_letter_depth', help: 'Envelopes in the dead-letter queue, waiting for staff to resend them.', registers, collect: depth('dead') });

      const countDeadlines = deadlineStateCounter(ctx);
      new Gauge({
        name: 'kc_cases_by_deadline',
        help: 'Open cases handled by this district by deadline state (not_started, paused, green, yellow, red); refreshed at most once a minute.',
        labelNames: ['state'],
        registers,
        collect() {
          return quietly(async () => {
            const counts = await countDeadlines();
            for (const state of DEADLINE_BUCKETS) this.set({ state }, counts[state]);
          });
        },
      });

      new Gauge({
        name: 'kc_audit_log_entries',
        help: 'Entries of the audit log held in Redis (archived ones not counted); archive it before KC_AUDIT_WARN_ENTRIES.',
        registers,
        collect() {
          return quietly(async () => this.set(await ctx.audit.liveLength()));
        },
      });

      new Gauge({
        name: 'kc_certificate_expiry_days',
        help: 'Whole days until each certificate the gateway depends on expires (negative once expired).',
        labelNames: ['role', 'subject'],
        registers,
        collect() {
          return quietly(async () => {
            const report = certificateReport(ctx);
            this.reset();
            for (const c of report) this.set({ role: c.role, subject: c.subject }, c.daysLeft);
          });
        },
      });
    },
  };
}
