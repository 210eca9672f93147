/**
 * What the forward benchmarks read off a running local system (scripts/local-system.ts) without
 * going through the code under test: the approval simulator's record count and creation times,
 * a gateway's Prometheus counters, and the CPU time and memory of every process.
 */
import type { LocalSystem } from '../../../scripts/local-system.js';
import { DISTRICTS } from '../../../gateway/domain/district.js';
import { cpuMs, rssBytes } from './load.js';

export async function simulatorRecordCount(approvalUrl: string): Promise<number> {
  const res = await fetch(`${approvalUrl}/_sim/health`);
  return ((await res.json()) as { records: number }).records;
}

/** When the approval system created each record, by our case number (its external reference). */
export async function simulatorCreatedAt(approvalUrl: string): Promise<Map<string, { createdAtMs: number; localNo: string }>> {
  const res = await fetch(`${approvalUrl}/_sim/records`);
  const { records } = (await res.json()) as { records: Array<{ externalRef: string; localNo: string; createdAt: string }> };
  return new Map(records.map((r) => [r.externalRef, { createdAtMs: Date.parse(r.createdAt), localNo: r.localNo }]));
}

/** Sum of a counter's samples in a gateway's /metrics, over every label set matching `labels`. */
export async function counterValue(httpUrl: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${httpUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (labels && !line.includes(labels)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

export interface ProcessUse {
  /** CPU milliseconds per process name (and 'bench' for this process). */
  cpu: Record<string, number>;
  /** Peak resident set size per gateway, in bytes. */
  peakRss: Record<string, number>;
}

/** Samples CPU time at start and stop, and gateway RSS every 200 ms in between. */
export function watchProcesses(system: LocalSystem): { stop(): ProcessUse } {
  const procs = [system.courier.simulator, ...DISTRICTS.flatMap((d) => [system.districts[d].gateway, system.districts[d].simulator, system.districts[d].redis])].filter(
    (p): p is NonNullable<typeof p> => p !== undefined,
  );
  const snapshot = () => Object.fromEntries([...procs.map((p) => [p.name, cpuMs(p.pid)] as const), ['bench', cpuMs(process.pid)] as const]);
  const start = snapshot();
  const gateways = DISTRICTS.map((d) => system.districts[d].gateway);
  const peakRss: Record<string, number> = Object.fromEntries(gateways.map((g) => [g.name, rssBytes(g.pid)]));
  const timer = setInterval(() => {
    for (const g of gateways) peakRss[g.name] = Math.max(peakRss[g.name] ?? 0, rssBytes(g.pid));
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      const end = snapshot();
      return { cpu: Object.fromEntries(Object.keys(end).map((k) => [k, end[k]! - (start[k] ?? 0)])), peakRss };
    },
  };
}
