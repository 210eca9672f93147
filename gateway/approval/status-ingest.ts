/**
 * Handling side: status changes reported by this district's approval system — pushed by callback,
 * or found by polling its change feed when pushes stop — become case state and a status envelope to
 * the origin district, in one atomic step. Both paths may report the same event; the store
 * de-duplicates by the approval system's event id.
 */
import { AdapterError, DECISION_STATUSES, type ApprovalStatusEvent } from '../../adapters/adapter.js';
import { jobMember } from './jobs.js';
import { isMappingProblem, recordApprovalProblem } from './problems.js';
import { supervisionKeys } from '../supervision/keys.js';
import type { GatewayContext } from '../context.js';
import type { EnvelopeDraft } from '../envelope/envelope.js';
import type { ApprovalApplyResult } from '../store/case-store.js';

export async function applyApprovalStatus(ctx: GatewayContext, event: ApprovalStatusEvent): Promise<ApprovalApplyResult> {
  const messageId = ctx.newId();
  const draft: Omit<EnvelopeDraft, 'seq'> = {
    id: messageId,
    type: 'status',
    from: ctx.district,
    to: ctx.peer,
    caseNo: event.caseNo,
    content: { state: event.status, localNo: event.localNo, at: event.at, note: event.note },
  };
  const result = await ctx.store.applyApprovalEvent({
    caseNo: event.caseNo,
    eventId: event.eventId,
    state: event.status,
    localNo: event.localNo,
    at: event.at,
    note: event.note,
    messageId,
    draft: JSON.stringify(draft),
    from: ctx.district,
    to: ctx.peer,
    nowMs: ctx.clock.now(),
    // After a decision, the decision record is fetched and sent on as a result event.
    followUpJob: (DECISION_STATUSES as readonly string[]).includes(event.status) ? jobMember({ kind: 'result', caseNo: event.caseNo }) : '',
    // The deadline watcher looks at the case now, put there by the same script.
    watchKey: supervisionKeys(ctx.store.keys).shardFor(event.caseNo).watch,
  });
  const log = { caseNo: event.caseNo, eventId: event.eventId, status: event.status, outcome: result.outcome };
  if (result.outcome === 'OK') {
    ctx.logger.info({ ...log, messageId, seq: result.seq }, 'approval status applied; status envelope queued');
    ctx.wake.dispatcher();
  } else if (result.outcome === 'CASE_NOT_FOUND' || result.outcome === 'IGNORED') {
    ctx.logger.warn(log, 'approval status not applied');
  }
  return result;
}

/** Polling fallback: reads the approval system's change feed from the stored cursor. */
export function createStatusPoller(ctx: GatewayContext) {
  return {
    async tick(): Promise<boolean> {
      const cursor = await ctx.store.getApprovalCursor();
      let page;
      try {
        page = await ctx.adapter.changesSince(cursor);
      } catch (err) {
        if (err instanceof AdapterError) {
          if (isMappingProblem(err)) await recordApprovalProblem(ctx, err, 'change_feed');
          else ctx.logger.warn({ code: err.code }, 'approval change feed unavailable');
          return false;
        }
        throw err;
      }
      for (const event of page.events) {
        // Cases taken in by the approval system's own windows are none of our business.
        if (!/^KC-/.test(event.caseNo)) continue;
        await applyApprovalStatus(ctx, event);
      }
      if (page.cursor !== cursor) await ctx.store.setApprovalCursor(page.cursor);
      return page.events.length > 0;
    },
  };
}
