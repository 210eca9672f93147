/**
 * The pure parts of operations: the peer link record, deadline buckets, certificate expiry, the
 * readiness checks' timeouts, the per-gateway registry and the adapter wrapper's counting.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AdapterError, type ApprovalAdapter } from '../../../adapters/adapter.js';
import { createCertificate, generateKeyPair } from '../../../certs/pki.js';
import { deadlineBucket } from '../../../gateway/metrics/deadline-states.js';
import { errorCodeLabel, instrumentAdapter } from '../../../gateway/metrics/instrument.js';
import { createGatewayMetrics } from '../../../gateway/metrics/metrics.js';
import { createPeerLink } from '../../../gateway/metrics/peer-link.js';
import { CERT_WARN_DAYS, certificateStatus } from '../../../gateway/ops/certificates.js';
import { readinessCheck, within } from '../../../gateway/ops/readiness.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T01:00:00Z');
const clock = { now: () => T0 };

function certExpiringIn(days: number): X509Certificate {
  const { privateKey, publicKey } = generateKeyPair();
  const cert = createCertificate({
    subject: { commonName: 'Kuacheng Test Gateway', organization: 'Kuacheng' },
    issuer: { selfSigned: true, privateKey },
    publicKey,
    notBefore: new Date(T0 - 300 * DAY),
    notAfter: new Date(T0 + days * DAY + 3_600_000),
    basicConstraints: { isCa: true, pathLen: 0 },
    keyUsage: { keyCertSign: true, cRLSign: true },
  });
  return new X509Certificate(cert.pem);
}

async function value(metrics: ReturnType<typeof createGatewayMetrics>, name: string, labels: Record<string, string> = {}): Promise<number> {
  // As exposed (with the registry's default labels), not as the metric object holds it.
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const hit = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return hit?.value ?? 0;
}

describe('peer link', () => {
  it('when nothing was tried yet, then the link is unknown', () => {
    expect(createPeerLink().snapshot()).toEqual({ status: 'unknown', lastSuccessAt: null, lastFailureAt: null, lastError: null });
  });

  it('when a delivery is receipted and a later one cannot reach the peer, then the link is down with the code', () => {
    const link = createPeerLink();
    link.delivered(T0);
    link.failed('PEER_UNAVAILABLE', T0 + 1000);
    expect(link.snapshot()).toEqual({
      status: 'down',
      lastSuccessAt: new Date(T0).toISOString(),
      lastFailureAt: new Date(T0 + 1000).toISOString(),
      lastError: 'PEER_UNAVAILABLE',
    });
  });

  it('when the peer refuses an envelope, then the link is up (it answered) and the refusal code is kept', () => {
    const link = createPeerLink();
    link.failed('ENVELOPE_REPLAYED', T0);
    expect(link.snapshot()).toMatchObject({ status: 'up', lastError: 'ENVELOPE_REPLAYED' });
  });

  it('when the readiness probe cannot reach the peer, then the link is down', () => {
    const link = createPeerLink();
    link.delivered(T0);
    link.probed(false);
    expect(link.snapshot().status).toBe('down');
  });
});

describe('deadline buckets', () => {
  it.each([
    [{ state: 'not_started', overdue: false, remainingDays: 20 }, 'not_started'],
    [{ state: 'paused', overdue: false, remainingDays: 3 }, 'paused'],
    [{ state: 'running', overdue: false, remainingDays: 3 }, 'green'],
    [{ state: 'running', overdue: false, remainingDays: 2 }, 'yellow'],
    [{ state: 'running', overdue: false, remainingDays: 0 }, 'yellow'],
    [{ state: 'running', overdue: true, remainingDays: -1 }, 'red'],
    [{ state: 'completed', overdue: true, remainingDays: -1 }, undefined],
  ] as const)('when the deadline view is %o with 2 pre-warning days, then the bucket is %s', (view, bucket) => {
    expect(deadlineBucket(view, 2)).toBe(bucket);
  });
});

describe('certificate expiry', () => {
  it(`when a certificate has ${CERT_WARN_DAYS} days or fewer left, then it warns; with more, it does not`, () => {
    const soon = certificateStatus('tls', certExpiringIn(10), T0);
    expect(soon).toMatchObject({ role: 'tls', daysLeft: 10, warn: true });
    expect(soon.subject).toContain('CN=Kuacheng Test Gateway');
    expect(Date.parse(soon.notAfter)).toBe(T0 + 10 * DAY + 3_600_000);
    expect(certificateStatus('root', certExpiringIn(30), T0)).toMatchObject({ daysLeft: 30, warn: true });
    expect(certificateStatus('root', certExpiringIn(31), T0)).toMatchObject({ daysLeft: 31, warn: false });
  });

  it('when a certificate has expired, then days left are negative and it warns', () => {
    expect(certificateStatus('signing', certExpiringIn(-3), T0)).toMatchObject({ daysLeft: -3, warn: true });
  });
});

describe('readiness', () => {
  const healthy = { health: () => ({ circuit: 'closed' as const, window: { attempts: 0, failures: 0, shortCircuited: 0 } }) };

  it('when a check hangs, then it counts as failed after the timeout instead of holding the answer', async () => {
    const started = Date.now();
    expect(await within(50, () => new Promise(() => undefined))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await within(50, () => Promise.reject(new Error('down')))).toBe(false);
    expect(await within(50, async () => 'PONG')).toBe(true);
  });

  it('when redis answers, the peer probe fails and the approval circuit is open, then the checks say so and the link is marked down', async () => {
    const link = createPeerLink();
    const check = readinessCheck({
      redis: { ping: async () => 'PONG' },
      peer: { probe: async () => false },
      adapter: { health: () => ({ ...healthy.health(), circuit: 'open' as const }) },
      approvalUrl: 'http://127.0.0.1:9/',
      peerLink: link,
      timeoutMs: 200,
    });
    expect(await check()).toEqual({ redis: true, peer: false, approval: false });
    expect(link.snapshot().status).toBe('down');
  });

  it('when two probes arrive together, then they share one round of checks', async () => {
    let pings = 0;
    const check = readinessCheck({
      redis: { ping: async () => void pings++ },
      peer: { probe: async () => true },
      adapter: healthy,
      approvalUrl: 'http://127.0.0.1:9/',
      timeoutMs: 200,
    });
    const [a, b] = await Promise.all([check(), check()]);
    expect(a).toBe(b);
    expect(pings).toBe(1);
  });
});

describe('metrics registry', () => {
  it('when two gateways run in one process, then each has its own registry and series carry its district', async () => {
    const liwan = createGatewayMetrics({ district: 'liwan', clock, processMetrics: false });
    const nanhai = createGatewayMetrics({ district: 'nanhai', clock, processMetrics: false });
    liwan.envelopeSent('application', 0.02);
    liwan.envelopeRejected('BAD_SIGNATURE');
    expect(await value(liwan, 'kc_envelopes_sent_total', { type: 'application', district: 'liwan' })).toBe(1);
    expect(await value(nanhai, 'kc_envelopes_sent_total')).toBe(0);
    expect(await liwan.registry.metrics()).toMatch(/kc_envelopes_rejected_total\{code="BAD_SIGNATURE",district="liwan"\} 1/);
    expect(liwan.peerLink.snapshot()).toMatchObject({ status: 'up', lastSuccessAt: new Date(T0).toISOString() });
  });

  it('when process metrics are on, then the default Node metrics are on the gateway registry', async () => {
    const m = createGatewayMetrics({ district: 'liwan', clock });
    expect(await m.registry.metrics()).toContain('process_cpu_user_seconds_total');
  });
});

describe('adapter instrumentation', () => {
  const fake = {
    district: 'nanhai',
    submit: async () => ({ localNo: 'NH-1' }),
    getStatus: async () => {
      throw new AdapterError('APPROVAL_UNAVAILABLE', 'down');
    },
    parseCallback: () => {
      throw new AdapterError('CALLBACK_UNAUTHENTICATED', 'bad mac');
    },
    health: () => ({ circuit: 'closed', window: { attempts: 0, failures: 0, shortCircuited: 0 } }),
  } as unknown as ApprovalAdapter;

  it('when adapter calls succeed or fail, then calls are counted by operation and failures by operation and code', async () => {
    const metrics = createGatewayMetrics({ district: 'nanhai', clock, processMetrics: false });
    const adapter = instrumentAdapter(fake, metrics);
    await adapter.submit({} as never);
    await expect(adapter.getStatus('NH-1')).rejects.toMatchObject({ code: 'APPROVAL_UNAVAILABLE' });
    expect(() => adapter.parseCallback(Buffer.alloc(0), {})).toThrow(AdapterError);
    expect(await value(metrics, 'kc_approval_requests_total', { operation: 'submit' })).toBe(1);
    expect(await value(metrics, 'kc_approval_errors_total', { operation: 'getStatus', code: 'APPROVAL_UNAVAILABLE' })).toBe(1);
    expect(await value(metrics, 'kc_approval_errors_total', { operation: 'parseCallback', code: 'CALLBACK_UNAUTHENTICATED' })).toBe(1);
    expect(adapter.district).toBe('nanhai');
  });

  it('when an error carries no stable code, then it is labelled UNEXPECTED (never a free-text label)', () => {
    expect(errorCodeLabel(new Error('boom'))).toBe('UNEXPECTED');
    expect(errorCodeLabel({ code: 'lower case text' })).toBe('UNEXPECTED');
    expect(errorCodeLabel({ code: 'COURIER_UNAVAILABLE' })).toBe('COURIER_UNAVAILABLE');
  });
});
