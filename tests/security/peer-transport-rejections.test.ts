/**
 * Security catalogue — who may call liwan's peer port at all. The envelope in every scenario is a
 * genuine one, signed by the real nanhai gateway key; only the TLS client certificate differs.
 * Only the nanhai gateway may deliver: a partner, liwan itself, or a certificate liwan does not
 * trust are refused before the envelope is looked at, and nothing is applied.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../../gateway/envelope/envelope.js';
import type { ErrorCode } from '../../gateway/errors.js';
import { connectToPeerPort, refusalOf, type PeerLink } from '../helpers/peer-attacker.js';
import type { TestCredential } from '../helpers/pki.js';
import {
  caseHandledByNanhai,
  expectRefused,
  expectRejectionLogged,
  nextInSeq,
  rawCase,
  startPeerFixture,
  statusDraft,
  type PeerFixture,
} from './peer-fixture.js';

let fx: PeerFixture;

beforeAll(async () => {
  fx = await startPeerFixture('sec-peer-transport');
});

afterAll(async () => {
  await fx?.stop();
});

/** A link to liwan's peer port presenting `client` instead of the nanhai gateway certificate. */
function linkAs(client: TestCredential & { chainPath?: string }): PeerLink {
  return connectToPeerPort({ port: fx.liwan().config.KC_PEER_PORT, expect: 'liwan', roots: fx.pki.root, client });
}

/**
 * Delivers a genuine nanhai status envelope for a fresh registered case over `link`; the call must
 * fail as `expected` says, and the case must be left exactly as it was.
 */
async function expectGenuineEnvelopeRefusedOver(
  link: PeerLink,
  expected: { code: ErrorCode; logged: string | null } | { status: status },
): Promise<void> {
  const c = await caseHandledByNanhai(fx);
  const envelope = sealEnvelope(statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { localNo: c.localNo }), Date.now(), fx.signers.nanhai);
  const before = await rawCase(fx, c.caseNo);
  const mark = fx.sys.logs().length;
  try {
    if ('code' in expected) {
      await expectRefused(link.deliver(envelope), expected.code);
      expectRejectionLogged(fx, mark, expected.code, expected.logged);
    } else {
      const refusal = await refusalOf(link.deliver(envelope));
      expect(refusal.status, refusal.details).toBe(expected.status);
    }
  } finally {
    link.close();
  }
  expect(await rawCase(fx, c.caseNo)).toEqual(before);
  expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('registered');
}

const NOT_THE_PEER = 'peer call rejected';

describe('peer port transport', () => {
  it('rejects-partner-certificate-on-peer-port: when a kiosk presents its valid partner certificate to the peer port, then PERMISSION_DENIED', async () => {
    await expectGenuineEnvelopeRefusedOver(linkAs(fx.pki.partners['kiosk-nanhai']), { code: 'PERMISSION_DENIED', logged: NOT_THE_PEER });
  });

  it('rejects-own-gateway-certificate-on-peer-port: when liwan’s own gateway certificate calls liwan’s peer port, then PERMISSION_DENIED', async () => {
    await expectGenuineEnvelopeRefusedOver(linkAs(fx.pki.gateways.liwan), { code: 'PERMISSION_DENIED', logged: NOT_THE_PEER });
  });

  it('rejects-client-certificate-from-unknown-root: when the client certificate (nanhai identity) chains to a root liwan does not trust, then the TLS handshake fails: UNAVAILABLE', async () => {
    await expectGenuineEnvelopeRefusedOver(linkAs(fx.nanhaiBad.unknownRoot), { status: status.UNAVAILABLE });
  });

  it('rejects-expired-client-certificate: when the nanhai TLS client certificate has expired, then the TLS handshake fails: UNAVAILABLE', async () => {
    await expectGenuineEnvelopeRefusedOver(linkAs(fx.nanhaiBad.expired), { status: status.UNAVAILABLE });
  });

  it('rejects-revoked-client-certificate: when the nanhai TLS client certificate is on the CRL (which TLS itself does not check), then CERT_REVOKED, and it is logged', async () => {
    await expectGenuineEnvelopeRefusedOver(linkAs(fx.nanhaiBad.revoked), { code: 'CERT_REVOKED', logged: null });
  });

  it('accepts-the-peer-after-all: when the real nanhai gateway certificate delivers the same kind of envelope, then it is applied', async () => {
    const c = await caseHandledByNanhai(fx);
    await fx.link.deliver(sealEnvelope(statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { localNo: c.localNo }), Date.now(), fx.signers.nanhai));
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');
  });
});
