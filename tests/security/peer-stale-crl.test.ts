/**
 * Security catalogue — a stale CRL stops acceptance. Runs on its own PKI and gateway pair, since it
 * rewrites the trust store's CRL: nothing else may see it.
 */
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealEnvelope } from '../../gateway/envelope/envelope.js';
import { writeStaleCrl } from '../helpers/pki.js';
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
  fx = await startPeerFixture('sec-peer-stale-crl');
});

afterAll(async () => {
  await fx?.stop();
});

/** Writes the CRL file and makes sure its mtime moves, so the trust store sees a change. */
function replaceCrl(pem: string | Buffer): void {
  writeFileSync(fx.pki.crlPath, pem);
  const later = new Date(Date.now() + 1_000);
  utimesSync(fx.pki.crlPath, later, later);
  expect(fx.liwan().trust.reload()).toBe(true);
}

describe('revocation freshness', () => {
  it('rejects-envelope-while-crl-is-stale: when the trust store holds a CRL past its next update, then CRL_UNAVAILABLE, nothing applied, logged — and acceptance resumes with a fresh CRL', async () => {
    const c = await caseHandledByNanhai(fx);
    const fresh = readFileSync(fx.pki.crlPath);
    const before = await rawCase(fx, c.caseNo);
    const mark = fx.sys.logs().length;

    replaceCrl(writeStaleCrl(fx.pki).pem);
    try {
      const envelope = sealEnvelope(statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { localNo: c.localNo }), Date.now(), fx.signers.nanhai);
      await expectRefused(fx.link.deliver(envelope), 'CRL_UNAVAILABLE');
      expect(await rawCase(fx, c.caseNo)).toEqual(before);
      expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('registered');
      expectRejectionLogged(fx, mark, 'CRL_UNAVAILABLE', null);
    } finally {
      replaceCrl(fresh);
    }

    const envelope = sealEnvelope(statusDraft(c.caseNo, await nextInSeq(fx, c.caseNo), { localNo: c.localNo }), Date.now(), fx.signers.nanhai);
    await fx.link.deliver(envelope);
    expect((await fx.liwan().store.getCase(c.caseNo))?.state).toBe('accepted');
  });
});
