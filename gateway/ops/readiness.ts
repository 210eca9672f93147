/**
 * /readyz: can this gateway do its work right now? Three checks, run side by side, each bounded by a
 * short timeout (default 1 s) so the endpoint answers within about a second whatever hangs:
 * - redis: PING answers;
 * - peer: the mutual-TLS channel to the peer gateway is (or becomes) ready — an active probe on the
 *   dispatcher's own channel, so it costs nothing while the link is warm;
 * - approval: the adapter's circuit is not open, and the approval system answers HTTP at all (any
 *   status: we ask whether it is reachable, not whether some endpoint likes us).
 * Concurrent callers share one run, so a burst of probes costs one round of checks.
 */
import type { ApprovalAdapter } from '../../adapters/adapter.js';
import type { PeerLink } from '../metrics/peer-link.js';

export const READINESS_TIMEOUT_MS = 1_000;

// A type, not an interface: it must be assignable to the REST app's Record<string, boolean>.
export type ReadinessChecks = {
  redis: boolean;
  peer: boolean;
  approval: boolean;
};

export interface ReadinessDeps {
  redis: { ping(): Promise<unknown> };
  /** Resolves true when the peer channel is ready within the time given. */
  peer: { probe(timeoutMs: number): Promise<boolean> };
  adapter: Pick<ApprovalAdapter, 'health'>;
  approvalUrl: string;
  /** Told what the peer probe found, for diagnostics. */
  peerLink?: Pick<PeerLink, 'probed'>;
  timeoutMs?: number;
}

/** true when `check` resolves truthy within `ms`; false on rejection or timeout. */
export async function within(ms: number, check: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      check().then(
        (v) => v !== false,
        () => false,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Any HTTP answer from `url` within the timeout counts as reachable. */
export async function httpReachable(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

export function readinessCheck(deps: ReadinessDeps): () => Promise<ReadinessChecks> {
  const ms = deps.timeoutMs ?? READINESS_TIMEOUT_MS;
  let running: Promise<ReadinessChecks> | undefined;

  const run = async (): Promise<ReadinessChecks> => {
    const [redis, peer, approval] = await Promise.all([
      within(ms, () => deps.redis.ping()),
      within(ms, () => deps.peer.probe(ms)),
      within(ms, async () => deps.adapter.health().circuit !== 'open' && (await httpReachable(deps.approvalUrl, ms))),
    ]);
    deps.peerLink?.probed(peer);
    return { redis, peer, approval };
  };

  return () => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };
}
