/**
 * The partner gRPC API (kiosks, district systems, provincial platforms). Partners authenticate with
 * client certificates; every call is then checked against the partner policy (policy.ts: the
 * operation, and the matter it touches) before anything is read or written. Handlers only
 * translate between protobuf and the same services REST uses.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import {
  PartnerServiceService as GeneratedPartnerService,
  type Case,
  type CaseEvent as PbCaseEvent,
  type CaseSummary as PbCaseSummary,
  type CaseTimeline as PbCaseTimeline,
  type Deadline as PbDeadline,
  type ForwardApplicationRequest,
  type GetCaseRequest,
  type GetCaseTimelineRequest,
  type GetSupervisionFiguresRequest,
  type Handoff as PbHandoff,
  type ListCasesRequest,
  type ListCasesResponse,
  type ListMattersRequest,
  type RateCaseRequest,
  type RateCaseResponse,
  type ReceiveHandoffRequest,
  type RecordHandoffRequest,
  type SupervisionFigures,
  type ListMattersResponse,
  type Matter as PbMatter,
  type PartnerServiceServer,
  type WatchCaseRequest,
} from '../../protos/gen/kuacheng/partner/v1/partner.js';
import type { GatewayContext } from '../context.js';
import type { CaseEvent, CaseRecord } from '../domain/case.js';
import type { CertificateIdentity } from '../../certs/dev-pki.js';
import { requireCase } from '../cases/require-case.js';
import { authenticateCaller } from '../grpc/caller.js';
import { toServiceError } from '../grpc/errors.js';
import { CASE_NO_PATTERN } from '../domain/case.js';
import { forwardApplication } from '../intake/forward.js';
import type { CaseEventsHub } from '../store/case-events.js';
import { caseView } from '../views/case-view.js';
import { listMatters, type MatterView } from '../views/matter-view.js';
import { rateCase } from '../cases/rating.js';
import { supervisionFigures } from '../supervision/figures.js';
import { isDistrict } from '../domain/district.js';
import { AppError, type FieldIssue } from '../errors.js';
import { dispatchHandoff, receiveHandoff, type HandoffView } from '../cases/handoffs.js';
import { deadlineOf, listCases, type CaseSummary } from '../cases/case-list.js';
import { caseTimeline } from '../views/case-timeline.js';
import type { PartnerGrant, PartnerOperation, PartnerPolicy } from './policy.js';

/** Stands in for a request whose bytes are not a protobuf message of its type. */
const UNREADABLE = Symbol('unreadable request');

/**
 * The service as the server registers it: a request that cannot be decoded reaches the handler as
 * UNREADABLE and is refused there with VALIDATION_FAILED (after the caller is authenticated and
 * authorised, and audited like any call), instead of grpc-js answering a bare INTERNAL first.
 */
export const PartnerServiceService = Object.fromEntries(
  Object.entries(GeneratedPartnerService).map(([name, method]) => [
    name,
    {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          return method.requestDeserialize(bytes);
        } catch {
          return UNREADABLE;
        }
      },
    },
  ]),
) as unknown as typeof GeneratedPartnerService;

function refuseUnreadable(request: unknown): void {
  if (request !== UNREADABLE) return;
  throw new AppError('VALIDATION_FAILED', 'the request is not a valid protobuf message of its type', [
    { field: '(request)', code: 'MALFORMED', message: '请求不是有效的 protobuf 消息' },
  ]);
}

type AnyCall = Parameters<typeof authenticateCaller>[1];

function partnerOf(ctx: GatewayContext, call: AnyCall): string {
  const isPartner = (i: CertificateIdentity): i is Extract<CertificateIdentity, { kind: 'partner' }> => i.kind === 'partner';
  return authenticateCaller(ctx, call, 'partner', isPartner, 'only partner certificates may call the partner API').partnerId;
}

function toPbEvent(caseNo: string, e: CaseEvent): PbCaseEvent {
  return { seq: e.seq, caseNo, kind: e.kind, state: e.state, at: e.at, note: e.note ?? '' };
}

function toPbHandoff(h: HandoffView): PbHandoff {
  return {
    handoffId: h.handoffId,
    kind: h.kind,
    status: h.status,
    dispatchedAt: h.dispatchedAt,
    manifest: h.manifest.map((m) => ({ name: m.name, form: m.form, copies: m.copies, pages: m.pages })),
    sealNo: h.sealNo,
    carrier: h.carrier,
    waybill: h.waybill,
    handedBy: h.handedBy,
    lastHolder: h.lastHolder,
    receivedAt: h.receivedAt ?? '',
    receivedBy: h.receivedBy ?? '',
    sealIntact: h.sealIntact,
    discrepancies: (h.discrepancies ?? []).map((d) => ({ name: d.name, problem: d.problem, expected: d.expected, found: d.found })),
    tracking: {
      status: h.tracking.status,
      statusLabel: h.tracking.statusLabel,
      needsAttention: h.tracking.needsAttention,
      lastEventAt: h.tracking.lastEventAt ?? '',
      deliveredAt: h.tracking.deliveredAt ?? '',
    },
  };
}

