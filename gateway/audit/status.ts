/** The audit chain as the operator's diagnostics show it: size against the warning bound, last checkpoints. */
import type { GatewayContext } from '../context.js';
import { checkpointStore, openCheckpoint, type CheckpointBody } from './checkpoints.js';
import type { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { District } from '../domain/district.js';

type CheckpointView = Pick<CheckpointBody, 'count' | 'headHash' | 'at'> | null;

function view(signed: Signed | undefined, district: District): CheckpointView {
  if (!signed) return null;
  try {
    const { count, headHash, at } = openCheckpoint(signed, { district });
    return { count, headHash, at };
  } catch {
    return null;
  }
}

export async function auditStatus(ctx: GatewayContext) {
  const checkpoints = checkpointStore(ctx.store.redis, ctx.store.keys.audit);
  const [head, live, own, peer] = await Promise.all([ctx.audit.head(), ctx.audit.liveLength(), checkpoints.latestOwn(), checkpoints.latestPeer()]);
  const warnEntries = ctx.config.KC_AUDIT_WARN_ENTRIES;
  return {
    entries: head.count,
    live,
    archived: head.archived,
    warnEntries,
    warn: live >= warnEntries,
    lastCheckpoint: view(own, ctx.district),
    lastPeerCheckpoint: view(peer, ctx.peer),
  };
}
