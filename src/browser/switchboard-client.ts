// Switchboard's browser client: one dependency-free ES module over the browser's own WebSocket.
// Load it with <script type="module"> (import { SwitchboardClient } from '/switchboard-client.js').
// It imports nothing, so that it can be served as is; the server needs nothing but standard
// WebSocket from it.

/** The part of the browser's WebSocket this module uses. */
interface BrowserWebSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | ArrayBuffer | ArrayBufferView | Blob): void;
  close(code?: number, reason?: string): void;
}
type BrowserWebSocketConstructor = new (url: string, protocols?: string | string[]) => BrowserWebSocket;
type Blob = { readonly size: number; readonly type: string };

const OPEN = 1;

/**
 * The close code the client sends after `decodeFail`. The protocol's own code for it is 1007, but
 * a browser's `WebSocket.close()` accepts only 1000 and 3000-4999 (it throws on 1007), so 1007's
 * meaning is sent in the private range.
 */
export const INVALID_MESSAGE_CLOSE_CODE = 4007;

/**
 * Turns messages into WebSocket data and back. `In` is what `decode` yields (the type of
 * `message` events), `Out` what `encode` takes (the type `send` takes).
 */
export interface BrowserMessageCodec<In = unknown, Out = In> {
  /** A string goes out as a text frame; bytes (ArrayBuffer, a typed array, a Blob) as a binary frame. */
  encode(message: Out): string | ArrayBuffer | ArrayBufferView | Blob;
  /** Text arrives as a string, binary as an ArrayBuffer (or a Blob with binaryType 'blob'). */
  decode(data: unknown): In;
}

/** Messages keep their kind: strings are text, ArrayBuffers and typed arrays are binary. */
export const textBinaryCodec: BrowserMessageCodec = {
  encode: (message) => {
    if (typeof message === 'string' || message instanceof ArrayBuffer || ArrayBuffer.isView(message)) return message;
    if (typeof message === 'object' && message !== null && 'size' in message && 'type' in message) return message as Blob;
    throw new TypeError(`the text-binary codec sends strings and bytes, not ${message === null ? 'null' : typeof message}`);
  },
  decode: (data) => data,
};

/** JSON values as text frames (what JsonMessageCodec does on the server). */
export const jsonCodec: BrowserMessageCodec = {
  encode: (message) => {
    const text = JSON.stringify(message);
    if (text === undefined) throw new TypeError(`a ${typeof message} cannot be written as JSON`);
    return text;
  },
  decode: (data) => JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer)) as unknown,
};

export interface ReconnectOptions {
  /** Delay before the first retry. @default 100 ms */
  initialDelay?: number;
  /** The delay never grows past this. @default 30 s */
  maxDelay?: number;
  /** Each retry waits this many times longer. @default 2 */
  factor?: number;
  /** Fraction of each delay taken off at random, so that clients dropped together come back apart. @default 0.5 */
  jitter?: number;
  /** Give up after this many failed attempts in a row. @default Infinity */
  maxAttempts?: number;
}

export interface SwitchboardClientOptions<In = unknown, Out = In> {
  /** Subprotocols to offer. @default none */
  protocols?: string | string[];
  /** Reconnect with exponential backoff and jitter after a drop or a failed attempt. @default true */
  reconnect?: boolean | ReconnectOptions;
  /** 'text' (strings and bytes as they are), 'json', or a codec of your own. @default 'text' */
  codec?: 'text' | 'json' | BrowserMessageCodec<In, Out>;
  /** Messages held while disconnected, sent in order once connected. @default 1000 */
  maxOfflineMessages?: number;
  /** An attempt not open within this time is abandoned (and retried). @default 10 s */
  connectTimeout?: number;
  /** How binary messages arrive. @default 'arraybuffer' */
  binaryType?: 'arraybuffer' | 'blob';
  /** The WebSocket class (for other runtimes and tests). @default globalThis.WebSocket */
  WebSocket?: BrowserWebSocketConstructor;
  /** Random source of the jitter. @default Math.random */
  random?: () => number;
}

export const BROWSER_CLIENT_DEFAULTS = {
  initialDelay: 100,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
  maxOfflineMessages: 1000,
  connectTimeout: 10_000,
  binaryType: 'arraybuffer',
} as const;

/** Why a connection closed, as the server's `close` event says it. */
export type CloseReason = 'peer' | 'local' | 'error';

