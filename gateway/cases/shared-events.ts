/**
 * Records a shared event where it happened and sends it to the other district in a signed `event`
 * envelope (one atomic store step), so both gateways keep the same chain of events.
 */
import type { GatewayContext } from '../context.js';
import type { EnvelopeDraft } from '../envelope/envelope.js';
import { AppError } from '../errors.js';
import { watchIfHandledHere } from '../supervision/watch.js';
import { sharedEventProblem, type SharedEventContent, type SharedEventData, type SharedEventKind } from '../domain/shared-events.js';

export interface SharedEventInput<K extends SharedEventKind> {
  caseNo: string;
  kind: K;
  /** De-duplication key; a retry with the same id records nothing new. */
  eventId: string;
  data: SharedEventData<K>;
  note?: string;
  /** When it happened (default: now). */
  atMs?: number;
  /** Work that follows from the event here, queued in the same store step (see CaseStore). */
  followUp?: { queue: string; member: string; dueMs: number };
}

export async function recordSharedEvent<K extends SharedEventKind>(ctx: GatewayContext, input: SharedEventInput<K>): Promise<'OK' | 'DUP'> {
  const content: SharedEventContent = {
    kind: input.kind,
    eventId: input.eventId,
    at: new Date(input.atMs ?? ctx.clock.now()).toISOString(),
    note: input.note ?? '',
    data: input.data as Record<string, unknown>,
  };
  const problem = sharedEventProblem(content);
  if (problem) throw new Error(`refusing to send an invalid ${input.kind} event: ${problem}`);
  const messageId = ctx.newId();
  const draft: Omit<EnvelopeDraft, 'seq'> = { id: messageId, type: 'event', from: ctx.district, to: ctx.peer, caseNo: input.caseNo, content };
  const { eventId: _id, ...event } = content;
  const result = await ctx.store.recordSharedEvent({
    caseNo: input.caseNo,
    eventId: input.eventId,
    event: JSON.stringify({ ...event, eventId: input.eventId }),
    messageId,
    draft: JSON.stringify(draft),
    from: ctx.district,
    to: ctx.peer,
    nowMs: ctx.clock.now(),
    ...(input.followUp ? { followUp: input.followUp } : {}),
  });
  if (result.outcome === 'CASE_NOT_FOUND') throw new AppError('CASE_NOT_FOUND', `no case ${input.caseNo}`);
  if (result.outcome === 'OK') {
    ctx.logger.info({ caseNo: input.caseNo, kind: input.kind, messageId, seq: result.seq }, 'shared event recorded; envelope queued');
    ctx.wake.dispatcher();
    await watchIfHandledHere(ctx, input.caseNo);
  }
  return result.outcome;
}
