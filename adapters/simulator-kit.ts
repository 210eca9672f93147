/**
 * What both approval-system simulators share: the record store (an append-only journal in dataDir,
 * so a restart keeps it), the case lifecycle with supplements and decision records, idempotency
 * (by request key and by the caller's reference), the changes feed, signed callbacks with retry and
 * back-off (never blocking a request) to the configured or registered URL, scripted faults and the
 * `/_sim` control endpoints.
 *
 * The matters a simulated system knows come from the matter catalog: the ones its district handles,
 * under its own codes, with its own form field names, value maps and material codes. That is the
 * simulator standing in for the district's own configuration; what it checks on receipt is what the
 * real system would refuse.
 *
 * Each district supplies what differs (base path, status codes, numbering, wire shapes, error shape,
 * callback signing, how faults disguise its answers) as a DistrictSimulator and mounts its own routes.
 *
 * Logs carry numbers, codes and field names — never values: the requests hold personal data.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { listenHttp } from './http-listener.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import type { ApprovalStatus } from './adapter.js';
import { districtFormProblems } from './form-mapping.js';
import { issuePaths, type SpecSchemas } from './spec-schemas.js';
import { loadMatterCatalog, type MatterCatalog } from '../gateway/catalog/catalog.js';
import type { Matter } from '../gateway/catalog/schema.js';

/** The lifecycle every simulated case follows; each district names the states with its own codes. */
export type Lifecycle = ApprovalStatus;
export type Decision = Extract<Lifecycle, 'approved' | 'rejected'>;

export const SIM_ACTIONS = ['accept', 'request_supplement', 'approve', 'reject', 'issue_result'] as const;
export type SimAction = (typeof SIM_ACTIONS)[number];

/** Status-changing actions and the statuses they are allowed from. */
const TRANSITIONS: Record<Exclude<SimAction, 'issue_result'>, { from: readonly Lifecycle[]; to: Lifecycle }> = {
  accept: { from: ['registered', 'supplement_requested', 'supplement_received'], to: 'accepted' },
  request_supplement: { from: ['registered', 'accepted', 'supplement_received'], to: 'supplement_requested' },
  approve: { from: ['accepted', 'supplement_received'], to: 'approved' },
  reject: { from: ['registered', 'accepted', 'supplement_requested', 'supplement_received'], to: 'rejected' },
};

export const SIM_FAULTS = ['none', 'error500', 'slow', 'down', 'malformed', 'lost_answer', 'unknown_status', 'unknown_field'] as const;
export type SimFault = (typeof SIM_FAULTS)[number];
/** Faults that change the answer of a request that was carried out. */
export type AnswerFault = Extract<SimFault, 'unknown_status' | 'unknown_field'>;

export interface SimSupplementRecord {
  supplementId: string;
  /** The request key it was filed under first. */
  key: string;
  receiptNo: string;
  submitCount: number;
  materialCodes: string[];
  /** epoch ms */
  receivedAt: number;
  /** The body as received (may hold personal data; never logged). */
  request: unknown;
}

export interface SimResultRecord {
  decision: Decision;
  documentName: string;
  documentNo: string;
  /** epoch ms */
  issuedAt: number;
  reason: string;
}

export interface SimRecord {
  localNo: string;
  idempotencyKey: string;
  externalRef: string;
  matterCode: string;
  lifecycle: Lifecycle;
  /** epoch ms */
  statusAt: number;
  /** The note of the last status change. */
  note: string;
  submitCount: number;
  /** epoch ms */
  createdAt: number;
  /** District field names the form carried (names only). */
  formFields: string[];
  materialCodes: string[];
  supplements: SimSupplementRecord[];
  result?: SimResultRecord;
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
  nextNo: number;
  nextSeq: number;
  nextReceipt: number;
  nextDocument: number;
  records: SimRecord[];
  changes: SimChange[];
  /** Registered through the API; replaces the configured one. */
  callbackUrl?: string;
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
  /** The district's receipt number for the n-th supplement. */
  formatReceiptNo(n: number, atMs: number): string;
  /** The district's number of the n-th decision document. */
  formatDocumentNo(n: number, atMs: number, decision: Decision): string;
  /** One change as the district shows it in its feed and pushes it in a callback. */
  changeBody(change: SimChange, record: SimRecord): unknown;
  /** Headers that authenticate a callback body. */
  callbackHeaders(rawBody: string, secret: string, nowMs: number): Record<string, string>;
  /** Answers an error in the district's own shape. */
  sendError(res: Response, httpStatus: number, reason: SimErrorReason, message: string): void;
  /** An answer body as the `unknown_status` / `unknown_field` fault disguises it. */
  disguise(body: unknown, fault: AnswerFault): unknown;
  /** Mounts the district API routes (paths relative to basePath). */
  mount(router: Router, kit: SimulatorKit): void;
}

