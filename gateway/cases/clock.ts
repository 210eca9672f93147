/**
 * Handling side: the officer stops the clock for a statutory suspension (听证, 检验检测, 专家评审 —
 * the Administrative Licensing Law §45 periods) and starts it again. Each is a shared event, so
 * the origin district counts the same pause.
 */
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import type { CaseRecord } from '../domain/case.js';
import { AppError, invalidFields } from '../errors.js';
import { recordSharedEvent } from './shared-events.js';
import { requireCase } from './require-case.js';

const pauseBody = z.strictObject({
  reason: z.enum(['hearing', 'testing', 'expert_review', 'other_suspension']),
  note: z.string().max(1000).default(''),
});

const DECIDED = new Set(['approved', 'rejected']);

function openPauses(record: CaseRecord): Set<string> {
  const open = new Set<string>();
  for (const e of record.events) {
    const id = String(e.data?.pauseId ?? '');
    if (e.kind === 'clock_paused') open.add(id);
    if (e.kind === 'clock_resumed') open.delete(id);
  }
  return open;
}

async function handledCase(ctx: GatewayContext, caseNo: string): Promise<CaseRecord> {
  const record = await requireCase(ctx, caseNo);
  if (record.handling !== ctx.district) throw new AppError('CASE_STATE_CONFLICT', `only the handling district (${record.handling}) stops or restarts the clock of ${caseNo}`);
  if (DECIDED.has(record.state)) throw new AppError('CASE_STATE_CONFLICT', `case ${caseNo} is already decided (${record.state})`);
  return record;
}

export async function pauseClock(ctx: GatewayContext, caseNo: string, body: unknown): Promise<{ pauseId: string }> {
  const parsed = pauseBody.safeParse(body);
  if (!parsed.success) {
    throw invalidFields(parsed.error.issues, () => '中止原因无效');
  }
  await handledCase(ctx, caseNo);
  const pauseId = ctx.newId();
  await recordSharedEvent(ctx, { caseNo, kind: 'clock_paused', eventId: `pause:${pauseId}`, data: { pauseId, reason: parsed.data.reason }, note: parsed.data.note });
  return { pauseId };
}

export async function resumeClock(ctx: GatewayContext, caseNo: string, pauseId: string): Promise<void> {
  const record = await handledCase(ctx, caseNo);
  if (!openPauses(record).has(pauseId)) throw new AppError('CASE_STATE_CONFLICT', `no running pause ${pauseId} on ${caseNo}`);
  await recordSharedEvent(ctx, { caseNo, kind: 'clock_resumed', eventId: `resume:${pauseId}`, data: { pauseId } });
}
