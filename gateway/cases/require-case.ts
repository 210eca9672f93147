/** Looks a case up by its number for an entry point; a malformed or unknown number is CASE_NOT_FOUND. */
import type { GatewayContext } from '../context.js';
import { CASE_NO_PATTERN, type CaseRecord } from '../domain/case.js';
import { AppError } from '../errors.js';

export async function requireCase(ctx: GatewayContext, caseNo: string): Promise<CaseRecord> {
  const record = CASE_NO_PATTERN.test(caseNo) ? await ctx.store.getCase(caseNo) : null;
  if (!record) throw new AppError('CASE_NOT_FOUND', `no case ${caseNo}`);
  return record;
}
