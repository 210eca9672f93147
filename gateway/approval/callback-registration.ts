/**
 * Tells the approval system where to push status changes (KC_APPROVAL_CALLBACK_URL), at start and
 * until it has taken it: a system that is down when the gateway starts is asked again later.
 * Registering is idempotent on the system's side; polling covers the time before it succeeds.
 */
import { AdapterError } from '../../adapters/adapter.js';
import type { GatewayContext } from '../context.js';

export function createCallbackRegistration(ctx: GatewayContext, url: string | undefined) {
  let registered = url === undefined;
  return {
    get registered() {
      return registered;
    },
    async tick(): Promise<boolean> {
      if (registered || url === undefined) return false;
      try {
        await ctx.adapter.registerCallback(url);
        registered = true;
        ctx.logger.info({ url }, 'callback URL registered with the approval system');
      } catch (err) {
        if (!(err instanceof AdapterError)) throw err;
        ctx.logger.warn({ code: err.code }, 'approval system did not take the callback URL; will ask again');
      }
      return false;
    },
  };
}
