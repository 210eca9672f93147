/**
 * Taking in an application at the origin window: validate, give it a case number, and store the
 * case together with its application envelope (the outbox) in one atomic step.
 */
import { createHash } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import { shanghaiDate } from '../clock.js';
import { formatCaseNo, type CaseRecord, type Crossing } from '../domain/case.js';
import { DISTRICT_CODE } from '../domain/district.js';
import { canonicalBytes } from '../envelope/canonical.js';
import type { EnvelopeDraft } from '../envelope/envelope.js';
import { AppError } from '../errors.js';
import { validateIntake } from './validate.js';

export interface ForwardInput {
  body: unknown;
  /** Optional client-chosen key: a retry with the same key returns the same case. */
  idempotencyKey?: string;
  /** Who is calling (window staff, a partner id): idempotency keys are scoped to it. */
  caller: string;
}

export async function forwardApplication(ctx: GatewayContext, input: ForwardInput): Promise<CaseRecord> {
  const { application, matter } = validateIntake(input.body, ctx.catalog, ctx.district);
  const now = ctx.clock.now();
  let caseNo: string | undefined;
  let requestSha: string | undefined;

  if (input.idempotencyKey) {
    if (!/^[\w.:-]{8,128}$/.test(input.idempotencyKey)) {
      throw new AppError('VALIDATION_FAILED', 'idempotency key must be 8–128 characters of letters, digits, . _ : -', [
        { field: 'idempotencyKey', code: 'INVALID', message: '幂等键格式无效' },
      ]);
    }
    requestSha = sha256Of(application);
    caseNo = await allocateCaseNo(ctx, now);
    const earlier = await ctx.store.reserveIdempotency(input.caller, input.idempotencyKey, `${caseNo}|${requestSha}`);
    if (earlier) {
      const [earlierCaseNo, earlierSha] = earlier.split('|');
      if (earlierSha !== requestSha) {
        throw new AppError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used for a different application');
      }
      const existing = await ctx.store.getCase(earlierCaseNo!);
      if (existing) return existing;
      // The earlier attempt reserved the number but died before storing the case: finish it.
      caseNo = earlierCaseNo!;
    }
  }

  for (let attempt = 0; attempt < 5; attempt++) {
    caseNo ??= await allocateCaseNo(ctx, now);
    const messageId = ctx.newId();
    const draft: EnvelopeDraft = {
      id: messageId,
      type: 'application',
      from: ctx.district,
      to: matter.handlingDistrict,
      caseNo,
      seq: 1,
      content: { matterId: matter.id, takenInAt: new Date(now).toISOString(), application: { ...application } },
    };
    const meta: Crossing = {
      id: messageId,
      type: 'application',
      direction: 'out',
      from: ctx.district,
      to: matter.handlingDistrict,
      seq: 1,
      delivery: 'queued',
      attempts: 0,
      createdAt: new Date(now).toISOString(),
    };
    const result = await ctx.store.createCase({
      caseNo,
      messageId,
      createdAtMs: now,
      matterId: matter.id,
      origin: ctx.district,
      handling: matter.handlingDistrict,
      application,
      draft: JSON.stringify(draft),
      meta,
    });
    if (result.created) {
      if (input.idempotencyKey && requestSha) await ctx.store.setIdempotency(input.caller, input.idempotencyKey, `${caseNo}|${requestSha}`);
      ctx.logger.info({ caseNo, matterId: matter.id, messageId }, 'case taken in; application envelope queued');
      ctx.wake.dispatcher();
      return (await ctx.store.getCase(caseNo))!;
    }
    if (requestSha) {
      // Two retries of one keyed forward raced: the other stored it. Same key, same case — but only
      // if it really is this application and not an older case that happens to hold the number.
      const existing = await ctx.store.getCase(caseNo);
      if (existing && sha256Of(existing.application) === requestSha) return existing;
    }
    // The number was already taken (e.g. a counter lost to a Redis crash): take the next one.
    ctx.logger.warn({ caseNo }, 'case number already in use; allocating another');
    caseNo = undefined;
  }
  throw new AppError('INTERNAL', 'could not allocate a free case number');
}

async function allocateCaseNo(ctx: GatewayContext, now: number): Promise<string> {
  const date = shanghaiDate(now);
  const seq = await ctx.store.nextCaseSequence(DISTRICT_CODE[ctx.district], date);
  return formatCaseNo(ctx.district, date, seq);
}

function sha256Of(value: unknown): string {
  return createHash('sha256').update(canonicalBytes(value)).digest('hex');
}