export type SubmitOutcome = { outcome: 'created' | 'existing'; record: SimRecord } | { outcome: 'key_conflict'; existing: SimRecord };
export type SupplementOutcome =
  | { outcome: 'created' | 'existing'; record: SimRecord; supplement: SimSupplementRecord }
  | { outcome: 'key_conflict' | 'not_awaiting'; record: SimRecord };

/** Operations the district routes use. */
export interface SimulatorKit {
  readonly logger: Logger;
  now(): number;
  /** The matter this system handles under `code`, from the catalog. */
  matterByCode(code: string): Matter | undefined;
  /** Problems with a form and material codes received for a matter (names and codes only). */
  checkApplication(matter: Matter, form: Record<string, unknown>, materialCodes: string[]): string[];
  /** Problems with material codes received for a matter. */
  checkMaterials(matter: Matter, materialCodes: string[]): string[];
  findByLocalNo(localNo: string): SimRecord | undefined;
  /**
   * Registers an application, idempotently: the same key for the same reference, or the same
   * reference under a new key, answers the existing record; the key used for another reference is a conflict.
   */
  submit(input: { key: string; externalRef: string; matterCode: string; formFields: string[]; materialCodes: string[]; request: unknown }): Promise<SubmitOutcome>;
  /** Files a supplement, idempotently on key and on supplementId; only while supplement_requested. */
  supplement(record: SimRecord, input: { key: string; supplementId: string; materialCodes: string[]; note: string; request: unknown }): Promise<SupplementOutcome>;
  /** Changes with seq greater than afterSeq, oldest first. */
  changesAfter(afterSeq: number, limit: number): Array<{ change: SimChange; record: SimRecord }>;
  /** Sets the URL status changes are pushed to (replaces the configured one). */
  registerCallback(url: string): Promise<{ url: string; at: number }>;
  /** Logs a rejected request without its values. */
  rejected(req: Request, why: string): void;
}

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Where status callbacks are pushed until one is registered through the API; none when absent. */
  callbackUrl?: string;
  callbackSecret: string;
  /** Records persist here (records.jsonl, an append-only journal); in memory only when absent. */
  dataDir?: string;
  /** The matter catalog (default: the shipped gateway/catalog/matters.yaml, or catalogFile). */
  catalog?: MatterCatalog;
  catalogFile?: string;
  /** Issue the decision record together with approve / reject (default true). */
  autoIssueResult?: boolean;
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
const REJECTION_DOCUMENT = '不予行政许可决定书';

function simError(res: Response, httpStatus: number, code: string, message: string): void {
  res.status(httpStatus).json({ error: { code, message } });
}

/**
 * Records on disk as an append-only journal (records.jsonl): one line per change, holding the
 * record as it now is and the change it made, or a registered callback URL. Appending costs the same
 * whatever the number of records, and a restart replays the lines. A torn last line from a crash is skipped.
 */
interface JournalLine {
  record?: SimRecord;
  change?: SimChange;
  callbackUrl?: string;
}

/** Records written by an older simulator lack the newer fields. */
function upgrade(record: SimRecord): SimRecord {
  record.note ??= '';
  record.formFields ??= [];
  record.materialCodes ??= [];
  record.supplements ??= [];
  return record;
}

