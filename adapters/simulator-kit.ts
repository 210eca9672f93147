/**
 * What both approval-system simulators share: the record store (JSON file in dataDir, written
 * atomically so a restart keeps it), the case lifecycle, the changes feed, signed callbacks with
 * retry and back-off (never blocking a request), scripted faults and the `/_sim` control endpoints.
 *
 * Each district supplies what differs (base path, status codes, numbering, wire shapes, error
 * shape, callback signing) as a DistrictSimulator and mounts its own API routes.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { issuePaths, type SpecSchemas } from './spec-schemas.js';

/** The lifecycle every simulated case follows; each district names the states with its own codes. */
export const LIFECYCLE = ['registered', 'accepted', 'supplement_requested', 'approved', 'rejected'] as const;
export type Lifecycle = (typeof LIFECYCLE)[number];

export const SIM_ACTIONS = ['accept', 'request_supplement', 'approve', 'reject'] as const;
export type SimAction = (typeof SIM_ACTIONS)[number];

const TRANSITIONS: Record<SimAction, { from: readonly Lifecycle[]; to: Lifecycle }> = {
  accept: { from: ['registered', 'supplement_requested'], to: 'accepted' },
  request_supplement: { from: ['registered', 'accepted'], to: 'supplement_requested' },
  approve: { from: ['accepted'], to: 'approved' },
  reject: { from: ['registered', 'accepted', 'supplement_requested'], to: 'rejected' },
};

export type SimFault = 'none' | 'error500' | 'slow' | 'down';

export interface SimRecord {
  localNo: string;
  idempotencyKey: string;
  externalRef: string;
  matterCode: string;
  lifecycle: Lifecycle;
  /** epoch ms */
  statusAt: number;
  submitCount: number;
  /** epoch ms */
  createdAt: number;
  /** The submit body as the district received it (the approval system holds personal data; logs never do). */
  request: unknown;
}

export interface SimChange {
  seq: number;
  localNo: string;
  externalRef: string;
  lifecycle: Lifecycle;
  /** epoch ms */
  at: number;
  note: string;
}

interface SimState {
  version: 1;
  nextNo: number;
  nextSeq: number;
  records: SimRecord[];
  changes: SimChange[];
}

export type SimErrorReason = 'bad_request' | 'not_found' | 'internal';

/** What a district plugs into the kit. */
export interface DistrictSimulator {
  district: 'liwan' | 'nanhai';
  /** The district API's base path, e.g. `/lw/api/v2`; faults apply below it only. */
  basePath: string;
  spec: SpecSchemas;
  statusCode: Record<Lifecycle, string>;
  /** The district's own case number for the n-th case. */
  formatLocalNo(n: number, atMs: number): string;
  /** One change as the district shows it in its feed and pushes it in a callback. */
  changeBody(change: SimChange, record: SimRecord): unknown;
  /** Headers that authenticate a callback body. */
  callbackHeaders(rawBody: string, secret: string, nowMs: number): Record<string, string>;
  /** Answers an error in the district's own shape. */
  sendError(res: Response, httpStatus: number, reason: SimErrorReason, message: string): void;
  /** Mounts the district API routes (paths relative to basePath). */
  mount(router: Router, kit: SimulatorKit): void;
}

/** Operations the district routes use. */
export interface SimulatorKit {
  readonly logger: Logger;
  now(): number;
  findByKey(idempotencyKey: string): SimRecord | undefined;
  findByLocalNo(localNo: string): SimRecord | undefined;
  /** Idempotent on idempotencyKey: a repeat counts the hit and returns the existing record. */
  submit(input: { idempotencyKey: string; externalRef: string; matterCode: string; request: unknown }): Promise<{
    record: SimRecord;
    created: boolean;
  }>;
  /** Changes with seq greater than afterSeq, oldest first. */
  changesAfter(afterSeq: number, limit: number): Array<{ change: SimChange; record: SimRecord }>;
  /** Logs a rejected request without its values. */
  rejected(req: Request, why: string): void;
}

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where status callbacks are pushed; none when absent. */
  callbackUrl?: string;
  callbackSecret: string;
  /** Records persist here (records.jsonl, an append-only journal); in memory only when absent. */
  dataDir?: string;
  /** Default: silent. */
  logger?: Logger;
  /** Clock in epoch ms (default Date.now). */
  clock?: () => number;
  /** Callback delivery: attempts per change (default 5) and first back-off (default 200 ms, doubling). */
  callbackRetry?: { attempts?: number; baseDelayMs?: number };
}

