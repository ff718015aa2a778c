import { ErrorCode } from '../errors.js';
import type { SupervisorExtension, WorkerExit, WorkerPort } from '../process/supervisor-extension.js';
import { Topic } from '../process/envelope.js';
import type { Target } from '../registry/adapter.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { nodeOf, type PresenceEntry, type RequestOutcome } from './engine.js';
import { isToHub, type FromHub, type PresenceQuestion, type PresenceWrite, type ToHub } from './ipc-protocol.js';
import { PresenceTable } from './presence-table.js';

export interface IpcHubOptions {
  /** The hub's timers (request timeouts) run on this clock. @default systemClock */
  clock?: Clock;
}

/** A node joined the hub (a worker's registry is ready). */
export interface HubJoinEvent {
  readonly nodeId: string;
  readonly workerId: number;
  readonly pid: number;
  readonly connections: number;
}

/** A node left the hub: its registry was disposed of (`stop`), or its worker exited (`exit`). */
export interface HubLeaveEvent {
  readonly nodeId: string;
  readonly workerId: number;
  readonly reason: 'stop' | 'exit';
  /** Connections the node held, gone from every answer at this instant. */
  readonly connections: number;
  /** How the worker ended, for `exit`. */
  readonly exit?: WorkerExit;
}

/** A worker sent something on the cluster topic that is not a message of the hub's protocol: ignored. */
export interface HubBadMessageEvent {
  readonly workerId: number;
  readonly pid: number;
  readonly reason: string;
}

export interface IpcHubEvents {
  nodeJoin: HubJoinEvent;
  nodeLeave: HubLeaveEvent;
  badMessage: HubBadMessageEvent;
}

/** One request on its way: who asked, who has not answered yet, what came back. */
interface Pending {
  readonly origin: string;
  readonly seq: number;
  readonly waiting: Set<string>;
  readonly outcome: RequestOutcome;
  timer: TimerHandle | undefined;
}

/** One worker process as the hub knows it. */
interface Worker {
  readonly port: WorkerPort;
  readonly nodes: Set<string>;
  /** Stops listening to the worker's channel. */
  unsubscribe: () => void;
  gone: boolean;
}

/**
 * The supervisor's half of the IPC cluster engine: the hub of every worker's registry on one
 * machine, with nothing to install. Plugged into the supervisor as a {@link SupervisorExtension}
 * on the `cluster` topic, it
 *
 * - holds the machine's presence (a {@link PresenceTable}, per node) and answers every worker's
 *   questions from it, so that every worker gets the same exact answer;
 * - applies each worker's presence writes before it acknowledges them, so that a write that
 *   resolved in one worker is in every other worker's next answer (read your writes);
 * - carries requests to the workers they are for and collects the replies, naming each live node
 *   that did not answer by the request's timeout (a worker that is stalled, paused, busy);
 * - drops everything a worker's nodes held the moment the supervisor sees the worker exit (even
 *   SIGKILL): a node's lease is its process's life, so nothing waits for a lease to run out.
 *
 * The worker half is {@link IpcEngine}; what they say to each other is in `ipc-protocol.ts`.
 */
export class IpcHub extends TypedEmitter<IpcHubEvents> implements SupervisorExtension {
  readonly topic = Topic.Cluster;
  /** The machine's presence: what every worker's questions are answered from. */
  readonly presence = new PresenceTable();
  private readonly clock: Clock;
  private readonly workers = new Map<WorkerPort, Worker>();
  /** Node id -> the worker holding it. */
  private readonly owners = new Map<string, Worker>();
  private readonly pending = new Map<number, Pending>();
  private nextRid = 1;

  constructor(options: IpcHubOptions = {}) {
    super();
    this.clock = options.clock ?? systemClock;
  }

  /** The nodes that joined and have not left: the live nodes of the machine. */
  nodes(): string[] {
    return [...this.owners.keys()];
  }

  /** Requests waiting for replies (for tests and `status`). */
  get pendingRequests(): number {
    return this.pending.size;
  }

  workerOnline(port: WorkerPort): void {
    const worker: Worker = { port, nodes: new Set(), unsubscribe: () => undefined, gone: false };
    worker.unsubscribe = port.onMessage((body) => this.receive(worker, body));
    this.workers.set(port, worker);
  }

  workerExit(port: WorkerPort, exit: WorkerExit): void {
    const worker = this.workers.get(port);
    if (!worker) return;
    this.workers.delete(port);
    // Messages still in the channel after the exit are not read: a late `join` must not bring
    // back what the exit dropped.
    worker.gone = true;
    worker.unsubscribe();
    for (const node of [...worker.nodes]) this.drop(worker, node, 'exit', exit);
  }

  dispose(): void {
    for (const [rid, pending] of this.pending) {
      if (pending.timer !== undefined) this.clock.clear(pending.timer);
      this.pending.delete(rid);
    }
    for (const worker of this.workers.values()) worker.unsubscribe();
    this.workers.clear();
    this.owners.clear();
  }

