/**
 * Wires one district gateway from its parts. Everything is passed in or built here — no module
 * singletons — so tests can build a gateway on port 0 with their own Redis, PKI and clock.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import { ReflectionService } from '@grpc/reflection';
import { loadSync } from '@grpc/proto-loader';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createAdapter, type ApprovalAdapter } from '../adapters/index.js';
import { createSubmitter } from './approval/submitter.js';
import { createStatusPoller } from './approval/status-ingest.js';
import { createCallbackRegistration } from './approval/callback-registration.js';
import { createNotifier } from './supervision/notifier.js';
import { loadRouting } from './supervision/routing.js';
import { createDeadlineWatcher, rewatchIfCalendarChanged } from './supervision/watch.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { idFactory, type GatewayContext } from './context.js';
import { otherDistrict } from './domain/district.js';
import { loadMatterCatalog, type MatterCatalog } from './catalog/catalog.js';
import { loadCalendar } from './calendar/calendar-data.js';
import { signerFromConfig } from './envelope/signer.js';
import { TrustStore } from './envelope/trust-store.js';
import { serverCredentials, loadTlsMaterial } from './grpc/tls.js';
import { createLogger, type Logger } from './logger.js';
import { createDispatcher } from './outbox/dispatcher.js';
import { partnerHandlers, PartnerServiceService } from './partner/server.js';
import { loadPartnerPolicy } from './partner/policy.js';
import { createPeerClient } from './peer/client.js';
import { peerHandlers, PeerGatewayServerDefinition } from './peer/server.js';
import { createRestApp } from './rest/app.js';
import { createCaseEventsHub, type CaseEventsHub } from './store/case-events.js';
import { createCaseStore } from './store/case-store.js';
import { createRedisClient, storeConnectionOf } from './store/connect.js';
import { createWorkerLoop, type WorkerLoop } from './workers/loop.js';
import { createTrackingFollower } from './tracking/tracking.js';
import { createGatewayMetrics } from './metrics/metrics.js';
import { instrumentAdapter } from './metrics/instrument.js';
import { certificateCheck } from './ops/certificates.js';
import { createAuditLog } from './audit/audit-log.js';
import { createCheckpointer } from './audit/checkpointer.js';
import { readinessCheck } from './ops/readiness.js';
import { loadStaffDirectory } from './staff/accounts.js';

export interface GatewayOptions {
  config: Config;
  logger?: Logger;
  clock?: Clock;
  adapter?: ApprovalAdapter;
  catalog?: MatterCatalog;
}

export interface RunningGateway {
  ctx: GatewayContext;
  ports: { http: number; peer: number; partner: number };
  stop(): Promise<void>;
}

const PROTO_ROOT = fileURLToPath(new URL('../protos/', import.meta.url));
/** What reflection on the partner port describes: the partner API and health, never the peer API. */
const PARTNER_PROTO = 'kuacheng/partner/v1/partner.proto';
/** The standard error details the partner API sends, so reflection clients can print them. */
const ERROR_DETAILS_PROTOS = ['google/rpc/status.proto', 'google/rpc/error_details.proto'];
const TRUST_RELOAD_MS = 10_000;

