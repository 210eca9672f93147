/**
 * Process entry mechanics shared by every simulator process (adapters/<district>/simulator-main.ts,
 * courier/ems/simulator-main.ts): read SIM_* variables, start, print one ready line on stdout, stop
 * cleanly on SIGTERM / SIGINT. Logs go to stderr. Bad variables, or a start that fails (a bad matter
 * catalog…), stop the process with exit code 2 and the reason on stderr.
 */
import { pino, type Logger } from 'pino';
import type { z } from 'zod';
import { simulatorEnvSchema, type SimulatorHandle, type SimulatorOptions } from './simulator-kit.js';

export interface SimulatorMain<S extends z.ZodType> {
  /** Logger name, e.g. `liwan-simulator`. */
  name: string;
  /** Extra fields of the ready line, e.g. `{ district: 'liwan' }`. */
  ready: Record<string, string>;
  envSchema: S;
  start(env: z.infer<S>, logger: Logger): Promise<{ url: string; port: number; stop(): Promise<void> }>;
}

export async function runSimulatorMain<S extends z.ZodType>(main: SimulatorMain<S>): Promise<void> {
  const logger = pino({ name: main.name, level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
  const env = main.envSchema.safeParse(process.env);
  if (!env.success) {
    const names = [...new Set(env.error.issues.map((i) => String(i.path[0])))].join(', ');
    logger.fatal({ variables: names }, 'invalid simulator environment');
    process.stderr.write(`invalid or missing environment variable(s): ${names}\n`);
    process.exit(2);
  }
  let handle: Awaited<ReturnType<SimulatorMain<S>['start']>>;
  try {
    handle = await main.start(env.data, logger);
  } catch (err) {
    logger.fatal({ err }, 'simulator did not start');
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify({ msg: 'simulator ready', ...main.ready, url: handle.url, port: handle.port })}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
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
}

/** An approval-system simulator process. */
export function runSimulatorProcess(district: 'liwan' | 'nanhai', start: (opts: SimulatorOptions) => Promise<SimulatorHandle>): Promise<void> {
  return runSimulatorMain({
    name: `${district}-simulator`,
    ready: { district },
    envSchema: simulatorEnvSchema,
    start(env, logger) {
      const opts: SimulatorOptions = { port: env.SIM_PORT, host: env.SIM_HOST, callbackSecret: env.SIM_CALLBACK_SECRET, logger };
      if (env.SIM_CALLBACK_URL) opts.callbackUrl = env.SIM_CALLBACK_URL;
      if (env.SIM_DATA_DIR) opts.dataDir = env.SIM_DATA_DIR;
      if (env.SIM_CATALOG_FILE) opts.catalogFile = env.SIM_CATALOG_FILE;
      if (env.SIM_AUTO_ISSUE_RESULT) opts.autoIssueResult = env.SIM_AUTO_ISSUE_RESULT === 'true';
      return start(opts);
    },
  });
}