  // ---- from the workers -----------------------------------------------------------------------

  private receive(worker: Worker, body: unknown): void {
    if (worker.gone) return;
    if (!isToHub(body)) {
      this.bad(worker, 'not a message of the IPC engine protocol');
      return;
    }
    // A worker speaks only for the nodes it joined (and a join names a new one).
    if (body.t !== 'join' && !worker.nodes.has(body.node)) {
      if (body.t === 'leave' || body.t === 'write' || body.t === 'ask' || body.t === 'request') {
        this.done(worker, body.node, body.seq, undefined, { code: ErrorCode.ClusterUnavailable, message: `node ${body.node} has not joined the hub` });
      }
      return;
    }
    switch (body.t) {
      case 'join':
        return this.join(worker, body);
      case 'leave':
        this.drop(worker, body.node, 'stop');
        return this.done(worker, body.node, body.seq);
      case 'write': {
        const error = this.write(body.node, body.write);
        if (error) this.bad(worker, error);
        return this.done(worker, body.node, body.seq, undefined, error ? { code: ErrorCode.InvalidArgument, message: error } : undefined);
      }
      case 'ask': {
        const answer = this.answer(body.question);
        if (typeof answer === 'string') {
          this.bad(worker, answer);
          return this.done(worker, body.node, body.seq, undefined, { code: ErrorCode.InvalidArgument, message: answer });
        }
        return this.done(worker, body.node, body.seq, answer.value);
      }
      case 'request':
        return this.request(worker, body);
      case 'publish':
        for (const target of this.targets(body.node, body.to)) this.send(target, { t: 'message', node: target, from: body.node, body: body.body });
        return;
      case 'reply':
        return this.reply(body.node, body.rid, body.body);
    }
  }

  private join(worker: Worker, body: Extract<ToHub, { t: 'join' }>): void {
    const owner = this.owners.get(body.node);
    if (owner && owner !== worker) {
      this.done(worker, body.node, body.seq, undefined, { code: ErrorCode.ClusterUnavailable, message: `node ${body.node} is already in the hub (held by worker ${owner.port.workerId})` });
      return;
    }
    if (!Array.isArray(body.snapshot) || !body.snapshot.every((entry) => isEntry(entry) && nodeOf(entry.id) === body.node)) {
      this.bad(worker, `a join whose snapshot is not a list of presence entries of node ${body.node}`);
      this.done(worker, body.node, body.seq, undefined, { code: ErrorCode.InvalidArgument, message: `snapshot: not a list of presence entries of node ${body.node}` });
      return;
    }
    // A node that joins again (rebuilding after a failed write) replaces what it held, in one step.
    worker.nodes.add(body.node);
    this.owners.set(body.node, worker);
    this.presence.replace(body.node, body.snapshot);
    this.done(worker, body.node, body.seq);
    this.emit('nodeJoin', { nodeId: body.node, workerId: worker.port.workerId, pid: worker.port.pid, connections: body.snapshot.length });
  }

  /** Forgets `node`: its presence, and every reply still awaited from it (it is not live any more). */
  private drop(worker: Worker, node: string, reason: 'stop' | 'exit', exit?: WorkerExit): void {
    if (!worker.nodes.delete(node)) return;
    this.owners.delete(node);
    const before = this.presence.count(ALL);
    this.presence.drop(node);
    const connections = before - this.presence.count(ALL);
    for (const [rid, pending] of this.pending) {
      if (pending.origin === node) this.settle(rid, pending, false);
      else if (pending.waiting.delete(node) && pending.waiting.size === 0) this.settle(rid, pending, true);
    }
    this.emit('nodeLeave', { nodeId: node, workerId: worker.port.workerId, reason, connections, ...(exit ? { exit } : {}) });
  }

  private write(node: string, write: PresenceWrite): string | undefined {
    if (typeof write !== 'object' || write === null || typeof write.id !== 'string') return 'a presence write without an id';
    // Answers find a connection by the node its id names: an entry filed under another node
    // would be counted by some answers and missed by others.
    if (nodeOf(write.id) !== node) return `a presence write about ${write.id}, which is not a connection of node ${node}`;
    switch (write.w) {
      case 'add':
        this.presence.add(node, write.id);
        return;
      case 'remove':
        this.presence.remove(node, write.id);
        return;
      case 'bind':
        if (typeof write.flag !== 'string') return 'a bind without a flag';
        this.presence.bind(node, write.id, write.flag);
        return;
      case 'unbind':
        this.presence.unbind(node, write.id);
        return;
      case 'join':
      case 'leave':
        if (!isStrings(write.groups)) return `a ${write.w} without a list of groups`;
        if (write.w === 'join') this.presence.join(node, write.id, write.groups);
        else this.presence.leave(node, write.id, write.groups);
        return;
      default:
        return 'an unknown presence write';
    }
  }

