/**
 * EMS tracking-API simulator as a process:
 *   SIM_PARTNER_ID=… SIM_API_KEY=… SIM_PUSH_SECRET=… [SIM_PORT=4103] [SIM_HOST=127.0.0.1] \
 *   [SIM_PUSH_ATTEMPTS=5] [SIM_PUSH_BASE_DELAY_MS=500] node --import tsx courier/ems/simulator-main.ts
 * Prints `{"msg":"simulator ready","carrier":"ems","url":…,"port":…}` on stdout once listening;
 * logs go to stderr. Stops cleanly on SIGTERM / SIGINT.
 */
import { runSimulatorMain } from '../../adapters/simulator-main-kit.js';
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

await runSimulatorMain({
  name: 'ems-simulator',
  ready: { carrier: 'ems' },
  envSchema,
  start: (env, logger) =>
    startEmsSimulator({
      port: env.SIM_PORT,
      host: env.SIM_HOST,
      partnerId: env.SIM_PARTNER_ID,
      apiKey: env.SIM_API_KEY,
      pushSecret: env.SIM_PUSH_SECRET,
      pushRetry: { attempts: env.SIM_PUSH_ATTEMPTS, baseDelayMs: env.SIM_PUSH_BASE_DELAY_MS },
      logger,
    }),
});
