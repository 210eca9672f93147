/**
 * What the gateway imports: one factory that returns the adapter for the district a process serves.
 * `opts.statuses` is the catalog's table for that district (`catalog.statuses(district)`).
 */
import type { District } from '../gateway/domain/district.js';
import type { ApprovalAdapter } from './adapter.js';
import type { AdapterOptions } from './adapter-kit.js';
import { createLiwanAdapter } from './liwan/adapter.js';
import { createNanhaiAdapter } from './nanhai/adapter.js';

export type { AdapterOptions, BreakerOptions, RetryOptions } from './adapter-kit.js';
export * from './adapter.js';
export { createLiwanAdapter } from './liwan/adapter.js';
export { createNanhaiAdapter } from './nanhai/adapter.js';

export function createAdapter(district: District, opts: AdapterOptions): ApprovalAdapter {
  switch (district) {
    case 'liwan':
      return createLiwanAdapter(opts);
    case 'nanhai':
      return createNanhaiAdapter(opts);
    default: {
      const unknown: never = district;
      throw new Error(`no adapter for district ${String(unknown)}`);
    }
  }
}