  /** The answer, or what is wrong with the question. */
  private answer(question: PresenceQuestion): { value: unknown } | string {
    if (typeof question !== 'object' || question === null) return 'a question that is not an object';
    switch (question.q) {
      case 'count':
      case 'ids':
        if (!isTarget(question.target)) return `a ${question.q} question without a valid target`;
        return { value: question.q === 'count' ? this.presence.count(question.target) : this.presence.ids(question.target) };
      case 'flagOf':
      case 'groupsOf':
        if (typeof question.id !== 'string') return `a ${question.q} question without an id`;
        return { value: question.q === 'flagOf' ? this.presence.flagOf(question.id) : this.presence.groupsOf(question.id) };
      case 'groups':
        return { value: this.presence.groups() };
      case 'nodes':
        return { value: this.presence.nodes() };
      default:
        return 'an unknown question';
    }
  }

  private request(worker: Worker, body: Extract<ToHub, { t: 'request' }>): void {
    if (body.to !== undefined && !isStrings(body.to)) {
      this.bad(worker, 'a request whose `to` is not a list of node ids');
      return this.done(worker, body.node, body.seq, undefined, { code: ErrorCode.InvalidArgument, message: 'to: not a list of node ids' });
    }
    const timeout = typeof body.timeout === 'number' && body.timeout > 0 ? body.timeout : 1;
    const rid = this.nextRid++;
    const pending: Pending = { origin: body.node, seq: body.seq, waiting: new Set(), outcome: { replies: [], unanswered: [] }, timer: undefined };
    this.pending.set(rid, pending);
    for (const target of this.targets(body.node, body.to)) {
      pending.waiting.add(target);
      // Whatever the channel says (false is also "sent, but the backlog is long"), the worker is
      // live until it exits: it stays awaited, and is named at the timeout if it does not answer.
      this.send(target, { t: 'request', node: target, rid, from: body.node, body: body.body });
    }
    if (pending.waiting.size === 0) return this.settle(rid, pending, true);
    pending.timer = this.clock.setTimeout(() => this.settle(rid, pending, true), timeout);
  }

  private reply(node: string, rid: number, body: unknown): void {
    const pending = this.pending.get(rid);
    // A reply after the timeout (or from a node not asked) is discarded: the asker has moved on.
    if (!pending || !pending.waiting.delete(node)) return;
    pending.outcome.replies.push({ node, body });
    if (pending.waiting.size === 0) this.settle(rid, pending, true);
  }

  /** Ends a request: answers the asker (if it is still there) with the replies and who did not answer. */
  private settle(rid: number, pending: Pending, answer: boolean): void {
    this.pending.delete(rid);
    if (pending.timer !== undefined) this.clock.clear(pending.timer);
    if (!answer) return;
    pending.outcome.unanswered.push(...pending.waiting);
    pending.waiting.clear();
    const origin = this.owners.get(pending.origin);
    if (origin) this.done(origin, pending.origin, pending.seq, pending.outcome);
  }

  // ---- to the workers -------------------------------------------------------------------------

  /** The live nodes `to` names (or all), but `from`. */
  private targets(from: string, to: readonly string[] | undefined): string[] {
    if (to === undefined) return [...this.owners.keys()].filter((node) => node !== from);
    return [...new Set(to)].filter((node) => node !== from && this.owners.has(node));
  }

  private send(node: string, message: FromHub): boolean {
    const worker = this.owners.get(node);
    return worker !== undefined && sendTo(worker, message);
  }

  private done(worker: Worker, node: string, seq: number, value?: unknown, error?: { code: string; message: string }): void {
    sendTo(worker, { t: 'done', node, seq, ...(value !== undefined ? { value } : {}), ...(error ? { error } : {}) });
  }

  private bad(worker: Worker, reason: string): void {
    this.emit('badMessage', { workerId: worker.port.workerId, pid: worker.port.pid, reason });
  }
}

const ALL: Target = { type: 'all' };

/**
 * Sends on a worker's channel, never throwing into the supervisor: a channel that fails (the
 * worker is dying) is the worker's exit's business, which the supervisor reports.
 */
function sendTo(worker: Worker, message: FromHub): boolean {
  try {
    return worker.port.send(message);
  } catch {
    return false;
  }
}

function isStrings(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isEntry(value: unknown): value is PresenceEntry {
  if (typeof value !== 'object' || value === null) return false;
  const { id, flag, groups } = value as { id?: unknown; flag?: unknown; groups?: unknown };
  return typeof id === 'string' && (flag === undefined || typeof flag === 'string') && (groups === undefined || isStrings(groups));
}

function isTarget(value: unknown): value is Target {
  if (typeof value !== 'object' || value === null) return false;
  const target = value as Record<string, unknown>;
  const except = target['except'] === undefined || isStrings(target['except']);
  switch (target['type']) {
    case 'ids':
      return isStrings(target['ids']);
    case 'flags':
      return isStrings(target['flags']);
    case 'groups':
      return isStrings(target['groups']) && except;
    case 'all':
      return except;
    default:
      return false;
  }
}
