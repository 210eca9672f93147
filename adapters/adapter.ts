/**
 * The one interface every district adapter implements. The gateway speaks only the shared model;
 * each adapter translates to and from its own approval system (codes, field names, date formats,
 * status codes). District-specific knowledge lives only below adapters/.
 */
import type { Application, Material } from '../gateway/domain/application.js';
import type { District } from '../gateway/domain/district.js';
import type { Matter } from '../gateway/catalog/schema.js';

/**
 * The states an approval system can report, in the shared vocabulary. Each district's codes map to
 * these through the matter catalog (`systems.<district>.statuses`).
 */
export const APPROVAL_STATUSES = [
  'registered', // 登记: the system holds the case under its own number
  'accepted', // 受理
  'supplement_requested', // 补正告知
  'supplement_received', // 补正材料已收到
  'approved', // 准予许可
  'rejected', // 不予许可
] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** The decisions that end a case; after one of these the result record can be fetched. */
export const DECISION_STATUSES = ['approved', 'rejected'] as const satisfies readonly ApprovalStatus[];

export interface ApprovalSubmission {
  /** Kuacheng case number; also the idempotency key / external reference in the approval system. */
  caseNo: string;
  /** The catalog entry: the district's own matter code, field names, value maps and material codes. */
  matter: Matter;
  originDistrict: District;
  application: Application;
  /** When the window took the application in (ISO 8601 instant). */
  submittedAt: string;
}

export interface SubmitResult {
  /** The approval system's own number for the case (本地办件编号). */
  localNo: string;
}

export interface ApprovalStatusEvent {
  /** The approval system's id of this event: the key for de-duplication. */
  eventId: string;
  caseNo: string;
  localNo: string;
  status: ApprovalStatus;
  /** When it happened (ISO 8601 instant, with offset). */
  at: string;
  /** Free text from the officer (e.g. which supplements are needed). May be empty. */
  note: string;
}

/** The case as the approval system holds it right now. */
export interface ApprovalCaseStatus {
  caseNo: string;
  localNo: string;
  status: ApprovalStatus;
  /** When the status was set (ISO 8601 instant, with offset). */
  at: string;
}

/** Supplementary materials (补正材料) the applicant handed in, passed on to the handling system. */
export interface SupplementSubmission {
  caseNo: string;
  localNo: string;
  matter: Matter;
  /** Unique per supplement: the idempotency key, so a retry never files it twice. */
  supplementId: string;
  materials: Material[];
  /** Free text from the window; may be empty. */
  note: string;
  /** ISO 8601 instant with offset. */
  submittedAt: string;
}

/** The decision record (决定书 / 证照) the handling system issues at the end. */
export interface ApprovalResult {
  caseNo: string;
  localNo: string;
  decision: (typeof DECISION_STATUSES)[number];
  /** What was issued: 营业执照, 食品经营许可证, 不予许可决定书… */
  documentName: string;
  /** The licence or decision number. */
  documentNo: string;
  /** ISO 8601 instant with offset. */
  issuedAt: string;
  /** Reason for a rejection; empty on approval. */
  reason: string;
}

export interface ChangesPage {
  events: ApprovalStatusEvent[];
  /** Opaque cursor to pass to the next call. */
  cursor: string;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/** The adapter's view of its approval system's health, for diagnostics and staff. */
export interface AdapterHealth {
  /**
   * closed: calls go through; open: calls are answered APPROVAL_CIRCUIT_OPEN without calling;
   * half_open: the reset timeout has passed and the next call is a trial that closes or re-opens it.
   */
  circuit: CircuitState;
  /** When the circuit last changed state (ISO 8601 with offset); absent while it never has. */
  since?: string;
  /** Counts in the breaker's rolling window: HTTP attempts, those that failed, calls held back. */
  window: { attempts: number; failures: number; shortCircuited: number };
  /** The last failure that counted against the circuit (no personal data). */
  lastFailure?: { code: AdapterErrorCode; at: string; operation: string };
}

export interface ApprovalAdapter {
  readonly district: District;
  /** Submit an application. Must be idempotent on caseNo: a retry returns the same localNo. */
  submit(submission: ApprovalSubmission): Promise<SubmitResult>;
  /** Polling fallback: status events after the cursor (undefined = from the beginning), oldest first. */
  changesSince(cursor: string | undefined): Promise<ChangesPage>;
  /**
   * A status callback pushed by the approval system. Verifies its authenticity over the raw body
   * bytes and maps it; throws AdapterError('CALLBACK_UNAUTHENTICATED' | 'CALLBACK_MALFORMED' |
   * 'UNKNOWN_STATUS' | 'UNKNOWN_FIELD').
   */
  parseCallback(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ApprovalStatusEvent[];
  /** Asks the system to push status changes to `url` (idempotent: registering again replaces it). */
  registerCallback(url: string): Promise<void>;
  /** The case's current status, by the system's own number. */
  getStatus(localNo: string): Promise<ApprovalCaseStatus>;
  /** Files supplementary materials. Idempotent on supplementId. */
  submitSupplement(supplement: SupplementSubmission): Promise<{ receiptNo: string }>;
  /** The decision record of a decided case; APPROVAL_NOT_READY while undecided. */
  fetchResult(localNo: string): Promise<ApprovalResult>;
  /** The circuit breaker's state and recent failures; never calls the system. */
  health(): AdapterHealth;
}

export type AdapterErrorCode =
  | 'APPROVAL_UNAVAILABLE' // network error, timeout, 5xx: safe to retry later
  | 'APPROVAL_REJECTED_REQUEST' // 4xx: the request itself is wrong; retrying will not help
  | 'APPROVAL_BAD_RESPONSE' // the system answered something that does not match its spec
  | 'APPROVAL_CIRCUIT_OPEN' // too many recent failures: calls are held back for a while
  | 'APPROVAL_NOT_READY' // asked for something the system does not have yet (a result before the decision)
  | 'UNKNOWN_STATUS' // a status code the mapping does not know: staff must see it
  | 'UNKNOWN_FIELD' // a field the spec and the catalog do not know: staff must see it
  | 'CALLBACK_UNAUTHENTICATED'
  | 'CALLBACK_MALFORMED';

export class AdapterError extends Error {
  constructor(
    readonly code: AdapterErrorCode,
    message: string,
    readonly retryable = code === 'APPROVAL_UNAVAILABLE' || code === 'APPROVAL_CIRCUIT_OPEN' || code === 'APPROVAL_NOT_READY',
  ) {
    super(message);
    this.name = 'AdapterError';
  }
}
