/**
 * Steps of a case's journey through a GatewayPair (./gateway-pair.ts), each through the code the
 * running gateways use: intake's forwardApplication, the outbox dispatcher, the approval submitter
 * and status ingest. The workers are ticked by hand until they run dry instead of polling.
 */
import { applyApprovalStatus } from '../../../gateway/approval/status-ingest.js';
import { createSubmitter } from '../../../gateway/approval/submitter.js';
import type { District } from '../../../gateway/domain/district.js';
import { forwardApplication } from '../../../gateway/intake/forward.js';
import { createDispatcher } from '../../../gateway/outbox/dispatcher.js';
import { applicationFor } from '../../helpers/applications.js';
import type { BenchGateway, GatewayPair } from './gateway-pair.js';
import { closedLoop } from './load.js';

/** Takes in `count` applications at liwan's window for a matter nanhai handles; resolves with their case numbers. */
export function takeIn(pair: GatewayPair, count: number, concurrency: number): Promise<string[]> {
  const body = applicationFor('nanhai');
  return closedLoop(count, concurrency, async () => (await forwardApplication(pair.liwan.ctx, { body, caller: 'bench-window' })).caseNo);
}

/** Ticks `from`'s dispatcher until its outbox is empty; every envelope must be receipted. */
export async function deliverAll(pair: GatewayPair, from: District): Promise<number> {
  const gateway = pair[from];
  const dispatcher = createDispatcher(gateway.ctx, pair.peerOf(gateway.ctx.peer));
  let ticks = 0;
  while (await dispatcher.tick()) ticks++;
  const depth = await gateway.ctx.store.outboxDepth();
  if (depth.outbox + depth.dead > 0) throw new Error(`${from}: ${depth.outbox} envelopes still queued, ${depth.dead} dead-lettered`);
  return ticks;
}

/**
 * Registers at least `count` received cases in nanhai's approval system (the submitter takes its
 * jobs a batch per shard at a time, so a few more may be), has the system accept each, and delivers
 * both status envelopes to liwan. Resolves with the case numbers taken on.
 */
export async function acceptSome(pair: GatewayPair, count: number): Promise<string[]> {
  const handling: BenchGateway = pair.nanhai;
  const submitter = createSubmitter(handling.ctx);
  const first = handling.submitted.length;
  while (handling.submitted.length - first < count && (await submitter.tick()));
  const accepted = handling.submitted.slice(first);
  const at = new Date(handling.ctx.clock.now()).toISOString();
  await closedLoop(accepted.length, 32, async (n) => {
    const caseNo = accepted[n]!;
    const localNo = (await handling.ctx.store.getCase(caseNo))?.localNo;
    if (!localNo) throw new Error(`${caseNo} was not registered`);
    const r = await applyApprovalStatus(handling.ctx, { eventId: `accept:${localNo}`, caseNo, localNo, status: 'accepted', at, note: '' });
    if (r.outcome !== 'OK') throw new Error(`accepting ${caseNo}: ${r.outcome}`);
  });
  await deliverAll(pair, 'nanhai');
  return accepted;
}
