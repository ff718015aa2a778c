import { ClusterError, ErrorCode, InvalidArgumentError, SwitchboardError, asError } from '../errors.js';
import { Topic } from '../process/envelope.js';
import { supervisorLink, type SupervisorLink } from '../process/supervisor-link.js';
import type { Target } from '../registry/adapter.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { integerOption } from '../util/validate.js';
import type { ClusterEngineFactory } from './default-engine.js';
import { summarize, type ClusterEngine, type ClusterEngineEvents, type ClusterNode, type PresenceStore, type RequestOptions, type RequestOutcome } from './engine.js';
import { isFromHub, type FromHub, type PresenceQuestion, type PresenceWrite, type ToHub } from './ipc-protocol.js';

export interface IpcEngineOptions {
  /**
   * How long joining, a presence write or a question waits for the supervisor's hub, in ms,
   * before it fails with `ERR_CLUSTER_TIMEOUT` (a supervisor that is stalled: paused, swapping).
   * A request waits its own timeout plus this. The hub answers in well under a millisecond when
   * it is healthy, so this only bounds how long a call can hang on a sick supervisor.
   * @default 5000
   */
  hubTimeout?: number;
  /** @default systemClock */
  clock?: Clock;
  /**
   * The channel to the hub.
   * @default this worker's channel to its supervisor, on the `cluster` topic
   */
  link?: SupervisorLink;
}

export const IPC_ENGINE_DEFAULTS = {
  hubTimeout: 5000,
} as const satisfies Required<Omit<IpcEngineOptions, 'clock' | 'link'>>;

/**
 * A factory of IPC engines, for `setDefaultClusterEngine(ipcEngine())` in each worker before the
 * app runs: what `switchboard start --workers N` does (with `supervisor.use(new IpcHub())` on the
 * supervisor's side). Options are checked at once.
 */
export function ipcEngine(options: IpcEngineOptions = {}): ClusterEngineFactory {
  ipcEngineOptions(options);
  return () => new IpcEngine(options);
}

/** Checks {@link IpcEngineOptions} up front, naming the option and the value. */
function ipcEngineOptions(options: IpcEngineOptions): { hubTimeout: number; clock: Clock; link: SupervisorLink | undefined } {
  return {
    hubTimeout: integerOption('hubTimeout', options.hubTimeout ?? IPC_ENGINE_DEFAULTS.hubTimeout, 1, 600_000),
    clock: options.clock ?? systemClock,
    link: options.link,
  };
}

type HubCall = { write: PresenceWrite } | { question: PresenceQuestion };

interface Call {
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: TimerHandle;
}

/**
 * The worker's half of the IPC cluster engine: the registry of one worker process, joined to the
 * registries of every other worker of the same supervisor, with nothing to install. Every
 * presence write and question goes to the supervisor's {@link IpcHub}, which holds the machine's
 * presence and answers each worker alike; requests and messages for other workers go through the
 * hub too (workers have no channel to each other, only to their supervisor).
 *
 * A node's lease is its process's life: the supervisor sees a worker exit (even SIGKILL) and the
 * hub drops its connections from every answer at once. So this engine keeps no lease and never
 * fences itself. If the hub stops answering (a stalled supervisor), calls fail with
 * `ERR_CLUSTER_TIMEOUT` after `hubTimeout` and the engine reports `status` `down`; when the hub
 * answers again it reports `up` and registers the node's presence again from its snapshot
 * (`rebuilt`), so that a write that timed out leaves nothing half-applied. If the channel closes
 * (the supervisor died), every call fails with `ERR_CLUSTER_UNAVAILABLE`.
 *
 * Made for the command line (`switchboard start app.js --workers N` sets it as the default
 * engine); a test or a hand-written supervisor passes it to `clusterAdapter(() => new IpcEngine())`.
 */
export class IpcEngine extends TypedEmitter<ClusterEngineEvents> implements ClusterEngine {
  readonly presence: PresenceStore;
  private readonly hubTimeout: number;
  private readonly clock: Clock;
  private readonly givenLink: SupervisorLink | undefined;
  private link: SupervisorLink | undefined;
  private node: ClusterNode | undefined;
  private readonly calls = new Map<number, Call>();
  private nextSeq = 1;
  private unsubscribe: Array<() => void> = [];
  /** When the oldest call the hub did not answer in time was sent; undefined while it answers. */
  private silentSince: number | undefined;
  private closed = false;
  /** Whether the hub has acknowledged this node's first join (a late one is still a start). */
  private joinedOnce = false;

  constructor(options: IpcEngineOptions = {}) {
    super();
    const checked = ipcEngineOptions(options);
    this.hubTimeout = checked.hubTimeout;
    this.clock = checked.clock;
    this.givenLink = checked.link;
    this.presence = new IpcPresence((message) => this.hub(message));
  }

