/**
 * Opening the store's Redis (gateway/store/connect.ts): one server, or a Redis Cluster seeded from
 * KC_REDIS_URL (+ KC_REDIS_CLUSTER_SEEDS) with the URL's credentials and TLS on every node.
 * Nothing connects here (lazyConnect); tests/fault/redis-cluster.test.ts runs it against a real cluster.
 */
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../../gateway/config.js';
import { createRedisClient, storeConnectionOf } from '../../../gateway/store/connect.js';
import { thrownBy } from '../../helpers/thrown.js';

const required = {
  KC_DISTRICT: 'liwan',
  KC_REDIS_URL: 'redis://127.0.0.1:6390',
  KC_PEER_URL: '127.0.0.1:9543',
  KC_TLS_CERT: '/etc/kc/gateway.pem',
  KC_TLS_KEY: '/etc/kc/gateway-key.pem',
  KC_TRUST_DIR: '/etc/kc/trust',
  KC_APPROVAL_URL: 'http://127.0.0.1:7001',
  KC_APPROVAL_CALLBACK_SECRET: 'a-long-enough-secret',
};

describe('createRedisClient', () => {
  it('when cluster mode is off, then it is one auto-pipelining Redis client', () => {
    const client = createRedisClient(storeConnectionOf(parseConfig(required)), { lazyConnect: true });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({ port: 6390, enableAutoPipelining: true, lazyConnect: true });
    client.disconnect();
  });

  it('when KC_REDIS_CLUSTER is true, then it is a Cluster seeded from the URL and the extra seeds, with the URL credentials and TLS on every node', () => {
    const config = parseConfig({
      ...required,
      KC_REDIS_URL: 'rediss://kc-gw:p%40ss@redis-a.nanhai.internal:7000',
      KC_REDIS_CLUSTER: 'true',
      KC_REDIS_CLUSTER_SEEDS: 'redis-b.nanhai.internal:7001,10.0.0.3:7002',
    });
    const client = createRedisClient(storeConnectionOf(config), { lazyConnect: true, maxRetriesPerRequest: 3 }) as Cluster;
    expect(client).toBeInstanceOf(Cluster);
    expect(client.options).toMatchObject({ enableAutoPipelining: true, lazyConnect: true });
    expect(client.options.redisOptions).toMatchObject({ username: 'kc-gw', password: 'p@ss', tls: {}, maxRetriesPerRequest: 3 });
    expect((client as unknown as { startupNodes: unknown[] }).startupNodes).toEqual([
      { host: 'redis-a.nanhai.internal', port: 7000 },
      { host: 'redis-b.nanhai.internal', port: 7001 },
      { host: '10.0.0.3', port: 7002 },
    ]);
    client.disconnect();
  });

  it('when a cluster URL names a database other than 0, then it is refused (a cluster has database 0 only)', () => {
    expect(() => createRedisClient({ url: 'redis://127.0.0.1:7000/2', cluster: true }, { lazyConnect: true })).toThrow(/database 0 only/);
  });

  it('when KC_REDIS_CLUSTER_SEEDS is not a host:port list, then the configuration names it', () => {
    const err = thrownBy(ConfigError, () => parseConfig({ ...required, KC_REDIS_CLUSTER: 'true', KC_REDIS_CLUSTER_SEEDS: 'redis-b;7001' }));
    expect(err.message).toContain('KC_REDIS_CLUSTER_SEEDS (invalid): must be host:port,host:port');
  });
});
