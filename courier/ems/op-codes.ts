/**
 * The EMS 轨迹操作码 table (see the EmsOpCode schema in ./openapi.yaml): each code's EMS name and
 * the normalised status it maps to. Keyed by the spec's enum, so a code added to the spec does not
 * compile until it is mapped here. Used by the mapping and by the simulator (for opName).
 */
import type { TrackingStatus } from '../tracking-status.js';
import type { components } from './generated/tracking-api.js';

export type EmsOpCode = components['schemas']['EmsOpCode'];

export interface EmsOpCodeInfo {
  /** opName as EMS writes it. */
  name: string;
  status: TrackingStatus;
}

export const EMS_OP_CODES: Readonly<Record<EmsOpCode, EmsOpCodeInfo>> = {
  '10': { name: '下单', status: 'info_received' },
  '20': { name: '收寄', status: 'picked_up' },
  '30': { name: '离开', status: 'in_transit' },
  '31': { name: '到达', status: 'in_transit' },
  '32': { name: '运输', status: 'in_transit' },
  '40': { name: '派送', status: 'out_for_delivery' },
  '41': { name: '未妥投', status: 'attempt_failed' },
  '42': { name: '待自提', status: 'available_for_pickup' },
  '50': { name: '妥投', status: 'delivered' },
  '51': { name: '自提签收', status: 'delivered' },
  '60': { name: '退回', status: 'returned' },
  '61': { name: '退回妥投', status: 'returned' },
  // Refused, lost, damaged and held parcels need staff: a refused result is usually sent back
  // next (60), but until the carrier says so the parcel is a problem, not a return.
  '70': { name: '拒收', status: 'exception' },
  '71': { name: '丢失', status: 'exception' },
  '72': { name: '破损', status: 'exception' },
  '73': { name: '滞留', status: 'exception' },
  '90': { name: '停止跟踪', status: 'expired' },
};

export function isKnownEmsOpCode(code: string): code is EmsOpCode {
  return Object.hasOwn(EMS_OP_CODES, code);
}
