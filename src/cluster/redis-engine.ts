import { randomBytes } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { ClusterError, ErrorCode, InvalidOptionError, asError } from '../errors.js';
import type { Target } from '../registry/adapter.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { integerOption } from '../util/validate.js';
import { summarize, type ClusterStatus, type ClusterEngine, type ClusterEngineEvents, type ClusterNode, type PresenceStore, type RequestOptions, type RequestOutcome } from './engine.js';
import { REDIS_SCRIPTS } from './redis-scripts.js';

export interface RedisEngineOptions {
  /**
   * The Redis server, as a `redis://` (or `rediss://`) URL.
   * @default 'redis://127.0.0.1:6379'
   */
  url?: string;
  /**
   * Put before every key and channel: nodes with the same prefix form one cluster; another prefix
   * is another cluster on the same Redis. Letters, digits and `:_-.{}`.
   * @default 'switchboard:'
   */
  prefix?: string;
  /**
   * How long a node's presence outlives its last renewal, in ms: a node killed without a word
   * (SIGKILL, a cut network) leaves every answer within this time. Renewed every `lease / 3` ms.
   * Shorter is faster to forget a dead node and costs one small script per renewal per node.
   * @default 3000
   */
  lease?: number;
  /**
   * How long a command may wait for Redis, in ms, before its call fails with
   * `ERR_CLUSTER_TIMEOUT` (Redis paused, overloaded). The command stays counted in
   * `maxPendingCommands` until Redis does answer, so that the queue stays bounded.
   * @default 1000
   */
  commandTimeout?: number;
  /**
   * Commands sent to Redis and not yet answered, at most; beyond it a call fails at once with
   * `ERR_CLUSTER_OVERLOADED` instead of queueing in memory.
   * @default 10000
   */
  maxPendingCommands?: number;
  /**
   * How long `start()` (`registry.ready()`) waits to join, in ms, before it rejects with
   * `ERR_CLUSTER_UNAVAILABLE`; the engine keeps trying after that.
   * @default 5000
   */
  joinTimeout?: number;
  /** @default systemClock */
  clock?: Clock;
}

export const REDIS_ENGINE_DEFAULTS = {
  url: 'redis://127.0.0.1:6379',
  prefix: 'switchboard:',
  lease: 3000,
  commandTimeout: 1000,
  maxPendingCommands: 10_000,
  joinTimeout: 5000,
} as const satisfies Required<Omit<RedisEngineOptions, 'clock'>>;

type Checked = Required<Omit<RedisEngineOptions, 'clock'>> & { clock: Clock };

/** Checks {@link RedisEngineOptions} up front, naming the option and the value. */
export function redisEngineOptions(options: RedisEngineOptions): Checked {
  const url = options.url ?? REDIS_ENGINE_DEFAULTS.url;
  if (typeof url !== 'string' || !/^rediss?:\/\//.test(url)) throw new InvalidOptionError('url', url, 'a redis:// or rediss:// URL');
  const prefix = options.prefix ?? REDIS_ENGINE_DEFAULTS.prefix;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9:_\-.{}]{1,100}$/.test(prefix)) {
    throw new InvalidOptionError('prefix', prefix, '1 to 100 letters, digits or ":_-.{}"');
  }
  return {
    url,
    prefix,
    lease: integerOption('lease', options.lease ?? REDIS_ENGINE_DEFAULTS.lease, 300, 3_600_000),
    commandTimeout: integerOption('commandTimeout', options.commandTimeout ?? REDIS_ENGINE_DEFAULTS.commandTimeout, 10, 600_000),
    maxPendingCommands: integerOption('maxPendingCommands', options.maxPendingCommands ?? REDIS_ENGINE_DEFAULTS.maxPendingCommands, 1),
    joinTimeout: integerOption('joinTimeout', options.joinTimeout ?? REDIS_ENGINE_DEFAULTS.joinTimeout, 1),
    clock: options.clock ?? systemClock,
  };
}

/** What travels on the channels: a request, its reply, a fire-and-forget message, a probe. */
type Envelope =
  | { k: 'req'; from: string; id: number; body: unknown }
  | { k: 'rep'; from: string; id: number; body: unknown }
  | { k: 'msg'; from: string; body: unknown }
  | { k: 'probe'; from: string; id: number };