class RecordFile {
  private chain: Promise<void> = Promise.resolve();
  /** Lines waiting for the write in flight to finish; they go out together (group commit). */
  private pending: string[] = [];
  private nextWrite: Promise<void> | undefined;
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
    let callbackUrl: string | undefined;
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    lines.forEach((line, n) => {
      let entry: JournalLine;
      try {
        entry = JSON.parse(line) as JournalLine;
      } catch (err) {
        if (n === lines.length - 1) return; // torn by a crash mid-write
        throw new Error(`${this.file} line ${n + 1} is not JSON`, { cause: err });
      }
      if (entry.record) records.set(entry.record.localNo, upgrade(entry.record));
      if (entry.change) changes.push(entry.change);
      if (entry.callbackUrl !== undefined) callbackUrl = entry.callbackUrl;
    });
    const all = [...records.values()];
    const state: SimState = {
      nextNo: records.size + 1,
      nextSeq: (changes[changes.length - 1]?.seq ?? 0) + 1,
      nextReceipt: all.reduce((n, r) => n + r.supplements.length, 0) + 1,
      nextDocument: all.filter((r) => r.result).length + 1,
      records: all,
      changes,
    };
    if (callbackUrl !== undefined) state.callbackUrl = callbackUrl;
    return state;
  }

  /**
   * Appends in order. Lines that arrive while a write is in flight share the next write, so under
   * load the journal costs one appendFile per batch rather than one per line, queued one behind
   * the other.
   */
  append(entry: JournalLine): Promise<void> {
    this.pending.push(`${JSON.stringify(entry)}\n`);
    if (!this.nextWrite) {
      const write = this.chain.then(() => {
        const lines = this.pending.join('');
        this.pending = [];
        this.nextWrite = undefined;
        return appendFile(this.file, lines, 'utf8');
      });
      this.nextWrite = write;
      this.chain = write.catch(() => undefined);
    }
    return this.nextWrite;
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

  // ---- the matters this system handles, from the catalog ----
  const catalog = opts.catalog ?? loadMatterCatalog(opts.catalogFile);
  const matters = new Map(catalog.list({ handlingDistrict: district.district }).map((m) => [m.districts[district.district].code, m]));

  let file: RecordFile | undefined;
  let state: SimState = { nextNo: 1, nextSeq: 1, nextReceipt: 1, nextDocument: 1, records: [], changes: [] };
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    file = new RecordFile(join(opts.dataDir, 'records.jsonl'));
    state = file.load() ?? state;
  }
  const byLocalNo = new Map(state.records.map((r) => [r.localNo, r]));
  const byRef = new Map(state.records.map((r) => [r.externalRef, r]));
  /** `<operation>:<key>` → what it created: the submit's record, or `<localNo>/<supplementId>`. */
  const keys = new Map<string, string>();
  for (const r of state.records) {
    keys.set(`submit:${r.idempotencyKey}`, r.localNo);
    for (const s of r.supplements) keys.set(`supplement:${s.key}`, `${r.localNo}/${s.supplementId}`);
  }
  const persist = (entry: JournalLine): Promise<void> => file?.append(entry) ?? Promise.resolve();

  const config: { callbacksEnabled: boolean; fault: SimFault; slowMs: number; faultTimes: number | null; autoIssueResult: boolean } = {
    callbacksEnabled: true,
    fault: 'none',
    slowMs: 5_000,
    faultTimes: null,
    autoIssueResult: opts.autoIssueResult ?? true,
  };
  const callbackUrl = (): string | undefined => state.callbackUrl ?? opts.callbackUrl;
  const configView = () => ({ ...config, callbackUrl: callbackUrl() ?? null });

  // ---- callbacks: one ordered queue, delivered in the background to the URL in force ----
  const queue: SimChange[] = [];
  let draining: Promise<void> | undefined;

  async function deliver(change: SimChange): Promise<void> {
    const record = byLocalNo.get(change.localNo);
    if (!record) return;
    const body = JSON.stringify(district.changeBody(change, record));
    for (let attempt = 1; attempt <= attempts && !stopping.signal.aborted; attempt++) {
      const url = callbackUrl();
      if (!url) return;
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
    if (!callbackUrl() || !config.callbacksEnabled) return;
    queue.push(change);
    draining ??= (async () => {
      while (queue.length > 0 && !stopping.signal.aborted) {
        await deliver(queue.shift()!);
      }
      draining = undefined;
    })();
  }

  /** Sets the status, appends the change, persists, queues the callback. */
  async function setStatus(record: SimRecord, lifecycle: Lifecycle, note: string): Promise<SimChange> {
    record.lifecycle = lifecycle;
    record.statusAt = now();
    record.note = note;
    const change: SimChange = {
      seq: state.nextSeq++,
      localNo: record.localNo,
      externalRef: record.externalRef,
      lifecycle,
      at: record.statusAt,
      note,
    };
    state.changes.push(change);
    await persist({ record, change });
    logger.info({ localNo: record.localNo, status: district.statusCode[lifecycle], seq: change.seq }, 'status changed');
    enqueueCallback(change);
    return change;
  }

  function issueResult(record: SimRecord, decision: Decision, reason: string): void {
    const at = now();
    const matter = matters.get(record.matterCode);
    record.result = {
      decision,
      documentName: decision === 'approved' ? (matter?.result.document ?? '准予行政许可决定书') : REJECTION_DOCUMENT,
      documentNo: district.formatDocumentNo(state.nextDocument++, at, decision),
      issuedAt: at,
      reason: decision === 'rejected' ? reason : '',
    };
  }

  function materialProblems(matter: Matter, codes: string[]): string[] {
    const known = new Set(matter.materials.map((m) => m.codes[district.district]));
    return codes.flatMap((code, i) => (known.has(code) ? [] : [`materials[${i}]: code not on the checklist of ${matter.districts[district.district].code}`]));
  }

  const kit: SimulatorKit = {
    logger,
    now,
    matterByCode: (code) => matters.get(code),
    checkApplication: (matter, form, codes) => [...districtFormProblems(matter, district.district, form), ...materialProblems(matter, codes)],
    checkMaterials: materialProblems,
    findByLocalNo: (localNo) => byLocalNo.get(localNo),
    async submit(input) {
      const keyed = keys.get(`submit:${input.key}`);
      if (keyed !== undefined) {
        const existing = byLocalNo.get(keyed)!;
        if (existing.externalRef !== input.externalRef) return { outcome: 'key_conflict', existing };
      }
      const existing = byRef.get(input.externalRef);
      if (existing) {
        keys.set(`submit:${input.key}`, existing.localNo);
        existing.submitCount += 1;
        await persist({ record: existing });
        logger.info({ localNo: existing.localNo, submitCount: existing.submitCount }, 'repeated submit answered with the existing case');
        return { outcome: 'existing', record: existing };
      }
      const at = now();
      const record: SimRecord = {
        localNo: district.formatLocalNo(state.nextNo++, at),
        idempotencyKey: input.key,
        externalRef: input.externalRef,
        matterCode: input.matterCode,
        lifecycle: 'registered',
        statusAt: at,
        note: '',
        submitCount: 1,
        createdAt: at,
        formFields: input.formFields,
        materialCodes: input.materialCodes,
        supplements: [],
        request: input.request,
      };
      state.records.push(record);
      byLocalNo.set(record.localNo, record);
      byRef.set(record.externalRef, record);
      keys.set(`submit:${input.key}`, record.localNo);
      logger.info({ localNo: record.localNo, matterCode: record.matterCode }, 'case registered');
      await setStatus(record, 'registered', '');
      return { outcome: 'created', record };
    },
    async supplement(record, input) {
      const target = `${record.localNo}/${input.supplementId}`;
      const keyed = keys.get(`supplement:${input.key}`);
      if (keyed !== undefined && keyed !== target) return { outcome: 'key_conflict', record };
      const existing = record.supplements.find((s) => s.supplementId === input.supplementId);
      if (existing) {
        keys.set(`supplement:${input.key}`, target);
        existing.submitCount += 1;
        await persist({ record });
        logger.info({ localNo: record.localNo, receiptNo: existing.receiptNo, submitCount: existing.submitCount }, 'repeated supplement answered with its receipt');
        return { outcome: 'existing', record, supplement: existing };
      }
      if (record.lifecycle !== 'supplement_requested') return { outcome: 'not_awaiting', record };
      const at = now();
      const supplement: SimSupplementRecord = {
        supplementId: input.supplementId,
        key: input.key,
        receiptNo: district.formatReceiptNo(state.nextReceipt++, at),
        submitCount: 1,
        materialCodes: input.materialCodes,
        receivedAt: at,
        request: input.request,
      };
      record.supplements.push(supplement);
      keys.set(`supplement:${input.key}`, target);
      logger.info({ localNo: record.localNo, receiptNo: supplement.receiptNo, materials: input.materialCodes.length }, 'supplement received');
      await setStatus(record, 'supplement_received', input.note);
      return { outcome: 'created', record, supplement };
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
    async registerCallback(url) {
      state.callbackUrl = url;
      await persist({ callbackUrl: url });
      logger.info({ callbackHost: new URL(url).host }, 'callback URL registered');
      return { url, at: now() };
    },
    rejected(req, why) {
      logger.info({ method: req.method, path: req.path, why }, 'request rejected');
    },
  };

  /** The record as `/_sim/records` shows it: numbers, codes and field names, no personal data. */
  function recordView(r: SimRecord) {
    return {
      localNo: r.localNo,
      externalRef: r.externalRef,
      matterCode: r.matterCode,
      status: district.statusCode[r.lifecycle],
      statusAt: new Date(r.statusAt).toISOString(),
      submitCount: r.submitCount,
      createdAt: new Date(r.createdAt).toISOString(),
      formFields: r.formFields,
      materialCodes: r.materialCodes,
      supplements: r.supplements.map((s) => ({
        supplementId: s.supplementId,
        receiptNo: s.receiptNo,
        submitCount: s.submitCount,
        materialCodes: s.materialCodes,
        receivedAt: new Date(s.receivedAt).toISOString(),
      })),
      result: r.result
        ? {
            decision: district.statusCode[r.result.decision],
            documentName: r.result.documentName,
            documentNo: r.result.documentNo,
            issuedAt: new Date(r.result.issuedAt).toISOString(),
          }
        : null,
    };
  }

  // ---- HTTP ----
  const app = express();
  app.disable('x-powered-by');

  const control = express.Router();
  control.use(express.json({ limit: '64kb' }));
  control.get('/health', (_req, res) => {
    res.json({ status: 'ok', district: district.district, records: state.records.length });
  });
  control.get('/records', (_req, res) => {
    res.json({ records: state.records.map(recordView) });
  });

  // One record with the submit body as the district received it, values included, so tests can
  // check the adapter's mapping. Like the real system, it holds personal data; it never logs it.
  control.get('/records/:localNo', (req, res) => {
    const record = byLocalNo.get(String(req.params.localNo));
    if (!record) {
      res.status(404).json({ error: 'no such record' });
      return;
    }
    res.json({ ...recordView(record), request: record.request });
  });
  control.post('/cases/:localNo/advance', async (req, res) => {
    const parsed = district.spec.schema('SimAdvanceRequest').safeParse(req.body);
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const { action, note = '' } = parsed.data as { action: SimAction; note?: string };
    const localNo = String(req.params['localNo']);
    const record = byLocalNo.get(localNo);
    if (!record) return simError(res, 404, 'not_found', `no case ${localNo}`);
    if (action === 'issue_result') {
      if (record.lifecycle !== 'approved' && record.lifecycle !== 'rejected') {
        return simError(res, 409, 'conflict', `cannot issue a result for a case that is ${record.lifecycle}`);
      }
      if (record.result) return simError(res, 409, 'conflict', `the result of ${localNo} was issued already`);
      issueResult(record, record.lifecycle, record.note);
      await persist({ record });
      logger.info({ localNo, documentNo: record.result!.documentNo }, 'result issued');
      return res.json(recordView(record));
    }
    const rule = TRANSITIONS[action];
    if (!rule.from.includes(record.lifecycle)) {
      return simError(res, 409, 'conflict', `cannot ${action} a case that is ${record.lifecycle}`);
    }
    if ((rule.to === 'approved' || rule.to === 'rejected') && config.autoIssueResult) issueResult(record, rule.to, note);
    await setStatus(record, rule.to, note);
    res.json(recordView(record));
  });
  control.get('/config', (_req, res) => {
    res.json(configView());
  });
  control.post('/config', (req, res) => {
    const parsed = district.spec.schema('SimConfigRequest').safeParse(req.body);
    if (!parsed.success) return simError(res, 400, 'bad_request', issuePaths(parsed.error));
    const update = parsed.data as { callbacksEnabled?: boolean; fault?: SimFault; slowMs?: number; faultTimes?: number | null; autoIssueResult?: boolean };
    if (update.callbacksEnabled !== undefined) config.callbacksEnabled = update.callbacksEnabled;
    if (update.fault !== undefined) {
      config.fault = update.fault;
      // A new fault lasts until changed unless a count comes with it.
      config.faultTimes = update.faultTimes ?? null;
    } else if (update.faultTimes !== undefined) {
      config.faultTimes = update.faultTimes;
    }
    if (config.fault === 'none') config.faultTimes = null;
    if (update.slowMs !== undefined) config.slowMs = update.slowMs;
    if (update.autoIssueResult !== undefined) config.autoIssueResult = update.autoIssueResult;
    logger.info({ ...config }, 'simulator configured');
    res.json(configView());
  });
  control.use((_req, res) => simError(res, 404, 'not_found', 'no such control endpoint'));
  control.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) return simError(res, status, 'bad_request', 'request body is not valid JSON');
    logger.error({ err }, 'control endpoint failed');
    simError(res, 500, 'internal', 'internal error');
  });
  app.use('/_sim', control);

  /** The fault for this API request (counting it down), or none. */
  function takeFault(): SimFault {
    const fault = config.fault;
    if (fault === 'none') return fault;
    if (config.faultTimes !== null) {
      config.faultTimes -= 1;
      if (config.faultTimes <= 0) {
        config.fault = 'none';
        config.faultTimes = null;
      }
    }
    return fault;
  }

  const api = express.Router();
  api.use(async (req, res, next) => {
    const fault = takeFault();
    if (fault !== 'none') logger.info({ method: req.method, path: req.path, fault }, 'scripted fault');
    switch (fault) {
      case 'none':
        return next();
      case 'down':
        req.socket.resetAndDestroy();
        return;
      case 'error500':
        return district.sendError(res, 500, 'internal', 'simulated failure');
      case 'slow':
        await sleep(config.slowMs, undefined, { signal: stopping.signal }).catch(() => undefined);
        if (stopping.signal.aborted) return;
        return next();
      case 'malformed':
      case 'lost_answer':
      case 'unknown_status':
      case 'unknown_field': {
        // The request is carried out; only its answer is spoiled.
        const json = res.json.bind(res);
        res.json = (body: unknown) => {
          if (fault === 'lost_answer') {
            req.socket.resetAndDestroy();
            return res;
          }
          if (fault === 'malformed') {
            const text = JSON.stringify(body);
            return res.type('application/json').send(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
          }
          return json(district.disguise(body, fault));
        };
        return next();
      }
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

  const { port, url, close } = await listenHttp(app, opts.port ?? 0, opts.host ?? '127.0.0.1');
  logger.info({ port, records: state.records.length, matters: matters.size, catalog: catalog.version }, 'simulator listening');

  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await close();
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
  /** Another matter catalog than the shipped one (the gateway's KC_CATALOG_FILE, say). */
  SIM_CATALOG_FILE: z.string().min(1).optional(),
  /** `false`: decision records wait for the `issue_result` control action. */
  SIM_AUTO_ISSUE_RESULT: z.enum(['true', 'false']).optional(),
});
