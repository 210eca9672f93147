/**
 * Envelopes and receipts (gateway/envelope): the exact bytes that cross the boundary, and every way
 * the receiver refuses them — each refusal with its own AppError code.
 *
 * The only I/O is the test PKI, written to a temp dir in beforeAll and read back from there.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { District } from '../../../gateway/domain/district.js';
import { canonicalBytes } from '../../../gateway/envelope/canonical.js';
import {
  openEnvelope,
  openReceipt,
  sealEnvelope,
  sealReceipt,
  sha256Hex,
  type EnvelopeDraft,
  type Signed,
  type VerifyContext,
} from '../../../gateway/envelope/envelope.js';
import { createSigner, pemChainToDer, type Signer } from '../../../gateway/envelope/signer.js';
import { TrustStore } from '../../../gateway/envelope/trust-store.js';
import { AppError, type ErrorCode } from '../../../gateway/errors.js';
import { createTestPki, type TestCredential, type TestPki } from '../../helpers/pki.js';
import { thrownBy } from '../../helpers/thrown.js';

const SKEW_MS = 300_000;
const MAX_BYTES = 64 * 1024;

let tmp: string;
let pki: TestPki;
let trust: TrustStore;
let liwan: Signer;
let nanhai: Signer;
let nowMs: number;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kc-envelope-'));
  pki = createTestPki(tmp);
  nowMs = pki.now.getTime();
  trust = new TrustStore(path.dirname(pki.paths.trust.rootsDir));
  liwan = gatewaySigner('liwan');
  nanhai = gatewaySigner('nanhai');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function gatewaySigner(district: District): Signer {
  const cred = pki.gateways[district];
  return createSigner({ district, privateKey: cred.privateKey, chain: pemChainToDer(fs.readFileSync(cred.chainPath, 'utf8')) });
}

/** A signer that claims to be the liwan gateway but holds one of the deliberately bad certificates. */
function signerFrom(cred: TestCredential, extraChain: Buffer[] = []): Signer {
  return createSigner({ district: 'liwan', privateKey: cred.privateKey, chain: [cred.certDer, ...extraChain] });
}

/** A liwan → nanhai status envelope with fresh ids. */
function draft(overrides: Partial<EnvelopeDraft> = {}): EnvelopeDraft {
  return {
    id: ulid(),
    type: 'status',
    from: 'liwan',
    to: 'nanhai',
    caseNo: 'KC-NH-20261121-000123',
    seq: 1,
    content: { state: 'accepted', localNo: '440103-2026-0001', at: '2026-11-21T09:30:00+08:00', note: '已受理' },
    ...overrides,
  };
}

/** What the nanhai gateway checks incoming envelopes against. */
function ctx(overrides: Partial<VerifyContext> = {}): VerifyContext {
  return { trust, nowMs, self: 'nanhai', skewMs: SKEW_MS, maxBytes: MAX_BYTES, ...overrides };
}

/** Signs arbitrary bytes as `signer` would, without any canonicalisation. */
function signRaw(body: Buffer, signer: Signer): Signed {
  return { body, signature: signer.sign(body), certChain: signer.chain };
}

/** The body fields sealEnvelope would produce, as a plain object to vary. */
function bodyObject(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const d = draft();
  return {
    v: 1,
    kind: 'envelope',
    suite: 'ECDSA-P256-SHA256',
    id: d.id,
    type: d.type,
    from: d.from,
    to: d.to,
    caseNo: d.caseNo,
    seq: d.seq,
    issuedAt: new Date(nowMs).toISOString(),
    content: d.content,
    ...overrides,
  };
}

function codeOf(fn: () => unknown): ErrorCode {
  return thrownBy(AppError, fn).code;
}

