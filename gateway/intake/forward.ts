/**
 * Taking in an application at the origin window: validate, give it a case number, and store the
 * case together with its application envelope (the outbox) in one atomic step.
 */
import { createHash } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import { shanghaiDate } from '../clock.js';
import type { Application } from '../domain/application.js';
import { formatCaseNo, type CaseRecord, type Crossing } from '../domain/case.js';
import type { Matter } from '../catalog/catalog.js';
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
  const now = ctx.clock.now();
  const { application, matter } = validateWithKey(ctx, input, now);
  if (!input.idempotencyKey) return storeNewCase(ctx, { application, matter, now });

  const requestSha = sha256Of(application);
  const key = { caller: input.caller, key: input.idempotencyKey, requestSha };
  // Look first, so that a retry does not use up a case number; reserve only for a new request.
  let earlier = await ctx.store.getIdempotency(key.caller, key.key);
  let caseNo: string | undefined;
  if (!earlier) {
    caseNo = await allocateCaseNo(ctx, now);
    earlier = await ctx.store.reserveIdempotency(key.caller, key.key, `${caseNo}|${requestSha}`);
  }
  if (earlier) {
    const [earlierCaseNo, earlierSha] = earlier.split('|') as [string, string];
    if (earlierSha !== requestSha) throw new AppError('IDEMPOTENCY_CONFLICT', 'this idempotency key was used for a different application');
    const existing = await ctx.store.getCase(earlierCaseNo);
    if (existing) return existing;
    // The earlier attempt reserved the number but died before storing the case: finish it.
    caseNo = earlierCaseNo;
  }
  return storeNewCase(ctx, { application, matter, now, caseNo, key });
}

/**
 * Stores the case with its application envelope queued, in one Lua step. A case number that turns
 * out to be taken (a counter lost to a Redis crash) is skipped for the next one.
 */
async function storeNewCase(
  ctx: GatewayContext,
  c: { application: Application; matter: Matter; now: number; caseNo?: string; key?: { caller: string; key: string; requestSha: string } },
): Promise<CaseRecord> {
  const { application, matter, now, key } = c;
  let caseNo = c.caseNo;
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
      if (key) await ctx.store.setIdempotency(key.caller, key.key, `${caseNo}|${key.requestSha}`);
      ctx.logger.info({ caseNo, matterId: matter.id, messageId }, 'case taken in; application envelope queued');
      ctx.wake.dispatcher();
      return (await ctx.store.getCase(caseNo))!;
    }
    if (key) {
      // Two retries of one keyed forward raced: the other stored it. Same key, same case — but only
      // if it really is this application and not an older case that happens to hold the number.
      const existing = await ctx.store.getCase(caseNo);
      if (existing && sha256Of(existing.application) === key.requestSha) return existing;
    }
    ctx.logger.warn({ caseNo }, 'case number already in use; allocating another');
    caseNo = undefined;
  }
  throw new AppError('INTERNAL', 'could not allocate a free case number');
}

const IDEMPOTENCY_KEY = /^[\w.:-]{8,128}$/;

/** Intake validation with the idempotency key's format checked alongside, so all problems come at once. */
function validateWithKey(ctx: GatewayContext, input: ForwardInput, now: number) {
  const keyIssues =
    input.idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(input.idempotencyKey)
      ? [{ field: 'idempotencyKey', code: 'INVALID', message: '幂等键须为 8–128 位字母、数字或 . _ : -' }]
      : [];
  let valid;
  try {
    valid = validateIntake(input.body, ctx.catalog, ctx.district, now);
  } catch (err) {
    if (keyIssues.length > 0 && err instanceof AppError && err.code === 'VALIDATION_FAILED') {
      throw new AppError('VALIDATION_FAILED', `${err.issues.length + 1} field(s) are missing or invalid`, [...err.issues, ...keyIssues]);
    }
    throw err;
  }
  if (keyIssues.length > 0) throw new AppError('VALIDATION_FAILED', 'the idempotency key is invalid', keyIssues);
  return valid;
}

async function allocateCaseNo(ctx: GatewayContext, now: number): Promise<string> {
  const date = shanghaiDate(now);
  const seq = await ctx.store.nextCaseSequence(DISTRICT_CODE[ctx.district], date);
  return formatCaseNo(ctx.district, date, seq);
}

function sha256Of(value: unknown): string {
  return createHash('sha256').update(canonicalBytes(value)).digest('hex');
}