interface Pending {
  expected: Set<string> | undefined;
  outcome: RequestOutcome;
  answered: Set<string>;
  resolve: (outcome: RequestOutcome) => void;
  timer: TimerHandle | undefined;
}

/** The scripts as ioredis defines them (see {@link REDIS_SCRIPTS}). */
interface Scripts {
  sbWrite(...args: Array<string | number>): Promise<number>;
  sbRebuild(...args: Array<string | number>): Promise<string[]>;
  sbRenew(...args: Array<string | number>): Promise<[number, ...string[]]>;
  sbLeave(...args: Array<string | number>): Promise<number>;
  sbQuery(...args: Array<string | number>): Promise<number | string[]>;
  sbLookup(...args: Array<string | number>): Promise<string | null | string[]>;
  sbSend(...args: Array<string | number | Buffer>): Promise<string[]>;
}

/**
 * ioredis, loaded when the first Redis engine is made: a process that never uses Redis (the
 * embedded default, a worker on the IPC engine) does not hold it, about 1.2 MB of old-generation
 * heap. Synchronous (ioredis is CommonJS), so the engine is still made in its constructor.
 */
let ioredisClass: typeof Redis | undefined;
function loadIoredis(): typeof Redis {
  ioredisClass ??= (createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis }).Redis;
  return ioredisClass;
}

/**
 * The cluster engine over one Redis server (ioredis): pub/sub for requests, replies and pushes,
 * keys with leases for presence, Lua scripts for every multi-key change and every answer (see
 * `redis-scripts.ts` for the key layout). Two connections per node: one for commands, one
 * subscribed to the node's two channels (`P all`, `P to:<node>`).
 *
 * Faults: with Redis down, every call that needs it fails at once with `ERR_CLUSTER_UNAVAILABLE`
 * (no offline queue: nothing piles up); when it is back, the subscriptions are re-made and
 * checked with a probe through Redis, and this node's presence is registered again from its
 * snapshot (`status` `up`, then `rebuilt`). A node that cannot renew its lease in time reports
 * `fenced`; the cluster stops counting its connections when the lease runs out, and its next
 * renewal or write finds that out and registers them again under a new epoch.
 */
export class RedisEngine extends TypedEmitter<ClusterEngineEvents> implements ClusterEngine {
  readonly presence: PresenceStore;
  private readonly options: Checked;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly scripts: Scripts;
  private node: ClusterNode | undefined;
  private epoch: string | undefined;
  private rebuilding: Promise<void> | undefined;
  private stopped = false;
  private pendingCommands = 0;
  private nextId = 1;
  private readonly requests = new Map<number, Pending>();
  private readonly probes = new Map<number, () => void>();
  private renewTimer: TimerHandle | undefined;
  private lastRenewal = 0;
  private fenced = false;
  private commandsDownSince: number | undefined;
  private subscriberDownSince: number | undefined;
  private subscribedOnce = false;
  private liveNodes: string[] = [];
  private joinedOnce = false;
  private joinError: string | undefined;