function toPbDeadline(ctx: GatewayContext, record: CaseRecord, d: NonNullable<ReturnType<typeof caseView>['deadline']>): PbDeadline {
  const matter = ctx.catalog.get(record.matterId);
  const running = matter ? deadlineOf(ctx, matter, record.events, ctx.clock.now()) : null;
  return {
    state: d.state,
    promisedDays: d.promisedDays,
    statutoryDays: d.statutoryDays,
    dueDate: d.deadline ?? '',
    statutoryDueDate: d.statutoryDeadline ?? '',
    usedDays: d.usedDays,
    remainingDays: d.remainingDays,
    overdue: d.overdue,
    completedOn: d.completedOn ?? '',
    onTime: d.onTime ?? undefined,
    provisional: d.provisional,
    colour: running?.colour ?? '',
    colourLabel: running?.colourLabel ?? '',
  };
}

function toPbSummary(c: CaseSummary): PbCaseSummary {
  return {
    caseNo: c.caseNo,
    matterId: c.matterId,
    matterName: c.matterName,
    originDistrict: c.originDistrict,
    handlingDistrict: c.handlingDistrict,
    state: c.state,
    stateLabel: c.stateLabel,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    deadline: c.deadline ?? undefined,
  };
}

export function toPbCase(ctx: GatewayContext, record: CaseRecord): Case {
  const v = caseView(record, ctx, { includeApplication: false });
  return {
    caseNo: v.caseNo,
    matterId: v.matterId,
    matterName: v.matterName,
    originDistrict: v.originDistrict,
    handlingDistrict: v.handlingDistrict,
    state: v.state,
    handlingLocalNo: v.handlingLocalNo ?? '',
    createdAt: v.createdAt,
    updatedAt: v.updatedAt,
    events: record.events.map((e) => toPbEvent(record.caseNo, e)),
    crossings: record.crossings.map((c) => ({
      messageId: c.id,
      type: c.type,
      fromDistrict: c.from,
      toDistrict: c.to,
      seq: c.seq,
      issuedAt: c.issuedAt ?? '',
      bodySha256: c.bodySha256 ?? '',
      delivery: c.delivery,
      receiptId: c.receiptId ?? '',
      receiptedAt: c.receiptedAt ?? '',
    })),
    stateLabel: v.stateLabel,
    deadline: v.deadline ? toPbDeadline(ctx, record, v.deadline) : undefined,
    handoffs: v.handoffs.map(toPbHandoff),
  };
}

function toPbMatter(m: MatterView): PbMatter {
  return {
    id: m.id,
    name: m.name,
    domain: m.domain,
    domainLabel: m.domainLabel,
    batch: m.batch,
    effectiveFrom: m.effectiveFrom,
    withdrawnFrom: m.withdrawnFrom ?? '',
    handlingDistrict: m.handlingDistrict,
    applicantKind: m.applicantKind,
    handlingCode: m.handlingCode,
    handlingName: m.handlingName,
    handlingDepartment: m.handlingDepartment,
    statutoryDays: m.timeLimits.statutoryDays,
    promisedDays: m.timeLimits.promisedDays,
    clockStartsOn: m.clock.startsOn,
    courierTimeCounts: m.clock.courierTimeCounts,
    resultDocument: m.resultDocument,
    availability: m.availability,
    materials: m.materials.map((x) => ({ id: x.id, name: x.name, form: x.form, copies: x.copies, requirement: x.requirement, condition: x.condition ?? '' })),
    fields: m.fields.map((f) => ({
      key: f.key,
      label: f.label,
      type: f.type,
      required: f.required,
      requiredWhenField: f.requiredWhen?.field ?? '',
      requiredWhenEquals: f.requiredWhen?.equals ?? '',
      unit: f.unit ?? '',
      options: f.options ?? [],
      hint: f.hint ?? '',
    })),
  };
}

/** ListCases answers in the proto's field names, not the REST query's. */
const LIST_FIELD: Record<string, string> = {
  handlingDistrict: 'handling_district',
  originDistrict: 'origin_district',
  matterId: 'matter_id',
  deadline: 'deadline_colour',
  limit: 'page_size',
  cursor: 'page_token',
};

function renamed(err: unknown, names: Record<string, string>): unknown {
  if (!(err instanceof AppError) || err.issues.length === 0) return err;
  const issues: FieldIssue[] = err.issues.map((i) => ({ ...i, field: names[i.field] ?? i.field }));
  return new AppError(err.code, err.message, issues);
}

