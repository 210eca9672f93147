/**
 * The checkpoint worker: at the configured interval one replica (the one holding the lease) signs
 * the chain's current end, if it moved since the last checkpoint, and swaps its latest checkpoint
 * with the peer's over the peer link. The peer's answer is verified before it is kept.
 */
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
import type { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { checkpointStore, openCheckpoint, sealCheckpoint } from './checkpoints.js';

export function createCheckpointer(ctx: GatewayContext, exchange: (mine: Signed) => Promise<Signed>): () => Promise<boolean> {
  const keys = ctx.store.keys.audit;
  const checkpoints = checkpointStore(ctx.store.redis, keys);
  const leaseMs = Math.max(1_000, ctx.config.KC_AUDIT_CHECKPOINT_SECONDS * 800);

  return async () => {
    const lease = await ctx.store.redis.set(keys.checkpointLease, ctx.newId(), 'PX', leaseMs, 'NX');
    if (lease !== 'OK') return false;
    await ctx.audit.flush();
    const head = await ctx.audit.head();
    let mine = await checkpoints.latestOwn();
    const last = mine && openCheckpoint(mine, { district: ctx.district });
    if (!last || last.count !== head.count) {
      mine = sealCheckpoint(head, ctx.signer, ctx.clock.now());
      await checkpoints.addOwn(mine);
      ctx.logger.info({ count: head.count, headHash: head.hash }, 'audit checkpoint signed');
    }
    try {
      const theirs = await exchange(mine!);
      if (theirs.body.length > 0) {
        const body = openCheckpoint(theirs, { district: ctx.peer, trust: ctx.trust, mode: 'live' });
        if (await checkpoints.addPeer(theirs)) ctx.logger.info({ count: body.count, headHash: body.headHash }, 'peer audit checkpoint kept');
      }
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'PEER_UNAVAILABLE';
      ctx.logger.warn({ code, reason: (err as Error).message }, 'audit checkpoint exchange failed; next interval tries again');
    }
    return false;
  };
}

/** The peer side of the exchange: keep the caller's checkpoint once verified, answer with ours. */
export async function answerCheckpoint(ctx: GatewayContext, theirs: Signed): Promise<Signed> {
  const checkpoints = checkpointStore(ctx.store.redis, ctx.store.keys.audit);
  const body = openCheckpoint(theirs, { district: ctx.peer, trust: ctx.trust, mode: 'live' });
  if (await checkpoints.addPeer(theirs)) ctx.logger.info({ count: body.count, headHash: body.headHash }, 'peer audit checkpoint kept');
  return (await checkpoints.latestOwn()) ?? { body: Buffer.alloc(0), signature: Buffer.alloc(0), certChain: [] };
}