  async start(node: ClusterNode): Promise<void> {
    if (this.node) throw new ClusterError(ErrorCode.ClusterUnavailable, `this engine already joined as node ${this.node.nodeId}`);
    const link = this.givenLink ?? supervisorLink(Topic.Cluster);
    if (!link) {
      throw new ClusterError(ErrorCode.ClusterUnavailable, 'the IPC engine runs in a worker of a switchboard supervisor (switchboard start app.js --workers N); this process has no channel to one');
    }
    this.link = link;
    this.node = node;
    this.closed = false;
    this.joinedOnce = false;
    this.unsubscribe = [link.onMessage((body) => this.receive(body)), link.onDisconnect(() => this.lost())];
    const snapshot = node.snapshot();
    await this.call((seq) => ({ t: 'join', node: node.nodeId, seq, snapshot }));
    this.joinedOnce = true;
    this.emit('status', { type: 'rebuilt', engine: 'ipc', reason: 'start', ...summarize(snapshot) });
  }

  async request(body: unknown, options: RequestOptions): Promise<RequestOutcome> {
    const node = this.joined().nodeId;
    const to = options.to;
    // The hub times the request out and names who did not answer; this timer only covers a hub
    // that does not answer at all.
    return (await this.call((seq) => ({ t: 'request', node, seq, timeout: options.timeout, body, ...(to ? { to } : {}) }), options.timeout + this.hubTimeout)) as RequestOutcome;
  }

  async publish(body: unknown, options: { to?: readonly string[] } = {}): Promise<void> {
    const node = this.joined().nodeId;
    const to = options.to;
    if (!this.sendToHub({ t: 'publish', node, body, ...(to ? { to } : {}) })) {
      throw this.unsent(body);
    }
  }

  async stop(): Promise<void> {
    const node = this.node;
    if (!node) return;
    try {
      if (!this.closed) await this.call((seq) => ({ t: 'leave', node: node.nodeId, seq }));
    } catch {
      // The hub is gone or stalled: it drops this node when the worker exits anyway.
    } finally {
      this.node = undefined;
      for (const stop of this.unsubscribe) stop();
      this.unsubscribe = [];
      this.failAll(() => new ClusterError(ErrorCode.ClusterUnavailable, 'the IPC engine stopped'));
    }
  }

  /** A presence write or question for the hub (see {@link IpcPresence}). */
  private hub(message: HubCall): Promise<unknown> {
    const node = this.joined().nodeId;
    return this.call((seq) => ('write' in message ? { t: 'write', node, seq, write: message.write } : { t: 'ask', node, seq, question: message.question }));
  }

  // ---- the channel ----------------------------------------------------------------------------

