/**
 * Operations on two in-process gateways: Prometheus metrics move when envelopes cross or are refused,
 * /readyz names the dependency that is away, and diagnostics warn of a certificate close to expiry.
 *
 * Liwan runs with a gateway certificate (TLS and signing) that expires in 10 days — valid, so
 * everything works, but diagnostics, the gauge and the start-up log must all warn of it.
 */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateProfile } from '../../certs/dev-pki.js';
import { createCertificate, generateKeyPair } from '../../certs/pki.js';
import type { District } from '../../gateway/domain/district.js';
import { otherDistrict } from '../../gateway/domain/district.js';
import { recordCourierPush } from '../../gateway/ops/courier-push.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { connectToPeerPort, refusalOf } from '../helpers/peer-attacker.js';
import { createTestPki, type TestPki } from '../helpers/pki.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const DAY_MS = 86_400_000;
const NEAR_EXPIRY_DAYS = 10;

let redis: RedisHandle;
let sys: TwoGateways;
let pki: TestPki;
let dir: string;

/** A liwan gateway certificate like the real one, from the same root, that expires in NEAR_EXPIRY_DAYS. */
function nearExpiryLiwanCert(): { certPath: string; keyPath: string } {
  const { days: _days, ...profile } = certificateProfile({ kind: 'gateway', district: 'liwan' });
  const { privateKey, publicKey } = generateKeyPair();
  const now = Date.now();
  const cert = createCertificate({
    ...profile,
    issuer: { certDer: pki.root.certDer, privateKey: pki.root.privateKey },
    publicKey,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + NEAR_EXPIRY_DAYS * DAY_MS + 3_600_000),
  });
  const folder = path.join(dir, 'near-expiry');
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  const certPath = path.join(folder, 'gateway.pem');
  const keyPath = path.join(folder, 'gateway-key.pem');
  fs.writeFileSync(certPath, cert.pem);
  fs.writeFileSync(keyPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { certPath, keyPath };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(tmpdir(), 'kc-ops-'));
  pki = createTestPki(path.join(dir, 'pki'));
  const near = nearExpiryLiwanCert();
  redis = await startRedis();
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'ops',
    pki,
    envFor: (d): Record<string, string> => (d === 'liwan' ? { KC_TLS_CERT: near.certPath, KC_TLS_KEY: near.keyPath } : {}),
  });
});

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples (enough of the format for our own output). */
function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(d: District): Promise<Sample[]> {
  const res = await fetch(`${sys.httpUrl[d]}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseMetrics(await res.text());
}

/** Sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Forwards an application from `origin` and waits until the peer's receipt for it is stored. */
async function forwardAndWaitReceipted(origin: District): Promise<string> {
  const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(otherDistrict(origin)));
  expect(created.status).toBe(201);
  const caseNo = created.body.caseNo as string;
  await eventually(async () => {
    const r = await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`);
    return r.body.crossings?.find((c: any) => c.type === 'application' && c.delivery === 'receipted');
  }, 'application receipted');
  return caseNo;
}

describe('metrics', () => {
  it('when a case is forwarded, then the sender counts the envelope sent and its receipt latency, and the receiver counts it received', async () => {
    const [sentBefore, receivedBefore] = [await scrape('liwan'), await scrape('nanhai')];
    await forwardAndWaitReceipted('liwan');
    const [sent, received] = [await scrape('liwan'), await scrape('nanhai')];

    expect(total(sent, 'kc_envelopes_sent_total', { type: 'application', district: 'liwan' })).toBe(
      total(sentBefore, 'kc_envelopes_sent_total', { type: 'application' }) + 1,
    );
    expect(total(sent, 'kc_envelope_receipt_seconds_count')).toBeGreaterThan(total(sentBefore, 'kc_envelope_receipt_seconds_count'));
    expect(total(sent, 'kc_envelope_receipt_seconds_sum')).toBeGreaterThan(0);
    expect(total(received, 'kc_envelopes_received_total', { type: 'application', outcome: 'applied', district: 'nanhai' })).toBe(
      total(receivedBefore, 'kc_envelopes_received_total', { type: 'application', outcome: 'applied' }) + 1,
    );
    // The handling side submitted it to its approval system through the counted adapter.
    await eventually(async () => total(await scrape('nanhai'), 'kc_approval_requests_total', { operation: 'submit' }) > 0, 'submit counted');
  });

  it('when the page is scraped, then queue depths, deadline states, certificate expiry and process metrics are on it', async () => {
    const samples = await scrape('nanhai');
    const names = new Set(samples.map((s) => s.name));
    for (const name of ['kc_outbox_depth', 'kc_dead_letter_depth', 'kc_certificate_expiry_days', 'process_cpu_user_seconds_total', 'nodejs_heap_size_used_bytes']) {
      expect(names, name).toContain(name);
    }
    for (const state of ['not_started', 'paused', 'green', 'yellow', 'red']) {
      expect(samples.some((s) => s.name === 'kc_cases_by_deadline' && s.labels.state === state), state).toBe(true);
    }
    expect(samples.every((s) => s.labels.district === undefined || s.labels.district === 'nanhai')).toBe(true);
  });

  it('when the peer delivers an envelope that is not a protobuf message, then the refusal is counted by its code', async () => {
    const before = total(await scrape('liwan'), 'kc_envelopes_rejected_total', { code: 'ENVELOPE_MALFORMED' });
    const link = connectToPeerPort({ port: sys.gateways.liwan.ports.peer, expect: 'liwan', roots: pki.root, client: pki.gateways.nanhai });
    try {
      const refusal = await refusalOf(link.deliverRaw(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])));
      expect(refusal.code).toBe('ENVELOPE_MALFORMED');
    } finally {
      link.close();
    }
    expect(total(await scrape('liwan'), 'kc_envelopes_rejected_total', { code: 'ENVELOPE_MALFORMED' })).toBe(before + 1);
  });
});