export function partnerHandlers(ctx: GatewayContext, hub: CaseEventsHub, policy: PartnerPolicy): PartnerServiceServer {
  /** Who calls (certificate) and whether it may call this operation at all (policy), before anything else. */
  const authorize = (call: AnyCall, operation: PartnerOperation): PartnerGrant => policy.authorize(partnerOf(ctx, call), operation);

  /** The case, if the partner may see it: it exists (CASE_NOT_FOUND) and its matter is allowed. */
  const caseFor = async (grant: PartnerGrant, caseNo: string): Promise<CaseRecord> => {
    const record = await requireCase(ctx, caseNo);
    grant.requireMatter(record.matterId);
    return record;
  };

  /** Every partner call goes into the audit log: who (certificate), what, which case, and how it ended. */
  const audited = (call: AnyCall, operation: PartnerOperation) => {
    let partner = '';
    return {
      authorize: (): PartnerGrant => {
        const grant = authorize(call, operation);
        partner = grant.partnerId;
        return grant;
      },
      done: (err?: unknown) => {
        const caseNo = (call as { request?: { caseNo?: unknown } }).request?.caseNo;
        void ctx.audit.record({
          kind: 'partner.call',
          partner,
          operation,
          result: err === undefined ? 'OK' : err instanceof AppError ? err.code : 'INTERNAL',
          ...(typeof caseNo === 'string' && CASE_NO_PATTERN.test(caseNo) ? { caseNo } : {}),
        });
      },
    };
  };

  const unary =
    <Req, Res>(operation: PartnerOperation, fn: (call: ServerUnaryCall<Req, Res>, grant: PartnerGrant) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
      const audit = audited(call, operation);
      Promise.resolve()
        .then(() => {
          const grant = audit.authorize();
          refuseUnreadable(call.request);
          return fn(call, grant);
        })
        .then(
          (res) => {
            audit.done();
            callback(null, res);
          },
          (err: unknown) => {
            audit.done(err);
            callback(toServiceError(err, ctx.logger));
          },
        );
    };

  return {
    forwardApplication: unary<ForwardApplicationRequest, Case>('ForwardApplication', async (call, grant) => {
      const r = call.request;
      grant.requireMatter(r.matterId);
      const a = r.applicant;
      const body = {
        matterId: r.matterId,
        applicant: a && {
          kind: a.kind,
          name: a.name,
          phone: a.phone,
          ...(a.idNumber ? { idNumber: a.idNumber } : {}),
          ...(a.creditCode ? { creditCode: a.creditCode } : {}),
          ...(a.address ? { address: a.address } : {}),
        },
        form: r.form,
        materials: r.materials.map((m) => ({ name: m.name, form: m.form, copies: m.copies })),
      };
      const record = await forwardApplication(ctx, { body, idempotencyKey: r.idempotencyKey || undefined, caller: `partner:${grant.partnerId}` });
      return toPbCase(ctx, record);
    }),

    getCase: unary<GetCaseRequest, Case>('GetCase', async (call, grant) => toPbCase(ctx, await caseFor(grant, call.request.caseNo))),

    getCaseTimeline: unary<GetCaseTimelineRequest, PbCaseTimeline>('GetCaseTimeline', async (call, grant) => {
      const record = await caseFor(grant, call.request.caseNo);
      const entries = caseTimeline(caseView(record, ctx, { includeApplication: false }));
      return {
        caseNo: record.caseNo,
        entries: entries.map((e) => ({
          at: e.at,
          kind: e.kind,
          title: e.title,
          detail: e.detail ?? '',
          tone: e.tone,
          ref: e.ref && { messageId: e.ref.messageId ?? '', handoffId: e.ref.handoffId ?? '', pauseId: e.ref.pauseId ?? '', cardId: e.ref.cardId ?? '' },
        })),
      };
    }),

    listCases: unary<ListCasesRequest, ListCasesResponse>('ListCases', async (call, grant) => {
      const r = call.request;
      if (r.matterId) grant.requireMatter(r.matterId);
      const filter = { handlingDistrict: r.handlingDistrict, originDistrict: r.originDistrict, matterId: r.matterId, state: r.state, deadline: r.deadlineColour };
      const page = await listCases(
        ctx,
        { ...filter, limit: r.pageSize || undefined, cursor: r.pageToken || undefined },
        { allowsMatter: (matterId) => grant.allowsMatter(matterId) },
      ).catch((err: unknown) => {
        throw renamed(err, LIST_FIELD);
      });
      return { cases: page.cases.map(toPbSummary), nextPageToken: page.nextCursor ?? '' };
    }),

    recordHandoff: unary<RecordHandoffRequest, PbHandoff>('RecordHandoff', async (call, grant) => {
      const r = call.request;
      await caseFor(grant, r.caseNo);
      const body = {
        kind: r.kind,
        manifest: r.manifest.map((m) => ({ name: m.name, form: m.form, copies: m.copies, pages: m.pages })),
        sealNo: r.sealNo,
        handedBy: r.handedBy,
        takenBy: r.takenBy,
        carrier: r.carrier,
        waybill: r.waybill,
      };
      return toPbHandoff(await dispatchHandoff(ctx, r.caseNo, body));
    }),

    receiveHandoff: unary<ReceiveHandoffRequest, PbHandoff>('ReceiveHandoff', async (call, grant) => {
      const r = call.request;
      await caseFor(grant, r.caseNo);
      const body = {
        receivedBy: r.receivedBy,
        // Left out when unset, so a receipt that does not say is refused rather than read as "broken".
        ...(r.sealIntact === undefined ? {} : { sealIntact: r.sealIntact }),
        received: r.received.map((x) => ({ name: x.name, copies: x.copies, pages: x.pages })),
      };
      return toPbHandoff(await receiveHandoff(ctx, r.caseNo, r.handoffId, body));
    }),

    rateCase: unary<RateCaseRequest, RateCaseResponse>('RateCase', async (call, grant) => {
      await caseFor(grant, call.request.caseNo);
      const { rating } = await rateCase(ctx, call.request.caseNo, { rating: call.request.rating }, 'partner');
      return { caseNo: call.request.caseNo, rating };
    }),

    getSupervisionFigures: unary<GetSupervisionFiguresRequest, SupervisionFigures>('GetSupervisionFigures', async (call, grant) => {
      const r = call.request;
      if (r.matterId) grant.requireMatter(r.matterId);
      if (r.handlingDistrict && !isDistrict(r.handlingDistrict)) {
        throw new AppError('VALIDATION_FAILED', 'unknown district', [{ field: 'handling_district', code: 'INVALID', message: '办理地无效' }]);
      }
      const figures = await supervisionFigures(ctx, {
        period: r.period,
        ...(r.handlingDistrict && isDistrict(r.handlingDistrict) ? { handlingDistrict: r.handlingDistrict } : {}),
        ...(r.matterId ? { matterId: r.matterId } : {}),
      });
      return {
        period: figures.period,
        rows: figures.rows
          .filter((row) => grant.allowsMatter(row.matterId))
          .map((row) => ({
            handlingDistrict: row.handlingDistrict,
            department: row.department,
            matterId: row.matterId,
            matterName: row.matterName,
            completed: row.completed,
            completedOnTime: row.completedOnTime,
            onTimeRate: row.onTimeRate ?? -1,
            averageDaysUsed: row.averageDaysUsed ?? -1,
            preWarnings: row.preWarnings,
            yellowCards: row.yellowCards,
            redCards: row.redCards,
            openOverdue: row.openOverdue,
            ratedSatisfied: row.ratings.satisfied,
            ratedNeutral: row.ratings.neutral,
            ratedDissatisfied: row.ratings.dissatisfied,
            satisfactionRate: row.satisfactionRate ?? -1,
          })),
      };
    }),

    listMatters: unary<ListMattersRequest, ListMattersResponse>('ListMatters', async (call, grant) => {
      const r = call.request;
      const { matters, catalogVersion } = listMatters(ctx, {
        handlingDistrict: r.handlingDistrict,
        domain: r.domain,
        batch: r.batch,
        includeUnavailable: r.includeUnavailable,
      });
      return { matters: matters.filter((m) => grant.allowsMatter(m.id)).map(toPbMatter), catalogVersion };
    }),

    watchCase(call: ServerWritableStream<WatchCaseRequest, PbCaseEvent>) {
      let unwatch = () => {};
      const audit = audited(call, 'WatchCase');
      let started = false;
      // A server stream ends with a status only through its 'error' event; destroy() would leave
      // the client waiting for one.
      const fail = (err: unknown) => {
        unwatch();
        if (!started) audit.done(err);
        call.emit('error', toServiceError(err, ctx.logger));
      };
      const run = async () => {
        const grant = audit.authorize();
        refuseUnreadable(call.request);
        const caseNo = call.request.caseNo;
        await caseFor(grant, caseNo);
        // The watch is recorded once, when it starts; what it streams is the case's own history.
        started = true;
        audit.done();
        let sent = call.request.afterSeq;
        let pumping = Promise.resolve();
        const pump = () => {
          pumping = pumping.then(async () => {
            for (const e of await ctx.store.getEvents(caseNo, sent)) {
              if (call.cancelled) return;
              call.write(toPbEvent(caseNo, e));
              sent = e.seq;
            }
          });
          return pumping;
        };
        // Watch before reading history, so nothing that happens in between is missed.
        unwatch = hub.watch(caseNo, () => void pump().catch(fail));
        await pump();
      };
      call.on('cancelled', () => unwatch());
      call.on('close', () => unwatch());
      run().catch(fail);
    },
  };
}
