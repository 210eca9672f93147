/**
 * Security catalogue — envelopes delivered to liwan's peer port by the nanhai gateway (that is, by
 * this test, holding nanhai's real TLS certificate) that must be refused. Each scenario asserts the
 * exact `kc-error-code` and gRPC status, that nothing was applied (liwan's Redis holds exactly what
 * it held before), and that liwan logged the refusal with that code.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaseState } from '../../gateway/domain/case.js';
import { canonicalBytes } from '../../gateway/envelope/canonical.js';
import { openReceipt, sealEnvelope, sha256Hex, type EnvelopeDraft, type Signed } from '../../gateway/envelope/envelope.js';
import type { Signer } from '../../gateway/envelope/signer.js';
import { TrustStore } from '../../gateway/envelope/trust-store.js';
import type { ErrorCode } from '../../gateway/errors.js';
import { Signed as SignedPb } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { eventually } from '../helpers/gateways.js';
import { refusalOf, signerOf } from '../helpers/peer-attacker.js';
import {
  applicationDraft,
  caseHandledByNanhai,
  expectRefused,
  expectRejectionLogged,
  freshNanhaiCaseNo,
  nextInSeq,
  rawCase,
  startPeerFixture,
  statusDraft,
  type PeerFixture,
} from './peer-fixture.js';

let fx: PeerFixture;

beforeAll(async () => {
  fx = await startPeerFixture('sec-peer-envelopes');
});

afterAll(async () => {
  await fx?.stop();
});

const now = () => Date.now();
const skewMs = () => fx.liwan().config.KC_CLOCK_SKEW_SECONDS * 1000;
const seal = (draft: EnvelopeDraft, signer: Signer = fx.signers.nanhai, issuedAtMs = now()) => sealEnvelope(draft, issuedAtMs, signer);

/** Field 1 (bytes) announcing a length far past the end of the message, then noise. */
const GARBAGE = Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from('garbage-garbage-garbage')]);

interface TargetCase {
  caseNo: string;
  localNo: string;
  /** The next sequence number liwan expects on it. */
  seq: number;
}

/**
 * A registered case at liwan; `craft` builds the envelope for it; the delivery must be refused with
 * `code`, leave the case byte-for-byte as it was, and be logged.
 */
async function expectStatusRefused(craft: (c: TargetCase) => Signed, code: ErrorCode): Promise<void> {
  const c = await caseHandledByNanhai(fx);
  const target = { ...c, seq: await nextInSeq(fx, c.caseNo) };
  const before = await rawCase(fx, c.caseNo);
  const mark = fx.sys.logs().length;

  await expectRefused(fx.link.deliver(craft(target)), code);

  expect(await rawCase(fx, c.caseNo)).toEqual(before);
  expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('registered');
  expectRejectionLogged(fx, mark, code);
}

/** An envelope for a new case number: if it is refused, liwan holds no trace of that case. */
async function expectNewCaseRefused(craft: (caseNo: string) => Signed, code: ErrorCode): Promise<void> {
  const caseNo = freshNanhaiCaseNo();
  const mark = fx.sys.logs().length;

  await expectRefused(fx.link.deliver(craft(caseNo)), code);

  expect(await fx.liwan().store.getCase(caseNo)).toBeNull();
  expect(await rawCase(fx, caseNo)).toEqual({ record: {}, events: [], archive: [] });
  expectRejectionLogged(fx, mark, code);
}

