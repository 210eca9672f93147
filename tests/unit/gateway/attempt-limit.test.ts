import { describe, expect, it } from 'vitest';
import { attemptLimit } from '../../../gateway/outbox/dispatcher.js';

describe('how many delivery attempts a refusal may use up', () => {
  it.each(['PEER_UNAVAILABLE', 'STORE_UNAVAILABLE'] as const)('when the peer answers %s (it cannot take anything now), then it is retried without limit', (code) => {
    expect(attemptLimit(code, 12)).toBe(0);
  });

  it.each(['ENVELOPE_MALFORMED', 'UNSUPPORTED_SUITE', 'WRONG_DISTRICT_FOR_MATTER', 'INTERNAL'] as const)('when the peer refuses with %s (no retry can cure it), then it is dead-lettered after one attempt', (code) => {
    expect(attemptLimit(code, 12)).toBe(1);
  });

  it.each(['ISSUED_AT_FUTURE', 'CERT_REVOKED', 'CRL_UNAVAILABLE'] as const)('when the peer refuses with %s (may clear up), then the configured attempts apply', (code) => {
    expect(attemptLimit(code, 12)).toBe(12);
  });
});
