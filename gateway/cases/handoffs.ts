/**
 * Hand-offs of a case's paper (courier/handoff.ts): dispatched where the paper leaves, received
 * where it arrives, each step a shared event, so both districts hold the same chain of custody.
 * Materials go from the origin window to the handling district; results go from the handling
 * district to the applicant (delivery is seen in tracking) or back to the origin window.
 * Receiving the materials is also the clock's start for matters that count from the paper.
 */
import { z } from 'zod';
import { checkManifest, HANDOFF_KINDS, manifestItem, staffId, type DispatchedStep, type HandoffKind, type ReceivedStep } from '../../courier/handoff.js';
import { CARRIERS, parseWaybill } from '../../courier/waybill.js';
import type { GatewayContext } from '../context.js';
import type { CaseEvent, CaseRecord } from '../domain/case.js';
import type { District } from '../domain/district.js';
import { AppError, invalidFields, type FieldIssue } from '../errors.js';
import { recordSharedEvent } from './shared-events.js';
import { requireCase } from './require-case.js';
import { parcelTrackingView, type ParcelTrackingView } from '../tracking/parcel-view.js';
import { parcelMember } from '../tracking/parcel-store.js';

const dispatchBody = z.strictObject({
  kind: z.enum(HANDOFF_KINDS),
  manifest: z.array(manifestItem).min(1).max(100),
  sealNo: z.string().regex(/^[A-Z0-9-]{4,32}$/),
  handedBy: staffId,
  takenBy: staffId,
  carrier: z.enum(CARRIERS),
  waybill: z.string().min(1).max(40),
});

const receiptBody = z.strictObject({
  receivedBy: staffId,
  sealIntact: z.boolean(),
  received: z.array(z.strictObject({ name: z.string().trim().min(1).max(200), copies: z.number().int().min(0).max(99), pages: z.number().int().min(0).max(9999) })).max(100),
});

const invalid = (error: z.ZodError): AppError => invalidFields(error.issues, () => '交接信息不完整或格式不正确');

/** Where each kind of hand-off leaves from, and where staff receive it (none: the applicant does). */
function ends(kind: HandoffKind, record: CaseRecord): { from: District; to: District | undefined } {
  if (kind === 'materials_to_handling') return { from: record.origin, to: record.handling };
  return { from: record.handling, to: kind === 'result_to_window' ? record.origin : undefined };
}

export interface HandoffView {
  handoffId: string;
  kind: HandoffKind;
  status: 'in_transit' | 'received' | 'exception';
  dispatchedAt: string;
  manifest: DispatchedStep['manifest'];
  sealNo: string;
  carrier: string;
  waybill: string;
  handedBy: string;
  /** Who holds the paper now, as far as the chain says. */
  lastHolder: string;
  receivedAt?: string;
  receivedBy?: string;
  sealIntact?: boolean;
  discrepancies?: ReceivedStep['discrepancies'];
  /** The parcel as the carrier reports it (gateway/tracking/parcel-view.ts). */
  tracking: ParcelTrackingView;
}

/** A hand-off's dispatch step and whether it was received, from the case's events: the cheap lookup of the hot path. */
export function dispatchOf(
  events: readonly CaseEvent[],
  handoffId: string,
): { step: DispatchedStep; dispatchedAt: string; received: boolean } | undefined {
  let found: { step: DispatchedStep; dispatchedAt: string } | undefined;
  let received = false;
  for (const e of events) {
    if (e.kind !== 'handoff' || e.data?.['handoffId'] !== handoffId) continue;
    const s = e.data as DispatchedStep | ReceivedStep;
    if (s.step === 'dispatched') found = { step: s, dispatchedAt: e.at };
    else received = true;
  }
  return found && { ...found, received };
}

/** The chain of custody as both sides see it, oldest first. */
export function handoffsOf(record: CaseRecord): HandoffView[] {
  const byId = new Map<string, HandoffView>();
  for (const e of record.events) {
    if (e.kind !== 'handoff' || !e.data) continue;
    const step = e.data as DispatchedStep | ReceivedStep;
    if (step.step === 'dispatched') {
      byId.set(step.handoffId, {
        handoffId: step.handoffId,
        kind: step.handoffKind,
        status: 'in_transit',
        dispatchedAt: e.at,
        manifest: step.manifest,
        sealNo: step.sealNo,
        carrier: step.carrier,
        waybill: step.waybill,
        handedBy: step.handedBy,
        lastHolder: step.takenBy,
        tracking: parcelTrackingView(record.events, step.handoffId, step.waybill),
      });
    } else {
      const h = byId.get(step.handoffId);
      if (!h) continue;
      Object.assign(h, {
        status: step.exception ? 'exception' : 'received',
        receivedAt: e.at,
        receivedBy: step.receivedBy,
        lastHolder: step.receivedBy,
        sealIntact: step.sealIntact,
        discrepancies: step.discrepancies,
      });
    }
  }
  return [...byId.values()];
}

