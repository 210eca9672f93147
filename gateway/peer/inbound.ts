/**
 * Receiving an envelope from the peer district: verify everything first, then store it verbatim
 * with our signed receipt and apply it in sequence order — all in one Lua step. A duplicate gets
 * the original receipt; the same message id with other content is a replay and is refused.
 */
import { z } from 'zod';
import { Signed } from '../../protos/gen/kuacheng/peer/v1/peer.js';
import type { GatewayContext } from '../context.js';
import { verifyContext } from '../context.js';
import { CASE_STATES, originOfCaseNo, type Crossing } from '../domain/case.js';
import { canonicalBytes } from '../envelope/canonical.js';
import { openEnvelope, sealReceipt, sha256Hex, type EnvelopeBody } from '../envelope/envelope.js';
import { AppError } from '../errors.js';
import { jobMember } from '../approval/jobs.js';
import { watchIfHandledHere } from '../supervision/watch.js';
import { listParcelAlert } from '../tracking/attention.js';
import { sharedEventContent, sharedEventProblem, type SharedEventContent, type SharedEventData } from '../domain/shared-events.js';

const applicationContent = z.object({
  matterId: z.string(),
  takenInAt: z.string().datetime({ offset: true }),
  application: z.object({
    matterId: z.string(),
    applicant: z.object({ kind: z.enum(['person', 'company']), name: z.string(), phone: z.string() }).passthrough(),
    form: z.record(z.string(), z.string()),
    materials: z.array(z.object({ name: z.string(), form: z.enum(['original', 'copy']), copies: z.number().int() })),
  }),
});

const statusContent = z.object({
  state: z.enum(CASE_STATES),
  localNo: z.string(),
  at: z.string().datetime({ offset: true }),
  note: z.string(),
});

type Effect = Record<string, string | number>;

function effectOf(ctx: GatewayContext, env: EnvelopeBody): Effect {
  const fail = (what: string): never => {
    throw new AppError('ENVELOPE_MALFORMED', `${env.type} envelope content is invalid: ${what}`);
  };
  if (env.type === 'application') {
    // An application opens a case: it comes first, from the district whose window took it in.
    if (env.seq !== 1) fail(`an application must be sequence 1, not ${env.seq}`);
    if (originOfCaseNo(env.caseNo) !== env.from) fail(`case ${env.caseNo} was not taken in by ${env.from}`);
    const c = applicationContent.safeParse(env.content);
    if (!c.success) return fail(c.error.issues[0]?.path.join('.') ?? '');
    const matter = ctx.catalog.get(c.data.matterId);
    if (!matter) throw new AppError('UNKNOWN_MATTER', `matter ${c.data.matterId} is not in our catalog`);
    if (matter.handlingDistrict !== ctx.district) {
      throw new AppError('WRONG_DISTRICT_FOR_MATTER', `matter ${matter.id} is not handled by ${ctx.district}`);
    }
    return {
      type: 'application',
      matterId: matter.id,
      origin: env.from,
      handling: env.to,
      app: JSON.stringify(c.data.application),
      createdAt: c.data.takenInAt,
      createdAtMs: Date.parse(c.data.takenInAt),
    };
  }
  if (env.type === 'event') {
    const c = sharedEventContent.safeParse(env.content);
    if (!c.success) return fail(c.error.issues[0]?.path.join('.') ?? '');
    const problem = sharedEventProblem(c.data);
    if (problem) return fail(problem);
    const { eventId, ...event } = c.data;
    return { type: 'event', eventId: `${env.from}:${eventId}`, event: JSON.stringify({ ...event, eventId }), job: followUpJobOf(env.caseNo, c.data) };
  }
  const c = statusContent.safeParse(env.content);
  if (!c.success) return fail(c.error.issues[0]?.path.join('.') ?? '');
  return { type: 'status', state: c.data.state, localNo: c.data.localNo, at: c.data.at, note: c.data.note };
}

/** Work a received shared event asks of this side ('' for none). */
function followUpJobOf(caseNo: string, event: SharedEventContent): string {
  if (event.kind === 'supplement_filed') {
    const { supplementId } = event.data as SharedEventData<'supplement_filed'>;
    return jobMember({ kind: 'supplement', caseNo, supplementId });
  }
  return '';
}

/** Same message: same type, case, sequence and content (issued-at differs between send attempts). */
function sameMessage(a: EnvelopeBody, b: EnvelopeBody): boolean {
  return a.type === b.type && a.caseNo === b.caseNo && a.seq === b.seq && a.from === b.from && canonicalBytes(a.content).equals(canonicalBytes(b.content));
}

