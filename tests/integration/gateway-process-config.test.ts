/** A gateway process with a bad configuration stops at once and names the variable. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../scripts/processes.js';

function runGateway(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KC_')));
  return spawnSync(process.execPath, ['--import', 'tsx', 'gateway/main.ts'], { cwd: REPO_ROOT, env: { ...clean, ...env }, encoding: 'utf8', timeout: 20_000 });
}

const good = {
  KC_DISTRICT: 'liwan',
  KC_REDIS_URL: 'redis://127.0.0.1:1',
  KC_PEER_URL: '127.0.0.1:9543',
  KC_TLS_CERT: '/nonexistent/cert.pem',
  KC_TLS_KEY: '/nonexistent/key.pem',
  KC_TRUST_DIR: '/nonexistent/trust',
  KC_APPROVAL_URL: 'http://127.0.0.1:4101',
  KC_APPROVAL_CALLBACK_SECRET: 'a-secret-of-enough-length',
};

describe('gateway start-up configuration', () => {
  it.each([
    ['KC_DISTRICT', { KC_DISTRICT: 'guangzhou' }],
    ['KC_HTTP_PORT', { KC_HTTP_PORT: 'eighty' }],
    ['KC_PEER_URL', { KC_PEER_URL: 'no-port-here' }],
    ['KC_APPROVAL_CALLBACK_SECRET', { KC_APPROVAL_CALLBACK_SECRET: 'short' }],
  ])('when %s is invalid, then the process exits with status 2 and names it', (variable, bad) => {
    const r = runGateway({ ...good, ...bad });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(variable);
    expect(r.stderr).not.toContain('    at '); // a message, not a stack trace
  });

  it('when a required variable is missing, then the message says it is not set', () => {
    const { KC_TRUST_DIR: _, ...rest } = good;
    const r = runGateway(rest);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/KC_TRUST_DIR \(not set\)/);
  });
});
