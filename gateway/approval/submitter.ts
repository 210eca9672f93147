/**
 * Handling side: hands each received application to this district's approval system through the
 * adapter. The submission is a durable job (claimed with a lease, so a crash retries it), and the
 * adapter's submit is idempotent on the case number, so a retry never creates a second record.
 * The registration it returns becomes a status event like any other.
 */
import { AdapterError } from '../../adapters/adapter.js';
import type { GatewayContext } from '../context.js';
import { backoffDelay } from '../workers/backoff.js';
import { applyApprovalStatus } from './status-ingest.js';

const BATCH = 32;

export function createSubmitter(ctx: GatewayContext) {
  const leaseMs = 60_000;
  const backoff = (attempts: number) => backoffDelay(attempts, ctx.config.KC_OUTBOX_BASE_DELAY_MS, ctx.config.KC_OUTBOX_MAX_DELAY_MS);

  const submitOne = async (caseNo: string) => {
    const record = await ctx.store.getCase(caseNo);
    if (!record) {
      await ctx.store.finishSubmitJob(caseNo);
      return;
    }
    if (record.localNo) {
      await ctx.store.finishSubmitJob(caseNo);
      return;
    }
    const matter = ctx.catalog.get(record.matterId);
    if (!matter) {
      ctx.logger.error({ caseNo, matterId: record.matterId }, 'received case for a matter no longer in the catalog');
      await ctx.store.finishSubmitJob(caseNo);
      return;
    }
    try {
      const { localNo } = await ctx.adapter.submit({
        caseNo,
        localMatterCode: matter.localCodes[ctx.district],
        originDistrict: record.origin,
        application: record.application,
        submittedAt: record.createdAt,
      });
      await applyApprovalStatus(ctx, {
        eventId: `submit:${localNo}`,
        caseNo,
        localNo,
        status: 'registered',
        at: new Date(ctx.clock.now()).toISOString(),
        note: '',
      });
      await ctx.store.finishSubmitJob(caseNo);
      ctx.logger.info({ caseNo, localNo }, 'application registered in the approval system');
    } catch (err) {
      if (!(err instanceof AdapterError)) throw err;
      if (!err.retryable) {
        // The approval system refuses this request as it stands: a person must look at it.
        ctx.logger.error({ caseNo, code: err.code }, 'approval system refused the submission');
        await ctx.store.appendEvent(caseNo, { kind: 'submit_refused', state: record.state, at: new Date(ctx.clock.now()).toISOString(), note: err.code });
        await ctx.store.finishSubmitJob(caseNo);
        return;
      }
      const now = ctx.clock.now();
      const attempts = await ctx.store.retrySubmitJob(caseNo, (n) => now + backoff(n));
      ctx.logger.warn({ caseNo, code: err.code, attempts }, 'approval system unavailable; submission will be retried');
    }
  };

  return {
    async tick(): Promise<boolean> {
      const now = ctx.clock.now();
      const claimed = (
        await Promise.all(ctx.store.keys.shards.map((s) => ctx.store.claimDue(s.submitJobs, now, leaseMs, BATCH)))
      ).flat();
      await Promise.all(claimed.map(submitOne));
      return claimed.length > 0;
    },
  };
}
