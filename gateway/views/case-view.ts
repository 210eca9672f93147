/** The one shape in which a case leaves the gateway: REST sends it as is, the partner API maps it to protobuf. */
import type { CaseRecord } from '../domain/case.js';
import { CASE_STATE_ZH } from '../domain/case.js';
import type { GatewayContext } from '../context.js';
import { computeDeadline } from '../deadlines/deadline.js';
import { handoffsOf } from '../cases/handoffs.js';
import { resultDeliveredOf } from '../tracking/parcel-view.js';

type ViewContext = Pick<GatewayContext, 'catalog' | 'calendar' | 'clock'>;

export function caseView(record: CaseRecord, ctx: ViewContext, opts: { includeApplication: boolean }) {
  const { catalog } = ctx;
  const matter = catalog.get(record.matterId);
  return {
    caseNo: record.caseNo,
    matterId: record.matterId,
    matterName: matter?.name ?? '',
    originDistrict: record.origin,
    handlingDistrict: record.handling,
    state: record.state,
    stateLabel: CASE_STATE_ZH[record.state] ?? record.state,
    handlingLocalNo: record.localNo ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(opts.includeApplication ? { application: record.application } : {}),
    // Worked out from the events each time: both gateways hold the same events, so they agree.
    deadline: matter ? computeDeadline(matter, record.events, ctx.calendar, ctx.clock.now()) : null,
    // Where the paper is and who last held it.
    handoffs: handoffsOf(record),
    // The carrier delivered the result to the applicant (gateway/tracking/ingest.ts).
    resultDelivered: resultDeliveredOf(record.events),
    events: record.events,
    crossings: record.crossings,
  };
}

export type CaseView = ReturnType<typeof caseView>;