export interface SimulatorHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const CALLBACK_TIMEOUT_MS = 5_000;

/** The record as `/_sim/records` shows it: numbers and codes, no personal data. */
function recordView(d: DistrictSimulator, r: SimRecord) {
  return {
    localNo: r.localNo,
    externalRef: r.externalRef,
    matterCode: r.matterCode,
    status: d.statusCode[r.lifecycle],
    statusAt: new Date(r.statusAt).toISOString(),
    submitCount: r.submitCount,
    createdAt: new Date(r.createdAt).toISOString(),
  };
}

function simError(res: Response, httpStatus: number, code: string, message: string): void {
  res.status(httpStatus).json({ error: { code, message } });
}

/**
 * Records on disk as an append-only journal (records.jsonl): one line per change, holding the
 * record as it now is and the change it made. Appending costs the same whatever the number of
 * records (rewriting one JSON file per change made every submit slower than the last), and a
 * restart replays the lines. A torn last line from a crash is skipped.
 */
interface JournalLine {
  record: SimRecord;
  change?: SimChange;
}

class RecordFile {
  private chain: Promise<void> = Promise.resolve();
  constructor(private readonly file: string) {}

  load(): SimState | undefined {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const records = new Map<string, SimRecord>();
    const changes: SimChange[] = [];
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    lines.forEach((line, n) => {
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch (err) {
        if (n === lines.length - 1) return; // torn by a crash mid-write
        throw new Error(`${this.file} line ${n + 1} is not JSON`, { cause: err });
      }
      records.set(entry.record.localNo, entry.record);
      if (entry.change) changes.push(entry.change);
    });
    return {
      version: 1,
      nextNo: records.size + 1,
      nextSeq: (changes[changes.length - 1]?.seq ?? 0) + 1,
      records: [...records.values()],
      changes,
    };
  }

  append(entry: JournalLine): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.chain.then(() => appendFile(this.file, line, 'utf8'));
    this.chain = write.catch(() => undefined);
    return write;
  }

  flushed(): Promise<void> {
    return this.chain;
  }
}

