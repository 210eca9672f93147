/**
 * Process entry mechanics shared by adapters/<district>/simulator-main.ts: read SIM_* variables,
 * start, print one ready line on stdout, stop cleanly on SIGTERM / SIGINT. Logs go to stderr.
 * A bad matter catalog stops the process (exit 2) with every problem listed.
 */
import { pino } from 'pino';
import { simulatorEnvSchema, type SimulatorHandle, type SimulatorOptions } from './simulator-kit.js';

export async function runSimulatorProcess(
  district: 'liwan' | 'nanhai',
  start: (opts: SimulatorOptions) => Promise<SimulatorHandle>,
): Promise<void> {
  const logger = pino({ name: `${district}-simulator`, level: process.env['LOG_LEVEL'] ?? 'info' }, pino.destination(2));
  const env = simulatorEnvSchema.safeParse(process.env);
  if (!env.success) {
    const names = [...new Set(env.error.issues.map((i) => String(i.path[0])))].join(', ');
    logger.fatal({ variables: names }, 'invalid simulator environment');
    process.stderr.write(`invalid or missing environment variable(s): ${names}\n`);
    process.exit(2);
  }
  const opts: SimulatorOptions = {
    port: env.data.SIM_PORT,
    host: env.data.SIM_HOST,
    callbackSecret: env.data.SIM_CALLBACK_SECRET,
    logger,
  };
  if (env.data.SIM_CALLBACK_URL) opts.callbackUrl = env.data.SIM_CALLBACK_URL;
  if (env.data.SIM_DATA_DIR) opts.dataDir = env.data.SIM_DATA_DIR;
  if (env.data.SIM_CATALOG_FILE) opts.catalogFile = env.data.SIM_CATALOG_FILE;
  if (env.data.SIM_AUTO_ISSUE_RESULT) opts.autoIssueResult = env.data.SIM_AUTO_ISSUE_RESULT === 'true';

  let handle: SimulatorHandle;
  try {
    handle = await start(opts);
  } catch (err) {
    logger.fatal({ err }, 'simulator did not start');
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify({ msg: 'simulator ready', district, url: handle.url, port: handle.port })}\n`);

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
