/**
 * The REST face for window staff and the approval system's callbacks. Routes only translate
 * between HTTP and the services; errors flow to the one error middleware at the end.
 */
import { auditStaffActions } from '../audit/staff-actions.js';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { X509Certificate } from 'node:crypto';
import { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import { AdapterError } from '../../adapters/adapter.js';
import { applyApprovalStatus } from '../approval/status-ingest.js';
import type { GatewayContext } from '../context.js';
import { CASE_NO_PATTERN } from '../domain/case.js';
import { AppError, dependencyError, httpStatusOf } from '../errors.js';
import { forwardApplication } from '../intake/forward.js';
import { caseView } from '../views/case-view.js';
import { listMatters, matterView } from '../views/matter-view.js';
import { shanghaiDateOf } from '../calendar/dates.js';
import { requireCase } from '../cases/require-case.js';
import { isMappingProblem, recordApprovalProblem } from '../approval/problems.js';
import { caseActionRoutes } from './case-actions.js';
import { supervisionRoutes } from './supervision-routes.js';
import { opsRoutes } from './ops-routes.js';
import { caseListRoutes } from './case-list-routes.js';
import { openapiRoute } from './openapi-route.js';
import { consoleRoutes } from '../console/routes.js';
import { citizenRoutes } from '../citizen/routes.js';
import type { Cluster, Redis } from 'ioredis';
import { trackingRoutes } from '../tracking/routes.js';
import { createParcelStore } from '../tracking/parcel-store.js';
import type { StaffDirectory } from '../staff/accounts.js';
import { createStaffAuth } from '../staff/staff-auth.js';
import { staffSessionRoutes } from '../staff/routes.js';

export interface RestDeps {
  ctx: GatewayContext;
  /** Readiness of the things the gateway cannot work without. */
  ready(): Promise<Record<string, boolean>>;
  /** The gateway's Redis client: citizen tracking counts its rate limits there, staff sessions live there. */
  redis: Redis | Cluster;
  /** The district's staff accounts (KC_STAFF_FILE). */
  staff: StaffDirectory;
}

const MEMBER = /^[A-Z0-9]{26}$/;

export function createRestApp({ ctx, ready, redis, staff }: RestDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // Security headers on every answer (nosniff, no framing, no referrer, same-origin resources).
  // The two pages set their own strict CSP; JSON needs none, and HSTS belongs to the TLS front.
  app.use(helmet({ contentSecurityPolicy: false, strictTransportSecurity: false }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', district: ctx.district });
  });

  const auth = createStaffAuth(ctx, redis, staff);
  const guard = auth.guard;
  app.use(auditStaffActions(ctx));
  app.use(staffSessionRoutes(ctx, auth, redis));

  app.get('/readyz', async (_req, res) => {
    const checks = await ready();
    const ok = Object.values(checks).every(Boolean);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not_ready', checks });
  });

  // What a window may take in today; ?includeUnavailable=true lists the whole catalog with availability.
  app.get('/api/v1/matters', guard('matters:read'), (req, res) => {
    res.json(listMatters(ctx, req.query as Record<string, unknown>));
  });

  app.get('/api/v1/matters/:matterId', guard('matters:read'), (req, res) => {
    const matter = ctx.catalog.get(String(req.params.matterId));
    if (!matter) throw new AppError('MATTER_NOT_FOUND', `matter ${String(req.params.matterId)} is not in the catalog`);
    res.json(matterView(ctx, matter, shanghaiDateOf(ctx.clock.now())));
  });

  app.post('/api/v1/cases', guard('cases:create'), express.json({ limit: '256kb' }), async (req, res) => {
    const idempotencyKey = req.get('Idempotency-Key') ?? undefined;
    const record = await forwardApplication(ctx, { body: req.body, idempotencyKey, caller: 'window' });
    res.status(201).location(`/api/v1/cases/${record.caseNo}`).json(caseView(record, ctx, { includeApplication: true }));
  });

  app.get('/api/v1/cases/:caseNo', guard('cases:read'), async (req, res) => {
    const record = await requireCase(ctx, String(req.params.caseNo));
    res.json(caseView(record, ctx, { includeApplication: true }));
  });

  // The exact bytes that crossed, for anyone who wants to check a signature themselves.
  app.get('/api/v1/cases/:caseNo/envelopes/:messageId', guard('cases:read'), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    const messageId = String(req.params.messageId);
    if (!CASE_NO_PATTERN.test(caseNo) || !MEMBER.test(messageId)) throw new AppError('MESSAGE_NOT_FOUND', 'no such envelope');
    const { envelope, receipt } = await ctx.store.getArchived(caseNo, messageId);
    if (!envelope) throw new AppError('MESSAGE_NOT_FOUND', `no stored envelope ${messageId} in case ${caseNo}`);
    res.json({ caseNo, messageId, envelope: signedView(envelope), receipt: receipt ? signedView(receipt) : null });
  });

  app.get('/api/v1/dead-letters', guard(['supervision:read', 'deadletters:resend']), async (_req, res) => {
    const items = await ctx.store.listDead();
    res.json({ deadLetters: items.map((d) => ({ ...d, deadAt: new Date(d.deadAt).toISOString() })) });
  });

  app.post('/api/v1/dead-letters/:caseNo/:messageId/resend', guard('deadletters:resend'), async (req, res) => {
    const caseNo = String(req.params.caseNo);
    const messageId = String(req.params.messageId);
    if (!CASE_NO_PATTERN.test(caseNo) || !MEMBER.test(messageId)) throw new AppError('MESSAGE_NOT_FOUND', 'no such dead letter');
    const ok = await ctx.store.resendDead(caseNo, messageId, ctx.clock.now());
    if (!ok) throw new AppError('NOT_DEAD_LETTERED', `envelope ${messageId} is not in the dead-letter queue`);
    ctx.logger.info({ caseNo, messageId }, 'dead-lettered envelope requeued by staff');
    ctx.wake.dispatcher();
    res.status(202).json({ caseNo, messageId, delivery: 'queued' });
  });

  // The approval system pushes status changes here; the adapter checks the signature over the raw bytes.
  app.post('/api/v1/approval-callbacks', express.raw({ type: () => true, limit: '256kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let events;
    try {
      events = ctx.adapter.parseCallback(raw, req.headers);
    } catch (err) {
      if (!(err instanceof AdapterError)) throw err;
      if (isMappingProblem(err)) {
        // Refused, so the system keeps it and sends it again once the catalog knows it.
        await recordApprovalProblem(ctx, err, 'callback');
        throw new AppError('APPROVAL_UNMAPPED', err.message);
      }
      ctx.logger.warn({ code: err.code }, 'approval callback rejected');
      throw new AppError(err.code === 'CALLBACK_UNAUTHENTICATED' ? 'CALLBACK_UNAUTHENTICATED' : 'CALLBACK_MALFORMED', err.message);
    }
    const outcomes = [];
    for (const event of events) outcomes.push((await applyApprovalStatus(ctx, event)).outcome);
    res.status(200).json({ accepted: outcomes.length, outcomes });
  });

  app.use(caseListRoutes(ctx, guard));
  app.use(caseActionRoutes(ctx, guard));
  app.use(opsRoutes({ ctx, guard }));
  app.use(supervisionRoutes(ctx, guard));
  app.use(citizenRoutes({ ctx, redis }));
  app.use(trackingRoutes({ ctx, parcels: createParcelStore(ctx.store), pushSecret: ctx.config.KC_COURIER_PUSH_SECRET, guard }));

  // Public: the API's own description and the console's static page (it signs in through /api/v1/session).
  app.use(openapiRoute());
  app.use(consoleRoutes());

  app.use((_req, _res, next) => next(new AppError('ROUTE_NOT_FOUND', 'no such route')));

  // The one error middleware: AppError → its status and code; body-parser errors → stable codes;
  // anything else is logged with its stack and answered as a bare 500.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const appError = toAppError(err);
    if (!appError) {
      ctx.logger.error({ err }, 'unexpected error in REST handler');
      res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
      return;
    }
    res.status(httpStatusOf(appError.code)).json({
      error: { code: appError.code, message: appError.message, ...(appError.issues.length ? { issues: appError.issues } : {}) },
    });
  });

  return app;
}