  private call(make: (seq: number) => ToHub, timeout = this.hubTimeout): Promise<unknown> {
    if (this.closed) return Promise.reject(this.unavailable());
    const seq = this.nextSeq++;
    const sentAt = this.clock.now();
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.calls.delete(seq);
        this.hubSilent(sentAt);
        reject(new ClusterError(ErrorCode.ClusterTimeout, `the supervisor's cluster hub did not answer within ${timeout} ms`));
      }, timeout);
      this.calls.set(seq, { resolve, reject, timer });
      const message = make(seq);
      if (!this.sendToHub(message)) {
        this.clock.clear(timer);
        this.calls.delete(seq);
        reject(this.unsent(message));
      }
    });
  }

  /**
   * Hands `message` to the channel; false only when it could not be (the channel closed, or a
   * body the channel cannot serialize: a function, a symbol). The link's own `false` is not a
   * refusal: Node's `process.send` also returns false when its backlog is long, and still sends
   * the message, so a call stays awaited (its answer will come) and a closed channel fails it
   * through `disconnect`.
   */
  private sendToHub(message: ToHub): boolean {
    if (this.closed || !this.link) return false;
    try {
      this.link.send(message);
      return true;
    } catch {
      return false;
    }
  }

  private receive(body: unknown): void {
    const node = this.node;
    if (!node || !isFromHub(body, node.nodeId)) return;
    const message = body as FromHub;
    switch (message.t) {
      case 'done':
        return this.done(message);
      case 'request':
        void this.answer(node, message);
        return;
      case 'message':
        try {
          node.onMessage(message.from, message.body);
        } catch {
          // The registry's handler catches its own failures; a throw here must not end the worker.
        }
        return;
    }
  }

  private done(message: Extract<FromHub, { t: 'done' }>): void {
    if (this.silentSince !== undefined) this.hubBack();
    const call = this.calls.get(message.seq);
    if (!call) return;
    this.calls.delete(message.seq);
    this.clock.clear(call.timer);
    if (!message.error) {
      call.resolve(message.value);
      return;
    }
    const code = message.error.code === ErrorCode.ClusterUnavailable ? ErrorCode.ClusterUnavailable : ErrorCode.ClusterRemoteFailed;
    call.reject(new ClusterError(code, `the supervisor's cluster hub: ${message.error.code}: ${message.error.message}`));
  }

  private async answer(node: ClusterNode, message: Extract<FromHub, { t: 'request' }>): Promise<void> {
    let body: unknown;
    try {
      body = await node.onRequest(message.from, message.body);
    } catch (error) {
      const e = asError(error);
      body = { error: { code: e instanceof SwitchboardError ? e.code : ErrorCode.ClusterRemoteFailed, message: e.message } };
    }
    if (this.node === node) this.sendToHub({ t: 'reply', node: node.nodeId, rid: message.rid, body });
  }

  /** The hub missed a deadline for a call sent at `since`: say so once, until it answers again. */
  private hubSilent(since: number): void {
    if (this.silentSince !== undefined || this.closed) return;
    this.silentSince = since;
    this.emit('status', { type: 'down', engine: 'ipc', part: 'hub', error: new ClusterError(ErrorCode.ClusterTimeout, `the supervisor's cluster hub did not answer within ${this.hubTimeout} ms`) });
  }

  /** The hub answers again: whatever timed out meanwhile is made right by registering the node again. */
  private hubBack(): void {
    const since = this.silentSince ?? this.clock.now();
    this.silentSince = undefined;
    this.emit('status', { type: 'up', engine: 'ipc', part: 'hub', gapMs: this.clock.now() - since });
    const node = this.node;
    if (!node) return;
    const snapshot = node.snapshot();
    const reason = this.joinedOnce ? 'failed-write' : 'start';
    this.call((seq) => ({ t: 'join', node: node.nodeId, seq, snapshot })).then(
      () => {
        this.joinedOnce = true;
        this.emit('status', { type: 'rebuilt', engine: 'ipc', reason, ...summarize(snapshot) });
      },
      () => undefined, // silent again: the next answer tries again
    );
  }

  /** The channel closed: the supervisor is gone, and with it the rest of the cluster. */
  private lost(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('status', { type: 'down', engine: 'ipc', part: 'hub', error: this.unavailable() });
    this.failAll(() => this.unavailable());
  }

  private failAll(error: () => Error): void {
    for (const [seq, call] of this.calls) {
      this.calls.delete(seq);
      this.clock.clear(call.timer);
      call.reject(error());
    }
  }

  /** Why a message could not be handed to the channel. */
  private unsent(body: unknown): Error {
    if (this.closed) return this.unavailable();
    return new InvalidArgumentError('body', body, 'data the IPC channel can carry (structured-cloneable: no functions, symbols or class instances with private state)');
  }

  private unavailable(): ClusterError {
    return new ClusterError(ErrorCode.ClusterUnavailable, 'the channel to the supervisor is closed');
  }

  private joined(): ClusterNode {
    if (!this.node) throw new ClusterError(ErrorCode.ClusterUnavailable, 'this node has not joined the supervisor\'s hub (or left it)');
    return this.node;
  }
}

/** The machine's presence as one worker sees it: every write and question is a round trip to the hub. */
class IpcPresence implements PresenceStore {
  constructor(private readonly hub: (message: HubCall) => Promise<unknown>) {}

  async add(id: string): Promise<void> {
    await this.hub({ write: { w: 'add', id } });
  }
  async remove(id: string): Promise<void> {
    // The hub knows what the connection held; it drops its flag and groups with it.
    await this.hub({ write: { w: 'remove', id } });
  }
  async bind(id: string, flag: string): Promise<void> {
    await this.hub({ write: { w: 'bind', id, flag } });
  }
  async unbind(id: string): Promise<void> {
    await this.hub({ write: { w: 'unbind', id } });
  }
  async join(id: string, groups: readonly string[]): Promise<void> {
    await this.hub({ write: { w: 'join', id, groups } });
  }
  async leave(id: string, groups: readonly string[]): Promise<void> {
    await this.hub({ write: { w: 'leave', id, groups } });
  }
  async count(target: Target): Promise<number> {
    return (await this.hub({ question: { q: 'count', target } })) as number;
  }
  async ids(target: Target): Promise<string[]> {
    return (await this.hub({ question: { q: 'ids', target } })) as string[];
  }
  async flagOf(id: string): Promise<string | undefined> {
    return (await this.hub({ question: { q: 'flagOf', id } })) as string | undefined;
  }
  async groupsOf(id: string): Promise<string[]> {
    return (await this.hub({ question: { q: 'groupsOf', id } })) as string[];
  }
  async groups(): Promise<string[]> {
    return (await this.hub({ question: { q: 'groups' } })) as string[];
  }
  async nodes(): Promise<string[]> {
    return (await this.hub({ question: { q: 'nodes' } })) as string[];
  }
}
