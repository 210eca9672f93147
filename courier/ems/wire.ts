/**
 * What the receiving side accepts from EMS: small zod schemas of the wire shapes in ./openapi.yaml,
 * shared by the client (answers) and the callback (pushes). Deliberately looser than the spec where
 * strictness would lose data: an opCode outside the table or an opTime that does not parse is one
 * bad trace (reported by the mapping), not a bad body; unknown extra fields are ignored.
 * Lengths are capped so that a hostile or broken body cannot make us hold megabytes of text.
 */
import { z } from 'zod';

export const emsTraceSchema = z.object({
  opCode: z.string().min(1).max(16),
  opName: z.string().max(100),
  opDesc: z.string().max(2_000),
  opTime: z.string().max(64),
  opOrgProvName: z.string().max(100).optional(),
  opOrgCity: z.string().max(100).optional(),
  opOrgName: z.string().max(200).optional(),
});
export type EmsTraceWire = z.infer<typeof emsTraceSchema>;

const traces = z.array(emsTraceSchema).max(500);
const waybillNo = z.string().min(1).max(32);

export const emsPushSchema = z.object({
  pushId: z.string().min(1).max(64),
  waybillNo,
  pushTime: z.string().max(64),
  traces,
});
export type EmsPushWire = z.infer<typeof emsPushSchema>;

export const emsHistorySchema = z.object({ waybillNo, traces });
export type EmsHistoryWire = z.infer<typeof emsHistorySchema>;

export const emsSubscriptionSchema = z.object({
  subscriptionId: z.string().min(1).max(64),
  waybillNo,
  callbackUrl: z.string(),
  subscribedAt: z.string(),
});

export const emsErrorSchema = z.object({ errorCode: z.string(), errorMsg: z.string() });

/** The spec's waybill pattern; the client refuses anything else before calling. */
export const EMS_WAYBILL_RE = /^([A-Z]{2}\d{9}[A-Z]{2}|\d{13})$/;
