import type { AnyConnection, Connection } from '../connection/connection.js';
import type { DefaultContext } from '../connection/events.js';
import { getDefaultAdapter } from '../cluster/default-engine.js';
import { ClusterIncompleteError, InvalidArgumentError, UnsupportedError } from '../errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { AdapterInit, Payload, RegistryAdapter, Target } from './adapter.js';
import { exceptList, idList, idOf, nameList, nameOf, type ConnectionRef, type OneOrMany } from './arguments.js';
import type { RegistryEvents } from './events.js';
import type { Holdings } from './membership.js';
import { LocalAdapter } from './local-adapter.js';

export interface RegistryOptions {
  /**
   * Makes the adapter that keeps membership and delivers pushes: `redisAdapter({ url, prefix })`
   * for many machines, `clusterAdapter(factory)` over any cluster engine.
   * @default the process's default cluster engine (`setDefaultClusterEngine`, set by the command
   * line's `--workers` or `--redis`), else `(init) => new LocalAdapter(init)`: this process only
   */
  adapter?: (init: AdapterInit) => RegistryAdapter;
}

/**
 * A push to a target whose send queue is over its limit leaves it out of that message and names it
 * in a `drop` event; the target's own slow-peer policy (`limits.sendBufferFullPolicy`, per server,
 * endpoint or connection) decides whether it is also closed. The registry has no policy of its own.
 */
export const REGISTRY_DEFAULTS = {} as const;

/** Options of {@link Registry.bind}. */
export interface BindOptions<Out = unknown> {
  /**
   * "One connection per user": close every other connection bound to the flag (on any node)
   * before binding this one, after `finalMessage` if given. Two exclusive binds of one flag racing
   * on two nodes may both survive: serialise logins per user where that matters.
   * @default false
   */
  exclusive?: boolean;
  /** With `exclusive`, the goodbye the displaced connections get before they close. */
  finalMessage?: Out;
}

/** Options of a broadcast to groups or to everyone. */
export interface BroadcastOptions {
  /** Connections (or ids) left out, such as the sender. */
  except?: OneOrMany<ConnectionRef>;
}

type ConnectionListener = (event: { connection: AnyConnection }) => void;

/**
 * What a registry follows: a {@link Server} (or anything announcing connections the same way).
 * Its message and context types become the registry's.
 */
export interface RegistrySource<In = unknown, Out = In, Context extends object = DefaultContext> {
  /** The node the source's connections live on (a Server's `nodeId`): the registry's node in a cluster. */
  readonly nodeId: string;
  connections(): Iterable<Connection<In, Out, Context>>;
  prependListener(name: 'establish' | 'close', listener: ConnectionListener): unknown;
  removeListener(name: 'establish' | 'close', listener: ConnectionListener): unknown;
}

/**
 * Who is connected, and push to them: to connections by id, to users by flag, to groups, to all.
 *
 * Follows a server: every connection of every endpoint (TCP, TLS, Unix, WebSocket) is registered
 * when it is established and forgotten when it closes, flag, groups and all. A connection is
 * bound to at most one flag (a user id; a user may have many connections) and may be in any
 * number of groups. Every push and question returns a Promise, so that the same calls work
 * unchanged when a cluster adapter reaches other processes; a push resolves to the number of
 * connections the message was handed to, each target once however many routes lead to it.
 * In a cluster it counts every node's connections once every live node answered; a live node that
 * did not answer in time makes it reject with `ERR_CLUSTER_INCOMPLETE`, naming that node.
 *
 * ```ts
 * const registry = new Registry(server);
 * server.on('establish', ({ connection }) => void registry.join(connection, 'lobby'));
 * await registry.bind(connection, 'alice');
 * await registry.sendByFlag('alice', 'hi');                                // every device of alice
 * await registry.sendToGroup('lobby', 'alice is here', { except: connection });
 * ```
 *
 * Arguments of the wrong type reject with `ERR_INVALID_ARGUMENT`; unknown ids, flags and groups
 * are not errors: they reach no one.
 */