/** Verifies an envelope and works out what applying it would do; every refusal is logged with its code. */
function admit(ctx: GatewayContext, signed: Signed): { opened: ReturnType<typeof openEnvelope>; effect: Effect } {
  try {
    const opened = openEnvelope(signed, verifyContext(ctx));
    if (opened.parsed.from !== ctx.peer) {
      throw new AppError('WRONG_DISTRICT_SIGNER', `envelopes here come from ${ctx.peer}, not ${opened.parsed.from}`);
    }
    return { opened, effect: effectOf(ctx, opened.parsed) };
  } catch (err) {
    if (err instanceof AppError) ctx.logger.warn({ code: err.code, reason: err.message }, 'envelope rejected');
    throw err;
  }
}

/** `wire` is the Signed message exactly as it arrived; it is what gets stored. */
export async function receiveEnvelope(ctx: GatewayContext, signed: Signed, wire: Buffer): Promise<Signed> {
  const { opened, effect } = admit(ctx, signed);
  const env = opened.parsed;
  const now = ctx.clock.now();
  const receiptId = ctx.newId();
  const receipt = sealReceipt(opened, receiptId, now, ctx.signer);
  const meta: Crossing = {
    id: env.id,
    type: env.type,
    direction: 'in',
    from: env.from,
    to: env.to,
    seq: env.seq,
    delivery: 'received',
    attempts: 1,
    createdAt: new Date(now).toISOString(),
    issuedAt: env.issuedAt,
    bodySha256: sha256Hex(signed.body),
    receiptId,
    receiptedAt: new Date(now).toISOString(),
  };
  const result = await ctx.store.applyIncoming({
    caseNo: env.caseNo,
    messageId: env.id,
    seq: env.seq,
    envelope: wire,
    receipt: Buffer.from(Signed.encode(receipt).finish()),
    effect,
    meta,
    nowMs: now,
  });
  const log = { caseNo: env.caseNo, messageId: env.id, type: env.type, seq: env.seq };
  const audit = (outcome: string, answered: Signed) =>
    void ctx.audit.record({
      kind: 'envelope.received',
      ...log,
      envelopeSha256: sha256Hex(signed.body),
      receiptId: (JSON.parse(Buffer.from(answered.body).toString('utf8')) as { id: string }).id,
      receiptSha256: sha256Hex(answered.body),
      outcome,
    });
  switch (result.outcome) {
    case 'DUP': {
      const first = Signed.decode(result.envelope);
      const firstBody = JSON.parse(first.body.toString('utf8')) as EnvelopeBody;
      if (!sameMessage(firstBody, env)) {
        ctx.logger.warn({ ...log, code: 'ENVELOPE_REPLAYED' }, 'envelope rejected');
        throw new AppError('ENVELOPE_REPLAYED', `message id ${env.id} was already used for different content`);
      }
      ctx.logger.info(log, 'duplicate envelope; original receipt returned');
      ctx.metrics.envelopeReceived(env.type, 'duplicate');
      const original = Signed.decode(result.receipt);
      audit('duplicate', original);
      return original;
    }
    case 'OUT_OF_SEQUENCE':
      ctx.logger.warn({ ...log, code: 'ENVELOPE_OUT_OF_SEQUENCE', inSeq: result.inSeq }, 'envelope rejected');
      throw new AppError('ENVELOPE_OUT_OF_SEQUENCE', `sequence ${env.seq} of ${env.caseNo} was already used by another message`);
    case 'CASE_NOT_FOUND':
      ctx.logger.warn({ ...log, code: 'CASE_NOT_FOUND' }, 'envelope rejected');
      throw new AppError('CASE_NOT_FOUND', `no case ${env.caseNo} here for a ${env.type} envelope`);
    case 'CASE_EXISTS':
      ctx.logger.warn({ ...log, code: 'ENVELOPE_MALFORMED' }, 'envelope rejected');
      throw new AppError('ENVELOPE_MALFORMED', `an application for ${env.caseNo}, which already exists here`);
    case 'HELD':
      ctx.logger.info({ ...log, inSeq: result.inSeq }, 'envelope stored; held until earlier ones arrive');
      ctx.metrics.envelopeReceived(env.type, 'held');
      audit('held', receipt);
      return receipt;
    case 'APPLIED':
      ctx.logger.info({ ...log, applied: result.count }, 'envelope applied');
      ctx.metrics.envelopeReceived(env.type, 'applied');
      audit('applied', receipt);
      if (env.type === 'application' || env.type === 'event') ctx.wake.submitter();
      // Deadlines of cases handled here are watched; what the origin sends can move them.
      await watchIfHandledHere(ctx, env.caseNo);
      await listParcelAlert(ctx, env);
      return receipt;
  }
}
