/**
 * Certificates over time on two in-process gateways: a district rolls its envelope-signing key.
 *
 * Liwan starts on a signing certificate that expires in 10 days: diagnostics, the gauge and the log
 * warn of it (role "signing"; its TLS certificate is fine). It rolls to a new certificate from the
 * same root and restarts; during the overlap nanhai accepts envelopes under either key, and the
 * stored history verifies for both. Nanhai's case: after its old key is revoked, a new envelope
 * under that key is refused with CERT_REVOKED while the stored ones still verify at their signing time.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeCertificate } from '../../certs/dev-pki.js';
import { sealEnvelope, type EnvelopeDraft } from '../../gateway/envelope/envelope.js';
import { createSigner } from '../../gateway/envelope/signer.js';
import { otherDistrict, type District } from '../../gateway/domain/district.js';
import { applicationFor, getJson, postJson } from '../helpers/applications.js';
import { checkArchiveHistory } from '../helpers/archive.js';
import { eventually, startTwoGateways, type TwoGateways } from '../helpers/gateways.js';
import { connectToPeerPort, refusalOf } from '../helpers/peer-attacker.js';
import { createTestPki, issueGatewayCertificate, type TestCredential, type TestPki } from '../helpers/pki.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

const NEAR_EXPIRY_DAYS = 10;

let dir: string;
let pki: TestPki;
let redis: RedisHandle;
let sys: TwoGateways;
/** The signing pair each district's gateway is (re)started with; undefined: its TLS pair (the default). */
const signing: Partial<Record<District, TestCredential>> = {};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-rotation-'));
  pki = createTestPki(path.join(dir, 'pki'));
  // Two hours past the 10th day, so "days left" is 10 for the whole test.
  signing.liwan = issueGatewayCertificate(pki, 'liwan', { name: 'liwan-signing-old', days: NEAR_EXPIRY_DAYS + 3 / 24 });
  redis = await startRedis();
  sys = await startTwoGateways({
    redisUrl: redis.url,
    name: 'rotation',
    pki,
    envFor: (d): Record<string, string> => {
      const s = signing[d];
      return s ? { KC_SIGNING_CERT: s.certPath, KC_SIGNING_KEY: s.keyPath } : {};
    },
  });
}, 120_000);

