import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../gateway/workers/backoff.js';

describe('backoffDelay', () => {
  it('when attempts grow, then the delay doubles between half and all of the exponential step', () => {
    expect(backoffDelay(0, 100, 10_000, () => 0)).toBe(50);
    expect(backoffDelay(0, 100, 10_000, () => 1)).toBe(100);
    expect(backoffDelay(3, 100, 10_000, () => 0)).toBe(400);
    expect(backoffDelay(3, 100, 10_000, () => 1)).toBe(800);
  });

  it('when the step passes the cap, then the delay stays within half the cap and the cap', () => {
    for (const r of [0, 0.5, 1]) {
      const d = backoffDelay(30, 100, 10_000, () => r);
      expect(d).toBeGreaterThanOrEqual(5_000);
      expect(d).toBeLessThanOrEqual(10_000);
    }
  });
});
