import { clusterAdapter, type AdapterFactory, type ClusterEngineFactory } from './default-engine.js';
import type { ClusterOptions } from './cluster-adapter.js';
import { RedisEngine, redisEngineOptions, type RedisEngineOptions } from './redis-engine.js';

/** Everything `redisAdapter` takes: where Redis is and the lease, and how pushes are counted. */
export type RedisAdapterOptions = RedisEngineOptions & ClusterOptions;

/**
 * The registry across machines on Redis: `new Registry(server, { adapter: redisAdapter({ url,
 * prefix, lease }) })`. Each process (each worker) is a node. Options are checked at once.
 */
export function redisAdapter(options: RedisAdapterOptions = {}): AdapterFactory {
  return clusterAdapter(redisEngine(options), options);
}

/**
 * A factory of Redis engines, for `setDefaultClusterEngine(redisEngine({ url, prefix }))`: what
 * the command line's `--redis URL --redis-prefix P` does before the app runs.
 */
export function redisEngine(options: RedisEngineOptions = {}): ClusterEngineFactory {
  redisEngineOptions(options);
  return () => new RedisEngine(options);
}