  constructor(options: RedisEngineOptions = {}) {
    super();
    this.options = redisEngineOptions(options);
    const common = {
      lazyConnect: true,
      // No offline queue: a call while Redis is away fails at once with a code, instead of
      // piling up in memory and running late; presence is rebuilt from the snapshot anyway.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt: number) => Math.min(50 * attempt, 500),
      connectTimeout: Math.max(1000, this.options.commandTimeout),
    };
    const RedisClient = loadIoredis();
    this.commands = new RedisClient(this.options.url, common);
    // ioredis re-subscribes on its own; we re-subscribe too and check with a probe
    // (socket.io#4845 lost subscriptions on reconnect with another client library).
    this.subscriber = new RedisClient(this.options.url, { ...common, autoResubscribe: false });
    for (const [name, lua] of Object.entries(REDIS_SCRIPTS)) this.commands.defineCommand(name, { numberOfKeys: 0, lua });
    this.scripts = this.commands as unknown as Scripts;
    this.presence = new RedisPresence(this);
    this.commands.on('error', () => {}); // reported through close/ready as `status`
    this.subscriber.on('error', () => {});
    this.commands.on('close', () => this.onDown('commands'));
    this.subscriber.on('close', () => this.onDown('subscriber'));
    this.commands.on('ready', () => void this.onCommandsReady());
    this.subscriber.on('ready', () => void this.onSubscriberReady());
    this.subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.onEnvelope(message));
  }

  /** Commands sent and not yet answered by Redis (bounded by `maxPendingCommands`). */
  get pending(): number {
    return this.pendingCommands;
  }

  get prefix(): string {
    return this.options.prefix;
  }

  async start(node: ClusterNode): Promise<void> {
    if (this.node) throw new ClusterError(ErrorCode.ClusterUnavailable, 'this engine has already started');
    this.node = node;
    const joined = this.nextStatus((status) => status.type === 'rebuilt');
    const subscribed = this.nextStatus((status) => status.type === 'up' && status.part === 'subscriber');
    this.commands.connect().catch(() => {});
    this.subscriber.connect().catch(() => {});
    const clock = this.options.clock;
    this.renewTimer = clock.setInterval(() => void this.renew(), Math.max(50, Math.floor(this.options.lease / 3)));
    this.renewTimer.unref?.();
    let timer: TimerHandle | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = clock.setTimeout(() => resolve('timeout'), this.options.joinTimeout)));
    const result = await Promise.race([Promise.all([joined, subscribed]), timedOut]);
    if (timer) clock.clear(timer);
    if (result === 'timeout') {
      const why = this.joinError ?? `Redis at ${this.options.url} is ${this.commands.status}`;
      throw new ClusterError(ErrorCode.ClusterUnavailable, `could not join the cluster within ${this.options.joinTimeout} ms (${why}); still trying`);
    }
  }

  private nextStatus(match: (status: ClusterStatus) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const listener = (status: ClusterStatus): void => {
        if (!match(status)) return;
        this.off('status', listener);
        resolve();
      };
      this.on('status', listener);
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.renewTimer) this.options.clock.clear(this.renewTimer);
    for (const pending of this.requests.values()) this.finish(pending);
    const node = this.node;
    if (node && this.epoch && this.commands.status === 'ready') {
      await this.scripts.sbLeave(this.options.prefix, node.nodeId, this.epoch).catch(() => {});
    }
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  // ---- request / reply and publish ---------------------------------------------------------

  async request(body: unknown, options: RequestOptions): Promise<RequestOutcome> {
    const self = this.joined();
    const id = this.nextId++;
    const envelope = serialize({ k: 'req', from: self.nodeId, id, body } satisfies Envelope);
    let resolve!: (outcome: RequestOutcome) => void;
    const done = new Promise<RequestOutcome>((r) => (resolve = r));
    const pending: Pending = { expected: undefined, outcome: { replies: [], unanswered: [] }, answered: new Set(), resolve, timer: undefined };
    // Registered before sending: a reply may arrive (on the subscriber) before the send script's
    // answer (on the command connection).
    this.requests.set(id, pending);
    let addressed: string[];
    try {
      addressed = await this.send(envelope, options.to);
    } catch (error) {
      this.requests.delete(id);
      throw error;
    }
    pending.expected = new Set(addressed.filter((node) => node !== self.nodeId));
    for (const node of pending.answered) if (!pending.expected.has(node)) pending.answered.delete(node);
    pending.outcome.replies = pending.outcome.replies.filter((reply) => pending.expected!.has(reply.node));
    if (pending.answered.size >= pending.expected.size) {
      this.finish(pending, id);
    } else {
      pending.timer = this.options.clock.setTimeout(() => this.finish(pending, id), options.timeout);
    }
    return done;
  }

  async publish(body: unknown, options: { to?: readonly string[] } = {}): Promise<void> {
    const self = this.joined();
    await this.send(serialize({ k: 'msg', from: self.nodeId, body } satisfies Envelope), options.to);
  }

  /** Publishes to every node or to the live ones of `to`; resolves to the live nodes addressed. */
  private send(envelope: Buffer, to: readonly string[] | undefined): Promise<string[]> {
    if (to && to.length === 0) return Promise.resolve([]);
    return this.call(() => this.scripts.sbSend(this.options.prefix, envelope, ...(to ?? ['*'])));
  }

  private finish(pending: Pending, id?: number): void {
    if (id !== undefined) this.requests.delete(id);
    if (pending.timer) this.options.clock.clear(pending.timer);
    for (const node of pending.expected ?? []) if (!pending.answered.has(node)) pending.outcome.unanswered.push(node);
    pending.resolve(pending.outcome);
  }

  private onEnvelope(message: Buffer): void {
    let envelope: Envelope;
    try {
      envelope = deserialize(message) as Envelope;
    } catch {
      return; // not ours: another writer on our channels
    }
    const node = this.node;
    if (!node || this.stopped || envelope.from === node.nodeId && envelope.k !== 'probe') return;
    switch (envelope.k) {
      case 'req':
        void this.answer(node, envelope);
        return;
      case 'rep': {
        const pending = this.requests.get(envelope.id);
        if (!pending || pending.answered.has(envelope.from)) return;
        if (pending.expected && !pending.expected.has(envelope.from)) return;
        pending.answered.add(envelope.from);
        pending.outcome.replies.push({ node: envelope.from, body: envelope.body });
        if (pending.expected && pending.answered.size >= pending.expected.size) this.finish(pending, envelope.id);
        return;
      }
      case 'msg':
        node.onMessage(envelope.from, envelope.body);
        return;
      case 'probe':
        this.probes.get(envelope.id)?.();
        return;
    }
  }

  private async answer(node: ClusterNode, request: { from: string; id: number; body: unknown }): Promise<void> {
    let body: unknown;
    try {
      body = await node.onRequest(request.from, request.body);
    } catch (error) {
      body = { error: { code: ErrorCode.ClusterRemoteFailed, message: asError(error).message } };
    }
    const reply = serialize({ k: 'rep', from: node.nodeId, id: request.id, body } satisfies Envelope);
    // A reply that cannot be sent is a node that did not answer: the asker names it.
    await this.call(() => this.commands.publish(`${this.options.prefix}to:${request.from}`, reply)).catch(() => {});
  }

  // ---- presence, as the node's own writes and the cluster's answers -----------------------

  /** @internal A write about this node's connection; a fenced node registers again first. */
  async write(op: string, id: string, ...names: string[]): Promise<void> {
    const node = this.node;
    // Before the first registration starts, the snapshot it takes will hold this change. No
    // waiting for a registration in flight: its epoch is set when it starts, and this write is
    // sent after it on the same connection, so Redis applies them in order (and a question asked
    // after this write is answered after it too).
    if (!node || this.epoch === undefined) return;
    // An earlier change did not reach Redis: registering the whole node again carries it, and this one.
    if (this.needsRebuild) return this.rebuild(this.joinedOnce ? 'failed-write' : 'start');
    const epoch = this.epoch;
    let written: number;
    try {
      written = await this.call(() => this.scripts.sbWrite(this.options.prefix, node.nodeId, epoch, op, id, ...names));
    } catch (error) {
      // Registered again from the snapshot, change included, once Redis answers.
      this.needsRebuild = true;
      throw error;
    }
    if (written === 0) await this.rebuild(this.joinedOnce ? 'fenced' : 'start');
  }
  private needsRebuild = false;

  /** @internal */
  query(mode: 'count' | 'ids', target: Target): Promise<number | string[]> {
    const args: string[] = [];
    let names: readonly string[];
    let except: readonly string[] | undefined;
    switch (target.type) {
      case 'ids':
        names = target.ids;
        break;
      case 'flags':
        names = target.flags;
        break;
      case 'groups':
        names = target.groups;
        except = target.except;
        break;
      case 'all':
        names = [];
        except = target.except;
        break;
    }
    args.push(mode, target.type, String(names.length), ...names, ...(except ?? []));
    return this.call(() => this.scripts.sbQuery(this.options.prefix, ...args));
  }

  /** @internal */
  lookup(what: 'flagOf' | 'groupsOf' | 'groups' | 'nodes', id = ''): Promise<string | null | string[]> {
    return this.call(() => this.scripts.sbLookup(this.options.prefix, what, id));
  }

  // ---- lease, rebuild, connection state ------------------------------------------------------

  private async renew(): Promise<void> {
    const node = this.node;
    if (!node || this.stopped || this.rebuilding) return;
    // Not joined yet (Redis away at start, or the node id held by a lease): try again.
    if (!this.joinedOnce) {
      if (this.commands.status === 'ready') await this.rebuild('start').catch(() => {});
      return;
    }
    const clock = this.options.clock;
    const sent = clock.now();
    if (!this.fenced && sent - this.lastRenewal > this.options.lease) this.fence(sent);
    let answer: [number, ...string[]];
    try {
      answer = await this.call(() => this.scripts.sbRenew(this.options.prefix, node.nodeId, this.epoch!, this.options.lease));
    } catch {
      return; // counted by the fence check above on the next tick
    }
    const [held, ...live] = answer;
    this.liveNodes = live;
    if (held === 1 && !this.needsRebuild) {
      this.lastRenewal = sent;
      this.fenced = false;
      return;
    }
    if (held !== 1) this.fence(sent);
    await this.rebuild(held === 1 ? 'failed-write' : 'fenced').catch(() => {});
  }

  private fence(now: number): void {
    if (this.fenced) return;
    this.fenced = true;
    this.emit('status', { type: 'fenced', engine: 'redis', sinceRenewalMs: now - this.lastRenewal });
  }

  /** Registers this node again from its snapshot, under a new epoch. */
  private rebuild(reason: 'start' | 'reconnect' | 'fenced' | 'failed-write'): Promise<void> {
    if (this.rebuilding) return this.rebuilding;
    const node = this.node;
    if (!node) return Promise.resolve();
    const epoch = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    this.epoch = epoch;
    const snapshot = node.snapshot();
    const json = JSON.stringify(snapshot.map((e) => [e.id, e.flag ?? false, e.groups ?? []]));
    const sent = this.options.clock.now();
    this.needsRebuild = false;
    const first = this.joinedOnce ? '0' : '1';
    this.rebuilding = this.call(() => this.scripts.sbRebuild(this.options.prefix, node.nodeId, epoch, this.options.lease, json, first))
      .then((live) => {
        this.joinedOnce = true;
        this.joinError = undefined;
        this.liveNodes = live;
        this.lastRenewal = sent;
        this.fenced = false;
        this.emit('status', { type: 'rebuilt', engine: 'redis', reason, ...summarize(snapshot) });
      })
      .catch((error: unknown) => {
        this.needsRebuild = true;
        if (asError(error).message.includes('SBTAKEN')) this.joinError = `node id ${node.nodeId} is held by another live node under prefix ${this.options.prefix}`;
        throw error;
      })
      .finally(() => {
        this.rebuilding = undefined;
      });
    return this.rebuilding;
  }

  private onDown(part: 'commands' | 'subscriber'): void {
    const now = this.options.clock.now();
    if (part === 'commands') {
      if (this.commandsDownSince !== undefined) return;
      this.commandsDownSince = now;
    } else {
      if (this.subscriberDownSince !== undefined || !this.subscribedOnce) return;
      this.subscriberDownSince = now;
    }
    if (!this.stopped && this.node) this.emit('status', { type: 'down', engine: 'redis', part, error: undefined });
  }

  private async onCommandsReady(): Promise<void> {
    if (this.stopped || !this.node) return;
    const since = this.commandsDownSince;
    this.commandsDownSince = undefined;
    if (since !== undefined) this.emit('status', { type: 'up', engine: 'redis', part: 'commands', gapMs: this.options.clock.now() - since });
    // Redis may have restarted empty, or dropped our lease meanwhile: register again in any case.
    await this.rebuild(this.joinedOnce ? 'reconnect' : 'start').catch(() => {});
  }

  private async onSubscriberReady(): Promise<void> {
    const node = this.node;
    if (this.stopped || !node) return;
    const prefix = this.options.prefix;
    try {
      await this.subscriber.subscribe(`${prefix}all`, `${prefix}to:${node.nodeId}`);
      await this.probe(node.nodeId);
    } catch {
      // The probe did not come back: this connection is not delivering. Drop it and start over.
      if (!this.stopped) this.subscriber.disconnect(true);
      return;
    }
    const since = this.subscriberDownSince ?? this.options.clock.now();
    this.subscriberDownSince = undefined;
    this.subscribedOnce = true;
    this.emit('status', { type: 'up', engine: 'redis', part: 'subscriber', gapMs: this.options.clock.now() - since });
  }

  /** Publishes to this node's own channel and waits for it to come back through the subscriber. */
  private async probe(nodeId: string): Promise<void> {
    const id = this.nextId++;
    const back = new Promise<void>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => {
        this.probes.delete(id);
        reject(new ClusterError(ErrorCode.ClusterTimeout, 'subscription probe did not come back'));
      }, this.options.commandTimeout * 2);
      timer.unref?.();
      this.probes.set(id, () => {
        this.options.clock.clear(timer);
        this.probes.delete(id);
        resolve();
      });
    });
    back.catch(() => {});
    // Before the commands connection is up, it cannot publish: wait for it.
    while (this.commands.status !== 'ready' && !this.stopped) await new Promise((r) => setTimeout(r, 20));
    await this.call(() => this.commands.publish(`${this.options.prefix}to:${nodeId}`, serialize({ k: 'probe', from: nodeId, id } satisfies Envelope)));
    await back;
  }

  /**
   * Runs one Redis command with the engine's bounds: refused at once if Redis is not connected or
   * too many commands wait for it; failed (not forgotten) after `commandTimeout`.
   */
  private call<T>(command: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(new ClusterError(ErrorCode.ClusterUnavailable, 'the cluster engine is stopped'));
    if (this.commands.status !== 'ready') {
      this.needsRebuild = true;
      return Promise.reject(new ClusterError(ErrorCode.ClusterUnavailable, `Redis at ${this.options.url} is not connected (${this.commands.status})`));
    }
    if (this.pendingCommands >= this.options.maxPendingCommands) {
      return Promise.reject(new ClusterError(ErrorCode.ClusterOverloaded, `${this.pendingCommands} commands already wait for Redis (maxPendingCommands)`));
    }
    this.pendingCommands++;
    const running = command();
    // Counted until Redis answers (or the connection drops), not until the caller gives up.
    running.then(this.release, this.release);
    return new Promise<T>((resolve, reject) => {
      const timer = this.options.clock.setTimeout(() => reject(new ClusterError(ErrorCode.ClusterTimeout, `Redis did not answer within ${this.options.commandTimeout} ms`)), this.options.commandTimeout);
      running.then(
        (value) => {
          this.options.clock.clear(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.options.clock.clear(timer);
          reject(new ClusterError(ErrorCode.ClusterUnavailable, `Redis command failed: ${asError(error).message}`, { cause: error }));
        },
      );
    });
  }

  private readonly release = (): void => {
    this.pendingCommands--;
  };

  private joined(): ClusterNode {
    if (!this.node || this.stopped) throw new ClusterError(ErrorCode.ClusterUnavailable, 'this node has not joined the cluster (or has left it)');
    return this.node;
  }

  /** The live nodes as of the last renewal (for diagnostics). */
  get knownNodes(): readonly string[] {
    return this.liveNodes;
  }
}

