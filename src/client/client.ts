import type { Codec } from '../codec/codec.js';
import { LengthFieldCodec } from '../codec/length-field-codec.js';
import type { MessageCodec } from '../codec/message-codec.js';
import { Connection, DEFAULT_CLOSE_TIMEOUT, type AnyConnection, type ConnectionOwner, type ConnectionTemplate } from '../connection/connection.js';
import { establish, handlerFailed, ownerClosed, ownerRelay, probe } from '../connection/internal.js';
import { HeartbeatSweep, type HeartbeatOptions } from '../server/heartbeat.js';
import { ConnectionEvent, type ConnectionEvents, type DefaultContext, type SendFailEvent } from '../connection/events.js';
import { resolveLimits, type ConnectionLimits } from '../connection/limits.js';
import { ClientClosedError, ConnectError, ErrorCode, InvalidOptionError, OfflineQueueFullError } from '../errors.js';
import type { StreamTarget } from '../transport/dial.js';
import type { WebSocketTarget } from '../transport/websocket/websocket-dial.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { integerOption } from '../util/validate.js';
import { Backoff, type ReconnectOptions } from './backoff.js';
import { StreamClientTransport, type ClientTransport } from './client-transport.js';
import { UdpClientTransport, type UdpTarget } from './udp-client-transport.js';
import { WebSocketClientTransport } from './websocket-client-transport.js';
import { RawCodec } from '../codec/raw-codec.js';
import { OfflineQueue, type OfflineQueueOptions } from './offline-queue.js';
import { getProcessNodeId, nextConnectionId } from '../util/node-id.js';

export interface ClientCommonOptions {
  /** @default DEFAULT_LIMITS */
  limits?: ConnectionLimits;
  /** A connect (and handshake) not done in this time fails with ETIMEDOUT. @default 10 s */
  connectTimeout?: number;
  /** How long a graceful close waits for the peer to take queued bytes. @default 10 s */
  closeTimeout?: number;
  /** Reconnect with exponential backoff and jitter. `true` uses the defaults. @default false */
  reconnect?: ReconnectOptions | boolean;
  /** Bound of the queue of messages sent while disconnected. @default { maxMessages: 1000 } */
  offlineQueue?: OfflineQueueOptions;
  /**
   * Detect a half-open server (a crashed host, a cut cable: TCP alone may not notice for hours).
   * When nothing has been received for `interval`, the client sends `probe` (a message its codec
   * can express, which the server's protocol answers: a ping for a pong; a WebSocket client
   * pings instead, and sends `probe` only if given); when nothing at all comes back within
   * `timeout`, the connection gets `idle` and closes with reason `idle`, and reconnect (if on)
   * takes over. `true` uses the defaults with no probe message.
   * @default false (off); when on, timeout 55 s and interval 10 s, as the server's heartbeat
   */
  heartbeat?: ClientHeartbeatOptions | boolean;
  /** @default systemClock */
  clock?: Clock;
  /** Random source of the backoff jitter (for tests). @default Math.random */
  random?: () => number;
  /** A transport of your own (the WebSocket module passes its own). */
  transport?: ClientTransport | StreamTarget['transport'] | WebSocketTarget['transport'] | UdpTarget['transport'];
}

/** A client's heartbeat: the server's options, plus the probe a quiet connection is sent. */
export interface ClientHeartbeatOptions extends HeartbeatOptions {
  /** The message sent when the connection has been quiet for `interval` (through the codec). @default none */
  probe?: unknown;
}

/** The codec of a TCP, TLS, Unix-socket or UDP client. */
export interface ClientCodecOption<In, Out> {
  /**
   * How messages are framed on the wire: the server's endpoint must use the same codec.
   * @default new LengthFieldCodec() (4-byte big-endian length); for UDP, new RawCodec() (a datagram is a message)
   */
  codec?: Codec<In, Out>;
}

