/**
 * vitest setup file (see vitest.config.ts): a test that reaches the outside world fails.
 *
 * nock refuses every HTTP(S) request (http, https and fetch) except to loopback — 127.0.0.1,
 * localhost and ::1 on any port — where our own processes (gateways, simulators) listen. Outside
 * systems are mocked with nock scopes; any interceptors a test leaves behind are dropped after it,
 * so no test depends on another's mocks. Redis (net) and gRPC (http2) are not intercepted by nock;
 * they only ever connect to loopback in tests by construction (helpers/redis.ts, helpers/process.ts).
 */
import nock from 'nock';
import { afterEach } from 'vitest';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

/** `host` as nock passes it: "hostname:port", the hostname possibly a bracketed IPv6 literal. */
export function isLoopbackHost(host: string): boolean {
  const match = /^(.*):\d+$/.exec(host);
  let name = (match?.[1] ?? host).toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  return LOOPBACK.has(name);
}

nock.disableNetConnect();
nock.enableNetConnect(isLoopbackHost);

afterEach(() => {
  nock.cleanAll();
});
