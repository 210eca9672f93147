/**
 * What this process last saw of the link to the peer gateway: the dispatcher's deliveries and the
 * readiness probe. Kept in memory on purpose — each replica has its own gRPC channel, so each
 * reports its own link; nothing here is shared through Redis.
 */
import type { ErrorCode } from '../errors.js';

export type PeerLinkStatus = 'up' | 'down' | 'unknown';

export interface PeerLinkSnapshot {
  status: PeerLinkStatus;
  /** Last envelope the peer receipted (ISO), or null. */
  lastSuccessAt: string | null;
  /** Last delivery that failed, for whatever reason (ISO), or null. */
  lastFailureAt: string | null;
  /** Code of that failure (never a message: messages may carry details from the other side). */
  lastError: ErrorCode | null;
}

export interface PeerLink {
  /** An envelope went across and came back receipted. */
  delivered(atMs: number): void;
  /**
   * A delivery failed. PEER_UNAVAILABLE means the peer was not reached (link down); any other code
   * is the peer answering with a refusal, so the link itself is up.
   */
  failed(code: ErrorCode, atMs: number): void;
  /** The readiness probe's verdict on the channel: reached or not. */
  probed(reachable: boolean): void;
  snapshot(): PeerLinkSnapshot;
}

export function createPeerLink(): PeerLink {
  let reachable: boolean | undefined;
  let lastSuccessMs: number | undefined;
  let lastFailureMs: number | undefined;
  let lastError: ErrorCode | null = null;
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  return {
    delivered(atMs) {
      reachable = true;
      lastSuccessMs = atMs;
    },
    failed(code, atMs) {
      reachable = code !== 'PEER_UNAVAILABLE';
      lastFailureMs = atMs;
      lastError = code;
    },
    probed(ok) {
      reachable = ok;
    },
    snapshot: () => ({
      status: reachable === undefined ? 'unknown' : reachable ? 'up' : 'down',
      lastSuccessAt: iso(lastSuccessMs),
      lastFailureAt: iso(lastFailureMs),
      lastError,
    }),
  };
}
