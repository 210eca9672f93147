/*
 * The console's one way to the gateway's /api/v1: same origin, the session cookie (HttpOnly, so
 * never read here), and the session's CSRF token in X-CSRF-Token on every state-changing call.
 * Every call resolves (never rejects) to { ok, status, body, code, message, issues }, where
 * message is in Chinese. A 401 other than a failed sign-in means the session is gone: listeners of
 * 'kc:unauthenticated' take the clerk back to the sign-in form.
 */

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Words for the codes whose server message is for developers (English) or too terse for a clerk. */
const CODE_ZH = {
  STAFF_UNAUTHENTICATED: '登录已失效，请重新登录',
  STAFF_SIGN_IN_FAILED: '用户名或密码错误',
  STAFF_FORBIDDEN: '您的角色无权进行此操作',
  CSRF_REJECTED: '页面安全校验已失效，请刷新页面后重试',
  RATE_LIMITED: '操作过于频繁，请稍后再试',
  VALIDATION_FAILED: '填写的信息有误，请按提示修改',
  MALFORMED_JSON: '请求内容无效',
  INVALID_CURSOR: '分页位置已失效，请重新查询',
  UNKNOWN_MATTER: '事项不在跨城通办目录中',
  WRONG_DISTRICT_FOR_MATTER: '该事项由本区办理，不属于跨城通办收件',
  MATTER_NOT_OPEN: '该事项当前不能跨城通办收件',
  MATTER_NOT_FOUND: '未找到该事项',
  IDEMPOTENCY_CONFLICT: '该表单已提交过不同的内容，请重新打开受理表单',
  CASE_NOT_FOUND: '未找到该办件',
  HANDOFF_NOT_FOUND: '未找到该交接记录',
  MESSAGE_NOT_FOUND: '未找到该报文',
  CASE_STATE_CONFLICT: '办件当前状态不允许此操作',
  ALREADY_RATED: '该办件已评价',
  NOT_DEAD_LETTERED: '该报文已不在死信队列中（可能已重发）',
  PAYLOAD_TOO_LARGE: '提交的内容过大',
  ROUTE_NOT_FOUND: '系统暂不支持此功能',
  PEER_UNAVAILABLE: '暂时无法连接对方区网关，请稍后再试',
  COURIER_UNAVAILABLE: '暂时无法连接快递公司系统，请稍后再试',
  STORE_UNAVAILABLE: '系统繁忙，请稍后再试',
  INTERNAL: '系统内部错误，请稍后再试或联系运维人员',
};
const NETWORK = '网络连接失败，请检查网络后重试';
const SERVER = '系统繁忙，请稍后再试';
const hasChinese = (s) => typeof s === 'string' && /[\u4e00-\u9fff]/.test(s);

/** The Chinese sentence for a failed answer, with the stable code in brackets for the help desk. */
export function messageOf(status, error) {
  const code = error && typeof error.code === 'string' ? error.code : null;
  let text;
  // Some codes have better words of our own than the server's (which may name internals).
  if (code === 'STAFF_FORBIDDEN' || code === 'CSRF_REJECTED' || code === 'STAFF_UNAUTHENTICATED') text = CODE_ZH[code];
  else if (error && hasChinese(error.message)) text = error.message;
  else if (code && CODE_ZH[code]) text = CODE_ZH[code];
  else if (status === 401) text = CODE_ZH.STAFF_UNAUTHENTICATED;
  else if (status === 403) text = CODE_ZH.STAFF_FORBIDDEN;
  else if (status === 429) text = CODE_ZH.RATE_LIMITED;
  else text = SERVER;
  return code ? `${text}（${code}）` : text;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * api('GET', '/api/v1/cases', { query: { state: 'accepted' } })
 * api('POST', '/api/v1/cases', { body, headers: { 'Idempotency-Key': key } })
 */
export async function api(method, path, opts = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
  const headers = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (STATE_CHANGING.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    return { ok: false, status: 0, body: null, code: 'NETWORK', message: NETWORK, issues: [] };
  }
  const text = await res.text().catch(() => '');
  let body = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  // 204 has no body by design; any other success without JSON is a proxy's page, not ours.
  const ok = res.ok && (res.status === 204 || body !== null);
  if (ok) return { ok, status: res.status, body, code: null, message: null, issues: [] };
  const error = body && body.error ? body.error : null;
  const code = error && error.code ? error.code : null;
  if (res.status === 401 && code !== 'STAFF_SIGN_IN_FAILED' && !opts.quiet401) {
    window.dispatchEvent(new CustomEvent('kc:unauthenticated'));
  }
  return {
    ok: false,
    status: res.status,
    body,
    code,
    message: messageOf(res.status, error),
    issues: error && Array.isArray(error.issues) ? error.issues : [],
  };
}

/** A fresh Idempotency-Key: one per intake form, so a double submit makes one case. */
export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
