/**
 * What this gateway keeps about the parcels it follows at the carrier, beside the case's shared
 * events (which hold the timeline itself):
 * - the shard's parcel queue (`caseNo|handoffId` → when to look at the parcel next: subscribe,
 *   poll, check for a stall), claimed with a lease like every other queue;
 * - the parcel's local follow state in the case's record (`parcel:<handoffId>`), same slot;
 * - the waybill index (waybill → `caseNo|handoffId`), which a push needs to find its case;
 * - the attention list: parcels with an alert, for staff's worklist (both districts keep one).
 */
import type { CaseStore } from '../store/case-store.js';

export interface ParcelRef {
  caseNo: string;
  handoffId: string;
}

/** Local to the following gateway: nothing here crosses to the other district. */
export interface FollowState {
  subscribedAt?: number;
  /** Failed subscription attempts so far (back-off). */
  subscribeAttempts?: number;
}

export const parcelMember = (ref: ParcelRef): string => `${ref.caseNo}|${ref.handoffId}`;

export function parseParcelMember(member: string): ParcelRef | undefined {
  const [caseNo, handoffId, ...rest] = member.split('|');
  return caseNo && handoffId && rest.length === 0 ? { caseNo, handoffId } : undefined;
}

export function createParcelStore(store: CaseStore) {
  const { redis, keys } = store;
  const queueOf = (caseNo: string) => keys.shardFor(caseNo).parcels;
  const stateField = (handoffId: string) => `parcel:${handoffId}`;

  return {
    async getState(ref: ParcelRef): Promise<FollowState> {
      const raw = await redis.hget(keys.case(ref.caseNo).record, stateField(ref.handoffId));
      return raw ? (JSON.parse(raw) as FollowState) : {};
    },

    async setState(ref: ParcelRef, state: FollowState): Promise<void> {
      await redis.hset(keys.case(ref.caseNo).record, stateField(ref.handoffId), JSON.stringify(state));
    },

    /** Moves the parcel's next look; only while it is still followed (XX: a finished parcel stays finished). */
    async reschedule(ref: ParcelRef, dueMs: number): Promise<void> {
      await redis.zadd(queueOf(ref.caseNo), 'XX', dueMs, parcelMember(ref));
    },

    async finish(ref: ParcelRef): Promise<void> {
      await redis.zrem(queueOf(ref.caseNo), parcelMember(ref));
    },

    async indexWaybill(waybill: string, ref: ParcelRef): Promise<void> {
      await redis.hset(keys.waybills, waybill, parcelMember(ref));
    },

    async findWaybill(waybill: string): Promise<ParcelRef | undefined> {
      const member = await redis.hget(keys.waybills, waybill);
      return member ? parseParcelMember(member) : undefined;
    },

    async markAttention(ref: ParcelRef, atMs: number): Promise<void> {
      await redis.zadd(keys.parcelAttention, atMs, parcelMember(ref));
    },

    async clearAttention(ref: ParcelRef): Promise<void> {
      await redis.zrem(keys.parcelAttention, parcelMember(ref));
    },

    /** Oldest alert first. */
    async listAttention(limit: number): Promise<{ ref: ParcelRef; sinceMs: number }[]> {
      const flat = await redis.zrange(keys.parcelAttention, 0, limit - 1, 'WITHSCORES');
      const out: { ref: ParcelRef; sinceMs: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) {
        const ref = parseParcelMember(flat[i]!);
        if (ref) out.push({ ref, sinceMs: Number(flat[i + 1]) });
      }
      return out;
    },
  };
}

export type ParcelStore = ReturnType<typeof createParcelStore>;