/** The codec of a WebSocket client: a message codec (frames are WebSocket's own). */
export interface ClientMessageCodecOption<In, Out> {
  /** Turns each WebSocket message into an application message and back. @default text as strings, binary as Buffers */
  messageCodec?: MessageCodec<In, Out>;
  /** Never set on a WebSocket client: WebSocket frames messages itself; use `messageCodec`. */
  codec?: never;
}

/**
 * A client's options: a target (TCP, TLS, Unix socket, UDP, WebSocket) and what every client
 * shares. `In` and `Out` are inferred from `codec` (or a WebSocket client's `messageCodec`).
 */
export type ClientOptions<In = unknown, Out = In> = (
  | ((StreamTarget | UdpTarget) & ClientCodecOption<In, Out>)
  | (Omit<WebSocketTarget, 'messageCodec'> & ClientMessageCodecOption<In, Out>)
) &
  ClientCommonOptions;

export const CLIENT_DEFAULTS = { connectTimeout: 10_000, closeTimeout: DEFAULT_CLOSE_TIMEOUT } as const;

export interface OpenFailEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  client: Client<any, any, any>;
  error: ConnectError;
}
export interface ConnectFailEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  client: Client<any, any, any>;
  error: ConnectError;
  /** The system's code: ECONNREFUSED, ETIMEDOUT, ... */
  osCode: string | undefined;
  /** Failed attempts in a row, this one included. */
  attempt: number;
}
export interface ReconnectEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  client: Client<any, any, any>;
  attempt: number;
  /** Milliseconds until the attempt. */
  delay: number;
}
/** A message sent while disconnected and refused by the full offline queue. */
export interface OfflineSendFailEvent extends Omit<SendFailEvent, 'connection'> {
  connection: undefined;
}

export interface ClientEvents<In = unknown, Out = In, Context extends object = DefaultContext>
  extends Omit<ConnectionEvents<In, Out, Context>, 'sendFail'> {
  openFail: OpenFailEvent;
  connectFail: ConnectFailEvent;
  reconnect: ReconnectEvent;
  sendFail: SendFailEvent<Connection<In, Out, Context>> | OfflineSendFailEvent;
}

export const ClientEvent = {
  OpenFail: 'openFail',
  ConnectFail: 'connectFail',
  Reconnect: 'reconnect',
  ...ConnectionEvent,
} as const satisfies Record<string, keyof ClientEvents>;

type ClientState = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/**
 * A TCP, TLS, Unix-socket, WebSocket or UDP client with the server's connection API and events,
 * optional reconnect, and a bounded queue for messages sent while disconnected.
 */
