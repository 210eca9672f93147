/**
 * Security catalogue — envelopes whose body is valid JSON, correctly signed by the real nanhai key,
 * but has no RFC 8785 canonical form: a lone surrogate in a string ("\ud800" — canonicalize refuses
 * it) or nesting deep enough to exhaust the canonicaliser's recursion. Found by the fuzz run
 * (fuzz.test.ts): liwan answered INTERNAL. Such a body cannot be the canonical bytes it claims to
 * be, so it is refused as bad input (INVALID_ARGUMENT, ENVELOPE_NOT_CANONICAL or ENVELOPE_MALFORMED)
 * and nothing is stored.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalBytes } from '../../gateway/envelope/canonical.js';
import { sealEnvelope } from '../../gateway/envelope/envelope.js';
import { refusalOf } from '../helpers/peer-attacker.js';
import { freshNanhaiCaseNo, rawCase, startPeerFixture, statusDraft, type PeerFixture } from './peer-fixture.js';
import { snapshotStore, storeDiff } from './store-snapshot.js';

let fx: PeerFixture;

beforeAll(async () => {
  fx = await startPeerFixture('sec-uncanonical');
}, 120_000);

afterAll(async () => {
  await fx?.stop();
});

/** A status envelope for a case liwan does not hold, with `replace` applied to its canonical body text, signed again. */
function resigned(replace: (text: string) => string) {
  // The case number is liwan's own (status envelopes come back to the origin); liwan never issued it.
  const caseNo = freshNanhaiCaseNo().replace('KC-NH-', 'KC-LW-');
  const sealed = sealEnvelope(statusDraft(caseNo, 1, { note: '__NOTE__' }), Date.now(), fx.signers.nanhai);
  const body = Buffer.from(replace(sealed.body.toString('utf8')), 'utf8');
  return { caseNo, signed: { body, signature: fx.signers.nanhai.sign(body), certChain: fx.signers.nanhai.chain } };
}

async function expectRefusedAsBadInput(c: ReturnType<typeof resigned>): Promise<void> {
  const prefix = fx.liwan().config.KC_REDIS_PREFIX;
  const before = await snapshotStore(fx.liwan().store.redis, prefix);
  const refusal = await refusalOf(fx.link.deliver(c.signed));
  expect({ status: refusal.status, bad: ['ENVELOPE_NOT_CANONICAL', 'ENVELOPE_MALFORMED'].includes(String(refusal.code)) }, `${refusal.code}: ${refusal.details}`).toEqual({
    status: status.INVALID_ARGUMENT,
    bad: true,
  });
  expect(await rawCase(fx, c.caseNo)).toEqual({ record: {}, events: [], archive: [] });
  expect(storeDiff(before, await snapshotStore(fx.liwan().store.redis, prefix))).toEqual([]);
}

describe('bodies without a canonical form', () => {
  it('rejects-envelope-with-lone-surrogate: when a signed body holds the JSON escape \\ud800 (valid JSON, no canonical form), then INVALID_ARGUMENT with ENVELOPE_NOT_CANONICAL or ENVELOPE_MALFORMED, not INTERNAL, and nothing is stored', async () => {
    const c = resigned((t) => t.replace('"__NOTE__"', '"\\ud800"'));
    expect(() => canonicalBytes(JSON.parse(c.signed.body.toString('utf8')))).toThrow();
    await expectRefusedAsBadInput(c);
  });

  it('rejects-envelope-nested-too-deep: when a signed body nests 20,000 arrays deep (within the size limit), then INVALID_ARGUMENT with ENVELOPE_NOT_CANONICAL or ENVELOPE_MALFORMED, not INTERNAL, and nothing is stored', async () => {
    const c = resigned((t) => t.replace('"__NOTE__"', `${'['.repeat(20_000)}${']'.repeat(20_000)}`));
    expect(c.signed.body.length).toBeLessThan(fx.liwan().config.KC_MAX_ENVELOPE_BYTES);
    await expectRefusedAsBadInput(c);
  });
});
