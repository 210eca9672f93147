/**
 * Wires parcel following for a gateway: the carrier's client and the follower loop, when the
 * carrier is configured (KC_COURIER_URL and its companions; config.ts refuses half a setting).
 * Without it, hand-offs are still recorded and shown, but no parcel is followed.
 */
import { createEmsClient } from '../../courier/ems/client.js';
import type { GatewayContext } from '../context.js';
import { instrumentCourierClient } from '../metrics/instrument.js';
import { createWorkerLoop, type WorkerLoop } from '../workers/loop.js';
import { createParcelFollower } from './follower.js';
import { createParcelStore } from './parcel-store.js';

export function createTrackingFollower(ctx: GatewayContext): WorkerLoop | undefined {
  const c = ctx.config;
  if (!c.KC_COURIER_URL || !c.KC_COURIER_PARTNER_ID || !c.KC_COURIER_API_KEY || !c.KC_COURIER_CALLBACK_URL) {
    ctx.logger.info('no carrier configured (KC_COURIER_URL): parcels are recorded but not followed');
    return undefined;
  }
  const client = instrumentCourierClient(
    createEmsClient({ baseUrl: c.KC_COURIER_URL, partnerId: c.KC_COURIER_PARTNER_ID, apiKey: c.KC_COURIER_API_KEY, timeoutMs: c.KC_COURIER_TIMEOUT_MS }),
    ctx.metrics,
  );
  const follower = createParcelFollower(ctx, { client, callbackUrl: c.KC_COURIER_CALLBACK_URL, parcels: createParcelStore(ctx.store) });
  return createWorkerLoop('parcel-follower', c.KC_PARCEL_TICK_MS, follower.tick, ctx.logger);
}
