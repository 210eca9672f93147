/**
 * What the approval system sent that this gateway could not map (a status code or a field the
 * catalog and the spec do not know). Such an event is not applied and not dropped: the system keeps
 * it (the callback is refused, the change feed stays at its cursor) until the catalog is fixed.
 * Meanwhile staff see the problem in diagnostics, and the log says it at error level.
 */
import type { AdapterError } from '../../adapters/adapter.js';
import type { GatewayContext } from '../context.js';

const KEPT = 100;

export interface ApprovalProblem {
  at: string;
  code: string;
  /** Where it came from: callback or change feed. */
  via: 'callback' | 'change_feed';
  /** The adapter's message: codes and numbers, no personal data. */
  message: string;
}

const key = (ctx: GatewayContext) => `${ctx.store.keys.prefix}:approval:problems`;

export function isMappingProblem(err: AdapterError): boolean {
  return err.code === 'UNKNOWN_STATUS' || err.code === 'UNKNOWN_FIELD';
}

export async function recordApprovalProblem(ctx: GatewayContext, err: AdapterError, via: ApprovalProblem['via']): Promise<void> {
  const problem: ApprovalProblem = { at: new Date(ctx.clock.now()).toISOString(), code: err.code, via, message: err.message };
  ctx.logger.error({ code: err.code, via, reason: err.message }, 'approval system sent what the catalog cannot map; not applied');
  await ctx.store.redis.multi().lpush(key(ctx), JSON.stringify(problem)).ltrim(key(ctx), 0, KEPT - 1).exec();
}

export async function listApprovalProblems(ctx: GatewayContext): Promise<ApprovalProblem[]> {
  return (await ctx.store.redis.lrange(key(ctx), 0, KEPT - 1)).map((p) => JSON.parse(p) as ApprovalProblem);
}
