/**
 * The shared case model: what both gateways hold about one 跨城通办 case.
 */
import type { Application } from './application.js';
import type { District } from './district.js';
import { DISTRICT_CODE } from './district.js';

export const CASE_STATES = [
  'submitted', // taken in at the origin window; application envelope queued
  'forwarded', // the handling gateway holds it (receipt received)
  'registered', // the handling approval system registered it under its local number
  'accepted', // 受理
  'supplement_requested', // 补正: waiting for supplementary materials
  'supplement_received', // 补正材料已收到: back with the handling officer
  'approved', // 准予许可 / 办结
  'rejected', // 不予许可
] as const;
export type CaseState = (typeof CASE_STATES)[number];

export const CASE_STATE_ZH: Record<CaseState, string> = {
  submitted: '已收件',
  forwarded: '已送达办理地',
  registered: '办理地已登记',
  accepted: '已受理',
  supplement_requested: '待补正',
  supplement_received: '补正材料已收到',
  approved: '准予许可',
  rejected: '不予许可',
};

export type DeliveryState = 'queued' | 'retrying' | 'receipted' | 'dead_lettered' | 'received';

/** One envelope that crossed (or is waiting to cross) the boundary, and what became of it. */
export interface Crossing {
  id: string;
  type: string;
  direction: 'out' | 'in';
  from: District;
  to: District;
  seq: number;
  delivery: DeliveryState;
  attempts: number;
  createdAt: string;
  /** The last failed delivery attempt (failDelivery-4.lua). */
  lastAttemptAt?: string;
  lastError?: string;
  receiptId?: string;
  receiptedAt?: string;
  bodySha256?: string;
  issuedAt?: string;
}

export interface CaseEvent {
  /** 1-based position in this gateway's event list. */
  seq: number;
  kind: string;
  state: CaseState;
  at: string;
  note?: string;
  messageId?: string;
  /** Shared events (gateway/domain/shared-events.ts): the sender's event id and its data. */
  eventId?: string;
  data?: Record<string, unknown>;
}

export interface CaseRecord {
  caseNo: string;
  matterId: string;
  origin: District;
  handling: District;
  state: CaseState;
  /** The handling district's approval-system number, once registered. */
  localNo?: string;
  createdAt: string;
  updatedAt: string;
  application: Application;
  events: CaseEvent[];
  crossings: Crossing[];
}

export const CASE_NO_PATTERN = /^KC-(LW|NH)-(\d{8})-(\d{6,})$/;

/** KC-LW-20261121-000123: origin district, Beijing date of intake, daily sequence (never reused). */
export function formatCaseNo(origin: District, yyyymmdd: string, sequence: number): string {
  return `KC-${DISTRICT_CODE[origin]}-${yyyymmdd}-${String(sequence).padStart(6, '0')}`;
}

export function originOfCaseNo(caseNo: string): District | undefined {
  const m = CASE_NO_PATTERN.exec(caseNo);
  if (!m) return undefined;
  return m[1] === 'LW' ? 'liwan' : 'nanhai';
}
