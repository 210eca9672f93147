/**
 * The staff face's door: who is signed in (session cookie), whether a state-changing request
 * carries the session's CSRF token, and whether one of the user's roles grants the permission a
 * route asks for. Every refusal has its own code; refusals of a signed-in user are logged with the
 * user name (staff, not citizens) and the permission.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { Cluster, Redis } from 'ioredis';
import { timingSafeEqual } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import { AppError } from '../errors.js';
import type { StaffAccount, StaffDirectory } from './accounts.js';
import { permissionsOf, type Permission } from './roles.js';
import { createSessionStore, type SessionStore, type StaffSessionRecord } from './sessions.js';

export const SESSION_COOKIE = 'kc_session';
export const CSRF_HEADER = 'x-csrf-token';
/** Methods that change nothing: no CSRF token asked, and not staff actions for the audit log. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SignedInStaff {
  account: StaffAccount;
  session: StaffSessionRecord;
  token: string;
  permissions: Permission[];
}

export type StaffGuard = (permission: Permission | readonly Permission[]) => RequestHandler;

export interface StaffAuth {
  sessions: SessionStore;
  directory: StaffDirectory;
  /** Middleware: the request must come from a signed-in user whose roles grant `permission`. */
  guard: StaffGuard;
  /** Middleware: any signed-in user (sign-out, the session itself). */
  signedIn(): RequestHandler;
  setCookie(res: Response, token: string, maxAgeMs: number): void;
  clearCookie(res: Response): void;
}

/** The signed-in user a guard let through (undefined on public routes). */
export function staffOf(res: Response): SignedInStaff | undefined {
  return res.locals.staff as SignedInStaff | undefined;
}

export function createStaffAuth(ctx: GatewayContext, redis: Redis | Cluster, directory: StaffDirectory): StaffAuth {
  const { config } = ctx;
  const sessions = createSessionStore(redis, ctx.store.keys, {
    idleMs: config.KC_STAFF_IDLE_MINUTES * 60_000,
    maxMs: config.KC_STAFF_SESSION_HOURS * 3_600_000,
  });

  const cookieOptions = { httpOnly: true, sameSite: 'strict', path: '/', secure: config.KC_COOKIE_SECURE } as const;

  async function authenticate(req: Request, res: Response): Promise<SignedInStaff> {
    const token = parseCookie(req.get('cookie') ?? '')[SESSION_COOKIE];
    const session = token ? await sessions.touch(token, ctx.clock.now()) : undefined;
    const account = session && directory.find(session.username);
    // A disabled or removed account loses its sessions at once, not when they expire.
    if (!token || !session || !account || account.disabled) throw new AppError('STAFF_UNAUTHENTICATED', '请先登录');
    if (!SAFE_METHODS.has(req.method)) checkCsrf(req, session);
    const staff = { account, session, token, permissions: permissionsOf(account.roles) };
    res.locals.staff = staff;
    return staff;
  }

  function checkCsrf(req: Request, session: StaffSessionRecord): void {
    const sent = Buffer.from(req.get(CSRF_HEADER) ?? '');
    const expected = Buffer.from(session.csrfToken);
    const sameToken = sent.length === expected.length && timingSafeEqual(sent, expected);
    // A browser names the page's origin on cross-site requests; it must be this gateway's own.
    const origin = req.get('origin');
    // Hosts only: behind a TLS-terminating proxy the scheme seen here differs from the browser's.
    const sameOrigin = origin === undefined || hostOf(origin) === req.get('host');
    if (!sameToken || !sameOrigin) {
      ctx.logger.warn({ code: 'CSRF_REJECTED', username: session.username, method: req.method, path: req.path }, 'staff request refused');
      throw new AppError('CSRF_REJECTED', '请求缺少有效的防伪令牌，请刷新页面后重试');
    }
  }

  return {
    sessions,
    directory,
    signedIn: () => (req: Request, res: Response, next: NextFunction) => authenticate(req, res).then(() => next()),
    guard(permission) {
      const wanted: readonly Permission[] = typeof permission === 'string' ? [permission] : permission;
      return async (req: Request, res: Response, next: NextFunction) => {
        const staff = await authenticate(req, res);
        if (!wanted.some((p) => staff.permissions.includes(p))) {
          ctx.logger.warn({ code: 'STAFF_FORBIDDEN', username: staff.account.username, permission: wanted.join('|'), path: req.path }, 'staff request refused');
          throw new AppError('STAFF_FORBIDDEN', '当前角色无权进行此操作');
        }
        next();
      };
    },
    setCookie(res, token, maxAgeMs) {
      res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: Math.floor(maxAgeMs / 1000) }));
    },
    clearCookie(res) {
      res.append('Set-Cookie', serializeCookie(SESSION_COOKIE, '', { ...cookieOptions, maxAge: 0 }));
    },
  };
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}
