/**
 * Staff actions into the audit log: every state-changing request a signed-in user made (forward,
 * supplements, hand-offs, resends, sign-out…) and every sign-in attempt, with the account, the
 * route pattern, the case it named and the answer's status. Written when the answer has gone, so
 * refusals are recorded as well as successes; reads are not actions and are left out.
 */
import type { Request, RequestHandler, Response } from 'express';
import type { GatewayContext } from '../context.js';
import { CASE_NO_PATTERN } from '../domain/case.js';
import { SAFE_METHODS, staffOf } from '../staff/staff-auth.js';

const SIGN_IN = '/api/v1/session';

/** Sign-in has no session yet when it succeeds: its route names the account here. */
export function noteSignedIn(res: Response, username: string): void {
  res.locals.auditActor = username;
}

function routeOf(req: Request): string {
  // The pattern, not the path: ids in paths are case numbers and message ids, but a pattern groups them.
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : '(no route)';
}

export function auditStaffActions(ctx: GatewayContext): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    res.on('finish', () => {
      const signInAttempt = req.method === 'POST' && req.path === SIGN_IN;
      const actor = staffOf(res)?.account.username ?? (res.locals.auditActor as string | undefined);
      if (!actor && !signInAttempt) return; // not a staff request (citizens, callbacks, pushes) or refused at the door
      const caseNo = req.path.split('/').find((segment) => CASE_NO_PATTERN.test(segment));
      void ctx.audit.record({
        kind: 'staff.action',
        // A failed sign-in names nobody: what was typed as a user name may be anything, even a password.
        actor: actor ?? '',
        method: req.method,
        route: routeOf(req),
        status: res.statusCode,
        ...(caseNo ? { caseNo } : {}),
      });
    });
    next();
  };
}
