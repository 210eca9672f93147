/**
 * Configuration (gateway/config.ts): parsed once from the environment; a bad or missing value
 * stops the process with a ConfigError that names the variable.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../gateway/config.js';
import { thrownBy } from '../../helpers/thrown.js';

/** Only the variables without a default. */
function requiredEnv(): Record<string, string | undefined> {
  return {
    KC_DISTRICT: 'liwan',
    KC_REDIS_URL: 'redis://127.0.0.1:6390',
    KC_PEER_URL: '127.0.0.1:9543',
    KC_TLS_CERT: '/etc/kc/gateway.pem',
    KC_TLS_KEY: '/etc/kc/gateway-key.pem',
    KC_TRUST_DIR: '/etc/kc/trust',
    KC_APPROVAL_URL: 'http://127.0.0.1:7001',
    KC_APPROVAL_CALLBACK_SECRET: 'a-long-enough-secret',
  };
}

const configErrorOf = (env: Record<string, string | undefined>): ConfigError => thrownBy(ConfigError, () => parseConfig(env));

describe('parseConfig', () => {
  it('when only the required variables are set, then it parses with every default filled in', () => {
    expect(parseConfig(requiredEnv())).toEqual({
      ...requiredEnv(),
      KC_REDIS_PREFIX: 'kc',
      KC_REDIS_CLUSTER: false,
      KC_HTTP_HOST: '127.0.0.1',
      KC_HTTP_PORT: 8080,
      KC_PEER_HOST: '127.0.0.1',
      KC_PEER_PORT: 9443,
      KC_PARTNER_PORT: 9444,
      KC_APPROVAL_POLL_MS: 5000,
      KC_CLOCK_SKEW_SECONDS: 300,
      KC_OUTBOX_MAX_ATTEMPTS: 12,
      KC_OUTBOX_BASE_DELAY_MS: 500,
      KC_OUTBOX_MAX_DELAY_MS: 60_000,
      KC_OUTBOX_POLL_MS: 250,
      KC_PEER_TIMEOUT_MS: 5000,
      KC_MAX_ENVELOPE_BYTES: 1_048_576,
      KC_SIGNATURE_SUITE: 'ECDSA-P256-SHA256',
      KC_ACCEPTED_SUITES: ['ECDSA-P256-SHA256', 'SM2-SM3'],
      KC_LOG_LEVEL: 'info',
      KC_AUDIT_CHECKPOINT_SECONDS: 300,
      KC_AUDIT_WARN_ENTRIES: 1_000_000,
      KC_PREWARN_DAYS: 2,
      KC_RED_GRACE_DAYS: 2,
      KC_DEADLINE_RECHECK_MS: 21_600_000,
      KC_DEADLINE_POLL_MS: 5000,
      KC_NOTIFY_TIMEOUT_MS: 5000,
      KC_NOTIFY_BASE_DELAY_MS: 1000,
      KC_NOTIFY_MAX_DELAY_MS: 300_000,
      KC_NOTIFY_POLL_MS: 1000,
      KC_COURIER_TIMEOUT_MS: 5000,
      KC_PARCEL_POLL_MS: 1_800_000,
      KC_PARCEL_STALL_MS: 172_800_000,
      KC_PARCEL_TICK_MS: 5000,
      KC_PARCEL_FOLLOW_MS: 2_592_000_000,
      KC_TRACK_LIMIT_PER_CLIENT: 30,
      KC_TRACK_CLIENT_WINDOW_SECONDS: 600,
      KC_TRACK_LIMIT_PER_CASE: 10,
      KC_TRACK_CASE_WINDOW_SECONDS: 3600,
      KC_STAFF_IDLE_MINUTES: 30,
      KC_STAFF_SESSION_HOURS: 12,
      KC_COOKIE_SECURE: false,
    });
  });

  it('when the carrier URL is set without its credentials, then every missing one is named', () => {
    const err = configErrorOf({ ...requiredEnv(), KC_COURIER_URL: 'http://127.0.0.1:4201', KC_COURIER_API_KEY: 'k' });
    for (const v of ['KC_COURIER_PARTNER_ID', 'KC_COURIER_PUSH_SECRET', 'KC_COURIER_CALLBACK_URL']) expect(err.message).toContain(`${v} (not set): required with KC_COURIER_URL`);
    expect(err.message).not.toContain('KC_COURIER_API_KEY');
  });

  it('when the carrier is fully configured, then it parses; without KC_COURIER_URL the credentials are not needed', () => {
    const courier = {
      KC_COURIER_URL: 'http://127.0.0.1:4201',
      KC_COURIER_PARTNER_ID: 'KC-DEV',
      KC_COURIER_API_KEY: 'key',
      KC_COURIER_PUSH_SECRET: 'a-push-secret-of-16+',
      KC_COURIER_CALLBACK_URL: 'http://127.0.0.1:8081/courier/ems/push',
    };
    expect(parseConfig({ ...requiredEnv(), ...courier })).toMatchObject(courier);
    expect(configErrorOf({ ...requiredEnv(), ...courier, KC_COURIER_PUSH_SECRET: 'short' }).message).toContain('KC_COURIER_PUSH_SECRET (invalid)');
    expect(parseConfig(requiredEnv()).KC_COURIER_URL).toBeUndefined();
  });

  it('when numbers and options are given as strings, then they are read as numbers and kept as given', () => {
    const config = parseConfig({
      ...requiredEnv(),
      KC_DISTRICT: 'nanhai',
      KC_REDIS_URL: 'rediss://redis.nanhai.internal:6380/2',
      KC_REDIS_PREFIX: 'kc_nanhai-2',
      KC_HTTP_PORT: '0',
      KC_PEER_PORT: '19443',
      KC_OUTBOX_MAX_ATTEMPTS: '3',
      KC_CLOCK_SKEW_SECONDS: '60',
      KC_LOG_LEVEL: 'silent',
      UNRELATED: 'ignored',
    });
    expect(config).toMatchObject({
      KC_DISTRICT: 'nanhai',
      KC_REDIS_URL: 'rediss://redis.nanhai.internal:6380/2',
      KC_REDIS_PREFIX: 'kc_nanhai-2',
      KC_HTTP_PORT: 0,
      KC_PEER_PORT: 19443,
      KC_OUTBOX_MAX_ATTEMPTS: 3,
      KC_CLOCK_SKEW_SECONDS: 60,
      KC_LOG_LEVEL: 'silent',
    });
    expect(config).not.toHaveProperty('UNRELATED');
  });

  it.each(Object.keys(requiredEnv()))('when %s is not set, then a ConfigError names it as not set', (variable) => {
    const env = requiredEnv();
    delete env[variable];
    const err = configErrorOf(env);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toContain(`${variable} (not set)`);
  });

  it.each<[string, string]>([
    ['KC_DISTRICT', 'shanghai'],
    ['KC_REDIS_URL', 'http://127.0.0.1:6379'],
    ['KC_REDIS_URL', 'not a url'],
    ['KC_REDIS_PREFIX', 'kc:prod'],
    ['KC_REDIS_PREFIX', '{kc}'],
    ['KC_HTTP_PORT', '70000'],
    ['KC_HTTP_PORT', 'eighty'],
    ['KC_PEER_PORT', '-1'],
    ['KC_PARTNER_PORT', '94.5'],
    ['KC_PEER_URL', 'https://peer.example:9443'],
    ['KC_PEER_URL', 'peer-without-port'],
    ['KC_APPROVAL_URL', 'approval-system'],
    ['KC_APPROVAL_CALLBACK_SECRET', 'short'],
    ['KC_APPROVAL_POLL_MS', '0'],
    ['KC_CLOCK_SKEW_SECONDS', '-5'],
    ['KC_OUTBOX_MAX_ATTEMPTS', 'many'],
    ['KC_MAX_ENVELOPE_BYTES', '1.5'],
    ['KC_LOG_LEVEL', 'verbose'],
    ['KC_TLS_CERT', ''],
    ['KC_COOKIE_SECURE', 'yes'],
    ['KC_STAFF_IDLE_MINUTES', '0'],
    ['KC_STAFF_FILE', ''],
  ])('when %s is %j, then a ConfigError names it as invalid', (variable, value) => {
    const err = configErrorOf({ ...requiredEnv(), [variable]: value });
    expect(err.message).toContain(`${variable} (invalid)`);
  });

  it('when several variables are wrong, then one ConfigError names every one of them', () => {
    const env = { ...requiredEnv(), KC_DISTRICT: 'guangzhou', KC_HTTP_PORT: '99999', KC_TRUST_DIR: undefined };
    const err = configErrorOf(env);
    expect(err.message).toContain('KC_DISTRICT (invalid)');
    expect(err.message).toContain('KC_HTTP_PORT (invalid)');
    expect(err.message).toContain('KC_TRUST_DIR (not set)');
  });

  it.each(['KC_HTTP_PORT', 'KC_PEER_PORT', 'KC_PARTNER_PORT'])(
    'when %s is set but empty, then a ConfigError names it (it must not quietly become port 0)',
    (variable) => {
      const err = configErrorOf({ ...requiredEnv(), [variable]: '' });
      expect(err.message).toContain(`${variable} (invalid)`);
    },
  );
});
