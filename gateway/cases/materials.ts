/**
 * Handling side: staff record that the paper materials reached the handling district. For matters
 * whose clock starts on receipt of the paper (catalog `clock.startsOn: materials_received`), this
 * is the start event. Recorded once per case, as a shared event, so the origin counts from the
 * same moment. (Courier hand-offs will record the same event when a parcel is received.)
 */
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
import { recordSharedEvent } from './shared-events.js';
import { requireCase } from './require-case.js';

const body = z.strictObject({ receivedBy: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/) });

export async function recordMaterialsReceived(ctx: GatewayContext, caseNo: string, input: unknown): Promise<'recorded' | 'already_recorded'> {
  const parsed = body.safeParse(input);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'receivedBy must be a staff id', [{ field: 'receivedBy', code: 'INVALID', message: '接收人须为工号' }]);
  }
  const record = await requireCase(ctx, caseNo);
  if (record.handling !== ctx.district) throw new AppError('CASE_STATE_CONFLICT', `the paper of ${caseNo} is received in ${record.handling}`);
  const outcome = await recordSharedEvent(ctx, { caseNo, kind: 'materials_received', eventId: `materials-received:${caseNo}`, data: parsed.data });
  return outcome === 'OK' ? 'recorded' : 'already_recorded';
}