describe('signature and body', () => {
  it('rejects-envelope-with-content-tampered-after-signing: when the status in a signed body is changed in transit, then BAD_SIGNATURE and the case is unchanged', async () => {
    await expectStatusRefused((c) => {
      const signed = seal(statusDraft(c.caseNo, c.seq, { state: 'accepted', localNo: c.localNo, note: 'AAAAAAAA' }));
      // Same length, still canonical JSON, still a valid status envelope — only the signature is wrong.
      const tampered = Buffer.from(signed.body.toString('utf8').replace('"note":"AAAAAAAA"', '"note":"BBBBBBBB"'), 'utf8');
      expect(tampered.equals(signed.body)).toBe(false);
      expect(canonicalBytes(JSON.parse(tampered.toString('utf8'))).equals(tampered)).toBe(true);
      return { ...signed, body: tampered };
    }, 'BAD_SIGNATURE');
  });

  it('rejects-envelope-whose-signature-covers-other-bytes: when a genuine nanhai signature of another envelope is attached, then BAD_SIGNATURE', async () => {
    await expectStatusRefused((c) => {
      const wanted = seal(statusDraft(c.caseNo, c.seq, { state: 'approved', localNo: c.localNo }));
      const other = seal(statusDraft(c.caseNo, c.seq, { state: 'accepted', localNo: c.localNo }));
      return { ...wanted, signature: other.signature };
    }, 'BAD_SIGNATURE');
  });

  it('rejects-envelope-with-non-canonical-body: when the body is correctly signed but not RFC 8785 canonical JSON, then ENVELOPE_NOT_CANONICAL', async () => {
    await expectStatusRefused((c) => {
      const canonical = seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }));
      // Pretty-printed: the same JSON value, other bytes; signed over exactly these bytes.
      const body = Buffer.from(JSON.stringify(JSON.parse(canonical.body.toString('utf8')), null, 2), 'utf8');
      return { body, signature: fx.signers.nanhai.sign(body), certChain: fx.signers.nanhai.chain };
    }, 'ENVELOPE_NOT_CANONICAL');
  });

  it('rejects-envelope-over-the-size-limit: when the signed body is larger than KC_MAX_ENVELOPE_BYTES, then ENVELOPE_TOO_LARGE', async () => {
    await expectStatusRefused((c) => {
      const limit = fx.liwan().config.KC_MAX_ENVELOPE_BYTES;
      const signed = seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo, note: 'x'.repeat(limit) }));
      expect(signed.body.length).toBeGreaterThan(limit);
      return signed;
    }, 'ENVELOPE_TOO_LARGE');
  });

  it('rejects-envelope-whose-body-is-not-json: when the signed body is not JSON at all, then ENVELOPE_MALFORMED', async () => {
    await expectStatusRefused(() => {
      const body = Buffer.from('not json {', 'utf8');
      return { body, signature: fx.signers.nanhai.sign(body), certChain: fx.signers.nanhai.chain };
    }, 'ENVELOPE_MALFORMED');
  });

  it('survives-malformed-protobuf: when the request bytes are not a protobuf Signed message, then the call fails with an error and the gateway keeps serving', async () => {
    const c = await caseHandledByNanhai(fx);
    const before = await rawCase(fx, c.caseNo);
    expect(() => SignedPb.decode(GARBAGE)).toThrow();

    const refusal = await refusalOf(fx.link.deliverRaw(GARBAGE));
    expect(refusal.status).not.toBe(status.OK);
    expect(refusal.status).not.toBe(status.UNAVAILABLE); // answered, not a dead or crashed server

    // Still healthy: the next, good envelope on the same case is accepted and applied.
    const receipt = await fx.link.deliver(seal(statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { localNo: c.localNo })));
    expect(receipt.body.length).toBeGreaterThan(0);
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');
    expect((await rawCase(fx, c.caseNo)).events.length).toBe(before.events.length + 1);
  });

  it('rejects-malformed-protobuf: when the request bytes are not a protobuf Signed message, then ENVELOPE_MALFORMED like any other unreadable envelope, and it is logged', async () => {
    const mark = fx.sys.logs().length;
    // peer.proto: "A rejected envelope gets a gRPC error whose kc-error-code trailer names the reason."
    await expectRefused(fx.link.deliverRaw(GARBAGE), 'ENVELOPE_MALFORMED');
    expectRejectionLogged(fx, mark, 'ENVELOPE_MALFORMED');
  });
});