afterAll(async () => {
  await sys?.stop();
  await redis?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const prefixOf = (d: District) => sys.gateways[d].ctx.config.KC_REDIS_PREFIX;
const trustDir = () => path.join(pki.dir, 'trust');

/** A case taken in at `origin`, its application receipted by the other district. Returns the case number and the application's message id. */
async function forward(origin: District): Promise<{ caseNo: string; messageId: string }> {
  const created = await postJson(`${sys.httpUrl[origin]}/api/v1/cases`, applicationFor(otherDistrict(origin)));
  expect(created.status).toBe(201);
  const caseNo = created.body.caseNo as string;
  const application = await eventually(
    async () => (await getJson(`${sys.httpUrl[origin]}/api/v1/cases/${caseNo}`)).body.crossings?.find((x: any) => x.type === 'application' && x.delivery === 'receipted'),
    `application of ${caseNo} receipted`,
    60_000,
  );
  return { caseNo, messageId: application.id as string };
}

/** The history verdict of one stored message at `d`, checked at its signing time. */
async function storedAt(d: District, caseNo: string, messageId: string) {
  const h = (await checkArchiveHistory(redis.url, prefixOf(d), caseNo, trustDir())).find((m) => m.messageId === messageId);
  expect(h, `message ${messageId} stored at ${d}`).toBeDefined();
  return h!;
}

function logLines(since = 0): Record<string, unknown>[] {
  return sys
    .logs()
    .slice(since)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function expiryGauge(text: string, role: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('kc_certificate_expiry_days{') && l.includes(`role="${role}"`))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

/** An application under a fresh case number (9xxxxx: far from the gateways' own counters), as `origin` would send it. */
function applicationFrom(origin: District): EnvelopeDraft {
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const handling = otherDistrict(origin);
  const application = applicationFor(handling);
  return {
    id: ulid(),
    type: 'application',
    from: origin,
    to: handling,
    caseNo: `KC-${origin === 'liwan' ? 'LW' : 'NH'}-${day}-${900_000 + Math.floor(Math.random() * 99_999)}`,
    seq: 1,
    content: { matterId: application.matterId, takenInAt: new Date().toISOString(), application },
  };
}

describe('a district rolls its envelope-signing key', () => {
  it('when liwan signs with a certificate that expires within 30 days, then diagnostics, the gauge and the log warn of it; after it rolls to a new key, envelopes under both keys are delivered and the stored history verifies for both', async () => {
    const old = signing.liwan!;
    // ── Before: the expiry warning, for the signing certificate only.
    const diag = (await getJson(`${sys.httpUrl.liwan}/api/v1/diagnostics`)).body;
    expect(diag.certificates.filter((c: any) => c.role === 'signing')).toEqual([expect.objectContaining({ daysLeft: NEAR_EXPIRY_DAYS, warn: true })]);
    expect(diag.certificates.find((c: any) => c.role === 'tls')).toMatchObject({ warn: false });
    const metricsBefore = await (await fetch(`${sys.httpUrl.liwan}/metrics`)).text();
    expect(expiryGauge(metricsBefore, 'signing')).toEqual([NEAR_EXPIRY_DAYS]);
    await eventually(
      async () => logLines().some((l) => l.code === 'CERT_EXPIRING' && l.district === 'liwan' && l.role === 'signing' && l.daysLeft === NEAR_EXPIRY_DAYS),
      'CERT_EXPIRING logged for the signing certificate',
    );
    expect(logLines().some((l) => l.code === 'CERT_EXPIRING' && l.role === 'tls')).toBe(false);

    const before = await forward('liwan');

    // ── Roll: a second certificate for the same district from the same root; restart with it.
    const renewed = issueGatewayCertificate(pki, 'liwan', { name: 'liwan-signing-new' });
    expect(renewed.serialHex).not.toBe(old.serialHex);
    signing.liwan = renewed;
    const mark = sys.logs().length;
    await sys.restartGateway('liwan');
    expect(sys.gateways.liwan.ctx.signer.leaf.serialNumber.toLowerCase()).toContain(renewed.serialHex);

    const after = await forward('liwan');
    const diagAfter = (await getJson(`${sys.httpUrl.liwan}/api/v1/diagnostics`)).body;
    expect(diagAfter.certificates.find((c: any) => c.role === 'signing')).toMatchObject({ warn: false });
    expect(expiryGauge(await (await fetch(`${sys.httpUrl.liwan}/metrics`)).text(), 'signing')[0]).toBeGreaterThan(700);
    expect(logLines(mark).some((l) => l.code === 'CERT_EXPIRING' && l.district === 'liwan')).toBe(false);

    // ── Overlap: an envelope still signed with the old key (say, by a replica not yet restarted) is accepted.
    const link = connectToPeerPort({ port: sys.gateways.nanhai.ports.peer, expect: 'nanhai', roots: pki.root, client: { certPath: pki.gateways.liwan.chainPath, keyPath: pki.gateways.liwan.keyPath } });
    try {
      const oldSigner = createSigner({ district: 'liwan', privateKey: old.privateKey, chain: [old.certDer] });
      const draft = applicationFrom('liwan');
      const receipt = await link.deliver(sealEnvelope(draft, Date.now(), oldSigner));
      expect(JSON.parse(receipt.body.toString())).toMatchObject({ kind: 'receipt', envelopeId: draft.id });
      expect(await storedAt('nanhai', draft.caseNo, draft.id)).toMatchObject({ envelope: { valid: true, signerSerial: old.serialHex } });
    } finally {
      link.close();
    }

    // ── History: both keys' envelopes, as the receiver stored them and as the sender kept them.
    for (const d of ['nanhai', 'liwan'] as const) {
      expect(await storedAt(d, before.caseNo, before.messageId)).toMatchObject({ envelope: { valid: true, signerSerial: old.serialHex }, receipt: { valid: true }, receiptMatches: true });
      expect(await storedAt(d, after.caseNo, after.messageId)).toMatchObject({ envelope: { valid: true, signerSerial: renewed.serialHex }, receipt: { valid: true }, receiptMatches: true });
    }
  }, 180_000);

  it('rotation-old-key-revoked-refuses-new-envelopes: when nanhai has rolled its key and the old certificate is revoked, then a new envelope under the old key is refused with CERT_REVOKED while the stored ones still verify at their signing time', async () => {
    const old = issueGatewayCertificate(pki, 'nanhai', { name: 'nanhai-signing-old' });
    signing.nanhai = old;
    await sys.restartGateway('nanhai');
    const underOld = await forward('nanhai');

    signing.nanhai = issueGatewayCertificate(pki, 'nanhai', { name: 'nanhai-signing-new' });
    await sys.restartGateway('nanhai');
    // Everything the old key signed, it signed before this moment (the gateway holding it has stopped).
    const rolledAt = Date.now();
    const underNew = await forward('nanhai');

    // CRL times are whole seconds: revoke in a later second than the old key's last signature.
    await eventually(async () => Math.floor(Date.now() / 1000) > Math.floor(rolledAt / 1000), 'the next second');
    revokeCertificate(pki.dir, old.certPath);
    expect(sys.gateways.liwan.ctx.trust.reload()).toBe(true);

    const link = connectToPeerPort({ port: sys.gateways.liwan.ports.peer, expect: 'liwan', roots: pki.root, client: { certPath: pki.gateways.nanhai.chainPath, keyPath: pki.gateways.nanhai.keyPath } });
    const mark = sys.logs().length;
    try {
      const oldSigner = createSigner({ district: 'nanhai', privateKey: old.privateKey, chain: [old.certDer] });
      const draft = applicationFrom('nanhai');
      const refusal = await refusalOf(link.deliver(sealEnvelope(draft, Date.now(), oldSigner)));
      expect(refusal.code).toBe('CERT_REVOKED');
      expect(await sys.gateways.liwan.ctx.store.getCase(draft.caseNo)).toBeNull();
      // The same envelope under the new key is accepted: the refusal was the revoked key's alone.
      const newSigner = createSigner({ district: 'nanhai', privateKey: signing.nanhai.privateKey, chain: [signing.nanhai.certDer] });
      await link.deliver(sealEnvelope(draft, Date.now(), newSigner));
    } finally {
      link.close();
    }
    expect(logLines(mark).some((l) => l.code === 'CERT_REVOKED' && l.district === 'liwan')).toBe(true);

    // Stored at liwan (received) and at nanhai (sent): still valid at the time they were signed.
    for (const d of ['liwan', 'nanhai'] as const) {
      expect(await storedAt(d, underOld.caseNo, underOld.messageId)).toMatchObject({ envelope: { valid: true, signerSerial: old.serialHex }, receipt: { valid: true } });
      expect(await storedAt(d, underNew.caseNo, underNew.messageId)).toMatchObject({ envelope: { valid: true } });
    }
  }, 180_000);
});
