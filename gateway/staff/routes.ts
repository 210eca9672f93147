/**
 * Sign-in, the current session, and sign-out of the staff console:
 *   POST   /api/v1/session  { username, password } → the session, and the cookie
 *   GET    /api/v1/session  → the session (the console asks on load)
 *   DELETE /api/v1/session  → signed out (CSRF token required, like every change)
 * A wrong user name and a wrong password get the same answer after the same work. Failed attempts
 * are counted per user name and client address in Redis; over the limit, 429 with Retry-After.
 */
import { noteSignedIn } from '../audit/staff-actions.js';
import express, { Router, type Response } from 'express';
import type { Cluster, Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import { clientKey } from '../citizen/rate-limits.js';
import type { GatewayContext } from '../context.js';
import { AppError, invalidFields } from '../errors.js';
import { DECOY_HASH, verifyPassword } from './passwords.js';
import { permissionsOf, ROLE_ZH } from './roles.js';
import { staffOf, type SignedInStaff, type StaffAuth } from './staff-auth.js';

const signInBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) });

/** Failed sign-ins allowed per user name and client address in SIGN_IN_WINDOW_SECONDS. */
const SIGN_IN_FAILURES = 10;
const SIGN_IN_WINDOW_SECONDS = 15 * 60;

export function staffSessionRoutes(ctx: GatewayContext, auth: StaffAuth, redis: Redis | Cluster): Router {
  const router = Router();
  const failures = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: ctx.store.keys.staffSignInLimits,
    points: SIGN_IN_FAILURES,
    duration: SIGN_IN_WINDOW_SECONDS,
  });

  const sessionBody = (staff: Pick<SignedInStaff, 'account' | 'session' | 'permissions'>) => ({
    username: staff.account.username,
    displayName: staff.account.displayName,
    district: ctx.district,
    roles: staff.account.roles,
    roleLabels: staff.account.roles.map((r) => ROLE_ZH[r]),
    permissions: staff.permissions,
    csrfToken: staff.session.csrfToken,
    expiresAt: new Date(auth.sessions.expiresAt(staff.session, ctx.clock.now())).toISOString(),
  });

  router.post('/api/v1/session', express.json({ limit: '4kb' }), async (req, res) => {
    const parsed = signInBody.safeParse(req.body);
    if (!parsed.success) throw invalidFields(parsed.error.issues, (f) => (f === 'password' ? '请输入密码' : '请输入用户名'));
    const { username, password } = parsed.data;
    const limitKey = `${username.toLowerCase()}|${clientKey(req.socket.remoteAddress)}`;
    await refuseWhenLocked(res, await failures.get(limitKey).catch(storeDown), ctx);

    const account = auth.directory.find(username);
    const matches = await verifyPassword(password, account?.passwordHash ?? DECOY_HASH);
    if (!account || account.disabled || !matches) {
      await failures.penalty(limitKey, 1).catch(storeDown);
      ctx.logger.warn({ code: 'STAFF_SIGN_IN_FAILED', known: Boolean(account) }, 'staff sign-in refused');
      throw new AppError('STAFF_SIGN_IN_FAILED', '用户名或密码错误');
    }
    await failures.delete(limitKey).catch(storeDown);
    const { token, session } = await auth.sessions.create(account.username, ctx.clock.now());
    auth.setCookie(res, token, ctx.config.KC_STAFF_SESSION_HOURS * 3_600_000);
    noteSignedIn(res, account.username);
    ctx.logger.info({ username: account.username }, 'staff signed in');
    res.status(200).json(sessionBody({ account, session, permissions: permissionsOf(account.roles) }));
  });

  router.get('/api/v1/session', auth.signedIn(), (_req, res) => {
    res.json(sessionBody(staffOf(res)!));
  });

  router.delete('/api/v1/session', auth.signedIn(), async (_req, res) => {
    const staff = staffOf(res)!;
    await auth.sessions.destroy(staff.token);
    auth.clearCookie(res);
    ctx.logger.info({ username: staff.account.username }, 'staff signed out');
    res.status(204).end();
  });

  return router;
}

async function refuseWhenLocked(res: Response, counted: RateLimiterRes | null, ctx: GatewayContext): Promise<void> {
  if (!counted || counted.consumedPoints < SIGN_IN_FAILURES) return;
  const retryAfter = Math.max(1, Math.ceil(counted.msBeforeNext / 1000));
  res.set('Retry-After', String(retryAfter));
  ctx.logger.warn({ code: 'RATE_LIMITED', limit: 'staff-sign-in' }, 'staff sign-in refused');
  throw new AppError('RATE_LIMITED', `登录失败次数过多，请 ${Math.ceil(retryAfter / 60)} 分钟后再试`);
}

/** Fails closed: without Redis there is no counting, and no sign-in. */
function storeDown(): never {
  throw new AppError('STORE_UNAVAILABLE', '登录服务暂时不可用，请稍后再试');
}
