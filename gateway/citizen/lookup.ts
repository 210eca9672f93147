/**
 * The citizen's lookup: a case number and the last four digits of the applicant's phone. A wrong
 * number and a wrong phone give one answer, in about the same time: the store is read either way,
 * the digits are compared in constant time (against a dummy when there is no case), and every
 * miss is held to a floor, so neither the body nor the clock tells which of the two was wrong.
 */
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { RATINGS } from '../cases/rating.js';
import type { GatewayContext } from '../context.js';
import { CASE_NO_PATTERN, type CaseRecord } from '../domain/case.js';
import { AppError } from '../errors.js';

export const NOT_FOUND_MESSAGE = '未找到匹配的办件，请核对办件编号和手机号后四位';

const FIELD_MESSAGES: Record<string, string> = {
  caseNo: '请输入正确的办件编号，例如 KC-LW-20261121-000123',
  phoneLast4: '请输入申请时所留手机号的后四位数字',
  rating: '评价须为：满意、一般或不满意',
};

// Citizens type: full-width characters, lower case and stray spaces are read as meant.
const caseNo = z
  .string()
  .max(40)
  .transform((s) => s.normalize('NFKC').replace(/\s+/g, '').toUpperCase())
  .pipe(z.string().regex(CASE_NO_PATTERN));
const phoneLast4 = z
  .string()
  .max(10)
  .transform((s) => s.normalize('NFKC').trim())
  .pipe(z.string().regex(/^\d{4}$/));

export const lookupBody = z.strictObject({ caseNo, phoneLast4 });
export const ratingBody = z.strictObject({ caseNo, phoneLast4, rating: z.enum(RATINGS) });

/** The body as the schema reads it, or VALIDATION_FAILED naming each field in Chinese. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const seen = new Set<string>();
  const issues = [];
  for (const issue of parsed.error.issues) {
    const field = issue.code === 'unrecognized_keys' || issue.path.length === 0 ? '(body)' : String(issue.path[0]);
    if (seen.has(field)) continue;
    seen.add(field);
    issues.push({ field, code: 'INVALID', message: FIELD_MESSAGES[field] ?? '请求内容格式不正确' });
  }
  throw new AppError('VALIDATION_FAILED', '查询信息不完整或格式不正确', issues);
}

/** The last four digits of a stored phone number; a placeholder that no input can equal when there are fewer. */
function lastFourDigits(phone: string | undefined): string {
  const digits = (phone ?? '').replace(/\D/g, '');
  return digits.length >= 4 ? digits.slice(-4) : 'xxxx';
}

export interface FindOptions {
  /** Every miss takes at least this long (ms), whichever part was wrong. */
  missFloorMs: number;
}

/** The case when its number and phone digits match; TRACKING_NOT_FOUND otherwise, the same either way. */
export async function findForCitizen(ctx: GatewayContext, input: { caseNo: string; phoneLast4: string }, opts: FindOptions): Promise<CaseRecord> {
  const started = performance.now();
  const record = await ctx.store.getCase(input.caseNo);
  const expected = Buffer.from(lastFourDigits(record?.application?.applicant?.phone), 'latin1');
  const given = Buffer.from(input.phoneLast4, 'latin1');
  // Both are 4 bytes by construction (the schema checks the input), so timingSafeEqual cannot throw.
  const digitsMatch = expected.length === given.length && timingSafeEqual(expected, given);
  if (record && digitsMatch) {
    ctx.logger.info({ caseNo: input.caseNo, outcome: 'found' }, 'citizen tracking lookup');
    return record;
  }
  ctx.logger.info({ caseNo: input.caseNo, outcome: 'not_found' }, 'citizen tracking lookup');
  const wait = opts.missFloorMs - (performance.now() - started);
  if (wait > 0) await sleep(wait);
  throw new AppError('TRACKING_NOT_FOUND', NOT_FOUND_MESSAGE);
}
