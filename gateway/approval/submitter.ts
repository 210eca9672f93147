/**
 * Handling side: does the work this district owes its approval system — submit each received
 * application, file supplementary materials, fetch the decision record — as durable jobs
 * (gateway/approval/jobs.ts) claimed with a lease, so a crash retries them. The adapter's calls
 * are idempotent (case number, supplement id), so a retry never creates a second record.
 * What comes back becomes a status event or a shared event like any other.
 */
import { AdapterError } from '../../adapters/adapter.js';
import type { GatewayContext } from '../context.js';
import type { CaseRecord } from '../domain/case.js';
import type { SharedEventData } from '../domain/shared-events.js';
import { recordSharedEvent } from '../cases/shared-events.js';
import { backoffDelay } from '../workers/backoff.js';
import { parseJobMember, type ApprovalJob } from './jobs.js';
import { applyApprovalStatus } from './status-ingest.js';

const BATCH = 32;

type Outcome = 'done' | 'retry';

export function createSubmitter(ctx: GatewayContext) {
  const leaseMs = 60_000;
  const backoff = (attempts: number) => backoffDelay(attempts, ctx.config.KC_OUTBOX_BASE_DELAY_MS, ctx.config.KC_OUTBOX_MAX_DELAY_MS);
  const nowIso = () => new Date(ctx.clock.now()).toISOString();

  const submit = async (record: CaseRecord): Promise<Outcome> => {
    if (record.localNo) return 'done';
    const matter = ctx.catalog.get(record.matterId);
    if (!matter) {
      ctx.logger.error({ caseNo: record.caseNo, matterId: record.matterId }, 'received case for a matter no longer in the catalog');
      return 'done';
    }
    const { localNo } = await ctx.adapter.submit({
      caseNo: record.caseNo,
      matter,
      originDistrict: record.origin,
      application: record.application,
      submittedAt: record.createdAt,
    });
    await applyApprovalStatus(ctx, { eventId: `submit:${localNo}`, caseNo: record.caseNo, localNo, status: 'registered', at: nowIso(), note: '' });
    ctx.logger.info({ caseNo: record.caseNo, localNo }, 'application registered in the approval system');
    return 'done';
  };

  const fileSupplement = async (record: CaseRecord, supplementId: string): Promise<Outcome> => {
    const filed = record.events.find((e) => e.kind === 'supplement_filed' && e.data?.supplementId === supplementId);
    const matter = ctx.catalog.get(record.matterId);
    if (!filed || !matter) {
      ctx.logger.error({ caseNo: record.caseNo, supplementId }, 'supplement job without its event or matter');
      return 'done';
    }
    // Registration comes first: a supplement for a case the system does not hold yet waits.
    if (!record.localNo) return 'retry';
    const data = filed.data as SharedEventData<'supplement_filed'>;
    const { receiptNo } = await ctx.adapter.submitSupplement({
      caseNo: record.caseNo,
      localNo: record.localNo,
      matter,
      supplementId,
      materials: data.materials,
      note: filed.note ?? '',
      submittedAt: filed.at,
    });
    await recordSharedEvent(ctx, { caseNo: record.caseNo, kind: 'supplement_registered', eventId: `supplement-registered:${supplementId}`, data: { supplementId, receiptNo } });
    return 'done';
  };

  const fetchResult = async (record: CaseRecord): Promise<Outcome> => {
    if (!record.localNo) return 'retry';
    const result = await ctx.adapter.fetchResult(record.localNo);
    await recordSharedEvent(ctx, {
      caseNo: record.caseNo,
      kind: 'result_issued',
      eventId: `result:${result.localNo}:${result.documentNo}`,
      data: { decision: result.decision, documentName: result.documentName, documentNo: result.documentNo, issuedAt: result.issuedAt },
      note: result.reason,
    });
    return 'done';
  };

  const run = (job: ApprovalJob, record: CaseRecord): Promise<Outcome> => {
    switch (job.kind) {
      case 'submit':
        return submit(record);
      case 'supplement':
        return fileSupplement(record, job.supplementId);
      case 'result':
        return fetchResult(record);
    }
  };

  const retry = async (caseNo: string, member: string, code: string) => {
    const now = ctx.clock.now();
    const attempts = await ctx.store.retryApprovalJob(caseNo, member, (n) => now + backoff(n));
    ctx.logger.warn({ caseNo, job: member, code, attempts }, 'approval system job will be retried');
  };

  const runOne = async (member: string) => {
    const job = parseJobMember(member);
    if (!job) {
      ctx.logger.error({ job: member }, 'unreadable approval job dropped');
      await ctx.store.finishApprovalJob(member.split('|')[0] ?? member, member);
      return;
    }
    const record = await ctx.store.getCase(job.caseNo);
    if (!record) return ctx.store.finishApprovalJob(job.caseNo, member);
    try {
      const outcome = await run(job, record);
      if (outcome === 'done') await ctx.store.finishApprovalJob(job.caseNo, member);
      else await retry(job.caseNo, member, 'WAITING_FOR_REGISTRATION');
    } catch (err) {
      if (!(err instanceof AdapterError)) throw err;
      if (err.retryable) return retry(job.caseNo, member, err.code);
      // The approval system refuses this request as it stands: staff on both sides must see it.
      ctx.logger.error({ caseNo: job.caseNo, job: job.kind, code: err.code }, 'approval system refused the request');
      await ctx.store.appendEvent(job.caseNo, { kind: `${job.kind}_refused`, state: record.state, at: nowIso(), note: err.code });
      await ctx.store.finishApprovalJob(job.caseNo, member);
    }
  };

  return {
    async tick(): Promise<boolean> {
      const now = ctx.clock.now();
      const claimed = (await Promise.all(ctx.store.keys.shards.map((s) => ctx.store.claimDue(s.approvalJobs, now, leaseMs, BATCH)))).flat();
      await Promise.all(claimed.map(runOne));
      return claimed.length > 0;
    },
  };
}
