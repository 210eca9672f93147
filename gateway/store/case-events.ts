/**
 * Live case events for watchers (partner WatchCase, the console). Lua scripts PUBLISH the case
 * number whenever they append an event; one subscriber connection per gateway process fans the
 * news out to local watchers, who then read the new events from the case's list — so a missed
 * message costs latency, never an event.
 */
import type { RedisClient } from './case-store.js';

export interface CaseEventsHub {
  watch(caseNo: string, onChange: () => void): () => void;
  close(): Promise<void>;
}

export async function createCaseEventsHub(redis: RedisClient, channel: string): Promise<CaseEventsHub> {
  const sub = redis.duplicate();
  const watchers = new Map<string, Set<() => void>>();
  sub.on('message', (_channel: string, caseNo: string) => {
    for (const fn of watchers.get(caseNo) ?? []) fn();
  });
  await sub.subscribe(channel);
  return {
    watch(caseNo, onChange) {
      let set = watchers.get(caseNo);
      if (!set) watchers.set(caseNo, (set = new Set()));
      set.add(onChange);
      return () => {
        set.delete(onChange);
        if (set.size === 0) watchers.delete(caseNo);
      };
    },
    async close() {
      watchers.clear();
      sub.disconnect();
    },
  };
}
