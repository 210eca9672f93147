/**
 * Origin side: the applicant brings the supplementary materials (补正材料) the handling district
 * asked for to the window where the case was taken in. They are recorded here and carried to the
 * handling district in a signed event, whose gateway files them with its approval system.
 */
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import { AppError, invalidFields } from '../errors.js';
import { recordSharedEvent } from './shared-events.js';
import { requireCase } from './require-case.js';

const supplementBody = z.strictObject({
  materials: z.array(z.strictObject({ name: z.string().trim().min(1).max(200), form: z.enum(['original', 'copy']), copies: z.number().int().min(1).max(99) })).min(1).max(50),
  note: z.string().max(1000).default(''),
});

export async function fileSupplement(ctx: GatewayContext, caseNo: string, body: unknown): Promise<{ supplementId: string }> {
  const parsed = supplementBody.safeParse(body);
  if (!parsed.success) {
    throw invalidFields(parsed.error.issues, () => '补正材料信息不完整或格式不正确');
  }
  const record = await requireCase(ctx, caseNo);
  // The handling system files materials by its own codes: only checklist materials can be sent.
  const checklist = new Set(ctx.catalog.get(record.matterId)?.materials.map((m) => m.name) ?? []);
  const unknown = parsed.data.materials.flatMap((m, i) => (checklist.has(m.name) ? [] : [i]));
  if (unknown.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${unknown.length} material(s) are not on the checklist of ${record.matterId}`,
      unknown.map((i) => ({ field: `materials[${i}]`, code: 'UNKNOWN_MATERIAL', message: `“${parsed.data.materials[i]!.name}”不在该事项的材料清单中` })),
    );
  }
  if (record.origin !== ctx.district) {
    throw new AppError('CASE_STATE_CONFLICT', `supplements for ${caseNo} are taken in at its origin window (${record.origin})`);
  }
  if (record.state !== 'supplement_requested') {
    throw new AppError('CASE_STATE_CONFLICT', `case ${caseNo} is ${record.state}; supplements are taken only while it waits for them`);
  }
  const supplementId = ctx.newId();
  await recordSharedEvent(ctx, {
    caseNo,
    kind: 'supplement_filed',
    eventId: `supplement:${supplementId}`,
    data: { supplementId, materials: parsed.data.materials },
    note: parsed.data.note,
  });
  return { supplementId };
}
