/**
 * The signature comparison must not stop at the first differing byte. node:crypto is wrapped so the
 * test can see that the MACs go through crypto.timingSafeEqual, whole, wherever they differ.
 */
import * as crypto from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { verifyEmsPush } from '../../../courier/ems/callback.js';
import { emsS10, expectCourierError } from './helpers.js';

vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:crypto')>();
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) };
});

const SECRET = 'ems-partner-secret';
const NOW = Date.parse('2024-05-07T02:30:00Z');
const timingSafeEqual = vi.mocked(crypto.timingSafeEqual);

function signedPush() {
  const raw = Buffer.from(
    JSON.stringify({ pushId: 'EMSP1', waybillNo: emsS10(60_000_001), pushTime: '2024-05-07 10:30:00', traces: [] }),
  );
  const timestamp = String(NOW);
  const mac = crypto.createHmac('sha256', SECRET).update(`${timestamp}\n`).update(raw).digest();
  return { raw, timestamp, mac };
}

/** The MAC with one byte flipped, as base64. */
function flipped(mac: Buffer, index: number): string {
  const copy = Buffer.from(mac);
  copy[index]! ^= 0xff;
  return copy.toString('base64');
}

beforeEach(() => {
  timingSafeEqual.mockClear();
});

describe('EMS push signature comparison', () => {
  it('when the signature is right, then it is confirmed by one timingSafeEqual over the 32 MAC bytes', () => {
    const { raw, timestamp, mac } = signedPush();
    verifyEmsPush(raw, { 'x-ems-timestamp': timestamp, 'x-ems-signature': mac.toString('base64') }, { secret: SECRET, now: () => NOW });
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0]! as [Buffer, Buffer];
    expect([a.length, b.length]).toEqual([32, 32]);
  });

  it.each([
    ['first', 0],
    ['middle', 16],
    ['last', 31],
  ])('when only the %s byte differs, then the refusal also goes through one full-length timingSafeEqual', async (_where, index) => {
    const { raw, timestamp, mac } = signedPush();
    await expectCourierError(
      () => verifyEmsPush(raw, { 'x-ems-timestamp': timestamp, 'x-ems-signature': flipped(mac, index) }, { secret: SECRET, now: () => NOW }),
      'COURIER_CALLBACK_BAD_SIGNATURE',
    );
    expect(timingSafeEqual).toHaveBeenCalledTimes(1);
    const [a, b] = timingSafeEqual.mock.calls[0]! as [Buffer, Buffer];
    expect([a.length, b.length]).toEqual([32, 32]);
  });

  it('when the signature is not even 32 bytes of base64, then it is refused by its shape without comparing', async () => {
    const { raw, timestamp } = signedPush();
    await expectCourierError(
      () => verifyEmsPush(raw, { 'x-ems-timestamp': timestamp, 'x-ems-signature': 'c2hvcnQ=' }, { secret: SECRET, now: () => NOW }),
      'COURIER_CALLBACK_BAD_SIGNATURE',
    );
    expect(timingSafeEqual).not.toHaveBeenCalled();
  });
});
