/**
 * The one interface every district adapter implements. The gateway speaks only the shared model;
 * each adapter translates to and from its own approval system (codes, field names, date formats,
 * status codes). District-specific knowledge lives only below adapters/.
 */
import type { Application } from '../gateway/domain/application.js';
import type { District } from '../gateway/domain/district.js';

/** The states an approval system can report, in the shared vocabulary. */
export const APPROVAL_STATUSES = ['registered', 'accepted', 'supplement_requested', 'approved', 'rejected'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

export interface ApprovalSubmission {
  /** Kuacheng case number; also the idempotency key / external reference in the approval system. */
  caseNo: string;
  /** The handling district's own code for the matter (from the matter catalog). */
  localMatterCode: string;
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

export interface ChangesPage {
  events: ApprovalStatusEvent[];
  /** Opaque cursor to pass to the next call. */
  cursor: string;
}

export interface ApprovalAdapter {
  readonly district: District;
  /** Submit an application. Must be idempotent on caseNo: a retry returns the same localNo. */
  submit(submission: ApprovalSubmission): Promise<SubmitResult>;
  /** Polling fallback: status events after the cursor (undefined = from the beginning), oldest first. */
  changesSince(cursor: string | undefined): Promise<ChangesPage>;
  /**
   * A status callback pushed by the approval system. Verifies its authenticity over the raw body
   * bytes and maps it; throws AdapterError('CALLBACK_UNAUTHENTICATED' | 'CALLBACK_MALFORMED' | 'UNKNOWN_STATUS').
   */
  parseCallback(rawBody: Buffer, headers: Record<string, string | string[] | undefined>): ApprovalStatusEvent[];
}

export type AdapterErrorCode =
  | 'APPROVAL_UNAVAILABLE' // network error, timeout, 5xx: safe to retry later
  | 'APPROVAL_REJECTED_REQUEST' // 4xx: the request itself is wrong; retrying will not help
  | 'APPROVAL_BAD_RESPONSE' // the system answered something that does not match its spec
  | 'UNKNOWN_STATUS' // a status code the mapping does not know: staff must see it
  | 'CALLBACK_UNAUTHENTICATED'
  | 'CALLBACK_MALFORMED';

export class AdapterError extends Error {
  constructor(
    readonly code: AdapterErrorCode,
    message: string,
    readonly retryable = code === 'APPROVAL_UNAVAILABLE',
  ) {
    super(message);
    this.name = 'AdapterError';
  }
}
