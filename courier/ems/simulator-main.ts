/**
 * EMS tracking-API simulator as a process:
 *   SIM_PARTNER_ID=… SIM_API_KEY=… SIM_PUSH_SECRET=… [SIM_PORT=4103] [SIM_HOST=127.0.0.1] \
 *   [SIM_PUSH_ATTEMPTS=5] [SIM_PUSH_BASE_DELAY_MS=500] node --import tsx courier/ems/simulator-main.ts
 * Prints `{"msg":"simulator ready","carrier":"ems","url":…,"port":…}` on stdout once listening;
 * logs go to stderr. Stops cleanly on SIGTERM / SIGINT.
 *
 * (Same shape as adapters/simulator-main-kit.ts, whose runSimulatorProcess is typed for the two
 * approval simulators' options; the lead may generalise it and fold this file into it.)
 */
import { pino } from 'pino';
import { z } from 'zod';
import { startEmsSimulator } from './simulator.js';

const envSchema = z.object({
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_PARTNER_ID: z.string().min(1),
  SIM_API_KEY: z.string().min(1),
  SIM_PUSH_SECRET: z.string().min(1),
  SIM_PUSH_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  SIM_PUSH_BASE_DELAY_MS: z.coerce.number().int().min(0).max(600_000).default(500),
});

const logger = pino({ name: 'ems-simulator', level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
const env = envSchema.safeParse(process.env);
if (!env.success) {
  const names = [...new Set(env.error.issues.map((i) => String(i.path[0])))].join(', ');
  logger.fatal({ variables: names }, 'invalid simulator environment');
  process.stderr.write(`invalid or missing environment variable(s): ${names}\n`);
  process.exit(2);
}

const handle = await startEmsSimulator({
  port: env.data.SIM_PORT,
  host: env.data.SIM_HOST,
  partnerId: env.data.SIM_PARTNER_ID,
  apiKey: env.data.SIM_API_KEY,
  pushSecret: env.data.SIM_PUSH_SECRET,
  pushRetry: { attempts: env.data.SIM_PUSH_ATTEMPTS, baseDelayMs: env.data.SIM_PUSH_BASE_DELAY_MS },
  logger,
});
process.stdout.write(`${JSON.stringify({ msg: 'simulator ready', carrier: 'ems', url: handle.url, port: handle.port })}\n`);

let stopping = false;
const shutdown = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'stopping');
  handle.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'stop failed');
      process.exit(1);
    },
  );
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
