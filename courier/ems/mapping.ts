/**
 * EMS traces → normalised tracking events (../tracking-status.ts).
 *
 * - opCode → status through the table in ./op-codes.ts; the code and the text are kept as
 *   rawCode / rawText (rawText is opDesc, or opName when EMS leaves the description empty).
 * - An opCode outside the table is NOT dropped and NOT an error: the event is kept with status
 *   `exception`, so staff see a parcel the carrier says something new about, and the code is
 *   reported in `unknownCodes` so the caller logs it (and the table gets the code).
 * - opTime is Beijing local time without an offset; it becomes an ISO instant with +08:00 whatever
 *   the host's time zone. A trace whose time does not parse (or is not a real date) cannot be placed
 *   on a timeline: it is reported in `skipped` with COURIER_EVENT_BAD_TIME and the rest of the
 *   batch is kept — refusing a whole full-history push for one bad row would make EMS resend the
 *   same bad row forever and we would never see the parcel move again.
 */
import { formatBeijingIso, parseBeijingLocal } from '../../adapters/beijing-time.js';
import { CourierError, type CourierErrorCode } from '../errors.js';
import type { TrackingEvent } from '../tracking-status.js';
import { normaliseWaybillNumber } from '../waybill.js';
import { EMS_OP_CODES, isKnownEmsOpCode } from './op-codes.js';
import type { EmsTraceWire } from './wire.js';

export interface SkippedTrace {
  /** Position in the list as EMS sent it. */
  index: number;
  code: Extract<CourierErrorCode, 'COURIER_EVENT_BAD_TIME'>;
  rawCode: string;
  /** Value-free reason, safe to log. */
  why: string;
}

export interface MappedTraces {
  /** In the order EMS sent them (newest first, usually); the timeline orders them. */
  events: TrackingEvent[];
  skipped: SkippedTrace[];
  /** Codes outside the table, each once; their events are in `events` as `exception`. */
  unknownCodes: string[];
}

function location(trace: EmsTraceWire): string | undefined {
  const parts = [trace.opOrgCity, trace.opOrgName].filter((p): p is string => typeof p === 'string' && p.trim() !== '');
  return parts.length > 0 ? parts.join(' ') : undefined;
}

/** One trace; throws CourierError('COURIER_EVENT_BAD_TIME') when opTime is not a Beijing local time. */
export function mapEmsTrace(waybillNo: string, trace: EmsTraceWire): TrackingEvent {
  const atMs = parseBeijingLocal(trace.opTime);
  if (atMs === undefined) {
    throw new CourierError('COURIER_EVENT_BAD_TIME', `EMS trace ${trace.opCode}: opTime is not a real yyyy-MM-dd HH:mm:ss`);
  }
  const event: TrackingEvent = {
    waybill: normaliseWaybillNumber(waybillNo),
    eventTime: formatBeijingIso(atMs),
    status: isKnownEmsOpCode(trace.opCode) ? EMS_OP_CODES[trace.opCode].status : 'exception',
    rawCode: trace.opCode,
    rawText: trace.opDesc.trim() !== '' ? trace.opDesc : trace.opName,
  };
  const where = location(trace);
  if (where !== undefined) event.location = where;
  return event;
}

/** A list of traces (a push or a history page). Never throws for a bad trace: see `skipped`. */
export function mapEmsTraces(waybillNo: string, traces: readonly EmsTraceWire[]): MappedTraces {
  const events: TrackingEvent[] = [];
  const skipped: SkippedTrace[] = [];
  const unknown = new Set<string>();
  traces.forEach((trace, index) => {
    try {
      events.push(mapEmsTrace(waybillNo, trace));
    } catch (err) {
      if (!(err instanceof CourierError) || err.code !== 'COURIER_EVENT_BAD_TIME') throw err;
      skipped.push({ index, code: err.code, rawCode: trace.opCode, why: err.message });
      return;
    }
    if (!isKnownEmsOpCode(trace.opCode)) unknown.add(trace.opCode);
  });
  return { events, skipped, unknownCodes: [...unknown] };
}
