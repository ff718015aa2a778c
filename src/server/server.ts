import type { Codec } from '../codec/codec.js';
import { LengthFieldCodec } from '../codec/length-field-codec.js';
import { Connection, DEFAULT_CLOSE_TIMEOUT, type AnyConnection, type ConnectionOwner, type ConnectionTemplate } from '../connection/connection.js';
import type { ConnectionEvents, DefaultContext } from '../connection/events.js';
import { closeGracefully, destroyWith, handlerFailed, ownerClosed, ownerRelay } from '../connection/internal.js';
import { resolveLimits, type ConnectionLimits } from '../connection/limits.js';
import { AlreadyStartedError, InvalidArgumentError, InvalidOptionError } from '../errors.js';
import { createListener, type EndpointOptions } from '../transport/create-listener.js';
import { describeAddress, type ListeningAddress } from '../transport/endpoint.js';
import type { Link } from '../transport/link.js';
import type { Listener, ListenerHooks } from '../transport/listener.js';
import { UdpListener } from '../transport/udp/udp-listener.js';
import { systemClock, type Clock } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { getProcessNodeId, nextConnectionId, validNodeId } from '../util/node-id.js';
import { integerOption } from '../util/validate.js';
import type { ServerEvents } from './events.js';
import { HeartbeatSweep, type HeartbeatOptions } from './heartbeat.js';

/**
 * `In` and `Out` are the message types of the server's `codec` (inferred from it); endpoints with
 * codecs of their own are not inferred from: give the server's type parameters by hand then
 * (`new Server<Packet | Command>(...)`), or tell connections apart by `connection.endpoint`.
 */
export interface ServerOptions<In = unknown, Out = In> {
  /** Where to listen; connections from every endpoint are alike. At least one. */
  endpoints: EndpointOptions[];
  /** The codec of every endpoint that names none. @default new LengthFieldCodec() (4-byte big-endian length) */
  codec?: Codec<In, Out>;
  /** Buffer limits of every connection (endpoints and connections may override). @default DEFAULT_LIMITS */
  limits?: ConnectionLimits;
  /** Close silent connections. `true` uses the defaults. @default false (off) */
  heartbeat?: HeartbeatOptions | boolean;
  /** Connections beyond this are refused at accept. @default Infinity */
  maxConnections?: number;
  /** Connections from one remote address beyond this are refused at accept. @default Infinity */
  maxConnectionsPerAddress?: number;
  /** How long a graceful close waits for a peer to take queued bytes. @default 10 s */
  closeTimeout?: number;
  /** How long `stop()` waits for connections to flush before destroying them. @default 10 s */
  stopTimeout?: number;
  /**
   * This node's id: the first half of every connection id (`<nodeId>.<n>`), unique across the
   * processes and machines of a cluster. 1 to 64 of `A-Z a-z 0-9 _ -`.
   * @default the process's node id: random, fixed for the life of the process (workers get theirs from the supervisor)
   */
  nodeId?: string;
  /** Time source for heartbeats and timeouts. @default systemClock */
  clock?: Clock;
}

export const SERVER_DEFAULTS = {
  maxConnections: Infinity,
  maxConnectionsPerAddress: Infinity,
  closeTimeout: DEFAULT_CLOSE_TIMEOUT,
  stopTimeout: 10_000,
} as const;

export interface StopOptions<In = unknown, Out = In, Context extends object = DefaultContext> {
  /** A last message sent to every connection before it closes (a goodbye). */
  finalMessage?: Out;
  /**
   * A goodbye per connection, where endpoints speak different codecs (a binary one to devices,
   * JSON to dashboards): asked once per connection (switch on `connection.endpoint`), `undefined`
   * sends none. Wins over `finalMessage`. One that throws costs that connection its goodbye only.
   */
  finalMessageFor?: (connection: Connection<In, Out, Context>) => Out | undefined;
  /** Overrides the server's stopTimeout for this call. */
  timeout?: number;
  /**
   * The server stops to come back (a reload, a rolling restart): connections close with reason
   * `restart`, which WebSocket peers see as close code 1012 (Service Restart) in place of 1001
   * (Going Away), the code that tells a client to reconnect rather than give up.
   * @default false
   */
  restart?: boolean;
}

