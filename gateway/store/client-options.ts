/**
 * How the gateway talks to its Redis, shared by the gateway and by the tests and benchmarks that
 * build a gateway context of their own, so that they measure what production runs.
 *
 * Auto-pipelining: the commands issued in one event-loop turn (the 16 shards a worker polls, the
 * requests being served side by side) leave in one socket write instead of one write each; a
 * profile under load showed those writes as the largest single cost (tests/bench/forward.bench.ts).
 */
import type { RedisOptions } from 'ioredis';

export const STORE_CLIENT_OPTIONS = { enableAutoPipelining: true } as const satisfies RedisOptions;