export async function startGateway(opts: GatewayOptions): Promise<RunningGateway> {
  const config = opts.config;
  const district = config.KC_DISTRICT;
  const peer = otherDistrict(district);
  const logger = opts.logger ?? createLogger({ level: config.KC_LOG_LEVEL, district });
  const clock = opts.clock ?? systemClock;
  // Before anything connects or listens: a bad catalog stops the gateway with every problem listed.
  const catalog = opts.catalog ?? loadMatterCatalog(config.KC_CATALOG_FILE);
  const calendar = loadCalendar({ operatorFile: config.KC_CALENDAR_FILE });
  const { routing, warnings: routingWarnings } = loadRouting(config.KC_ROUTING_FILE, { district, catalog });
  for (const warning of routingWarnings) logger.warn({ file: config.KC_ROUTING_FILE }, warning);
  const partnerPolicy = loadPartnerPolicy(config.KC_PARTNERS_FILE, { catalog, logger });
  const staff = loadStaffDirectory(config.KC_STAFF_FILE);
  if (staff.size === 0) logger.warn({ code: 'STAFF_UNAUTHENTICATED' }, 'no staff accounts (KC_STAFF_FILE): the console and the staff API refuse everyone');
  // The envelope-signing key must fit KC_SIGNATURE_SUITE; if not, a ConfigError before anything connects.
  const signer = signerFromConfig(config);
  logger.info({ suite: signer.suite, acceptedSuites: config.KC_ACCEPTED_SUITES }, 'envelope signature suite');

  // One server or a Redis Cluster (KC_REDIS_CLUSTER); the case-events subscriber is duplicated from it.
  const redis = createRedisClient(storeConnectionOf(config), { maxRetriesPerRequest: 3, lazyConnect: true });
  redis.on('error', (err: Error) => logger.warn({ code: 'STORE_UNAVAILABLE', reason: err.message }, 'redis connection problem'));
  await redis.connect();

  const trust = new TrustStore(config.KC_TRUST_DIR);
  const tls = loadTlsMaterial({ certPath: config.KC_TLS_CERT, keyPath: config.KC_TLS_KEY, rootsPem: trust.rootCertificatesPem() });
  const store = createCaseStore(redis, config.KC_REDIS_PREFIX);
  const hub: CaseEventsHub = await createCaseEventsHub(redis, store.keys.caseEventsChannel, logger);
  const peerClient = createPeerClient({ address: config.KC_PEER_URL, tls, peer, timeoutMs: config.KC_PEER_TIMEOUT_MS });

  const loops: WorkerLoop[] = [];
  const wake = { dispatcher: () => dispatcherLoop?.wake(), submitter: () => submitterLoop?.wake(), parcelFollower: () => followerLoop?.wake() };
  const metrics = createGatewayMetrics({ district, clock });
  const ctx: GatewayContext = {
    district,
    peer,
    config,
    store,
    signer,
    trust,
    clock,
    logger,
    catalog,
    calendar,
    adapter: instrumentAdapter(
      opts.adapter ??
        createAdapter(district, { baseUrl: config.KC_APPROVAL_URL, callbackSecret: config.KC_APPROVAL_CALLBACK_SECRET, statuses: catalog.statuses(district) }),
      metrics,
    ),
    newId: idFactory(clock),
    wake,
    metrics,
    audit: createAuditLog({ redis, keys: store.keys.audit, clock, logger, warnEntries: config.KC_AUDIT_WARN_ENTRIES }),
  };
  metrics.observe(ctx);

  const dispatcherLoop = createWorkerLoop('dispatcher', config.KC_OUTBOX_POLL_MS, createDispatcher(ctx, peerClient).tick, logger);
  const submitterLoop = createWorkerLoop('submitter', 1_000, createSubmitter(ctx).tick, logger);
  const pollerLoop = createWorkerLoop('approval-poller', config.KC_APPROVAL_POLL_MS, createStatusPoller(ctx).tick, logger);
  const registration = createCallbackRegistration(ctx, config.KC_APPROVAL_CALLBACK_URL);
  const registrationLoop = createWorkerLoop('callback-registration', 5_000, registration.tick, logger);
  // 电子监察: the deadline watcher issues cards for the cases this district handles; the notifier delivers them.
  const notifierLoop = createWorkerLoop('card-notifier', config.KC_NOTIFY_POLL_MS, createNotifier(ctx).tick, logger);
  const watcherLoop = createWorkerLoop(
    'deadline-watcher',
    config.KC_DEADLINE_POLL_MS,
    createDeadlineWatcher(ctx, { routing, onCardQueued: () => notifierLoop.wake() }).tick,
    logger,
  );
  // Parcels this district dispatched are followed at the carrier when one is configured.
  const followerLoop = createTrackingFollower(ctx);
  // Certificates close to expiry are logged at start and then daily.
  loops.push(createWorkerLoop('certificate-check', 86_400_000, certificateCheck(ctx), logger));
  // The audit chain's signed checkpoint, swapped with the peer's (one replica per interval holds the lease).
  loops.push(createWorkerLoop('audit-checkpoint', config.KC_AUDIT_CHECKPOINT_SECONDS * 1000, createCheckpointer(ctx, peerClient.exchangeCheckpoint), logger));
  loops.push(dispatcherLoop, submitterLoop, pollerLoop, registrationLoop, notifierLoop, watcherLoop, ...(followerLoop ? [followerLoop] : []));

  const trustTimer = setInterval(() => {
    try {
      if (trust.reload()) logger.info('trust store reloaded (roots or CRLs changed)');
    } catch (err) {
      logger.error({ err }, 'trust store reload failed; keeping the previous one');
    }
  }, TRUST_RELOAD_MS);
  trustTimer.unref();

  // gRPC: the peer face and the partner face listen apart, each with mutual TLS.
  const peerServer = new Server();
  peerServer.addService(PeerGatewayServerDefinition, peerHandlers(ctx));
  const partnerServer = new Server();
  partnerServer.addService(PartnerServiceService, partnerHandlers(ctx, hub, partnerPolicy));
  const health = new HealthImplementation({ '': 'SERVING', 'kuacheng.partner.v1.PartnerService': 'SERVING' });
  health.addToServer(partnerServer);
  new ReflectionService(loadSync([PARTNER_PROTO, ...ERROR_DETAILS_PROTOS, healthProtoPath], { includeDirs: [PROTO_ROOT] })).addToServer(partnerServer);
  const creds: ServerCredentials = serverCredentials(tls);
  const peerPort = await bindGrpc(peerServer, `${config.KC_PEER_HOST}:${config.KC_PEER_PORT}`, creds);
  const partnerPort = await bindGrpc(partnerServer, `${config.KC_PEER_HOST}:${config.KC_PARTNER_PORT}`, creds);

  const ready = readinessCheck({ redis, peer: peerClient, adapter: ctx.adapter, approvalUrl: config.KC_APPROVAL_URL, peerLink: metrics.peerLink });
  const http: HttpServer = createServer(createRestApp({ ctx, ready, redis, staff }));
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.KC_HTTP_PORT, config.KC_HTTP_HOST, () => resolve());
  });
  const httpPort = (http.address() as AddressInfo).port;

  // Deadlines computed on weekends alone become real once a year's calendar arrives.
  await rewatchIfCalendarChanged(ctx);
  for (const loop of loops) loop.start();
  const ports = { http: httpPort, peer: peerPort, partner: partnerPort };
  logger.info({ ports, peerUrl: config.KC_PEER_URL }, 'gateway started');

  return {
    ctx,
    ports,
    async stop() {
      clearInterval(trustTimer);
      await Promise.all(loops.map((l) => l.stop()));
      // What the audit queue still holds goes to Redis before the connection closes.
      await Promise.race([ctx.audit.flush(), new Promise((r) => setTimeout(r, 2_000))]);
      ctx.audit.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await Promise.all([shutdownGrpc(peerServer), shutdownGrpc(partnerServer)]);
      peerClient.close();
      await hub.close();
      redis.disconnect();
      logger.info('gateway stopped');
    },
  };
}

function bindGrpc(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function shutdownGrpc(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 3_000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