type ServerState = 'idle' | 'starting' | 'running' | 'stopping';

/**
 * A server listening on one or more endpoints (TCP, TLS, Unix, WebSocket, UDP) whose connections
 * are all alike: same events, limits, counters and heartbeat.
 */
export class Server<In = unknown, Out = In, Context extends object = DefaultContext>
  extends TypedEmitter<ServerEvents<In, Out, Context>>
  implements ConnectionOwner
{
  readonly codec: Codec<In, Out>;
  /** This node's id (see {@link ServerOptions.nodeId}); every connection id starts with it. */
  readonly nodeId: string;
  private readonly options: ServerOptions<In, Out>;
  private readonly clock: Clock;
  private readonly maxConnections: number;
  private readonly maxPerAddress: number;
  private readonly closeTimeout: number;
  private readonly stopTimeout: number;
  private readonly live = new Map<string, Connection<In, Out, Context>>();
  private readonly perAddress = new Map<string, number>();
  /** One per endpoint, made (and validated) by the constructor. */
  private readonly endpointListeners: Listener[];
  /** What each endpoint's connections share, by listener. */
  private readonly templates = new Map<Listener, ConnectionTemplate>();
  private heartbeat: HeartbeatSweep | undefined;
  private heartbeatOptions: HeartbeatOptions;
  private stateNow: ServerState = 'idle';
  private closedWaiters: Array<() => void> = [];

  constructor(options: ServerOptions<In, Out>) {
    super({ captureRejections: true });
    this.nodeId = options.nodeId === undefined ? getProcessNodeId() : validNodeId('nodeId', options.nodeId);
    if (!Array.isArray(options.endpoints) || options.endpoints.length === 0) {
      throw new InvalidOptionError('endpoints', options.endpoints, 'a non-empty array of endpoints');
    }
    this.options = options;
    this.codec = options.codec ?? (new LengthFieldCodec() as Codec<unknown> as Codec<In, Out>);
    this.clock = options.clock ?? systemClock;
    resolveLimits(options.limits);
    this.maxConnections = countOption('maxConnections', options.maxConnections ?? SERVER_DEFAULTS.maxConnections);
    this.maxPerAddress = countOption('maxConnectionsPerAddress', options.maxConnectionsPerAddress ?? SERVER_DEFAULTS.maxConnectionsPerAddress);
    this.closeTimeout = integerOption('closeTimeout', options.closeTimeout ?? SERVER_DEFAULTS.closeTimeout, 0);
    this.stopTimeout = integerOption('stopTimeout', options.stopTimeout ?? SERVER_DEFAULTS.stopTimeout, 0);
    this.heartbeatOptions = typeof options.heartbeat === 'object' ? options.heartbeat : {};
    if (options.heartbeat) this.heartbeat = this.makeSweep(this.heartbeatOptions);
    // Every endpoint is checked now, naming the option and its value, not when start() listens.
    this.endpointListeners = options.endpoints.map((endpoint, index) => {
      const listener = createListener(endpoint, this.codec);
      const framing = listener.framing;
      this.templates.set(listener, {
        codec: framing.codec,
        encoder: framing.encoder,
        framer: framing.framer,
        limits: resolveLimits(options.limits, endpoint.limits),
        clock: this.clock,
        closeTimeout: this.closeTimeout,
        owner: this,
        endpoint: endpoint.name ?? `${endpoint.transport}#${index}`,
      });
      return listener;
    });
    const names = new Set<string>();
    for (const endpoint of options.endpoints) {
      if (endpoint.name === undefined) continue;
      if (names.has(endpoint.name)) throw new InvalidOptionError('endpoints[].name', endpoint.name, 'a name no other endpoint has');
      names.add(endpoint.name);
    }
  }

  get state(): ServerState {
    return this.stateNow;
  }

  /** Every connection accepted and not yet closed (handshakes included). */
  connections(): IterableIterator<Connection<In, Out, Context>> {
    return this.live.values();
  }

  connection(id: string): Connection<In, Out, Context> | undefined {
    return this.live.get(id);
  }

  get connectionCount(): number {
    return this.live.size;
  }

  /** Where each endpoint listens (ports resolved), in the order of `endpoints`. */
  addresses(): ListeningAddress[] {
    return this.endpointListeners.map((listener) => listener.address()).filter((a): a is ListeningAddress => a !== undefined);
  }

  /**
   * The port an endpoint listens on (its resolved port where it asked for 0): the first endpoint's,
   * or the one at this index of `endpoints`, or the one of this name. Throws
   * `ERR_INVALID_ARGUMENT` when that endpoint is not listening or has no port (a Unix socket).
   */
  port(endpoint: number | string = 0): number {
    const index = typeof endpoint === 'number' ? endpoint : this.options.endpoints.findIndex((e) => e.name === endpoint);
    const address = this.endpointListeners[index]?.address();
    if (address === undefined || address.transport === 'unix') {
      throw new InvalidArgumentError('endpoint', endpoint, 'an endpoint of this server that listens on a port (start() it first)');
    }
    return address.port;
  }

  /** Listens on every endpoint; rejects (closing the ones that did listen) if any cannot. */
  async start(): Promise<void> {
    if (this.stateNow !== 'idle') throw new AlreadyStartedError(`server is ${this.stateNow}`);
    this.stateNow = 'starting';
    try {
      const results = await Promise.allSettled(
        this.endpointListeners.map(async (listener, index) => {
          await listener.listen(this.listenerHooks(listener));
          // An unnamed endpoint is known by where it listens, once that is known (port 0 resolved),
          // before any connection can be accepted on it (that takes another turn of the loop).
          const address = listener.address();
          if (this.options.endpoints[index]!.name === undefined && address !== undefined) {
            this.templates.get(listener)!.endpoint = describeAddress(address);
          }
        }),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    } catch (error) {
      await Promise.allSettled(this.endpointListeners.map((listener) => listener.close()));
      this.stateNow = 'idle';
      throw error;
    }
    this.stateNow = 'running';
    this.heartbeat?.start();
    this.emit('start', { server: this, addresses: this.addresses() });
  }

  /**
   * Stops accepting, sends each connection the final message (if any), flushes what each has
   * queued and closes it. Connections still open at the deadline are destroyed (what they lose is
   * reported through `sendFail`). Resolves once every connection is closed.
   */
  async stop(options: StopOptions<In, Out, Context> = {}): Promise<void> {
    if (this.stateNow !== 'running') return;
    this.stateNow = 'stopping';
    this.heartbeat?.stop();
    await Promise.allSettled(this.endpointListeners.map((listener) => listener.close()));
    const reason = options.restart === true ? 'restart' : 'stop';
    const goodbyeFor = options.finalMessageFor;
    if (goodbyeFor !== undefined && typeof goodbyeFor !== 'function') throw new InvalidArgumentError('finalMessageFor', goodbyeFor, 'a function');
    for (const connection of [...this.live.values()]) {
      let message: Out | undefined = options.finalMessage;
      try {
        if (goodbyeFor !== undefined) message = goodbyeFor(connection);
      } catch (error) {
        // A goodbye that throws costs that connection its goodbye only; the stop goes on.
        connection[handlerFailed](error);
      }
      connection[closeGracefully](reason, message);
    }
    const deadline = options.timeout ?? this.stopTimeout;
    if (this.live.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.clock.setTimeout(() => {
          for (const connection of [...this.live.values()]) connection[destroyWith](reason);
        }, deadline);
        this.closedWaiters.push(() => {
          this.clock.clear(timer);
          resolve();
        });
      });
    }
    this.stateNow = 'idle';
    this.emit('stop', { server: this });
  }

  /** Turns the heartbeat on (with these options, or the last ones) or off, at run time. */
  setHeartbeat(options: HeartbeatOptions | boolean): void {
    this.heartbeat?.stop();
    this.heartbeat = undefined;
    if (options === false) return;
    if (typeof options === 'object') this.heartbeatOptions = options;
    this.heartbeat = this.makeSweep(this.heartbeatOptions);
    if (this.stateNow === 'running') this.heartbeat.start();
  }

  get heartbeatEnabled(): boolean {
    return this.heartbeat !== undefined;
  }

  /**
   * Sends one datagram from the first UDP endpoint (Swoole's `sendto`): the answer to a `packet`
   * event, or a message to any UDP peer. The bytes go as they are (no codec). To a peer that has a
   * session, it goes through the session (with `connectSessions`, its own socket, so an ICMP port
   * unreachable comes back as `sendFail` `unreachable` on that session). False when the server has
   * no listening UDP endpoint; a bad address or port throws `ERR_INVALID_ARGUMENT`.
   */
  sendTo(address: string, port: number, data: Buffer | Uint8Array | string): boolean {
    const udp = this.endpointListeners.find((listener): listener is UdpListener => listener instanceof UdpListener);
    return udp === undefined ? false : udp.sendTo(address, port, data);
  }

  /** Runs one heartbeat sweep now (what the timer does every interval). */
  sweepHeartbeats(): void {
    this.heartbeat?.sweep();
  }

  // ---- ConnectionOwner --------------------------------------------------------------------

  /** @internal */
  [ownerRelay]<K extends keyof ConnectionEvents>(name: K, event: ConnectionEvents[K]): void {
    this.emit(name, event as unknown as ServerEvents<In, Out, Context>[K]);
  }

  /** @internal */
  [ownerClosed](connection: AnyConnection): void {
    if (!this.live.delete(connection.id)) return;
    const address = this.maxPerAddress === Infinity ? undefined : connection.remoteAddress;
    if (address !== undefined) {
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    }
    if (this.live.size === 0 && this.closedWaiters.length > 0) {
      const waiters = this.closedWaiters;
      this.closedWaiters = [];
      for (const waiter of waiters) waiter();
    }
  }

  /** EventEmitter's captureRejections hook: an async server listener rejected. */
  [Symbol.for('nodejs.rejection')](error: unknown, _name: string, event?: { connection?: AnyConnection }): void {
    event?.connection?.[handlerFailed](error);
  }

  // ---- internals --------------------------------------------------------------------------

  private listenerHooks(listener: Listener): ListenerHooks {
    const template = this.templates.get(listener)!;
    return {
      clock: this.clock,
      admit: (socket) => this.admit(socket),
      accepted: (link: Link) => {
        const connection = new Connection<In, Out, Context>(nextConnectionId(this.nodeId), link, template);
        this.live.set(connection.id, connection);
        this.emit('accept', { connection });
        return connection;
      },
      packet: (data, address, port) => {
        try {
          this.emit('packet', { server: this, data, address, port });
        } catch {
          // A listener that throws loses that datagram only: there is no connection to fail, and
          // the socket's next datagram must still be read.
        }
      },
    };
  }

  private admit(socket: { readonly remoteAddress?: string | undefined }): boolean {
    if (this.stateNow !== 'running' && this.stateNow !== 'starting') return false;
    if (this.live.size >= this.maxConnections) {
      this.emit('reject', { remoteAddress: socket.remoteAddress, reason: 'maxConnections' });
      return false;
    }
    if (this.maxPerAddress === Infinity) return true;
    // Read here, so that Node caches it: connectionClosed needs it after the socket is gone.
    const remoteAddress = socket.remoteAddress;
    if (remoteAddress !== undefined) {
      const count = this.perAddress.get(remoteAddress) ?? 0;
      if (count >= this.maxPerAddress) {
        this.emit('reject', { remoteAddress, reason: 'maxConnectionsPerAddress' });
        return false;
      }
      this.perAddress.set(remoteAddress, count + 1);
    }
    return true;
  }

  private makeSweep(options: HeartbeatOptions): HeartbeatSweep {
    return new HeartbeatSweep(options, this.clock, () => this.live.values());
  }
}

function countOption(name: string, value: number): number {
  if (value === Infinity) return value;
  return integerOption(name, value, 1);
}
