/** The one shape in which a case leaves the gateway: REST sends it as is, the partner API maps it to protobuf. */
import type { CaseRecord } from '../domain/case.js';
import { CASE_STATE_ZH } from '../domain/case.js';
import type { MatterCatalog } from '../domain/matters.js';

export function caseView(record: CaseRecord, catalog: MatterCatalog, opts: { includeApplication: boolean }) {
  return {
    caseNo: record.caseNo,
    matterId: record.matterId,
    matterName: catalog.get(record.matterId)?.name ?? '',
    originDistrict: record.origin,
    handlingDistrict: record.handling,
    state: record.state,
    stateLabel: CASE_STATE_ZH[record.state] ?? record.state,
    handlingLocalNo: record.localNo ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(opts.includeApplication ? { application: record.application } : {}),
    events: record.events,
    crossings: record.crossings,
  };
}

export type CaseView = ReturnType<typeof caseView>;
