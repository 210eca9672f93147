/**
 * Opens the gateway's Redis: one server (`new Redis(url)`) or a Redis Cluster (`new Cluster(seeds)`),
 * both with STORE_CLIENT_OPTIONS. Everything above this module takes a `RedisClient` and needs no
 * other change: every script, MULTI and pipeline of the store stays within one hash slot (see
 * ./keys.ts), which is what a cluster requires.
 */
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config.js';
import type { RedisClient } from './case-store.js';
import { STORE_CLIENT_OPTIONS } from './client-options.js';

export interface StoreConnection {
  /** redis[s]://[user:password@]host:port[/db]; with `cluster`, one node of the cluster. */
  url: string;
  cluster?: boolean;
  /** More cluster nodes to start from (host:port), when the `url` node is down at start. */
  seeds?: readonly string[];
}

/** Per-client settings the callers choose; the rest is the store's. */
export interface ClientTuning {
  maxRetriesPerRequest?: number | null;
  lazyConnect?: boolean;
}

export function storeConnectionOf(config: Pick<Config, 'KC_REDIS_URL' | 'KC_REDIS_CLUSTER' | 'KC_REDIS_CLUSTER_SEEDS'>): StoreConnection {
  return { url: config.KC_REDIS_URL, cluster: config.KC_REDIS_CLUSTER, seeds: config.KC_REDIS_CLUSTER_SEEDS };
}

export function createRedisClient(conn: StoreConnection, tuning: ClientTuning = {}): RedisClient {
  if (!conn.cluster) return new Redis(conn.url, { ...STORE_CLIENT_OPTIONS, ...tuning });
  const u = new URL(conn.url);
  // A cluster has database 0 only; a URL asking for another would silently mean something else.
  const db = u.pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') throw new Error(`a Redis Cluster has database 0 only; the URL asks for database ${db}`);
  const seed = (hostPort: string) => {
    const colon = hostPort.lastIndexOf(':');
    return { host: hostPort.slice(0, colon), port: Number(hostPort.slice(colon + 1)) };
  };
  const tls = u.protocol === 'rediss:';
  const redisOptions: ClusterOptions['redisOptions'] = {
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    ...(tls ? { tls: {} } : {}),
    ...(tuning.maxRetriesPerRequest !== undefined ? { maxRetriesPerRequest: tuning.maxRetriesPerRequest } : {}),
  } satisfies Omit<RedisOptions, 'port' | 'host'>;
  const nodes = [{ host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 6379) }, ...(conn.seeds ?? []).map(seed)];
  return new Cluster(nodes, { ...STORE_CLIENT_OPTIONS, lazyConnect: tuning.lazyConnect ?? false, redisOptions });
}
