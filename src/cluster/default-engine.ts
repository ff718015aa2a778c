import { InvalidArgumentError } from '../errors.js';
import type { AdapterInit, RegistryAdapter } from '../registry/adapter.js';
import { ClusterAdapter, clusterOptions, type ClusterOptions } from './cluster-adapter.js';
import type { ClusterEngine } from './engine.js';

/** Makes the engine of one node: called once per Registry. */
export type ClusterEngineFactory = () => ClusterEngine;

/** What a Registry's `adapter` option takes. */
export type AdapterFactory = (init: AdapterInit) => RegistryAdapter;

let defaultFactory: AdapterFactory | undefined;
/** The adapters the default made: the command leaves the cluster through them when its app stops. */
const madeByDefault = new Set<RegistryAdapter>();

/**
 * Chooses the cluster engine of every Registry made from now on without an `adapter` option: the
 * shape is picked by the command line (`--workers` sets the worker engine, `--redis URL` the Redis
 * one) before the app runs, so that the app file never changes. `undefined` goes back to the
 * single-process default (no engine: the registry of this process only).
 */
export function setDefaultClusterEngine(factory: ClusterEngineFactory | undefined, options: ClusterOptions = {}): void {
  if (factory === undefined) {
    defaultFactory = undefined;
    return;
  }
  if (typeof factory !== 'function') throw new InvalidArgumentError('factory', factory, 'a function that makes a ClusterEngine, or undefined');
  const made = clusterAdapter(factory, options);
  defaultFactory = (init) => {
    const adapter = made(init);
    madeByDefault.add(adapter);
    return adapter;
  };
}

/**
 * Releases every adapter the default engine made (the node leaves its cluster: its presence keys
 * and lease are deleted at once, not left to expire): what a process of the command does once its
 * app's server has stopped, since the app's registries are not disposed of by the app itself.
 * A registry disposed of later finds its adapter already released (dispose is idempotent).
 */
export async function releaseDefaultAdapters(): Promise<void> {
  const adapters = [...madeByDefault];
  madeByDefault.clear();
  await Promise.all(adapters.map(async (adapter) => adapter.dispose?.()));
}

/** The adapter factory a Registry without an `adapter` option uses; undefined for a single process. */
export function getDefaultAdapter(): AdapterFactory | undefined {
  return defaultFactory;
}

/**
 * A Registry `adapter` option over any engine:
 * `new Registry(server, { adapter: clusterAdapter(() => hub.engine()) })`.
 * Options are checked here, at once, not when the registry is made.
 */
export function clusterAdapter(factory: ClusterEngineFactory, options: ClusterOptions = {}): AdapterFactory {
  const checked = clusterOptions(options);
  return (init) => new ClusterAdapter(init, factory(), checked);
}
