/**
 * Live case events for watchers (partner WatchCase, the console). Lua scripts PUBLISH the case
 * number whenever they append an event; one subscriber connection per gateway process fans the
 * news out to local watchers, who then read the new events from the case's list — so a missed
 * message costs latency, never an event.
 */
import type { Logger } from '../logger.js';
import type { RedisClient } from './case-store.js';

export interface CaseEventsHub {
  watch(caseNo: string, onChange: () => void): () => void;
  close(): Promise<void>;
}

export async function createCaseEventsHub(redis: RedisClient, channel: string, logger: Logger): Promise<CaseEventsHub> {
  const sub = redis.duplicate();
  // ioredis resubscribes by itself after a reconnect; watchers re-read the list, so nothing is lost.
  sub.on('error', (err: Error) => logger.warn({ code: 'STORE_UNAVAILABLE', reason: err.message }, 'redis subscriber connection problem'));
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