describe('sealEnvelope / openEnvelope', () => {
  it('when liwan seals an envelope for nanhai, then nanhai opens it and reads back what was sealed', () => {
    const d = draft();
    const signed = sealEnvelope(d, nowMs, liwan);
    const opened = openEnvelope(signed, ctx());
    expect(opened.parsed).toEqual({
      v: 1,
      kind: 'envelope',
      suite: 'ECDSA-P256-SHA256',
      id: d.id,
      type: 'status',
      from: 'liwan',
      to: 'nanhai',
      caseNo: d.caseNo,
      seq: 1,
      issuedAt: new Date(nowMs).toISOString(),
      content: d.content,
    });
    expect(opened.body.equals(signed.body)).toBe(true);
    expect(opened.chain.identity).toEqual({ kind: 'gateway', district: 'liwan' });
    expect(opened.chain.serial).toBe(pki.gateways.liwan.serialHex);
  });

  it('when an envelope is sealed, then its body is RFC 8785 canonical JSON: sorted keys, no whitespace, raw UTF-8', () => {
    const d = draft({ content: { zeta: 1, alpha: { y: '荔湾', x: [3, 1, 2] }, mid: 1e-7, big: 1e21, neg: -0 } });
    const signed = sealEnvelope(d, nowMs, liwan);
    const text = signed.body.toString('utf8');
    expect(text).toBe(
      '{"caseNo":"KC-NH-20261121-000123",' +
        '"content":{"alpha":{"x":[3,1,2],"y":"荔湾"},"big":1e+21,"mid":1e-7,"neg":0,"zeta":1},' +
        `"from":"liwan","id":"${d.id}","issuedAt":"${new Date(nowMs).toISOString()}","kind":"envelope",` +
        '"seq":1,"suite":"ECDSA-P256-SHA256","to":"nanhai","type":"status","v":1}',
    );
    expect(text).not.toMatch(/\s/);
    expect(signed.body.equals(canonicalBytes(JSON.parse(text)))).toBe(true);
  });

  it('when an envelope is sealed, then node:crypto verifies its signature over exactly the body bytes with the sender certificate', () => {
    const signed = sealEnvelope(draft(), nowMs, liwan);
    const cert = new crypto.X509Certificate(signed.certChain[0]!);
    expect(cert.fingerprint256).toBe(pki.gateways.liwan.x509.fingerprint256);
    expect(crypto.verify('sha256', signed.body, cert.publicKey, signed.signature)).toBe(true);
    // Not over a re-serialisation of the same value.
    const pretty = Buffer.from(JSON.stringify(JSON.parse(signed.body.toString('utf8')), null, 2));
    expect(crypto.verify('sha256', pretty, cert.publicKey, signed.signature)).toBe(false);
  });

  it('when one byte of the content is changed and the body stays canonical, then it is refused with BAD_SIGNATURE', () => {
    const signed = sealEnvelope(draft(), nowMs, liwan);
    const body = JSON.parse(signed.body.toString('utf8')) as { content: { state: string } };
    body.content.state = 'approved';
    const tampered: Signed = { ...signed, body: canonicalBytes(body) };
    expect(codeOf(() => openEnvelope(tampered, ctx()))).toBe('BAD_SIGNATURE');
  });

  it('when the signature bytes are damaged, then it is refused with BAD_SIGNATURE', () => {
    const signed = sealEnvelope(draft(), nowMs, liwan);
    const signature = Buffer.from(signed.signature);
    const last = signature.length - 1;
    signature[last] = signature[last]! ^ 0x01;
    expect(codeOf(() => openEnvelope({ ...signed, signature }, ctx()))).toBe('BAD_SIGNATURE');
  });

  it('when the body is validly signed but its keys are in another order, then it is refused with ENVELOPE_NOT_CANONICAL', () => {
    const obj = bodyObject();
    const reordered = Object.fromEntries(Object.entries(obj).reverse());
    const signed = signRaw(Buffer.from(JSON.stringify(reordered)), liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('ENVELOPE_NOT_CANONICAL');
  });

  it('when the body is validly signed but carries whitespace, then it is refused with ENVELOPE_NOT_CANONICAL', () => {
    const sorted = JSON.parse(canonicalBytes(bodyObject()).toString('utf8')) as unknown;
    const signed = signRaw(Buffer.from(JSON.stringify(sorted, null, 1)), liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('ENVELOPE_NOT_CANONICAL');
  });

  it('when the body is larger than the limit, then it is refused with ENVELOPE_TOO_LARGE, and at exactly the limit it is accepted', () => {
    const signed = sealEnvelope(draft(), nowMs, liwan);
    expect(codeOf(() => openEnvelope(signed, ctx({ maxBytes: signed.body.length - 1 })))).toBe('ENVELOPE_TOO_LARGE');
    expect(openEnvelope(signed, ctx({ maxBytes: signed.body.length })).parsed.seq).toBe(1);
  });

  it('when the body is not JSON, then it is refused with ENVELOPE_MALFORMED', () => {
    const signed = signRaw(Buffer.from('not json {'), liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('ENVELOPE_MALFORMED');
  });

  it.each<[string, Record<string, unknown>]>([
    ['the version is 2', { v: 2 }],
    ['the kind is receipt', { kind: 'receipt' }],
    ['the id is not a ULID', { id: 'not-a-ulid' }],
    ['the type is unknown', { type: 'withdrawal-of-everything' }],
    ['the sender is not a district', { from: 'shanghai' }],
    ['the case number is malformed', { caseNo: 'KC-XX-2026-1' }],
    ['the sequence is zero', { seq: 0 }],
    ['the sequence is fractional', { seq: 1.5 }],
    ['issued-at is not an instant', { issuedAt: 'yesterday' }],
    ['the content is an array', { content: [1, 2] }],
    ['an unknown field is added', { extra: true }],
    ['a field is missing', { seq: undefined }],
  ])('when %s (validly signed, canonical), then it is refused with ENVELOPE_MALFORMED', (_what, overrides) => {
    const signed = signRaw(canonicalBytes(bodyObject(overrides)), liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('ENVELOPE_MALFORMED');
  });

  it('when the body is a JSON array or a string, then it is refused with ENVELOPE_MALFORMED', () => {
    expect(codeOf(() => openEnvelope(signRaw(Buffer.from('[]'), liwan), ctx()))).toBe('ENVELOPE_MALFORMED');
    expect(codeOf(() => openEnvelope(signRaw(Buffer.from('"envelope"'), liwan), ctx()))).toBe('ENVELOPE_MALFORMED');
  });

  it('when the body names a suite we do not know, then it is refused with UNSUPPORTED_SUITE', () => {
    const signed = signRaw(canonicalBytes(bodyObject({ suite: 'RSA-PKCS1-SHA1' })), liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('UNSUPPORTED_SUITE');
  });

  it('when no certificate chain is sent, then it is refused with CERT_CHAIN_MISSING', () => {
    const signed = sealEnvelope(draft(), nowMs, liwan);
    expect(codeOf(() => openEnvelope({ ...signed, certChain: [] }, ctx()))).toBe('CERT_CHAIN_MISSING');
  });

  it('when the signer certificate chains to a root we do not trust, then it is refused with CERT_UNKNOWN_CA', () => {
    const rogue = signerFrom(pki.bad.unknownRoot, [pki.bad.unknownRootCa.certDer]);
    expect(codeOf(() => openEnvelope(sealEnvelope(draft(), nowMs, rogue), ctx()))).toBe('CERT_UNKNOWN_CA');
    const leafOnly = signerFrom(pki.bad.unknownRoot);
    expect(codeOf(() => openEnvelope(sealEnvelope(draft(), nowMs, leafOnly), ctx()))).toBe('CERT_UNKNOWN_CA');
  });

  it('when the certificate chain is not DER, then it is refused with CERT_UNKNOWN_CA', () => {
    const signed = sealEnvelope(draft(), nowMs, liwan);
    expect(codeOf(() => openEnvelope({ ...signed, certChain: [Buffer.from('garbage')] }, ctx()))).toBe('CERT_UNKNOWN_CA');
  });

  it('when the signer certificate has expired, then it is refused with CERT_EXPIRED', () => {
    const signed = sealEnvelope(draft(), nowMs, signerFrom(pki.bad.expired));
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('CERT_EXPIRED');
  });

  it('when the signer certificate is not valid yet, then it is refused with CERT_NOT_YET_VALID', () => {
    const signed = sealEnvelope(draft(), nowMs, signerFrom(pki.bad.notYetValid));
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('CERT_NOT_YET_VALID');
  });

  it('when the signer certificate is revoked by the trusted CRL, then it is refused with CERT_REVOKED', () => {
    const signed = sealEnvelope(draft(), nowMs, signerFrom(pki.bad.revoked));
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('CERT_REVOKED');
  });

  it('when the signer certificate does not allow digitalSignature, then it is refused with CERT_KEY_USAGE', () => {
    const signed = sealEnvelope(draft(), nowMs, signerFrom(pki.bad.noDigitalSignature));
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('CERT_KEY_USAGE');
  });

  it('when the trusted CRL is past its next update, then acceptance stops with CRL_UNAVAILABLE', () => {
    const later = nowMs + 8 * 24 * 3600_000; // the dev CRL is good for 7 days; the gateway certificate for longer
    const signed = sealEnvelope(draft(), later, liwan);
    expect(codeOf(() => openEnvelope(signed, ctx({ nowMs: later })))).toBe('CRL_UNAVAILABLE');
  });

  it('when an envelope claiming to come from liwan is signed by the nanhai gateway, then it is refused with WRONG_DISTRICT_SIGNER', () => {
    const signed = sealEnvelope(draft({ from: 'liwan', to: 'liwan' }), nowMs, nanhai);
    expect(codeOf(() => openEnvelope(signed, ctx({ self: 'liwan' })))).toBe('WRONG_DISTRICT_SIGNER');
  });

  it('when an envelope claiming to come from liwan is signed with a partner (kiosk) certificate, then it is refused with WRONG_DISTRICT_SIGNER', () => {
    const kiosk = pki.partners['kiosk-liwan'];
    const signer = createSigner({ district: 'liwan', privateKey: kiosk.privateKey, chain: [kiosk.certDer] });
    const outcome = codeOf(() => openEnvelope(sealEnvelope(draft(), nowMs, signer), ctx()));
    expect(outcome).toBe('WRONG_DISTRICT_SIGNER');
  });

  it('when an envelope is addressed to the other district, then it is refused with WRONG_RECIPIENT', () => {
    const signed = sealEnvelope(draft({ to: 'liwan' }), nowMs, liwan);
    expect(codeOf(() => openEnvelope(signed, ctx({ self: 'nanhai' })))).toBe('WRONG_RECIPIENT');
  });

  it('when issued-at is older than the allowed skew, then it is refused with ISSUED_AT_STALE', () => {
    const signed = sealEnvelope(draft(), nowMs - SKEW_MS - 1, liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('ISSUED_AT_STALE');
  });

  it('when issued-at is further in the future than the allowed skew, then it is refused with ISSUED_AT_FUTURE', () => {
    const signed = sealEnvelope(draft(), nowMs + SKEW_MS + 1, liwan);
    expect(codeOf(() => openEnvelope(signed, ctx()))).toBe('ISSUED_AT_FUTURE');
  });

  it('when issued-at is just inside the skew on either side, then it is accepted', () => {
    for (const issuedAt of [nowMs - SKEW_MS, nowMs - SKEW_MS + 1, nowMs + SKEW_MS - 1, nowMs + SKEW_MS]) {
      const opened = openEnvelope(sealEnvelope(draft(), issuedAt, liwan), ctx());
      expect(opened.parsed.issuedAt).toBe(new Date(issuedAt).toISOString());
    }
  });
});

describe('sealReceipt / openReceipt', () => {
  /** liwan sends an envelope; nanhai opens it and answers with a receipt. */
  function exchange() {
    const sent = sealEnvelope(draft(), nowMs, liwan);
    const openedAtNanhai = openEnvelope(sent, ctx({ self: 'nanhai' }));
    const receiptId = ulid();
    const receipt = sealReceipt(openedAtNanhai, receiptId, nowMs + 1_000, nanhai);
    return { sent, receipt, receiptId, envelopeId: openedAtNanhai.parsed.id, digest: sha256Hex(sent.body) };
  }

  const liwanCtx = (overrides: Partial<VerifyContext> = {}) => ctx({ self: 'liwan', ...overrides });

  it('when nanhai receipts a liwan envelope, then liwan accepts the receipt and it echoes the envelope digest', () => {
    const { receipt, receiptId, envelopeId, digest } = exchange();
    const opened = openReceipt(receipt, liwanCtx(), { id: envelopeId, digests: [digest] });
    expect(opened.parsed).toMatchObject({
      kind: 'receipt',
      id: receiptId,
      envelopeId,
      envelopeSha256: digest,
      caseNo: 'KC-NH-20261121-000123',
      seq: 1,
      from: 'nanhai',
      to: 'liwan',
      receivedAt: new Date(nowMs + 1_000).toISOString(),
    });
    expect(opened.chain.identity).toEqual({ kind: 'gateway', district: 'nanhai' });
    expect(receipt.body.equals(canonicalBytes(JSON.parse(receipt.body.toString('utf8'))))).toBe(true);
    expect(crypto.verify('sha256', receipt.body, pki.gateways.nanhai.publicKey, receipt.signature)).toBe(true);
  });

  it('when one of several send attempts is the one receipted, then the receipt is accepted', () => {
    const { receipt, envelopeId, digest } = exchange();
    const opened = openReceipt(receipt, liwanCtx(), { id: envelopeId, digests: ['0'.repeat(64), digest] });
    expect(opened.parsed.envelopeSha256).toBe(digest);
  });

  it('when the receipt answers another envelope id, then it is refused with RECEIPT_INVALID', () => {
    const { receipt, digest } = exchange();
    expect(codeOf(() => openReceipt(receipt, liwanCtx(), { id: ulid(), digests: [digest] }))).toBe('RECEIPT_INVALID');
  });

  it('when the receipt echoes a digest of bytes we never sent, then it is refused with RECEIPT_INVALID', () => {
    const { receipt, envelopeId } = exchange();
    const other = sha256Hex(Buffer.from('other bytes'));
    expect(codeOf(() => openReceipt(receipt, liwanCtx(), { id: envelopeId, digests: [other] }))).toBe('RECEIPT_INVALID');
  });

  it('when the receipt is not addressed to us, then it is refused with RECEIPT_INVALID', () => {
    const { receipt, envelopeId, digest } = exchange();
    expect(codeOf(() => openReceipt(receipt, liwanCtx({ self: 'nanhai' }), { id: envelopeId, digests: [digest] }))).toBe(
      'RECEIPT_INVALID',
    );
  });

  it('when the receipt fails verification (tampered body), then the failure surfaces as RECEIPT_INVALID', () => {
    const { receipt, envelopeId, digest } = exchange();
    const body = JSON.parse(receipt.body.toString('utf8')) as { seq: number };
    body.seq = 2;
    const tampered = { ...receipt, body: canonicalBytes(body) };
    let caught: unknown;
    try {
      openReceipt(tampered, liwanCtx(), { id: envelopeId, digests: [digest] });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AppError);
    expect((caught as AppError).code).toBe('RECEIPT_INVALID');
    expect((caught as AppError).message).toContain('BAD_SIGNATURE');
  });

  it('when an envelope is presented where a receipt is expected, then it is refused with RECEIPT_INVALID', () => {
    const { sent, envelopeId, digest } = exchange();
    expect(codeOf(() => openReceipt(sent, liwanCtx(), { id: envelopeId, digests: [digest] }))).toBe('RECEIPT_INVALID');
  });
});
