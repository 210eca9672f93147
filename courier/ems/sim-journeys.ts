/**
 * Scripted journeys for the EMS simulator: the ready-made ones (SimJourney in ./openapi.yaml), a
 * parcel of paper originals from a Nanhai window to a Liwan window, and custom ones given trace by
 * trace. A script is only a list: the simulator releases it step by step.
 */
import { formatBeijingLocal } from '../../adapters/beijing-time.js';
import type { components } from './generated/tracking-api.js';
import { EMS_OP_CODES, isKnownEmsOpCode } from './op-codes.js';

type Schemas = components['schemas'];
export type SimJourney = Schemas['SimJourney'];
export type SimScriptedTraceInput = Schemas['SimScriptedTrace'];

/** One trace as it will enter the history, with its time already written. */
export interface ScriptedTrace {
  opCode: string;
  opName: string;
  opDesc: string;
  /** As EMS writes it (custom scripts may hold a malformed one on purpose). */
  opTime: string;
  opOrgProvName?: string;
  opOrgCity?: string;
  opOrgName?: string;
  recordedTwice: boolean;
}

interface Stop {
  city: string;
  org: string;
}

const NANHAI_OFFICE: Stop = { city: '佛山市', org: '佛山市南海区桂城营业部' };
const FOSHAN_HUB: Stop = { city: '佛山市', org: '佛山邮件处理中心' };
const GUANGZHOU_HUB: Stop = { city: '广州市', org: '广州邮件处理中心' };
const LIWAN_OFFICE: Stop = { city: '广州市', org: '广州市荔湾区中山八路营业部' };
const LIWAN_LOCKER: Stop = { city: '广州市', org: '荔湾区政务服务中心智能快件箱' };

type Step = readonly [code: string, desc: string, at: Stop];

const RECEIVED: Step = ['10', '电子运单信息已收到，等待揽收', NANHAI_OFFICE];
const POSTED: Step = ['20', '已收寄', NANHAI_OFFICE];
const LEFT_FOSHAN: Step = ['30', '离开【佛山邮件处理中心】，下一站【广州邮件处理中心】', FOSHAN_HUB];
const AT_GUANGZHOU: Step = ['31', '到达【广州邮件处理中心】', GUANGZHOU_HUB];
const OUT: Step = ['40', '【广州市荔湾区中山八路营业部】安排投递', LIWAN_OFFICE];
const FIRST_MILE = [RECEIVED, POSTED, LEFT_FOSHAN, AT_GUANGZHOU] as const;
const BACK_TO_FOSHAN: Step = ['30', '离开【广州邮件处理中心】，下一站【佛山邮件处理中心】', GUANGZHOU_HUB];
const BACK_HOME: Step = ['61', '退回妥投，寄件人已签收', NANHAI_OFFICE];

const JOURNEYS: Readonly<Record<SimJourney, readonly Step[]>> = {
  delivered: [...FIRST_MILE, OUT, ['50', '已签收，签收人：单位收发室', LIWAN_OFFICE]],
  pickup: [...FIRST_MILE, ['42', '已到达智能快件箱，请凭取件码领取', LIWAN_LOCKER], ['51', '已从智能快件箱取出', LIWAN_LOCKER]],
  refused: [...FIRST_MILE, OUT, ['70', '收件人拒收', LIWAN_OFFICE], ['60', '退回寄件人', LIWAN_OFFICE], BACK_TO_FOSHAN, BACK_HOME],
  returned: [
    ...FIRST_MILE,
    OUT,
    ['41', '未妥投：收件人不在，已电话联系未接通，将再次投递', LIWAN_OFFICE],
    OUT,
    ['41', '未妥投：地址不详', LIWAN_OFFICE],
    ['60', '多次投递未成功，退回寄件人', LIWAN_OFFICE],
    BACK_TO_FOSHAN,
    BACK_HOME,
  ],
  lost: [RECEIVED, POSTED, LEFT_FOSHAN, ['71', '邮件丢失，已启动赔偿流程', GUANGZHOU_HUB]],
  held: [RECEIVED, POSTED, LEFT_FOSHAN, ['73', '邮件滞留：安检复查', FOSHAN_HUB], AT_GUANGZHOU, OUT, ['50', '已签收，签收人：单位收发室', LIWAN_OFFICE]],
  silent: [RECEIVED, POSTED, LEFT_FOSHAN],
};

const opName = (code: string): string => (isKnownEmsOpCode(code) ? EMS_OP_CODES[code].name : '其他');
const MINUTE_MS = 60_000;

function trace(code: string, desc: string, opTime: string, stop: Partial<Stop>, recordedTwice = false): ScriptedTrace {
  const t: ScriptedTrace = { opCode: code, opName: opName(code), opDesc: desc, opTime, opOrgProvName: '广东省', recordedTwice };
  if (stop.city !== undefined) t.opOrgCity = stop.city;
  if (stop.org !== undefined) t.opOrgName = stop.org;
  return t;
}

/** Number of traces in a script, to place the default start so the last one lands at `now`. */
export function journeyLength(journey: SimJourney): number {
  return JOURNEYS[journey].length;
}

export function readyMadeJourney(journey: SimJourney, startMs: number, stepMinutes: number): ScriptedTrace[] {
  return JOURNEYS[journey].map(([code, desc, stop], i) => trace(code, desc, formatBeijingLocal(startMs + i * stepMinutes * MINUTE_MS), stop));
}

export function customJourney(traces: readonly SimScriptedTraceInput[], startMs: number, stepMinutes: number): ScriptedTrace[] {
  return traces.map((t, i) => {
    const opTime = t.opTime ?? formatBeijingLocal(startMs + (t.minutesAfterStart ?? i * stepMinutes) * MINUTE_MS);
    const stop: Partial<Stop> = {};
    if (t.city !== undefined) stop.city = t.city;
    if (t.orgName !== undefined) stop.org = t.orgName;
    return trace(t.opCode, t.opDesc ?? opName(t.opCode), opTime, stop, t.recordedTwice ?? false);
  });
}
