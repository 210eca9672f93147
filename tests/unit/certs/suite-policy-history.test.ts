/**
 * What a receiver accepts (KC_ACCEPTED_SUITES), what a gateway may sign with (KC_SIGNATURE_SUITE
 * and its key), and the history verifier: stored messages checked at the time they were signed,
 * so that an expired, replaced or later-revoked key's envelopes stay verifiable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeCertificate } from '../../../certs/dev-pki.js';
import { ConfigError, parseConfig } from '../../../gateway/config.js';
import { openEnvelope, openReceipt, sealEnvelope, sealReceipt, type EnvelopeDraft, type VerifyContext } from '../../../gateway/envelope/envelope.js';
import { verifyAtSigningTime } from '../../../gateway/envelope/history.js';
import { createSigner, signerFromConfig, type Signer } from '../../../gateway/envelope/signer.js';
import { TrustStore } from '../../../gateway/envelope/trust-store.js';
import { AppError } from '../../../gateway/errors.js';
import { createTestPki, issueGatewayCertificate, type TestCredential, type TestPki } from '../../helpers/pki.js';

const DAY = 86_400_000;
let tmp: string;
let pki: TestPki;
let trust: TrustStore;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-suite-policy-'));
  // Made 4 days ago, so that the root was already valid when the history tests' messages were signed.
  pki = createTestPki(path.join(tmp, 'pki'), { now: new Date(Date.now() - 4 * DAY) });
  trust = new TrustStore(path.join(pki.dir, 'trust'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
  return 'ACCEPTED';
};
const draft = (): EnvelopeDraft => ({
  id: ulid(),
  type: 'status',
  from: 'liwan',
  to: 'nanhai',
  caseNo: 'KC-LW-20260301-000002',
  seq: 2,
  content: { state: 'accepted', localNo: 'LW-2', at: new Date().toISOString(), note: '' },
});
const signerOf = (cred: TestCredential, suite: 'ECDSA-P256-SHA256' | 'SM2-SM3' = 'ECDSA-P256-SHA256', district: 'liwan' | 'nanhai' = 'liwan'): Signer =>
  createSigner({ district, privateKey: cred.privateKey, chain: [cred.certDer], suite });
const ctx = (overrides: Partial<VerifyContext> = {}): VerifyContext => ({ trust, nowMs: Date.now(), self: 'nanhai', skewMs: 300_000, maxBytes: 1 << 20, ...overrides });

describe('accepted suites', () => {
  it('when a receiver accepts only ECDSA, then an SM2-SM3 envelope is refused with UNSUPPORTED_SUITE and an ECDSA one is opened', () => {
    const onlyEcdsa = ctx({ acceptedSuites: ['ECDSA-P256-SHA256'] });
    expect(codeOf(() => openEnvelope(sealEnvelope(draft(), Date.now(), signerOf(pki.signingSm2.liwan, 'SM2-SM3')), onlyEcdsa))).toBe('UNSUPPORTED_SUITE');
    expect(codeOf(() => openEnvelope(sealEnvelope(draft(), Date.now(), signerOf(pki.gateways.liwan)), onlyEcdsa))).toBe('ACCEPTED');
  });

  it('when a receiver accepts both suites, then an SM2-SM3 envelope is opened and names its suite', () => {
    const opened = openEnvelope(sealEnvelope(draft(), Date.now(), signerOf(pki.signingSm2.liwan, 'SM2-SM3')), ctx());
    expect(opened.parsed.suite).toBe('SM2-SM3');
  });

  it('when a receipt names a suite the sender of the envelope does not accept, then it is refused with UNSUPPORTED_SUITE, not RECEIPT_INVALID', () => {
    const sent = sealEnvelope(draft(), Date.now(), signerOf(pki.gateways.liwan));
    const opened = openEnvelope(sent, ctx());
    const receipt = sealReceipt(opened, ulid(), Date.now(), signerOf(pki.signingSm2.nanhai, 'SM2-SM3', 'nanhai'));
    const forEnvelope = { id: opened.parsed.id, digests: [JSON.parse(receipt.body.toString()).envelopeSha256 as string] };
    expect(codeOf(() => openReceipt(receipt, ctx({ self: 'liwan', acceptedSuites: ['ECDSA-P256-SHA256'] }), forEnvelope))).toBe('UNSUPPORTED_SUITE');
    expect(openReceipt(receipt, ctx({ self: 'liwan' }), forEnvelope).parsed.suite).toBe('SM2-SM3');
  });

  it('when the body names ECDSA but the signer holds an SM2 key, then it is refused with BAD_SIGNATURE', () => {
    const sm2Key = pki.signingSm2.liwan;
    const lying: Signer = { ...signerOf(sm2Key, 'SM2-SM3'), suite: 'ECDSA-P256-SHA256' };
    expect(codeOf(() => openEnvelope(sealEnvelope(draft(), Date.now(), lying), ctx()))).toBe('BAD_SIGNATURE');
  });
});

describe('the signing configuration', () => {
  const env = (extra: Record<string, string>) =>
    parseConfig({
      KC_DISTRICT: 'liwan',
      KC_REDIS_URL: 'redis://127.0.0.1:1',
      KC_PEER_URL: '127.0.0.1:1',
      KC_TLS_CERT: pki.gateways.liwan.chainPath,
      KC_TLS_KEY: pki.gateways.liwan.keyPath,
      KC_TRUST_DIR: path.join(pki.dir, 'trust'),
      KC_APPROVAL_URL: 'http://127.0.0.1:1',
      KC_APPROVAL_CALLBACK_SECRET: 'a-secret-of-enough-length',
      ...extra,
    });

  it('when nothing is set, then the gateway signs ECDSA with its TLS certificate and accepts every suite', () => {
    const config = env({});
    expect(config.KC_ACCEPTED_SUITES).toEqual(['ECDSA-P256-SHA256', 'SM2-SM3']);
    const signer = signerFromConfig(config);
    expect(signer.suite).toBe('ECDSA-P256-SHA256');
    expect(signer.leaf.fingerprint256).toBe(pki.gateways.liwan.x509.fingerprint256);
  });

  it('when KC_SIGNATURE_SUITE is SM2-SM3 with the SM2 signing pair, then the signer signs SM2 with that certificate', () => {
    const signer = signerFromConfig(env({ KC_SIGNATURE_SUITE: 'SM2-SM3', KC_SIGNING_CERT: pki.signingSm2.liwan.certPath, KC_SIGNING_KEY: pki.signingSm2.liwan.keyPath }));
    expect(signer.suite).toBe('SM2-SM3');
    expect(signer.leaf.fingerprint256).toBe(pki.signingSm2.liwan.x509.fingerprint256);
  });

  it('when KC_SIGNATURE_SUITE is SM2-SM3 but the key is the ECDSA TLS key, then it is a ConfigError naming the variables and the fix', () => {
    const err = (() => {
      try {
        signerFromConfig(env({ KC_SIGNATURE_SUITE: 'SM2-SM3' }));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/KC_SIGNATURE_SUITE .*KC_TLS_KEY/);
    expect((err as Error).message).toMatch(/not a SM2-SM3 key \(it is a ECDSA-P256-SHA256 key\).*KC_SIGNING_CERT/);
  });

  it('when KC_SIGNATURE_SUITE is ECDSA but KC_SIGNING_KEY is an SM2 key, then it is a ConfigError', () => {
    expect(() => signerFromConfig(env({ KC_SIGNING_CERT: pki.signingSm2.liwan.certPath, KC_SIGNING_KEY: pki.signingSm2.liwan.keyPath }))).toThrow(ConfigError);
  });

  it('when only one of KC_SIGNING_CERT and KC_SIGNING_KEY is set, then it is a ConfigError naming the missing one', () => {
    expect(() => signerFromConfig(env({ KC_SIGNING_CERT: pki.signingSm2.liwan.certPath }))).toThrow(/KC_SIGNING_KEY \(not set\)/);
  });
});

describe('history: stored messages verified at their signing time', () => {
  it('when the signing certificate has expired since, then live acceptance says CERT_EXPIRED and history says valid', () => {
    const shortLived = issueGatewayCertificate(pki, 'liwan', { name: 'short-lived', notBefore: new Date(Date.now() - 3 * DAY), days: 2 });
    const signedWhileValid = sealEnvelope(draft(), Date.now() - 2 * DAY, signerOf(shortLived));

    expect(codeOf(() => openEnvelope(signedWhileValid, ctx()))).toBe('CERT_EXPIRED');
    expect(verifyAtSigningTime(signedWhileValid, trust)).toMatchObject({ valid: true, kind: 'envelope', suite: 'ECDSA-P256-SHA256', signerSerial: shortLived.serialHex });
  });

  it('when an SM2 receipt is stored, then history verifies it at its receivedAt', () => {
    const opened = openEnvelope(sealEnvelope(draft(), Date.now(), signerOf(pki.gateways.liwan)), ctx());
    const receipt = sealReceipt(opened, ulid(), Date.now() - 1000, signerOf(pki.signingSm2.nanhai, 'SM2-SM3', 'nanhai'));
    expect(verifyAtSigningTime(receipt, trust)).toMatchObject({ valid: true, kind: 'receipt', suite: 'SM2-SM3' });
  });

  it('when the key is revoked after it signed, then history keeps the earlier envelope valid and refuses one signed after the revocation', () => {
    const dir = path.join(tmp, 'pki-revocation');
    const own = createTestPki(dir, { now: new Date(Date.now() - 4 * DAY) });
    const ownTrust = () => new TrustStore(path.join(own.dir, 'trust'));
    const old = issueGatewayCertificate(own, 'liwan', { name: 'old', notBefore: new Date(Date.now() - 3 * DAY) });
    const revokedAt = new Date(Date.now() - DAY);
    const before = sealEnvelope(draft(), revokedAt.getTime() - 3_600_000, signerOf(old));
    const after = sealEnvelope(draft(), revokedAt.getTime() + 3_600_000, signerOf(old));

    revokeCertificate(own.dir, old.certPath, { now: revokedAt });

    expect(verifyAtSigningTime(before, ownTrust())).toMatchObject({ valid: true });
    expect(verifyAtSigningTime(after, ownTrust())).toMatchObject({ valid: false, code: 'CERT_REVOKED' });
    // Live acceptance refuses the revoked key whatever the issuedAt claims.
    expect(codeOf(() => openEnvelope(before, ctx({ trust: ownTrust(), nowMs: revokedAt.getTime() - 3_600_000 })))).toBe('CERT_REVOKED');
  });

  it('when a stored body is altered, then history says BAD_SIGNATURE', () => {
    const signed = sealEnvelope(draft(), Date.now(), signerOf(pki.signingSm2.liwan, 'SM2-SM3'));
    const altered = Buffer.from(signed.body.toString().replace('"LW-2"', '"LW-3"'));
    expect(verifyAtSigningTime({ ...signed, body: altered }, trust)).toMatchObject({ valid: false, code: 'BAD_SIGNATURE' });
  });
});
