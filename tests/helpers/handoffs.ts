/** A materials hand-off as a Liwan window records it, for tests and benchmarks that need a parcel on a case. */
import type { TrackingEvent } from '../../courier/tracking-status.js';
import { recordSharedEvent } from '../../gateway/cases/shared-events.js';
import type { GatewayContext } from '../../gateway/context.js';
import { postJson } from './applications.js';

export const SAMPLE_MANIFEST = [{ name: '公司章程', form: 'original', copies: 1, pages: 12 }];

/** The body of POST /api/v1/cases/{caseNo}/handoffs for the materials, with any field replaced. */
export function materialsDispatch(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'materials_to_handling',
    manifest: SAMPLE_MANIFEST,
    sealNo: 'LW-SEAL-000777',
    handedBy: 'LW-W-0007',
    takenBy: 'EMS-C-0042',
    carrier: 'ems',
    waybill: 'EA123456785CN',
    ...overrides,
  };
}

/** Dispatches the materials at `httpUrl` (the origin gateway); returns the hand-off id, throws on anything but 201. */
export async function dispatchMaterials(httpUrl: string, caseNo: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const sent = await postJson(`${httpUrl}/api/v1/cases/${caseNo}/handoffs`, materialsDispatch(overrides));
  if (sent.status !== 201) throw new Error(`dispatch of ${caseNo} answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  return sent.body.handoffId as string;
}

/**
 * Carrier scans on a hand-off's parcel, recorded as the tracking ingest records them (one shared
 * `tracking` event), for tests of what is shown rather than of how scans arrive.
 */
export async function recordScans(
  ctx: GatewayContext,
  caseNo: string,
  handoffId: string,
  waybill: string,
  scans: Omit<TrackingEvent, 'waybill'>[],
): Promise<void> {
  await recordSharedEvent(ctx, {
    caseNo,
    kind: 'tracking',
    eventId: `tracking:${handoffId}:${scans.length}`,
    data: { handoffId, waybill, events: scans.map((s) => ({ waybill, ...s })) },
  });
}