export async function startSimulator(district: DistrictSimulator, opts: SimulatorOptions): Promise<SimulatorHandle> {
  const logger = (opts.logger ?? pino({ level: 'silent' })).child({ district: district.district, component: 'simulator' });
  const now = opts.clock ?? Date.now;
  const attempts = Math.max(1, opts.callbackRetry?.attempts ?? 5);
  const baseDelayMs = opts.callbackRetry?.baseDelayMs ?? 200;
  const stopping = new AbortController();

  let file: RecordFile | undefined;
  let state: SimState = { version: 1, nextNo: 1, nextSeq: 1, records: [], changes: [] };
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    file = new RecordFile(join(opts.dataDir, 'records.jsonl'));
    state = file.load() ?? state;
  }
  const byKey = new Map(state.records.map((r) => [r.idempotencyKey, r]));
  const byLocalNo = new Map(state.records.map((r) => [r.localNo, r]));
  const persist = (record: SimRecord, change?: SimChange): Promise<void> => file?.append({ record, change }) ?? Promise.resolve();

  const config: { callbacksEnabled: boolean; fault: SimFault; slowMs: number } = {
    callbacksEnabled: true,
    fault: 'none',
    slowMs: 5_000,
  };

  // ---- callbacks: one ordered queue, delivered in the background ----
  const queue: SimChange[] = [];
  let draining: Promise<void> | undefined;

  async function deliver(change: SimChange, url: string): Promise<void> {
    const record = byLocalNo.get(change.localNo);
    if (!record) return;
    const body = JSON.stringify(district.changeBody(change, record));
    for (let attempt = 1; attempt <= attempts && !stopping.signal.aborted; attempt++) {
      let outcome: string;
      try {
        const res = await fetch(url, {
          method: 'POST',
          // Signed per attempt, so a retried push carries a fresh timestamp.
          headers: { 'content-type': 'application/json', ...district.callbackHeaders(body, opts.callbackSecret, now()) },
          body,
          signal: AbortSignal.any([stopping.signal, AbortSignal.timeout(CALLBACK_TIMEOUT_MS)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          logger.debug({ localNo: change.localNo, seq: change.seq, attempt }, 'callback delivered');
          return;
        }
        outcome = `HTTP ${res.status}`;
      } catch (err) {
        if (stopping.signal.aborted) return;
        outcome = err instanceof Error ? err.name : 'error';
      }
      logger.warn({ localNo: change.localNo, seq: change.seq, attempt, outcome }, 'callback not accepted');
      if (attempt < attempts) {
        await sleep(baseDelayMs * 2 ** (attempt - 1), undefined, { signal: stopping.signal }).catch(() => undefined);
      }
    }
    if (!stopping.signal.aborted) {
      logger.error({ localNo: change.localNo, seq: change.seq, attempts }, 'callback given up; the changes feed still has it');
    }
  }

  function enqueueCallback(change: SimChange): void {
    const url = opts.callbackUrl;
    if (!url || !config.callbacksEnabled) return;
    queue.push(change);
    draining ??= (async () => {
      while (queue.length > 0 && !stopping.signal.aborted) {
        await deliver(queue.shift()!, url);
      }
      draining = undefined;
    })();
  }

  function appendChange(record: SimRecord, note: string): SimChange {
    const change: SimChange = {
      seq: state.nextSeq++,
      localNo: record.localNo,
      externalRef: record.externalRef,
      lifecycle: record.lifecycle,
      at: record.statusAt,
      note,
    };
    state.changes.push(change);
    return change;
  }

  const kit: SimulatorKit = {
    logger,
    now,
    findByKey: (key) => byKey.get(key),
    findByLocalNo: (localNo) => byLocalNo.get(localNo),
    async submit(input) {
      const existing = byKey.get(input.idempotencyKey);
      if (existing) {
        existing.submitCount += 1;
        await persist(existing);
        logger.info({ localNo: existing.localNo, submitCount: existing.submitCount }, 'repeated submit answered with the existing case');
        return { record: existing, created: false };
      }
      const at = now();
      const record: SimRecord = {
        localNo: district.formatLocalNo(state.nextNo++, at),
        idempotencyKey: input.idempotencyKey,
        externalRef: input.externalRef,
        matterCode: input.matterCode,
        lifecycle: 'registered',
        statusAt: at,
        submitCount: 1,
        createdAt: at,
        request: input.request,
      };
      state.records.push(record);
      byKey.set(record.idempotencyKey, record);
      byLocalNo.set(record.localNo, record);
      const change = appendChange(record, '');
      await persist(record, change);
      logger.info({ localNo: record.localNo, matterCode: record.matterCode, status: district.statusCode.registered }, 'case registered');
      enqueueCallback(change);
      return { record, created: true };
    },
    changesAfter(afterSeq, limit) {
      const out: Array<{ change: SimChange; record: SimRecord }> = [];
      // Changes are kept in seq order: find the first one after the cursor by bisection.
      let lo = 0;
      let hi = state.changes.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (state.changes[mid]!.seq <= afterSeq) lo = mid + 1;
        else hi = mid;
      }
      for (const change of state.changes.slice(lo)) {
        const record = byLocalNo.get(change.localNo);
        if (record) out.push({ change, record });
        if (out.length >= limit) break;
      }
      return out;
    },
    rejected(req, why) {
      logger.info({ method: req.method, path: req.path, why }, 'request rejected');
    },
  };

  // ---- HTTP ----
  const app = express();
  app.disable('x-powered-by');

  const control = express.Router();
  control.use(express.json({ limit: '64kb' }));
  control.get('/health', (_req, res) => {
    res.json({ status: 'ok', district: district.district, records: state.records.length });
  });
  control.get('/records', (_req, res) => {
    res.json({ records: state.records.map((r) => recordView(district, r)) });
  });
  control.post('/cases/:localNo/advance', async (req, res) => {
    const parsed = district.spec.schema('SimAdvanceRequest').safeParse(req.body);
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const { action, note } = parsed.data as { action: SimAction; note?: string };
    const localNo = String(req.params['localNo']);
    const record = byLocalNo.get(localNo);
    if (!record) return simError(res, 404, 'not_found', `no case ${localNo}`);
    const rule = TRANSITIONS[action];
    if (!rule.from.includes(record.lifecycle)) {
      return simError(res, 409, 'conflict', `cannot ${action} a case that is ${record.lifecycle}`);
    }
    record.lifecycle = rule.to;
    record.statusAt = now();
    const change = appendChange(record, note ?? '');
    await persist(record, change);
    logger.info({ localNo, status: district.statusCode[record.lifecycle], seq: change.seq }, 'case advanced');
    enqueueCallback(change);
    res.json(recordView(district, record));
  });
  control.post('/config', (req, res) => {
    const parsed = district.spec.schema('SimConfigRequest').safeParse(req.body);
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const update = parsed.data as { callbacksEnabled?: boolean; fault?: SimFault; slowMs?: number };
    if (update.callbacksEnabled !== undefined) config.callbacksEnabled = update.callbacksEnabled;
    if (update.fault !== undefined) config.fault = update.fault;
    if (update.slowMs !== undefined) config.slowMs = update.slowMs;
    logger.info({ ...config }, 'simulator configured');
    res.json({ ...config });
  });
  control.use((_req, res) => simError(res, 404, 'not_found', 'no such control endpoint'));
  control.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return simError(res, status, 'bad_request', 'request body is not valid JSON');
    logger.error({ err }, 'control endpoint failed');
    simError(res, 500, 'internal', 'internal error');
  });
  app.use('/_sim', control);

  const api = express.Router();
  api.use(async (req, res, next) => {
    switch (config.fault) {
      case 'down':
        req.socket.resetAndDestroy();
        return;
      case 'error500':
        return district.sendError(res, 500, 'internal', 'simulated failure');
      case 'slow':
        await sleep(config.slowMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        if (stopping.signal.aborted) return;
        return next();
      case 'none':
        return next();
    }
  });
  api.use(express.json({ limit: '1mb' }));
  district.mount(api, kit);
  api.use((_req, res) => district.sendError(res, 404, 'not_found', 'no such endpoint'));
  api.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      kit.rejected(req, 'body is not valid JSON');
      return district.sendError(res, status, 'bad_request', 'request body is not valid JSON');
    }
    logger.error({ err }, 'request failed');
    district.sendError(res, 500, 'internal', 'internal error');
  });
  app.use(district.basePath, api);
  app.use((_req, res) => simError(res, 404, 'not_found', 'no such endpoint'));

  const server: Server = createServer(app);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ port, records: state.records.length }, 'simulator listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await draining;
        await file?.flushed();
        logger.info({ records: state.records.length }, 'simulator stopped');
      })();
      return stopped;
    },
  };
}

/** Reads SIM_* variables shared by both simulator entry points. */
export const simulatorEnvSchema = z.object({
  SIM_PORT: z.coerce.number().int().min(0).max(65535).default(0),
  SIM_HOST: z.string().min(1).default('127.0.0.1'),
  SIM_CALLBACK_URL: z.url().optional(),
  SIM_CALLBACK_SECRET: z.string().min(1),
  SIM_DATA_DIR: z.string().min(1).optional(),
});
