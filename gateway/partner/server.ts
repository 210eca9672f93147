/**
 * The partner gRPC API (kiosks, district systems, provincial platforms). Partners authenticate with
 * client certificates; handlers only translate between protobuf and the same services REST uses.
 */
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import {
  PartnerServiceService,
  type Case,
  type CaseEvent as PbCaseEvent,
  type ForwardApplicationRequest,
  type GetCaseRequest,
  type GetSupervisionFiguresRequest,
  type ListMattersRequest,
  type RateCaseRequest,
  type RateCaseResponse,
  type SupervisionFigures,
  type ListMattersResponse,
  type Matter as PbMatter,
  type WatchCaseRequest,
} from '../../protos/gen/kuacheng/partner/v1/partner.js';
import type { GatewayContext } from '../context.js';
import type { CaseEvent, CaseRecord } from '../domain/case.js';
import type { CertificateIdentity } from '../../certs/dev-pki.js';
import { requireCase } from '../cases/require-case.js';
import { authenticateCaller } from '../grpc/caller.js';
import { toServiceError } from '../grpc/errors.js';
import { forwardApplication } from '../intake/forward.js';
import type { CaseEventsHub } from '../store/case-events.js';
import { caseView } from '../views/case-view.js';
import { listMatters, type MatterView } from '../views/matter-view.js';
import { rateCase } from '../cases/rating.js';
import { supervisionFigures } from '../supervision/figures.js';
import { isDistrict } from '../domain/district.js';
import { AppError } from '../errors.js';

export { PartnerServiceService };

type AnyCall = Parameters<typeof authenticateCaller>[1];

function partnerOf(ctx: GatewayContext, call: AnyCall): string {
  const isPartner = (i: CertificateIdentity): i is Extract<CertificateIdentity, { kind: 'partner' }> => i.kind === 'partner';
  return authenticateCaller(ctx, call, 'partner', isPartner, 'only partner certificates may call the partner API').partnerId;
}

function toPbEvent(caseNo: string, e: CaseEvent): PbCaseEvent {
  return { seq: e.seq, caseNo, kind: e.kind, state: e.state, at: e.at, note: e.note ?? '' };
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

function unary<Req, Res>(ctx: GatewayContext, fn: (call: ServerUnaryCall<Req, Res>, partnerId: string) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    Promise.resolve()
      .then(() => fn(call, partnerOf(ctx, call)))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(toServiceError(err, ctx.logger)),
      );
  };
}

export function partnerHandlers(ctx: GatewayContext, hub: CaseEventsHub) {
  return {
    forwardApplication: unary<ForwardApplicationRequest, Case>(ctx, async (call, partnerId) => {
      const r = call.request;
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
      const record = await forwardApplication(ctx, { body, idempotencyKey: r.idempotencyKey || undefined, caller: `partner:${partnerId}` });
      return toPbCase(ctx, record);
    }),

    getCase: unary<GetCaseRequest, Case>(ctx, async (call) => toPbCase(ctx, await requireCase(ctx, call.request.caseNo))),

    rateCase: unary<RateCaseRequest, RateCaseResponse>(ctx, async (call) => {
      const { rating } = await rateCase(ctx, call.request.caseNo, { rating: call.request.rating }, 'partner');
      return { caseNo: call.request.caseNo, rating };
    }),

    getSupervisionFigures: unary<GetSupervisionFiguresRequest, SupervisionFigures>(ctx, async (call) => {
      const r = call.request;
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
        rows: figures.rows.map((row) => ({
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

    listMatters: unary<ListMattersRequest, ListMattersResponse>(ctx, async (call) => {
      const r = call.request;
      const { matters, catalogVersion } = listMatters(ctx, {
        handlingDistrict: r.handlingDistrict,
        domain: r.domain,
        batch: r.batch,
        includeUnavailable: r.includeUnavailable,
      });
      return { matters: matters.map(toPbMatter), catalogVersion };
    }),

    watchCase(call: ServerWritableStream<WatchCaseRequest, PbCaseEvent>) {
      let unwatch = () => {};
      // A server stream ends with a status only through its 'error' event; destroy() would leave
      // the client waiting for one.
      const fail = (err: unknown) => {
        unwatch();
        call.emit('error', toServiceError(err, ctx.logger));
      };
      const run = async () => {
        partnerOf(ctx, call);
        const caseNo = call.request.caseNo;
        await requireCase(ctx, caseNo);
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