/** A stored Signed message as JSON: the body verbatim (base64, and parsed for reading), the DER signature, the chain as PEM. */
function signedView(bytes: Buffer) {
  const signed = Signed.decode(bytes);
  return {
    bodyBase64: signed.body.toString('base64'),
    body: JSON.parse(signed.body.toString('utf8')) as unknown,
    signatureBase64: signed.signature.toString('base64'),
    certChainPem: signed.certChain.map((der) => new X509Certificate(der).toString()),
  };
}

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  const dependency = dependencyError(err);
  if (dependency) return dependency;
  // The router could not percent-decode a path parameter (`/api/v1/cases/%E0%A4%A`).
  if (err instanceof URIError) {
    return new AppError('VALIDATION_FAILED', 'the path is not valid percent-encoded UTF-8', [{ field: '(path)', code: 'INVALID', message: '请求路径含有无法识别的字符' }]);
  }
  const type = (err as { type?: string } | null)?.type;
  if (type === 'entity.parse.failed') return new AppError('MALFORMED_JSON', 'request body is not valid JSON');
  if (type === 'entity.too.large') return new AppError('PAYLOAD_TOO_LARGE', 'request body is too large');
  if (type === 'encoding.unsupported' || type === 'charset.unsupported') return new AppError('MALFORMED_JSON', 'unsupported body encoding');
  // Any other body that could not be read: a gzip/deflate/br body that does not decompress, a
  // length that does not match (body-parser answers these with status 400 and no type).
  if ((err as { status?: unknown } | null)?.status === 400) return new AppError('MALFORMED_JSON', 'request body could not be read');
  return undefined;
}
