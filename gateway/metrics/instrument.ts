/**
 * Counting calls and failures of the two outside systems at the gateway side, by wrapping their
 * clients once where they are built — so no call site has to remember to count, and the adapters and
 * the courier client stay free of metrics.
 */
import type { ApprovalAdapter } from '../../adapters/adapter.js';
import type { EmsClient } from '../../courier/ems/client.js';
import type { GatewayMetrics } from './metrics.js';

/** The stable code of an adapter or courier error; UNEXPECTED for anything else (a bug, not the system). */
export function errorCodeLabel(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : 'UNEXPECTED';
}

async function counted<T>(operation: string, call: () => Promise<T>, onCall: (op: string) => void, onError: (op: string, code: string) => void): Promise<T> {
  onCall(operation);
  try {
    return await call();
  } catch (err) {
    onError(operation, errorCodeLabel(err));
    throw err;
  }
}

export function instrumentAdapter(adapter: ApprovalAdapter, metrics: GatewayMetrics): ApprovalAdapter {
  const run = <T>(operation: string, call: () => Promise<T>) =>
    counted(operation, call, metrics.approvalCall, metrics.approvalError);
  return {
    district: adapter.district,
    submit: (s) => run('submit', () => adapter.submit(s)),
    changesSince: (cursor) => run('changesSince', () => adapter.changesSince(cursor)),
    registerCallback: (url) => run('registerCallback', () => adapter.registerCallback(url)),
    getStatus: (localNo) => run('getStatus', () => adapter.getStatus(localNo)),
    submitSupplement: (s) => run('submitSupplement', () => adapter.submitSupplement(s)),
    fetchResult: (localNo) => run('fetchResult', () => adapter.fetchResult(localNo)),
    // A pushed callback is not a call we make; a refused one is still worth counting.
    parseCallback(raw, headers) {
      try {
        return adapter.parseCallback(raw, headers);
      } catch (err) {
        metrics.approvalError('parseCallback', errorCodeLabel(err));
        throw err;
      }
    },
    health: () => adapter.health(),
  };
}

export function instrumentCourierClient(client: EmsClient, metrics: GatewayMetrics): EmsClient {
  const run = <T>(operation: string, call: () => Promise<T>) =>
    counted(operation, call, metrics.courierCall, metrics.courierError);
  return {
    subscribe: (waybillNo, callbackUrl) => run('subscribe', () => client.subscribe(waybillNo, callbackUrl)),
    history: (waybillNo) => run('history', () => client.history(waybillNo)),
  };
}