export async function dispatchHandoff(ctx: GatewayContext, caseNo: string, body: unknown): Promise<HandoffView> {
  const parsed = dispatchBody.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const input = parsed.data;
  const waybill = parseWaybill(input.carrier, input.waybill);
  if (!waybill.ok) {
    const issue: FieldIssue = { field: 'waybill', code: waybill.code, message: waybill.message };
    throw new AppError('VALIDATION_FAILED', `waybill refused: ${waybill.code}`, [issue]);
  }
  const record = await requireCase(ctx, caseNo);
  const { from } = ends(input.kind, record);
  if (from !== ctx.district) throw new AppError('CASE_STATE_CONFLICT', `a ${input.kind} hand-off of ${caseNo} leaves from ${from}`);
  if (input.kind !== 'materials_to_handling' && !record.events.some((e) => e.kind === 'result_issued')) {
    throw new AppError('CASE_STATE_CONFLICT', `case ${caseNo} has no result to send yet`);
  }
  const handoffId = ctx.newId();
  const step: DispatchedStep = {
    handoffId,
    step: 'dispatched',
    handoffKind: input.kind,
    manifest: input.manifest,
    sealNo: input.sealNo,
    handedBy: input.handedBy,
    takenBy: input.takenBy,
    carrier: waybill.waybill.carrier,
    waybill: waybill.waybill.number,
  };
  // The district that sends the parcel follows it at the carrier: queued with the dispatch itself.
  const followUp = ctx.config.KC_COURIER_URL
    ? { queue: ctx.store.keys.shardFor(caseNo).parcels, member: parcelMember({ caseNo, handoffId }), dueMs: ctx.clock.now() }
    : undefined;
  await recordSharedEvent(ctx, { caseNo, kind: 'handoff', eventId: `handoff:${handoffId}:dispatched`, data: step, ...(followUp ? { followUp } : {}) });
  if (followUp) ctx.wake.parcelFollower();
  return handoffsOf(await requireCase(ctx, caseNo)).find((h) => h.handoffId === handoffId)!;
}

export async function receiveHandoff(ctx: GatewayContext, caseNo: string, handoffId: string, body: unknown): Promise<HandoffView> {
  const parsed = receiptBody.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error);
  const record = await requireCase(ctx, caseNo);
  const handoff = handoffsOf(record).find((h) => h.handoffId === handoffId);
  if (!handoff) throw new AppError('HANDOFF_NOT_FOUND', `no hand-off ${handoffId} in case ${caseNo}`);
  const { to } = ends(handoff.kind, record);
  if (to !== ctx.district) {
    throw new AppError('CASE_STATE_CONFLICT', to ? `this hand-off is received in ${to}` : 'a result posted to the applicant is received by the applicant (see tracking)');
  }
  if (handoff.status !== 'in_transit') throw new AppError('CASE_STATE_CONFLICT', `hand-off ${handoffId} was already received`);
  const discrepancies = checkManifest(handoff.manifest, parsed.data.received);
  const step: ReceivedStep = {
    handoffId,
    step: 'received',
    receivedBy: parsed.data.receivedBy,
    sealIntact: parsed.data.sealIntact,
    discrepancies,
    exception: !parsed.data.sealIntact || discrepancies.length > 0,
  };
  await recordSharedEvent(ctx, { caseNo, kind: 'handoff', eventId: `handoff:${handoffId}:received`, data: step, note: step.exception ? '交接异常' : '' });
  if (step.exception) ctx.logger.warn({ caseNo, handoffId, sealIntact: step.sealIntact, discrepancies: discrepancies.length }, 'hand-off received with an exception');
  if (handoff.kind === 'materials_to_handling') {
    // The paper is here: the start of the clock for matters that count from it (once per case).
    await recordSharedEvent(ctx, { caseNo, kind: 'materials_received', eventId: `materials-received:${caseNo}`, data: { receivedBy: parsed.data.receivedBy } });
  }
  return handoffsOf(await requireCase(ctx, caseNo)).find((h) => h.handoffId === handoffId)!;
}
