/**
 * Configuration from environment variables, parsed once at start. A bad value stops the process
 * with a message naming the variable — never a half-configured gateway.
 */
import { z } from 'zod';
import { DISTRICTS } from './domain/district.js';
import { DEFAULT_SUITE, SUITE_NAMES } from '../certs/suites.js';

// Not z.coerce.number(): it reads an empty variable as 0, which would bind a random port.
const port = z
  .string()
  .trim()
  .regex(/^\d{1,5}$/, 'must be a port number (0–65535)')
  .transform(Number)
  .pipe(z.number().int().min(0).max(65535));
const positiveInt = z.coerce.number().int().positive();

const schema = z.object({
  KC_DISTRICT: z.enum(DISTRICTS),
  KC_REDIS_URL: z.string().url().refine((u) => /^rediss?:/.test(u), 'must be a redis:// or rediss:// URL'),
  KC_REDIS_PREFIX: z.string().regex(/^[a-z0-9_-]+$/i).default('kc'),
  KC_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  KC_HTTP_PORT: port.default(8080),
  KC_PEER_HOST: z.string().min(1).default('127.0.0.1'),
  KC_PEER_PORT: port.default(9443),
  KC_PARTNER_PORT: port.default(9444),
  /** host:port of the other district's peer gRPC service. */
  KC_PEER_URL: z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port'),
  KC_TLS_CERT: z.string().min(1),
  KC_TLS_KEY: z.string().min(1),
  /** Directory with roots/*.pem and crls/*.pem (see certs/README.md). */
  KC_TRUST_DIR: z.string().min(1),
  KC_APPROVAL_URL: z.string().url(),
  KC_APPROVAL_CALLBACK_SECRET: z.string().min(16, 'must be at least 16 characters'),
  KC_APPROVAL_POLL_MS: positiveInt.default(5000),
  /** Where the approval system should push status changes (this gateway's /api/v1/approval-callbacks, as it reaches us). */
  KC_APPROVAL_CALLBACK_URL: z.string().url().optional(),
  /** Operator's calendar file adding or replacing years of the official working-day calendar. */
  KC_CALENDAR_FILE: z.string().min(1).optional(),
  /** The matter catalog (YAML); default gateway/catalog/matters.yaml. */
  KC_CATALOG_FILE: z.string().min(1).optional(),
  /** Partner policy (YAML): which partner may call which operations for which matters (gateway/partner/policy.ts); unset: every partner is refused. */
  KC_PARTNERS_FILE: z.string().min(1).optional(),
  KC_CLOCK_SKEW_SECONDS: positiveInt.default(300),
  KC_OUTBOX_MAX_ATTEMPTS: positiveInt.default(12),
  KC_OUTBOX_BASE_DELAY_MS: positiveInt.default(500),
  KC_OUTBOX_MAX_DELAY_MS: positiveInt.default(60_000),
  KC_OUTBOX_POLL_MS: positiveInt.default(250),
  KC_PEER_TIMEOUT_MS: positiveInt.default(5000),
  KC_MAX_ENVELOPE_BYTES: positiveInt.default(1_048_576),
  // --- Envelope signature suites and the signing identity (gateway/envelope, certs/suites.ts) ---
  /** Envelope/receipt signing certificate (PEM, leaf first) and its key; unset: KC_TLS_CERT / KC_TLS_KEY. Set both or neither. */
  KC_SIGNING_CERT: z.string().min(1).optional(),
  KC_SIGNING_KEY: z.string().min(1).optional(),
  /** The suite this gateway signs with; its key must fit (SM2-SM3 needs an SM2 signing key: TLS stays ECDSA). */
  KC_SIGNATURE_SUITE: z.enum(SUITE_NAMES).default(DEFAULT_SUITE),
  /** Comma list of suites accepted on envelopes and receipts from the peer; others are refused with UNSUPPORTED_SUITE. */
  KC_ACCEPTED_SUITES: z
    .string()
    .transform((v) => [...new Set(v.split(',').map((s) => s.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(SUITE_NAMES)).min(1, 'must name at least one suite'))
    .default([...SUITE_NAMES]),
  KC_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // --- Audit chain (gateway/audit) ---
  /** How often the gateway signs a checkpoint of its audit log (and swaps the latest with the peer's). */
  KC_AUDIT_CHECKPOINT_SECONDS: positiveInt.default(300),
  /** Warn (log, metric, console) when the live audit log in Redis holds this many entries: archive it. */
  KC_AUDIT_WARN_ENTRIES: positiveInt.default(1_000_000),

  // --- Supervision (电子监察: deadline pre-warnings, yellow and red cards; gateway/supervision) ---
  /** Pre-warning when this many working days of the promised limit remain (0: on the deadline day). */
  KC_PREWARN_DAYS: z.string().trim().regex(/^\d{1,3}$/, 'must be a whole number of working days').transform(Number).default(2),
  /** Red card when this many working days after the deadline have passed without a decision. */
  KC_RED_GRACE_DAYS: z.string().trim().regex(/^\d{1,3}$/, 'must be a whole number of working days').transform(Number).default(2),
  /** Latest re-check of a watched case whose clock has not started, is paused, or is past its red card. */
  KC_DEADLINE_RECHECK_MS: positiveInt.default(6 * 3_600_000),
  /** How often the deadline watcher looks for due cases. */
  KC_DEADLINE_POLL_MS: positiveInt.default(5_000),
  /** YAML/JSON: department → officer, section head, unit leader (gateway/supervision/routing.ts). */
  KC_ROUTING_FILE: z.string().min(1).optional(),
  /** Webhook that receives each card (signed POST); unset: cards go to the console list and the log only. */
  KC_NOTIFY_URL: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http:// or https:// URL').optional(),
  /** HMAC-SHA256 key for X-KC-Signature; required with KC_NOTIFY_URL. */
  KC_NOTIFY_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  KC_NOTIFY_TIMEOUT_MS: positiveInt.default(5_000),
  KC_NOTIFY_BASE_DELAY_MS: positiveInt.default(1_000),
  KC_NOTIFY_MAX_DELAY_MS: positiveInt.default(300_000),
  KC_NOTIFY_POLL_MS: positiveInt.default(1_000),
  // Staff console and REST (gateway/staff). Unset KC_STAFF_FILE: nobody can sign in, and the staff API refuses everyone.
  /** The district's staff accounts with roles and scrypt password hashes (see gateway/staff/accounts.ts). */
  KC_STAFF_FILE: z.string().min(1).optional(),
  /** A console session ends after this many minutes without a request… */
  KC_STAFF_IDLE_MINUTES: positiveInt.default(30),
  /** …and after this many hours in all. */
  KC_STAFF_SESSION_HOURS: positiveInt.default(12),
  /** Mark the session cookie Secure (set it when the console is served over HTTPS, as it should be in production). */
  KC_COOKIE_SECURE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  // Citizen tracking (gateway/citizen): limits held in Redis, so they bind across replicas.
  /** Lookups (and ratings) one client address may make per KC_TRACK_CLIENT_WINDOW_SECONDS. */
  KC_TRACK_LIMIT_PER_CLIENT: positiveInt.default(30),
  KC_TRACK_CLIENT_WINDOW_SECONDS: positiveInt.default(600),
  /** Lookups of one case number per KC_TRACK_CASE_WINDOW_SECONDS, whoever asks and whatever the answer. */
  KC_TRACK_LIMIT_PER_CASE: positiveInt.default(10),
  KC_TRACK_CASE_WINDOW_SECONDS: positiveInt.default(3_600),
  // Courier tracking (gateway/tracking). Unset KC_COURIER_URL: parcels are recorded but not followed.
  /** The carrier's tracking API (EMS), e.g. http://127.0.0.1:4201. */
  KC_COURIER_URL: z.string().url().refine((u) => /^https?:/.test(u), 'must be an http:// or https:// URL').optional(),
  KC_COURIER_PARTNER_ID: z.string().min(1).optional(),
  KC_COURIER_API_KEY: z.string().min(1).optional(),
  /** The HMAC key the carrier signs its pushes with. */
  KC_COURIER_PUSH_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Where the carrier reaches this gateway's push route (POST /courier/ems/push), as the carrier sees it. */
  KC_COURIER_CALLBACK_URL: z.string().url().optional(),
  KC_COURIER_TIMEOUT_MS: positiveInt.default(5_000),
  /** While pushes flow, a parcel is polled this long after the last one (the fallback when pushes stop). */
  KC_PARCEL_POLL_MS: positiveInt.default(30 * 60_000),
  /** A parcel with no carrier event for this long (and not delivered) raises a stalled-parcel alert. */
  KC_PARCEL_STALL_MS: positiveInt.default(48 * 3_600_000),
  /** How often the follower looks for parcels that are due. */
  KC_PARCEL_TICK_MS: positiveInt.default(5_000),
  /** Parcels are followed at most this long after dispatch. */
  KC_PARCEL_FOLLOW_MS: positiveInt.default(30 * 86_400_000),
  // Redis Cluster (gateway/store/connect.ts). Keys carry shard hash tags, so the same code runs on both.
  /** 'true': KC_REDIS_URL names one node of a Redis Cluster (its credentials and TLS apply to every node); the rest are discovered. */
  KC_REDIS_CLUSTER: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** More cluster nodes to start from (host:port,host:port), for when the KC_REDIS_URL node is down at start. Cluster mode only. */
  KC_REDIS_CLUSTER_SEEDS: z
    .string()
    .regex(/^[^\s:,]+:\d{1,5}(,[^\s:,]+:\d{1,5})*$/, 'must be host:port,host:port')
    .transform((s) => s.split(','))
    .optional(),
});

const COURIER_VARS = ['KC_COURIER_PARTNER_ID', 'KC_COURIER_API_KEY', 'KC_COURIER_PUSH_SECRET', 'KC_COURIER_CALLBACK_URL'] as const;

/** Following parcels needs all of the carrier's settings or none: half a configuration fails at start. */
function courierProblems(config: Record<string, unknown>): z.core.$ZodRawIssue[] {
  if (config['KC_COURIER_URL'] === undefined) return [];
  return COURIER_VARS.filter((v) => config[v] === undefined).map((v) => ({
    code: 'custom' as const,
    path: [v],
    message: 'required with KC_COURIER_URL',
    input: undefined,
  }));
}

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const result = schema.superRefine((config, ctx) => courierProblems(config).forEach((issue) => ctx.addIssue(issue))).safeParse(env);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const variable = String(i.path[0] ?? '?');
    const given = env[variable] === undefined ? 'not set' : 'invalid';
    return `  ${variable} (${given}): ${i.message}`;
  });
  throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
}
