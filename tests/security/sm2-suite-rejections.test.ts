/**
 * Security catalogue — signature suites. Liwan (and nanhai) run with KC_ACCEPTED_SUITES=ECDSA-P256-SHA256;
 * we play the nanhai gateway on liwan's peer port, holding nanhai's real certificates, including its
 * SM2 signing certificate. An SM2-SM3 envelope — well formed, correctly signed, from the right
 * district — must be refused for its suite alone, with nothing stored and the refusal logged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../../gateway/envelope/envelope.js';
import { createSigner, type Signer } from '../../gateway/envelope/signer.js';
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
let nanhaiSm2: Signer;

beforeAll(async () => {
  fx = await startPeerFixture('sec-sm2-suites', { env: { KC_ACCEPTED_SUITES: 'ECDSA-P256-SHA256' } });
  const cred = fx.pki.signingSm2.nanhai;
  nanhaiSm2 = createSigner({ district: 'nanhai', privateKey: cred.privateKey, chain: [cred.certDer], suite: 'SM2-SM3' });
}, 120_000);

afterAll(async () => {
  await fx?.stop();
});

describe('suites a gateway does not accept', () => {
  it('sm2-envelope-refused-when-only-ecdsa-accepted: when nanhai sends a new case signed SM2-SM3 to a liwan that accepts only ECDSA, then UNSUPPORTED_SUITE and liwan holds no trace of the case', async () => {
    const caseNo = freshNanhaiCaseNo();
    const mark = fx.sys.logs().length;

    await expectRefused(fx.link.deliver(sealEnvelope(applicationDraft(caseNo), Date.now(), nanhaiSm2)), 'UNSUPPORTED_SUITE');

    expect(await fx.liwan().store.getCase(caseNo)).toBeNull();
    expect(await rawCase(fx, caseNo)).toEqual({ record: {}, events: [], archive: [] });
    expectRejectionLogged(fx, mark, 'UNSUPPORTED_SUITE');
  }, 60_000);

  it('sm2-status-refused-when-only-ecdsa-accepted: when a status for a registered case is signed SM2-SM3, then UNSUPPORTED_SUITE, the case is unchanged, and the same status signed ECDSA is then applied', async () => {
    const c = await caseHandledByNanhai(fx);
    const seq = await nextInSeq(fx, c.caseNo);
    const before = await rawCase(fx, c.caseNo);
    const mark = fx.sys.logs().length;
    const draft = statusDraft(c.caseNo, seq, { state: 'accepted', localNo: c.localNo });

    await expectRefused(fx.link.deliver(sealEnvelope(draft, Date.now(), nanhaiSm2)), 'UNSUPPORTED_SUITE');

    expect(await rawCase(fx, c.caseNo)).toEqual(before);
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('registered');
    expectRejectionLogged(fx, mark, 'UNSUPPORTED_SUITE');
    // The refusal was the suite's alone: the same message signed ECDSA goes through.
    await fx.link.deliver(sealEnvelope(draft, Date.now(), fx.signers.nanhai));
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');
  }, 60_000);
});
