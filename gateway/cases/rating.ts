/**
 * After completion the applicant rates the service: 满意 / 一般 / 不满意. The rating is taken where
 * the applicant applied (the origin gateway: its window, its citizen page, or a partner calling it),
 * once per case, and sent to the handling district as a shared event, so both sides count it.
 */
import { z } from 'zod';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
import { recordSharedEvent } from './shared-events.js';
import { requireCase } from './require-case.js';

export const RATINGS = ['satisfied', 'neutral', 'dissatisfied'] as const;
export type Rating = (typeof RATINGS)[number];
export const RATING_ZH: Record<Rating, string> = { satisfied: '满意', neutral: '一般', dissatisfied: '不满意' };

// No free text: a comment could carry personal data, and events hold none.
const ratingBody = z.strictObject({ rating: z.enum(RATINGS) });

export async function rateCase(ctx: GatewayContext, caseNo: string, body: unknown, channel: 'window' | 'partner' | 'citizen'): Promise<{ rating: Rating }> {
  const parsed = ratingBody.safeParse(body);
  if (!parsed.success) {
    throw new AppError('VALIDATION_FAILED', 'invalid rating', [{ field: 'rating', code: 'INVALID', message: '评价须为：满意、一般或不满意' }]);
  }
  const record = await requireCase(ctx, caseNo);
  if (record.origin !== ctx.district) throw new AppError('CASE_STATE_CONFLICT', `case ${caseNo} is rated where it was taken in (${record.origin})`);
  if (record.state !== 'approved' && record.state !== 'rejected') {
    throw new AppError('CASE_STATE_CONFLICT', `case ${caseNo} is ${record.state}; it can be rated once it is completed`);
  }
  const outcome = await recordSharedEvent(ctx, {
    caseNo,
    kind: 'rated',
    // One rating per case: a second one finds this id taken.
    eventId: `rating:${caseNo}`,
    data: { rating: parsed.data.rating, channel },
  });
  if (outcome === 'DUP') throw new AppError('ALREADY_RATED', `case ${caseNo} has already been rated`);
  return { rating: parsed.data.rating };
}
