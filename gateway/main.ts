/** Process entry point: parse config, start one district gateway, stop cleanly on SIGTERM/SIGINT. */
import { CatalogError } from './catalog/catalog.js';
import { CalendarDataError } from './calendar/calendar-data.js';
import { RoutingError } from './supervision/routing.js';
import { PartnerPolicyError } from './partner/policy.js';
import { StaffFileError } from './staff/accounts.js';
import { ConfigError, parseConfig } from './config.js';
import { startGateway } from './gateway.js';
import { createLogger } from './logger.js';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kuacheng gateway: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({ level: config.KC_LOG_LEVEL, district: config.KC_DISTRICT });
  const gateway = await startGateway({ config, logger });
  // One line for launchers and supervisors, whatever the log level.
  process.stdout.write(`${JSON.stringify({ msg: 'gateway ready', district: config.KC_DISTRICT, ports: gateway.ports })}\n`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof CatalogError || err instanceof CalendarDataError || err instanceof RoutingError || err instanceof PartnerPolicyError || err instanceof StaffFileError) {
    // Every problem, one per line: the operator fixes the file, not a stack trace.
    process.stderr.write(`kuacheng gateway: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`kuacheng gateway failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
