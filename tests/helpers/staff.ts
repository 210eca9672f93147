/**
 * Staff sign-in for tests. Gateways started by the test helpers carry the development accounts
 * (gateway/staff/dev-accounts.ts): `window`, `handler`, `supervisor` and `kc-admin` (all roles), one password.
 *
 *   const s = await signIn(sys.httpUrl.liwan, 'window');      // { cookie, csrfToken, body }
 *   await fetch(url, { method: 'POST', headers: s.headers(), body });
 *
 * staffFetch signs in as kc-admin once per origin and sends the cookie and CSRF token with every
 * request, so tests that are not about sign-in read like before; a session that is gone (Redis
 * flushed, say) is made again.
 */
import { DEV_STAFF_PASSWORD } from '../../gateway/staff/dev-accounts.js';

export const STAFF_PASSWORD = DEV_STAFF_PASSWORD;
export const ALL_ROLES_USER = 'kc-admin';

export interface StaffSession {
  cookie: string;
  csrfToken: string;
  body: Record<string, any>;
  /** Cookie and CSRF headers, plus any given. */
  headers(extra?: Record<string, string>): Record<string, string>;
}

export async function signIn(origin: string, username = ALL_ROLES_USER, password = STAFF_PASSWORD): Promise<StaffSession> {
  const res = await fetch(`${origin}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const body = (await res.json()) as Record<string, any>;
  if (res.status !== 200) throw new Error(`sign-in of ${username} at ${origin} failed: ${res.status} ${JSON.stringify(body)}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0] ?? '';
  const csrfToken = String(body.csrfToken);
  return { cookie, csrfToken, body, headers: (extra = {}) => ({ cookie, 'x-csrf-token': csrfToken, ...extra }) };
}

const sessions = new Map<string, Promise<StaffSession>>();

/**
 * fetch as the all-roles test user (see above). The session is made when a gateway first answers
 * 401 STAFF_UNAUTHENTICATED, so the same helper can call simulators and public routes too.
 */
export async function staffFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const origin = new URL(url).origin;
  const send = async (session: Promise<StaffSession> | undefined) => {
    const auth = session ? (await session).headers() : {};
    return fetch(url, { ...init, headers: { ...auth, ...(init.headers as Record<string, string> | undefined) } });
  };
  const res = await send(sessions.get(origin));
  if (res.status !== 401) return res;
  const body = (await res.clone().json().catch(() => ({}))) as { error?: { code?: string } };
  if (body.error?.code !== 'STAFF_UNAUTHENTICATED') return res;
  const fresh = signIn(origin);
  sessions.set(origin, fresh);
  fresh.catch(() => sessions.delete(origin));
  return send(fresh);
}