export class Registry<In = unknown, Out = In, Context extends object = DefaultContext> extends TypedEmitter<
  RegistryEvents<Connection<In, Out, Context>>
> {
  private readonly adapter: RegistryAdapter;
  private source: RegistrySource<In, Out, Context> | undefined;

  constructor(server: RegistrySource<In, Out, Context>, options: RegistryOptions = {}) {
    super();
    if (options.adapter !== undefined && typeof options.adapter !== 'function') {
      throw new InvalidArgumentError('options.adapter', options.adapter, 'a function that makes a RegistryAdapter');
    }
    const init: AdapterInit = {
      nodeId: server.nodeId,
      onStatus: (status) => this.emit('cluster', status),
    };
    const factory = options.adapter ?? getDefaultAdapter();
    this.adapter = factory ? factory(init) : new LocalAdapter(init);
    this.source = server;
    // Prepended, so that the registry is up to date before any user listener of the same event:
    // an `establish` listener can bind and join at once, a `close` listener sees the connection gone.
    server.prependListener('establish', this.onEstablish);
    server.prependListener('close', this.onClose);
    for (const connection of server.connections()) if (connection.state === 'open') this.onEstablish({ connection });
  }

  /**
   * Resolves once the registry has joined its cluster: at once in a single process; with a cluster
   * engine, once this node's presence is registered. Rejects with `ERR_CLUSTER_UNAVAILABLE` if the
   * engine cannot be reached (it keeps trying, and `cluster` events say when it succeeds).
   */
  async ready(): Promise<void> {
    await this.adapter.ready?.();
  }

  /** Stops following the server and releases the adapter. Membership is forgotten. */
  async dispose(): Promise<void> {
    const source = this.source;
    if (!source) return;
    this.source = undefined;
    source.removeListener('establish', this.onEstablish);
    source.removeListener('close', this.onClose);
    await this.adapter.dispose?.();
  }

  // ---- membership --------------------------------------------------------------------------

  /**
   * Binds a connection to a flag (a user id), moving it from any flag it had. False if unknown.
   * With `exclusive`, the flag's other connections are closed first (one connection per user).
   */
  async bind(connection: ConnectionRef, flag: string, options: BindOptions<Out> = {}): Promise<boolean> {
    const id = idOf(connection, 'connection');
    const name = nameOf(flag, 'flag');
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', options, 'an object');
    if (options.exclusive !== undefined && typeof options.exclusive !== 'boolean') {
      throw new InvalidArgumentError('options.exclusive', options.exclusive, 'a boolean');
    }
    if (options.exclusive) {
      const others = (await this.adapter.ids({ type: 'flags', flags: [name] })).filter((other) => other !== id);
      if (others.length > 0) {
        // Unbound first: a graceful close takes a while, and the flag must name only the new
        // connection once this resolves.
        await Promise.all(others.map((other) => this.adapter.unbind(other)));
        await this.adapter.close({ type: 'ids', ids: others }, options.finalMessage);
      }
    }
    return this.adapter.bind(id, name);
  }

  /**
   * The flag of a connection of this process, answered at once from this process's own index:
   * what a `message` handler needs of its sender without an `await` (undefined if unbound or not
   * registered here; ask {@link flagOf} about connections of other nodes). An adapter of your own
   * without `holdingsOf` makes it throw `ERR_UNSUPPORTED`.
   */
  localFlagOf(connection: ConnectionRef): string | undefined {
    return this.localHoldings(connection)?.flag;
  }

  /** The groups of a connection of this process, at once (empty if none or not registered here). */
  localGroupsOf(connection: ConnectionRef): string[] {
    return this.localHoldings(connection)?.groups ?? [];
  }

  /** Removes a connection's flag. False if unknown or unbound. */
  async unbind(connection: ConnectionRef): Promise<boolean> {
    return this.adapter.unbind(idOf(connection, 'connection'));
  }

  /** Adds a connection to one or more groups. False if the connection is unknown. */
  async join(connection: ConnectionRef, groups: OneOrMany<string>): Promise<boolean> {
    return this.adapter.join(idOf(connection, 'connection'), nameList(groups, 'groups'));
  }

  /** Removes a connection from one or more groups. False if the connection is unknown. */
  async leave(connection: ConnectionRef, groups: OneOrMany<string>): Promise<boolean> {
    return this.adapter.leave(idOf(connection, 'connection'), nameList(groups, 'groups'));
  }

  // ---- push --------------------------------------------------------------------------------

  /** Sends a message to connections by id. Resolves to how many it was handed to. */
  async send(ids: OneOrMany<ConnectionRef>, message: Out): Promise<number> {
    return this.push({ type: 'ids', ids: idList(ids, 'ids') }, { type: 'message', message });
  }

  /** Sends a message to every connection bound to these flags. */
  async sendByFlag(flags: OneOrMany<string>, message: Out): Promise<number> {
    return this.push({ type: 'flags', flags: nameList(flags, 'flags') }, { type: 'message', message });
  }

  /** Sends a message to every member of these groups (each once), but those in `except`. */
  async sendToGroup(groups: OneOrMany<string>, message: Out, options: BroadcastOptions = {}): Promise<number> {
    return this.push(groupTarget(groups, options), { type: 'message', message });
  }

  /** Sends a message to every connection, but those in `except`. */
  async sendToAll(message: Out, options: BroadcastOptions = {}): Promise<number> {
    return this.push(allTarget(options), { type: 'message', message });
  }

  /** {@link send} with bytes that skip the codec (still framed by a transport that must, like WebSocket). */
  async sendRaw(ids: OneOrMany<ConnectionRef>, data: RawData): Promise<number> {
    return this.push({ type: 'ids', ids: idList(ids, 'ids') }, rawPayload(data));
  }

  async sendRawByFlag(flags: OneOrMany<string>, data: RawData): Promise<number> {
    return this.push({ type: 'flags', flags: nameList(flags, 'flags') }, rawPayload(data));
  }

  async sendRawToGroup(groups: OneOrMany<string>, data: RawData, options: BroadcastOptions = {}): Promise<number> {
    return this.push(groupTarget(groups, options), rawPayload(data));
  }

  async sendRawToAll(data: RawData, options: BroadcastOptions = {}): Promise<number> {
    return this.push(allTarget(options), rawPayload(data));
  }

  /** Closes connections gracefully, after `finalMessage` if given. Resolves to how many. */
  async close(ids: OneOrMany<ConnectionRef>, finalMessage?: Out): Promise<number> {
    return this.adapter.close({ type: 'ids', ids: idList(ids, 'ids') }, finalMessage);
  }

  /** Closes every connection bound to these flags (logging a user out everywhere). */
  async closeByFlag(flags: OneOrMany<string>, finalMessage?: Out): Promise<number> {
    return this.adapter.close({ type: 'flags', flags: nameList(flags, 'flags') }, finalMessage);
  }

  // ---- questions ---------------------------------------------------------------------------

  /** Whether this connection id is registered (established and not yet closed). */
  async exists(id: ConnectionRef): Promise<boolean> {
    return (await this.adapter.count({ type: 'ids', ids: [idOf(id, 'id')] })) > 0;
  }

  /** Whether any connection is bound to this flag (the user is online). */
  async flagExists(flag: string): Promise<boolean> {
    return (await this.adapter.count({ type: 'flags', flags: [nameOf(flag, 'flag')] })) > 0;
  }

  /** Ids of every registered connection. */
  async connections(): Promise<string[]> {
    return this.adapter.ids({ type: 'all' });
  }

  async connectionCount(): Promise<number> {
    return this.adapter.count({ type: 'all' });
  }

  /** Ids of the connections bound to these flags. */
  async flagConnections(flags: OneOrMany<string>): Promise<string[]> {
    return this.adapter.ids({ type: 'flags', flags: nameList(flags, 'flags') });
  }

  async flagCount(flags: OneOrMany<string>): Promise<number> {
    return this.adapter.count({ type: 'flags', flags: nameList(flags, 'flags') });
  }

  /** Ids of the members of these groups (each once). */
  async groupConnections(groups: OneOrMany<string>): Promise<string[]> {
    return this.adapter.ids({ type: 'groups', groups: nameList(groups, 'groups') });
  }

  async groupCount(groups: OneOrMany<string>): Promise<number> {
    return this.adapter.count({ type: 'groups', groups: nameList(groups, 'groups') });
  }

  /** The flag a connection is bound to, if any. */
  async flagOf(id: ConnectionRef): Promise<string | undefined> {
    return this.adapter.flagOf(idOf(id, 'id'));
  }

  /** The groups a connection is in (empty for an unknown id). */
  async groupsOf(id: ConnectionRef): Promise<string[]> {
    return this.adapter.groupsOf(idOf(id, 'id'));
  }

  /** Every group with at least one member. */
  async groups(): Promise<string[]> {
    return this.adapter.groups();
  }

  /**
   * A copy of a connection's context (`connection.context`, the application's data on it), or
   * undefined if the id is unknown. A copy is what a remote process could answer too; change it
   * with {@link updateContext}, or directly on a Connection you hold.
   */
  async context(id: ConnectionRef): Promise<Partial<Context> | undefined> {
    return (await this.adapter.context(idOf(id, 'id'))) as Partial<Context> | undefined;
  }

  /** Merges `patch` into a connection's context. False if the id is unknown. */
  async updateContext(id: ConnectionRef, patch: Readonly<Partial<Context>>): Promise<boolean> {
    if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
      throw new InvalidArgumentError('patch', patch, 'an object');
    }
    return this.adapter.updateContext(idOf(id, 'id'), patch as Readonly<Record<string, unknown>>);
  }

  // ---- internals ---------------------------------------------------------------------------

  private localHoldings(connection: ConnectionRef): Holdings | undefined {
    const id = idOf(connection, 'connection');
    // An adapter of your own that keeps no local index cannot answer: say so rather than "unbound".
    if (!this.adapter.holdingsOf) throw new UnsupportedError('this registry adapter has no local index (holdingsOf): use flagOf / groupsOf');
    return this.adapter.holdingsOf(id);
  }

  private async push(target: Target, payload: Payload): Promise<number> {
    const result = await this.adapter.push(target, payload);
    if (result.dropped.length > 0) {
      this.emit('drop', { delivered: result.delivered, ids: result.dropped });
    }
    const unencodable = result.unencodable;
    if (unencodable !== undefined && unencodable.length > 0) {
      for (const failure of unencodable) this.emit('encodeFail', { ...failure, delivered: result.delivered });
      // No target's codec could frame it: a wrong message, as `connection.send` reports one.
      if (result.delivered === 0 && result.dropped.length === 0) throw unencodable[0]!.error;
    }
    if (result.unanswered && result.unanswered.length > 0) throw new ClusterIncompleteError(result.delivered, result.unanswered);
    return result.delivered;
  }

  private readonly onEstablish = ({ connection }: { connection: AnyConnection }): void => {
    this.adapter.register(connection);
    this.emit('register', { connection });
  };

  private readonly onClose = ({ connection }: { connection: AnyConnection }): void => {
    const holdings = this.adapter.unregister(connection);
    if (holdings) this.emit('unregister', { connection, flag: holdings.flag, groups: holdings.groups });
  };
}

/** Bytes for a raw push. */
export type RawData = Buffer | Uint8Array | string;

function rawPayload(data: unknown): Payload {
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new InvalidArgumentError('data', data, 'a Buffer, Uint8Array or string');
  }
  return { type: 'raw', data };
}

function groupTarget(groups: unknown, options: BroadcastOptions): Target {
  const except = exceptList(options.except);
  return { type: 'groups', groups: nameList(groups, 'groups'), ...(except ? { except } : {}) };
}

function allTarget(options: BroadcastOptions): Target {
  const except = exceptList(options.except);
  return except ? { type: 'all', except } : { type: 'all' };
}