describe('certificates', () => {
  it('rejects-envelope-without-certificate-chain: when the chain is empty, then CERT_CHAIN_MISSING', async () => {
    await expectStatusRefused((c) => ({ ...seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo })), certChain: [] }), 'CERT_CHAIN_MISSING');
  });

  it('rejects-envelope-signed-under-unknown-root: when the nanhai certificate was issued by a CA liwan does not trust, then CERT_UNKNOWN_CA', async () => {
    const rogue = signerOf(fx.nanhaiBad.unknownRoot, 'nanhai', [fx.nanhaiBad.unknownRoot.certDer, fx.pki.bad.unknownRootCa.certDer]);
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), rogue), 'CERT_UNKNOWN_CA');
  });

  it('rejects-envelope-signed-by-expired-cert: when the nanhai certificate expired yesterday, then CERT_EXPIRED', async () => {
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), signerOf(fx.nanhaiBad.expired, 'nanhai')), 'CERT_EXPIRED');
  });

  it('rejects-envelope-signed-by-not-yet-valid-cert: when the nanhai certificate becomes valid tomorrow, then CERT_NOT_YET_VALID', async () => {
    await expectStatusRefused(
      (c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), signerOf(fx.nanhaiBad.notYetValid, 'nanhai')),
      'CERT_NOT_YET_VALID',
    );
  });

  it('rejects-envelope-signed-by-revoked-cert: when the nanhai certificate is on the CRL, then CERT_REVOKED', async () => {
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), signerOf(fx.nanhaiBad.revoked, 'nanhai')), 'CERT_REVOKED');
  });

  it('rejects-envelope-signed-by-cert-without-digital-signature: when the nanhai certificate lacks the digitalSignature key usage, then CERT_KEY_USAGE', async () => {
    await expectStatusRefused(
      (c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), signerOf(fx.nanhaiBad.noDigitalSignature, 'nanhai')),
      'CERT_KEY_USAGE',
    );
  });

  it('rejects-envelope-from-nanhai-signed-by-liwan-cert: when an envelope says from nanhai but the liwan gateway key signed it, then WRONG_DISTRICT_SIGNER', async () => {
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), fx.signers.liwan), 'WRONG_DISTRICT_SIGNER');
  });

  it('rejects-envelope-from-liwan-signed-by-nanhai-cert: when the nanhai key signs an envelope that claims to come from liwan, then WRONG_DISTRICT_SIGNER', async () => {
    await expectStatusRefused(
      (c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }, { from: 'liwan' }), fx.signers.nanhai),
      'WRONG_DISTRICT_SIGNER',
    );
  });

  it('rejects-application-signed-by-wrong-district: when a new case arrives signed by the liwan key but says from nanhai, then WRONG_DISTRICT_SIGNER and no case is created', async () => {
    await expectNewCaseRefused((caseNo) => seal(applicationDraft(caseNo), fx.signers.liwan), 'WRONG_DISTRICT_SIGNER');
  });
});

describe('addressing and time', () => {
  it('rejects-envelope-for-another-recipient: when a genuine nanhai envelope is addressed to nanhai but delivered to liwan, then WRONG_RECIPIENT', async () => {
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }, { to: 'nanhai' })), 'WRONG_RECIPIENT');
  });

  it('rejects-envelope-issued-too-long-ago: when issued-at is older than KC_CLOCK_SKEW_SECONDS, then ISSUED_AT_STALE', async () => {
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), fx.signers.nanhai, now() - skewMs() - 60_000), 'ISSUED_AT_STALE');
  });

  it('rejects-envelope-issued-in-the-future: when issued-at is ahead of liwan clock by more than KC_CLOCK_SKEW_SECONDS, then ISSUED_AT_FUTURE', async () => {
    await expectStatusRefused((c) => seal(statusDraft(c.caseNo, c.seq, { localNo: c.localNo }), fx.signers.nanhai, now() + skewMs() + 60_000), 'ISSUED_AT_FUTURE');
  });
});

describe('replay and sequence', () => {
  it('returns-original-receipt-for-exact-duplicate: when the same envelope arrives twice (and once more re-signed later), then the first receipt comes back byte-for-byte and it is applied once', async () => {
    const c = await caseHandledByNanhai(fx);
    const draft = statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { state: 'accepted', localNo: c.localNo });
    const first = seal(draft);
    const receipt = await fx.link.deliver(first);
    const afterFirst = await rawCase(fx, c.caseNo);
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');

    const again = await fx.link.deliver(first);
    // A retry after a lost receipt is signed again with a later issued-at: still the same message.
    const resigned = seal(draft, fx.signers.nanhai, now() + 1_000);
    expect(resigned.body.equals(first.body)).toBe(false);
    const again2 = await fx.link.deliver(resigned);

    const bytes = (s: Signed) => Buffer.from(SignedPb.encode(s).finish());
    expect(bytes(again).equals(bytes(receipt))).toBe(true);
    expect(bytes(again2).equals(bytes(receipt))).toBe(true);
    expect(await rawCase(fx, c.caseNo)).toEqual(afterFirst);

    // And the receipt is a genuine liwan receipt for the first delivery.
    const opened = openReceipt(
      receipt,
      { trust: new TrustStore(`${fx.pki.dir}/trust`), nowMs: now(), self: 'nanhai', skewMs: skewMs(), maxBytes: fx.liwan().config.KC_MAX_ENVELOPE_BYTES },
      { id: draft.id, digests: [sha256Hex(first.body)] },
    );
    expect(opened.parsed).toMatchObject({ envelopeId: draft.id, caseNo: c.caseNo, from: 'liwan', to: 'nanhai' });
  });

  it('rejects-replayed-message-id-with-different-content: when a message id that was applied comes back carrying another status, then ENVELOPE_REPLAYED and nothing changes', async () => {
    const c = await caseHandledByNanhai(fx);
    const draft = statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { state: 'accepted', localNo: c.localNo });
    await fx.link.deliver(seal(draft));
    const before = await rawCase(fx, c.caseNo);
    const mark = fx.sys.logs().length;

    const replay = seal({ ...draft, content: { ...draft.content, state: 'approved', note: '准予许可' } });
    await expectRefused(fx.link.deliver(replay), 'ENVELOPE_REPLAYED');

    expect(await rawCase(fx, c.caseNo)).toEqual(before);
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');
    expectRejectionLogged(fx, mark, 'ENVELOPE_REPLAYED');
  });

  it('rejects-reuse-of-a-sequence-number-by-another-message: when a new message id arrives with a sequence number already applied, then ENVELOPE_OUT_OF_SEQUENCE and nothing changes', async () => {
    const c = await caseHandledByNanhai(fx);
    const seq = await nextInSeq(fx, c.caseNo);
    await fx.link.deliver(seal(statusDraft(c.caseNo, seq, { state: 'accepted', localNo: c.localNo })));
    const before = await rawCase(fx, c.caseNo);
    const mark = fx.sys.logs().length;

    await expectRefused(fx.link.deliver(seal(statusDraft(c.caseNo, seq, { state: 'rejected', localNo: c.localNo }))), 'ENVELOPE_OUT_OF_SEQUENCE');

    expect(await rawCase(fx, c.caseNo)).toEqual(before);
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');
    expectRejectionLogged(fx, mark, 'ENVELOPE_OUT_OF_SEQUENCE');
  });
});

