/**
 * The district that follows a parcel lists its alerts on staff's worklist as it raises them
 * (ingest.ts); the other district lists them as their envelope arrives, so staff on both sides
 * see the parcel (GET /api/v1/parcels/attention).
 */
import type { GatewayContext } from '../context.js';
import type { EnvelopeBody } from '../envelope/envelope.js';
import { createParcelStore } from './parcel-store.js';

export async function listParcelAlert(ctx: GatewayContext, env: EnvelopeBody): Promise<void> {
  if (env.type !== 'event') return;
  const content = env.content as { kind?: unknown; data?: { handoffId?: unknown } };
  if (content.kind !== 'parcel_alert' || typeof content.data?.handoffId !== 'string') return;
  await createParcelStore(ctx.store).markAttention({ caseNo: env.caseNo, handoffId: content.data.handoffId }, ctx.clock.now());
}
