/**
 * When the carrier last pushed to us (an authentic push, whatever it carried), for diagnostics: if
 * pushes stopped, parcels are only followed by polling. Kept in Redis, one SET per push, so every
 * replica reports the same time whichever one the carrier reached.
 */
import type { GatewayContext } from '../context.js';

const lastPushKey = (ctx: GatewayContext) => `${ctx.store.keys.prefix}:ops:courier:last-push`;

/** Never fails the push: a lost timestamp is not worth the carrier resending its events. */
export async function recordCourierPush(ctx: GatewayContext): Promise<void> {
  try {
    await ctx.store.redis.set(lastPushKey(ctx), new Date(ctx.clock.now()).toISOString());
  } catch (err) {
    ctx.logger.warn({ code: 'STORE_UNAVAILABLE', reason: (err as Error).message }, 'could not record the time of the courier push');
  }
}

export async function lastCourierPushAt(ctx: GatewayContext): Promise<string | null> {
  return ctx.store.redis.get(lastPushKey(ctx));
}