export class Client<In = unknown, Out = In, Context extends object = DefaultContext>
  extends TypedEmitter<ClientEvents<In, Out, Context>>
  implements ConnectionOwner
{
  /** The codec messages go through: the stream codec, or a WebSocket client's message codec. */
  readonly codec: Codec<In, Out> | MessageCodec<In, Out>;
  private readonly transport: ClientTransport;
  private readonly clock: Clock;
  private readonly template: ConnectionTemplate;
  private readonly connectTimeout: number;
  private readonly backoff: Backoff | undefined;
  private readonly offline: OfflineQueue;
  private readonly heartbeat: HeartbeatSweep | undefined;
  private current: Connection<In, Out, Context> | undefined;
  private stateNow: ClientState = 'idle';
  private failures = 0;
  private retryTimer: TimerHandle | undefined;
  private waiters: Array<{ resolve: (c: AnyConnection) => void; reject: (e: Error) => void }> = [];
  private closeWaiters: Array<() => void> = [];

  constructor(options: ClientOptions<In, Out>) {
    super({ captureRejections: true });
    this.clock = options.clock ?? systemClock;
    const limits = resolveLimits(options.limits);
    this.connectTimeout = integerOption('connectTimeout', options.connectTimeout ?? CLIENT_DEFAULTS.connectTimeout, 1);
    const closeTimeout = integerOption('closeTimeout', options.closeTimeout ?? CLIENT_DEFAULTS.closeTimeout, 0);
    this.backoff = options.reconnect ? new Backoff(options.reconnect === true ? {} : options.reconnect, options.random) : undefined;
    this.offline = new OfflineQueue(options.offlineQueue, this.clock);
    this.transport =
      typeof options.transport === 'object'
        ? options.transport
        : options.transport === 'ws' || options.transport === 'wss'
          ? new WebSocketClientTransport(options as WebSocketTarget & ClientCommonOptions)
          : options.transport === 'udp'
            ? new UdpClientTransport(options as UdpTarget, (options.codec as Codec | undefined) ?? new RawCodec())
            : new StreamClientTransport(options as StreamTarget, (options.codec as Codec | undefined) ?? new LengthFieldCodec());
    const framing = this.transport.framing;
    // A WebSocket client's codec is its message codec (the `codec` option is refused there).
    this.codec = framing.codec as Codec<In, Out> | MessageCodec<In, Out>;
    if (options.heartbeat) {
      const heartbeat = options.heartbeat === true ? {} : options.heartbeat;
      if (typeof heartbeat !== 'object') throw new InvalidOptionError('heartbeat', heartbeat, 'true, false or an object');
      const message = heartbeat.probe;
      this.heartbeat = new HeartbeatSweep(heartbeat, this.clock, () => (this.current ? [this.current] : []), (connection) => {
        connection[probe]();
        if (message !== undefined) this.current?.send(message as Out);
      });
    }
    this.template = {
      codec: framing.codec,
      encoder: framing.encoder,
      framer: framing.framer,
      limits,
      clock: this.clock,
      closeTimeout,
      owner: this,
      endpoint: this.transport.describe(),
    };
  }

  get state(): ClientState {
    return this.stateNow;
  }

  /** The open connection, if any. */
  get connection(): Connection<In, Out, Context> | undefined {
    return this.current;
  }

  /** Messages waiting in the offline queue. */
  get queuedWhileOffline(): number {
    return this.offline.size;
  }

  /**
   * Connects (retrying with backoff if reconnect is on) and resolves with the open connection.
   * Rejects with a {@link ConnectError} when it gives up, or when the client is closed first.
   */
  connect(): Promise<Connection<In, Out, Context>> {
    if (this.stateNow === 'closed') return Promise.reject(new ClientClosedError('client is closed'));
    if (this.current && this.stateNow === 'open') return Promise.resolve(this.current);
    const promise = new Promise<Connection<In, Out, Context>>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stateNow === 'idle') void this.attempt();
    return promise;
  }

  /** Sends now if open; otherwise queues (bounded) until the next connection opens. */
  send(message: Out): boolean | null {
    return this.current && this.stateNow === 'open' ? this.current.send(message) : this.queueOffline(message, false);
  }

  sendRaw(data: Buffer | Uint8Array | string): boolean | null {
    return this.current && this.stateNow === 'open' ? this.current.sendRaw(data) : this.queueOffline(data, true);
  }

  /** Stops reconnecting and closes the connection gracefully (final message and queue flushed). */
  close(finalMessage?: Out): Promise<void> {
    if (this.stateNow === 'closed' && !this.current) return Promise.resolve();
    this.stateNow = 'closed';
    this.heartbeat?.stop();
    if (this.retryTimer) this.clock.clear(this.retryTimer);
    this.retryTimer = undefined;
    this.rejectWaiters(new ClientClosedError('client closed before it connected'));
    const lost = this.offline.drain();
    const lostCount = lost.fresh.length + lost.expired;
    if (lostCount > 0) {
      this.emit('sendFail', { connection: undefined, code: 'remoteClosed', lostMessages: lostCount, lostBytes: 0 });
    }
    const connection = this.current;
    if (!connection) return Promise.resolve();
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      connection.close(finalMessage);
    });
  }

  // ---- ConnectionOwner --------------------------------------------------------------------

  /** @internal */
  [ownerRelay]<K extends keyof ConnectionEvents>(name: K, event: ConnectionEvents[K]): void {
    this.emit(name, event as unknown as ClientEvents<In, Out, Context>[K]);
  }

  /** @internal */
  [ownerClosed](connection: AnyConnection): void {
    if (connection !== this.current) return;
    this.current = undefined;
    this.heartbeat?.stop();
    const waiters = this.closeWaiters;
    this.closeWaiters = [];
    for (const waiter of waiters) waiter();
    if (this.stateNow === 'closed') return;
    if (this.backoff) this.scheduleRetry();
    else this.stateNow = 'idle';
  }

  [Symbol.for('nodejs.rejection')](error: unknown, _name: string, event?: { connection?: AnyConnection }): void {
    event?.connection?.[handlerFailed](error);
  }

  // ---- internals --------------------------------------------------------------------------

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    if (this.stateNow === 'closed') return;
    this.stateNow = 'connecting';
    let connection: Connection<In, Out, Context>;
    try {
      const link = await this.transport.open(this.clock, this.connectTimeout);
      connection = new Connection<In, Out, Context>(nextConnectionId(getProcessNodeId()), link, this.template);
    } catch (error) {
      this.failed(error);
      return;
    }
    if ((this.stateNow as ClientState) === 'closed') {
      connection.destroy();
      return;
    }
    this.failures = 0;
    this.current = connection;
    this.stateNow = 'open';
    // `establish` listeners run first: a protocol that says hello on every (re)connect gets its
    // hello on the wire ahead of whatever was queued while offline.
    connection[establish]();
    this.heartbeat?.start();
    const { fresh, expired } = this.offline.drain();
    if (expired > 0) this.emit('sendFail', { connection: undefined, code: 'offlineExpired', lostMessages: expired, lostBytes: 0 });
    for (const item of fresh) {
      if (item.raw) connection.sendRaw(item.message as Buffer);
      else connection.send(item.message as Out);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve(connection);
  }

  private failed(thrown: unknown): void {
    const error =
      thrown instanceof ConnectError
        ? thrown
        : new ConnectError(ErrorCode.ConnectFailed, `cannot connect to ${this.transport.describe()}: ${String(thrown)}`, undefined, { cause: thrown });
    this.failures++;
    if (error.code === ErrorCode.OpenFailed) this.emit('openFail', { client: this, error });
    else this.emit('connectFail', { client: this, error, osCode: error.osCode, attempt: this.failures });
    if (this.stateNow === 'closed') return;
    // A malformed address never becomes valid; an unknown host may (DNS), so that one is retried.
    const hopeless = error.code === ErrorCode.OpenFailed && error.osCode !== 'ENOTFOUND' && error.osCode !== 'EAI_AGAIN';
    if (this.backoff && !hopeless && this.backoff.canRetry(this.failures)) {
      this.scheduleRetry();
      return;
    }
    this.stateNow = 'idle';
    this.rejectWaiters(error);
  }

  private scheduleRetry(): void {
    const attempt = this.failures + 1;
    const delay = this.backoff!.delay(attempt);
    this.stateNow = 'waiting';
    this.emit('reconnect', { client: this, attempt, delay });
    this.retryTimer = this.clock.setTimeout(() => void this.attempt(), delay);
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private queueOffline(message: unknown, raw: boolean): null | false {
    if (this.stateNow !== 'closed') {
      const outcome = this.offline.push(message, raw);
      if (outcome === 'droppedOldest') {
        this.emit('sendFail', {
          connection: undefined,
          code: 'offlineQueueFull',
          lostMessages: 1,
          lostBytes: 0,
          error: new OfflineQueueFullError(this.offline.maxMessages),
        });
      }
      if (outcome !== 'refused') return null;
    }
    this.emit('sendFail', {
      connection: undefined,
      code: this.stateNow === 'closed' ? 'remoteClosed' : 'offlineQueueFull',
      lostMessages: 1,
      lostBytes: 0,
      error: new OfflineQueueFullError(this.offline.maxMessages),
    });
    return false;
  }
}