describe('diagnostics', () => {
  it('when the gateway certificate expires within 30 days, then diagnostics, the gauge and the start-up log warn of it', async () => {
    const diag = (await getJson(`${sys.httpUrl.liwan}/api/v1/diagnostics`)).body;
    const byRole = (role: string) => diag.certificates.filter((c: any) => c.role === role);
    for (const role of ['signing', 'tls']) {
      expect(byRole(role), role).toHaveLength(1);
      expect(byRole(role)[0]).toMatchObject({ daysLeft: NEAR_EXPIRY_DAYS, warn: true });
      expect(byRole(role)[0].subject).toMatch(/CN=/);
      expect(Date.parse(byRole(role)[0].notAfter)).toBeGreaterThan(Date.now());
    }
    expect(byRole('root').length).toBeGreaterThan(0);
    expect(byRole('root').every((c: any) => c.warn === false)).toBe(true);

    const nanhai = (await getJson(`${sys.httpUrl.nanhai}/api/v1/diagnostics`)).body;
    expect(nanhai.certificates.every((c: any) => c.warn === false)).toBe(true);

    const gauge = (await scrape('liwan')).filter((s) => s.name === 'kc_certificate_expiry_days' && s.labels.role === 'tls');
    expect(gauge.map((s) => s.value)).toEqual([NEAR_EXPIRY_DAYS]);

    const warnings = sys
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.code === 'CERT_EXPIRING');
    expect(warnings.some((l) => l.district === 'liwan' && l.role === 'signing' && l.daysLeft === NEAR_EXPIRY_DAYS)).toBe(true);
    expect(warnings.some((l) => l.district === 'nanhai')).toBe(false);
  });

  it('when envelopes have crossed, then diagnostics show the peer link up with its last success, the queues and the last courier push', async () => {
    await forwardAndWaitReceipted('nanhai');
    const before = (await getJson(`${sys.httpUrl.nanhai}/api/v1/diagnostics`)).body;
    expect(before.peer).toMatchObject({ status: 'up' });
    expect(Date.parse(before.peer.lastSuccessAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(before.queues).toEqual({ outbox: expect.any(Number), dead: expect.any(Number) });
    expect(before.courier).toEqual({ lastPushAt: null });

    await recordCourierPush(sys.gateways.nanhai.ctx);
    const after = (await getJson(`${sys.httpUrl.nanhai}/api/v1/diagnostics`)).body;
    expect(Date.parse(after.courier.lastPushAt)).toBeGreaterThan(Date.now() - 60_000);
  });
});

// These take parts of the system down; they come last and each asserts only the part it took down.
describe('readiness', () => {
  it('when everything is up, then /readyz answers 200 with each check', async () => {
    for (const d of ['liwan', 'nanhai'] as const) {
      const r = await eventually(async () => {
        const res = await getJson(`${sys.httpUrl[d]}/readyz`);
        return res.status === 200 ? res : undefined;
      }, `${d} ready`);
      expect(r.body).toEqual({ status: 'ready', checks: { redis: true, peer: true, approval: true } });
    }
  });

  it('when the approval system is stopped, then /readyz answers 503 naming approval', async () => {
    await sys.simulators.liwan.stop();
    const started = Date.now();
    const res = await fetch(`${sys.httpUrl.liwan}/readyz`);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'not_ready', checks: { redis: true, approval: false } });
  });

  it('when the peer gateway is stopped, then /readyz answers 503 naming the peer, and diagnostics show the link down', async () => {
    await sys.stopGateway('nanhai');
    const body = await eventually(async () => {
      const res = await fetch(`${sys.httpUrl.liwan}/readyz`);
      const b = (await res.json()) as { status: string; checks: Record<string, boolean> };
      return res.status === 503 && b.checks.peer === false ? b : undefined;
    }, 'peer not ready');
    expect(body).toMatchObject({ status: 'not_ready', checks: { redis: true, peer: false } });
    const diag = (await getJson(`${sys.httpUrl.liwan}/api/v1/diagnostics`)).body;
    expect(diag.peer.status).toBe('down');
  });
});