/** The client's events; `In` is the type of decoded messages (the codec's). */
export interface SwitchboardClientEvents<In = unknown, Out = In> {
  establish: { client: SwitchboardClient<In, Out>; protocol: string };
  message: { client: SwitchboardClient<In, Out>; message: In };
  close: { client: SwitchboardClient<In, Out>; reason: CloseReason; code: number; closeReason: string; wasClean: boolean };
  /** An attempt failed before the connection opened (refused, unreachable, timed out). */
  connectFail: { client: SwitchboardClient<In, Out>; attempt: number; code: number };
  reconnect: { client: SwitchboardClient<In, Out>; attempt: number; delay: number };
  /** A message that will not be sent: offline queue full, client closed, or not encodable. */
  sendFail: { client: SwitchboardClient<In, Out>; code: 'offlineQueueFull' | 'remoteClosed' | 'encodeFailed'; lostMessages: number; error?: Error };
  /** A received message the codec could not decode; the connection is then closed with {@link INVALID_MESSAGE_CLOSE_CODE}. */
  decodeFail: { client: SwitchboardClient<In, Out>; error: Error };
}

type EventName = keyof SwitchboardClientEvents;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener<K extends EventName, In = any, Out = any> = (event: SwitchboardClientEvents<In, Out>[K]) => void;
type State = 'idle' | 'connecting' | 'open' | 'waiting' | 'closed';

/**
 * A WebSocket client for browsers with Switchboard's client behaviour: reconnect with backoff and
 * jitter, a bounded offline queue, and the same event names as the Node client.
 *
 * ```js
 * const client = new SwitchboardClient('wss://example.com/chat', { codec: 'json' });
 * client.on('message', ({ message }) => render(message));
 * await client.connect();
 * client.send({ type: 'hello' });
 * ```
 */
export class SwitchboardClient<In = unknown, Out = In> {
  readonly url: string;
  private readonly options: SwitchboardClientOptions<In, Out>;
  private readonly codec: BrowserMessageCodec<In, Out>;
  private readonly reconnect: Required<ReconnectOptions> | undefined;
  private readonly WebSocketClass: BrowserWebSocketConstructor;
  private readonly listeners = new Map<EventName, Set<Listener<EventName>>>();
  private socket: BrowserWebSocket | undefined;
  private stateNow: State = 'idle';
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private offline: Out[] = [];
  private waiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private closingLocally = false;

  constructor(url: string, options: SwitchboardClientOptions<In, Out> = {}) {
    this.url = url;
    this.options = options;
    this.codec =
      options.codec === 'json' || options.codec === 'text' || options.codec === undefined
        ? ((options.codec === 'json' ? jsonCodec : textBinaryCodec) as BrowserMessageCodec<In, Out>)
        : options.codec;
    const reconnect = options.reconnect ?? true;
    this.reconnect = reconnect === false ? undefined : { ...BROWSER_CLIENT_DEFAULTS, ...(reconnect === true ? {} : reconnect) };
    const WebSocketClass = options.WebSocket ?? (globalThis as unknown as { WebSocket?: BrowserWebSocketConstructor }).WebSocket;
    if (!WebSocketClass) throw new TypeError('no WebSocket class: pass options.WebSocket');
    this.WebSocketClass = WebSocketClass;
  }

  get state(): State {
    return this.stateNow;
  }

  /** The subprotocol the server chose ('' for none, or when not connected). */
  get protocol(): string {
    return this.socket?.protocol ?? '';
  }

  /** Messages waiting in the offline queue. */
  get queuedWhileOffline(): number {
    return this.offline.length;
  }

