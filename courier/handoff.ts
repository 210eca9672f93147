/**
 * Chain of custody for the paper of a case: each hand-off (materials to the handling district, a
 * result to the applicant, a result back to a window) has a manifest, a seal, who gave and who took
 * it, and the carrier's waybill; at the other end, who received it, the seal's condition and the
 * manifest check. Pure model: the gateway records each step as a shared event.
 */
import { z } from 'zod';
import { CARRIERS } from './waybill.js';

export const HANDOFF_KINDS = ['materials_to_handling', 'result_to_applicant', 'result_to_window'] as const;
export type HandoffKind = (typeof HANDOFF_KINDS)[number];

export const HANDOFF_KIND_ZH: Record<HandoffKind, string> = {
  materials_to_handling: '申请材料寄送办理地',
  result_to_applicant: '办理结果寄送申请人',
  result_to_window: '办理结果寄回窗口',
};

/** Staff and couriers appear by id (工号 / 快递员编号), never by name. */
export const staffId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'must be a staff or courier id');

export const manifestItem = z.strictObject({
  name: z.string().trim().min(1).max(200),
  form: z.enum(['original', 'copy']),
  copies: z.number().int().min(1).max(99),
  pages: z.number().int().min(1).max(9999),
});
export type ManifestItem = z.infer<typeof manifestItem>;

export const dispatchedStep = z.strictObject({
  handoffId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/),
  step: z.literal('dispatched'),
  handoffKind: z.enum(HANDOFF_KINDS),
  manifest: z.array(manifestItem).min(1).max(100),
  sealNo: z.string().regex(/^[A-Z0-9-]{4,32}$/, 'must be the seal number as printed (A-Z, 0-9, -)'),
  handedBy: staffId,
  takenBy: staffId,
  carrier: z.enum(CARRIERS),
  waybill: z.string().min(1).max(40),
});
export type DispatchedStep = z.infer<typeof dispatchedStep>;

export const discrepancy = z.strictObject({
  name: z.string(),
  problem: z.enum(['missing', 'fewer_copies', 'fewer_pages', 'not_on_manifest']),
  expected: z.string(),
  found: z.string(),
});
export type Discrepancy = z.infer<typeof discrepancy>;

export const receivedStep = z.strictObject({
  handoffId: z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/),
  step: z.literal('received'),
  receivedBy: staffId,
  sealIntact: z.boolean(),
  discrepancies: z.array(discrepancy).max(200),
  /** Broken seal or any discrepancy: staff on both sides must look at it. */
  exception: z.boolean(),
});
export type ReceivedStep = z.infer<typeof receivedStep>;

export const handoffStep = z.discriminatedUnion('step', [dispatchedStep, receivedStep]);
export type HandoffStep = z.infer<typeof handoffStep>;

/** What the receiving end counted, item by item. */
export type ReceivedItem = Omit<ManifestItem, 'form'>;

/** The manifest check: every listed document present with its copies and pages, nothing extra. */
export function checkManifest(manifest: readonly ManifestItem[], received: readonly ReceivedItem[]): Discrepancy[] {
  const found = new Map(received.map((r) => [r.name, r]));
  const out: Discrepancy[] = [];
  for (const item of manifest) {
    const got = found.get(item.name);
    found.delete(item.name);
    if (!got) out.push({ name: item.name, problem: 'missing', expected: `${item.copies}份 ${item.pages}页`, found: '无' });
    else if (got.copies < item.copies) out.push({ name: item.name, problem: 'fewer_copies', expected: `${item.copies}份`, found: `${got.copies}份` });
    else if (got.pages < item.pages) out.push({ name: item.name, problem: 'fewer_pages', expected: `${item.pages}页`, found: `${got.pages}页` });
  }
  for (const extra of found.values()) out.push({ name: extra.name, problem: 'not_on_manifest', expected: '无', found: `${extra.copies}份 ${extra.pages}页` });
  return out;
}