/** The presence store of a {@link RedisEngine}: every call is one script. */
class RedisPresence implements PresenceStore {
  constructor(private readonly engine: RedisEngine) {}
  add(id: string): Promise<void> {
    return this.engine.write('add', id);
  }
  remove(id: string): Promise<void> {
    return this.engine.write('remove', id);
  }
  bind(id: string, flag: string): Promise<void> {
    return this.engine.write('bind', id, flag);
  }
  unbind(id: string): Promise<void> {
    return this.engine.write('unbind', id);
  }
  join(id: string, groups: readonly string[]): Promise<void> {
    return this.engine.write('join', id, ...groups);
  }
  leave(id: string, groups: readonly string[]): Promise<void> {
    return this.engine.write('leave', id, ...groups);
  }
  async count(target: Target): Promise<number> {
    return Number(await this.engine.query('count', target));
  }
  async ids(target: Target): Promise<string[]> {
    return (await this.engine.query('ids', target)) as string[];
  }
  async flagOf(id: string): Promise<string | undefined> {
    return ((await this.engine.lookup('flagOf', id)) as string | null) ?? undefined;
  }
  async groupsOf(id: string): Promise<string[]> {
    return (await this.engine.lookup('groupsOf', id)) as string[];
  }
  async groups(): Promise<string[]> {
    return (await this.engine.lookup('groups')) as string[];
  }
  async nodes(): Promise<string[]> {
    return (await this.engine.lookup('nodes')) as string[];
  }
}