describe('content', () => {
  it('rejects-status-with-invalid-content: when a signed status envelope carries a state that does not exist, then ENVELOPE_MALFORMED', async () => {
    await expectStatusRefused(
      (c) => seal(statusDraft(c.caseNo, c.seq, { state: 'teleported' as CaseState, localNo: c.localNo })),
      'ENVELOPE_MALFORMED',
    );
  });

  it('rejects-application-for-matter-liwan-does-not-handle: when nanhai forwards a matter nanhai itself handles, then WRONG_DISTRICT_FOR_MATTER and no case is created', async () => {
    await expectNewCaseRefused((caseNo) => seal(applicationDraft(caseNo, 'KC-M-0001')), 'WRONG_DISTRICT_FOR_MATTER');
  });

  it('rejects-application-for-unknown-matter: when nanhai forwards a matter that is not in the catalog, then UNKNOWN_MATTER and no case is created', async () => {
    await expectNewCaseRefused((caseNo) => seal(applicationDraft(caseNo, 'KC-M-9999')), 'UNKNOWN_MATTER');
  });

  it('rejects-application-that-would-overwrite-an-existing-case: when nanhai sends an application under the number of a case liwan took in (KC-LW-…, next seq), then ENVELOPE_MALFORMED and liwan’s case is untouched', async () => {
    // An application is always seq 1 of a case numbered by its origin: a KC-LW number cannot come from nanhai.
    await expectStatusRefused((c) => seal(applicationDraft(c.caseNo, 'KC-M-0003', { seq: c.seq })), 'ENVELOPE_MALFORMED');
  });

  it('rejects-status-for-unknown-case: when a status envelope names a case liwan never had, then CASE_NOT_FOUND and no record is created', async () => {
    await expectNewCaseRefused((caseNo) => seal(statusDraft(caseNo, 1, { state: 'approved', localNo: 'NH-FAKE-1' })), 'CASE_NOT_FOUND');
  });
});

describe('after all of the above', () => {
  it('accepts-valid-envelopes: when the real nanhai key signs a status and an application, then liwan applies both', async () => {
    const c = await caseHandledByNanhai(fx);
    const envelope = seal(statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { state: 'accepted', localNo: c.localNo, note: '已受理' }));
    const receipt = await fx.link.deliver(envelope);
    expect(JSON.parse(receipt.body.toString('utf8'))).toMatchObject({ kind: 'receipt', envelopeSha256: sha256Hex(envelope.body) });
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');

    const caseNo = freshNanhaiCaseNo();
    await fx.link.deliver(seal(applicationDraft(caseNo)));
    const created = await eventually(async () => fx.liwan().store.getCase(caseNo), `case ${caseNo} at liwan`);
    expect(created).toMatchObject({ caseNo, matterId: 'KC-M-0003', origin: 'nanhai', handling: 'liwan' });
  });
});
