/**
 * Simulator of the EMS tracking API (./openapi.yaml) on loopback, for tests, the demo and local
 * runs. It keeps subscriptions and parcels in memory (./sim-state.ts); a parcel's journey is
 * scripted through the `/_sim` control API (./sim-control.ts) and released step by step, and every
 * release is pushed to the subscriber as EMS does it: the full history, newest first, local times
 * without offset, signed, retried with back-off in the background (./sim-pushes.ts).
 *
 * Realistic behaviours a script can ask for: scans recorded twice (duplicates), scans uploaded
 * late (a custom script whose times go backwards: they land below newer ones), a push sent twice,
 * a parcel that goes silent, refused / returned / lost / held parcels, codes outside the table,
 * malformed times, and an outage (the API answers 503 E0503 and pushes wait until it ends).
 */
import express from 'express';
import { pino, type Logger } from 'pino';
import { listenHttp } from '../../adapters/http-listener.js';
import { loadSpecSchemas } from '../../adapters/spec-schemas.js';
import { emsApiRouter, emsError } from './sim-api.js';
import { controlRouter } from './sim-control.js';
import { PushQueue } from './sim-pushes.js';
import { EmsSimState } from './sim-state.js';

export interface EmsSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The partner credentials the API accepts. */
  partnerId: string;
  apiKey: string;
  /** The secret pushes are signed with. */
  pushSecret: string;
  /** Default: silent. */
  logger?: Logger;
  /** Clock in epoch ms (default Date.now). */
  clock?: () => number;
  /** Push delivery: attempts (default 5), first back-off (default 500 ms) and its cap (default 30 s). */
  pushRetry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
}

export interface EmsSimulatorHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startEmsSimulator(opts: EmsSimulatorOptions): Promise<EmsSimulatorHandle> {
  const logger = (opts.logger ?? pino({ level: 'silent' })).child({ carrier: 'ems', component: 'simulator' });
  const now = opts.clock ?? Date.now;
  const spec = loadSpecSchemas(new URL('./openapi.yaml', import.meta.url));
  const stopping = new AbortController();

  // The state hands pushes to the queue; the queue reads the outage flag and logs into the state.
  // Only requests call `send`, and the server listens after both exist.
  const state: EmsSimState = new EmsSimState(now, (push) => pushes.enqueue(push));
  const pushes = new PushQueue({
    secret: opts.pushSecret,
    partnerId: opts.partnerId,
    attempts: Math.max(1, opts.pushRetry?.attempts ?? 5),
    baseDelayMs: opts.pushRetry?.baseDelayMs ?? 500,
    maxDelayMs: opts.pushRetry?.maxDelayMs ?? 30_000,
    logger,
    now,
    paused: () => state.config.outage,
    onAttempt: (attempt) => state.recordAttempt(attempt),
  });

  const app = express();
  app.disable('x-powered-by');
  app.use('/_sim', controlRouter(state, spec, logger, now));
  app.use('/api/track/v1', emsApiRouter(state, { partnerId: opts.partnerId, apiKey: opts.apiKey, spec, logger, stopping: stopping.signal }));
  app.use((_req, res) => emsError(res, 404, 'E0404', '接口不存在'));

  const { port, url, close } = await listenHttp(app, opts.port ?? 0, opts.host ?? '127.0.0.1');
  logger.info({ port }, 'simulator listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await close();
        await pushes.stop();
        logger.info({ parcels: state.parcels.size }, 'simulator stopped');
      })();
      return stopped;
    },
  };
}
