/**
 * pino JSON logs. Personal data (names, ID numbers, phone numbers, addresses) must never reach a
 * log line: code logs case numbers, codes and counts only, and these redaction paths are the second
 * line of defence for objects that slip through.
 */
import pino, { type Logger } from 'pino';

const PERSONAL_KEYS = ['name', 'idNumber', 'creditCode', 'phone', 'address', 'applicant', 'form', 'application'];

export const REDACT_PATHS = [
  ...PERSONAL_KEYS,
  ...PERSONAL_KEYS.map((k) => `*.${k}`),
  ...PERSONAL_KEYS.map((k) => `*.*.${k}`),
  'req.body',
  'body',
];

export function createLogger(opts: { level?: string; district?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.district ? { district: opts.district } : {},
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

export type { Logger };