  on<K extends EventName>(name: K, listener: Listener<K, In, Out>): this {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener as Listener<EventName>);
    return this;
  }

  off<K extends EventName>(name: K, listener: Listener<K, In, Out>): this {
    this.listeners.get(name)?.delete(listener as Listener<EventName>);
    return this;
  }

  once<K extends EventName>(name: K, listener: Listener<K, In, Out>): this {
    const wrapped: Listener<K, In, Out> = (event) => {
      this.off(name, wrapped);
      listener(event);
    };
    return this.on(name, wrapped);
  }

  /** Connects (retrying if reconnect is on); resolves once open. Rejects when it gives up or is closed. */
  connect(): Promise<void> {
    if (this.stateNow === 'closed') return Promise.reject(new Error('client is closed'));
    if (this.stateNow === 'open') return Promise.resolve();
    const promise = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stateNow === 'idle') this.attempt();
    return promise;
  }

  /**
   * Sends now when open (`true`, or `null` when the browser still holds earlier output), queues
   * while disconnected (`null`), refuses (`false`, with `sendFail`) when the queue is full, the
   * client closed, or the codec cannot encode the message.
   */
  send(message: Out): boolean | null {
    if (this.stateNow === 'closed') return this.fail('remoteClosed', 1);
    const socket = this.socket;
    if (!socket || this.stateNow !== 'open' || socket.readyState !== OPEN) {
      const max = this.options.maxOfflineMessages ?? BROWSER_CLIENT_DEFAULTS.maxOfflineMessages;
      if (this.offline.length >= max) return this.fail('offlineQueueFull', 1);
      this.offline.push(message);
      return null;
    }
    let data: ReturnType<BrowserMessageCodec['encode']>;
    try {
      data = this.codec.encode(message);
    } catch (error) {
      return this.fail('encodeFailed', 1, error as Error);
    }
    const behind = socket.bufferedAmount > 0;
    socket.send(data);
    return behind ? null : true;
  }

  /** Stops reconnecting and closes the connection with `code` (1000, or 3000-4999). */
  close(code = 1000, reason = ''): void {
    if (this.stateNow === 'closed') return;
    this.stateNow = 'closed';
    this.clearTimers();
    this.rejectWaiters(new Error('client closed'));
    if (this.offline.length > 0) {
      const lost = this.offline.length;
      this.offline = [];
      this.fail('remoteClosed', lost);
    }
    const socket = this.socket;
    if (socket) {
      this.closingLocally = true;
      socket.close(code, reason);
    }
  }

  // ---- internals --------------------------------------------------------------------------

  private attempt(): void {
    this.retryTimer = undefined;
    if (this.stateNow === 'closed') return;
    this.stateNow = 'connecting';
    let socket: BrowserWebSocket;
    try {
      socket = new this.WebSocketClass(this.url, this.options.protocols);
    } catch (error) {
      // A malformed URL never becomes valid: give up at once.
      this.stateNow = 'idle';
      this.rejectWaiters(error as Error);
      return;
    }
    socket.binaryType = this.options.binaryType ?? BROWSER_CLIENT_DEFAULTS.binaryType;
    this.socket = socket;
    this.closingLocally = false;
    let opened = false;
    this.connectTimer = setTimeout(() => socket.close(), this.options.connectTimeout ?? BROWSER_CLIENT_DEFAULTS.connectTimeout);
    socket.onopen = () => {
      opened = true;
      clearTimeout(this.connectTimer);
      if (this.stateNow === 'closed') {
        socket.close(1000);
        return;
      }
      this.failures = 0;
      this.stateNow = 'open';
      const queued = this.offline;
      this.offline = [];
      for (const message of queued) this.send(message);
      this.emit('establish', { client: this, protocol: socket.protocol });
      const waiters = this.waiters;
      this.waiters = [];
      for (const waiter of waiters) waiter.resolve();
    };
    socket.onmessage = (event) => {
      let message: In;
      try {
        message = this.codec.decode(event.data);
      } catch (error) {
        this.emit('decodeFail', { client: this, error: error as Error });
        socket.close(INVALID_MESSAGE_CLOSE_CODE, 'invalid message');
        return;
      }
      this.emit('message', { client: this, message });
    };
    socket.onerror = () => undefined; // the close event that follows says what happened
    socket.onclose = (event) => {
      clearTimeout(this.connectTimer);
      if (this.socket === socket) this.socket = undefined;
      if (opened) {
        const reason: CloseReason = this.closingLocally ? 'local' : event.code === 1006 ? 'error' : 'peer';
        this.emit('close', { client: this, reason, code: event.code, closeReason: event.reason, wasClean: event.wasClean });
        if (this.stateNow === 'closed') return;
        if (this.reconnect) this.scheduleRetry();
        else this.stateNow = 'idle';
        return;
      }
      this.failures++;
      this.emit('connectFail', { client: this, attempt: this.failures, code: event.code });
      if (this.stateNow === 'closed') return;
      if (this.reconnect && this.failures < this.reconnect.maxAttempts) {
        this.scheduleRetry();
        return;
      }
      this.stateNow = 'idle';
      this.rejectWaiters(new Error(`cannot connect to ${this.url} (close code ${event.code})`));
    };
  }

  private scheduleRetry(): void {
    const o = this.reconnect!;
    const attempt = this.failures + 1;
    const base = Math.min(o.maxDelay, o.initialDelay * o.factor ** Math.max(0, attempt - 1));
    const delay = Math.round(base * (1 - o.jitter * (this.options.random ?? Math.random)()));
    this.stateNow = 'waiting';
    this.emit('reconnect', { client: this, attempt, delay });
    this.retryTimer = setTimeout(() => this.attempt(), delay);
  }

  private clearTimers(): void {
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    if (this.connectTimer !== undefined) clearTimeout(this.connectTimer);
    this.retryTimer = this.connectTimer = undefined;
  }

  private rejectWaiters(error: Error): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  private fail(code: SwitchboardClientEvents['sendFail']['code'], lostMessages: number, error?: Error): false {
    this.emit('sendFail', { client: this, code, lostMessages, ...(error ? { error } : {}) });
    return false;
  }

  private emit<K extends EventName>(name: K, event: SwitchboardClientEvents<In, Out>[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<K>)(event);
      } catch (error) {
        // One listener's bug must not stop the others or the client: report it as uncaught.
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
