import { createServer as createHttpServer, STATUS_CODES, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket, type SecureContext } from 'node:tls';
import { DEFAULT_MESSAGE_CODEC, type MessageCodec } from '../../codec/message-codec.js';
import type { AnyConnection } from '../../connection/connection.js';
import { HandlerFailedError, HandshakeRefusedError, HandshakeTimeoutError, InvalidOptionError, asError } from '../../errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { booleanOption, integerOption } from '../../util/validate.js';
import { describeAddress, type ListeningAddress } from '../endpoint.js';
import type { Framing } from '../framing.js';
import { listenOn } from '../listen-error.js';
import { ownPortOptions } from '../reuse-port.js';
import type { Listener, ListenerHooks } from '../listener.js';
import { acceptTls, secureContextFor } from '../tls-material.js';
import { checkUpgrade, httpRefusal, isRefusal, queryOf, switchingProtocols, type UpgradeRequest } from './handshake.js';
import { endWith, ignore, UpgradeDispatcher, type UpgradeRoute } from './upgrade-dispatcher.js';
import { WebSocketLink, websocketFraming } from './websocket-link.js';
import { WEBSOCKET_DEFAULTS, type HandshakeDecision, type PerMessageDeflateSettings, type WebSocketEndpoint, type WebSocketPortEndpoint } from './websocket-endpoint.js';
import { extension, loadWsLibrary, PER_MESSAGE_DEFLATE, perMessageDeflate, type PerMessageDeflateInstance } from './ws-library.js';

/** A socket whose handshake has not finished: its deadline, and its connection once upgraded. */
interface Pending {
  timer: TimerHandle;
  link?: WebSocketLink;
}

/**
 * A WebSocket endpoint: an HTTP(S) server of its own, or a path on the application's server.
 * Upgrade requests are checked, admitted against the server's connection limits, passed to the
 * handshake hook and answered; each connection runs over a {@link WebSocketLink}.
 */
export class WebSocketListener implements Listener, UpgradeRoute {
  readonly framing: Framing;
  private hooks: ListenerHooks | undefined;
  private http: HttpServer | undefined;
  /** Our own listening socket (not for attached endpoints). */
  private server: NetServer | undefined;
  private secureContext: SecureContext | undefined;
  private clock: Clock | undefined;
  private readonly owned: boolean;
  private readonly path: string;
  private readonly messageCodec: MessageCodec;
  private readonly handshakeTimeout: number;
  private readonly maxHeaders: number;
  private readonly deflate: PerMessageDeflateSettings | undefined;
  private readonly pending = new Map<Duplex, Pending>();
  /**
   * Forgets a socket that closes before its handshake is settled; one function for every socket
   * (`this` is the socket), removed once settled, so nothing stays per connection.
   */
  private readonly onPendingClose: (this: Duplex) => void;
  private attached = false;

  /** Validates the endpoint's options, naming the option and its value. */
  constructor(readonly endpoint: WebSocketEndpoint) {
    const e = endpoint;
    const listener = this;
    this.onPendingClose = function (this: Duplex): void {
      listener.settled(this);
    };
    this.owned = e.server === undefined;
    this.path = e.path ?? WEBSOCKET_DEFAULTS.path;
    if (typeof this.path !== 'string' || !this.path.startsWith('/') || /[?#\s]/.test(this.path)) {
      throw new InvalidOptionError('path', e.path, "a path starting with '/' without query or spaces");
    }
    this.messageCodec = e.messageCodec ?? DEFAULT_MESSAGE_CODEC;
    if (typeof this.messageCodec?.decode !== 'function' || typeof this.messageCodec.encode !== 'function') {
      throw new InvalidOptionError('messageCodec', e.messageCodec, 'a MessageCodec (decode and encode)');
    }
    if ((e as { codec?: unknown }).codec !== undefined) {
      throw new InvalidOptionError('codec', 'a codec', 'absent on a WebSocket endpoint (use messageCodec)');
    }
    this.framing = websocketFraming(this.messageCodec, 'server');
    this.handshakeTimeout = integerOption('handshakeTimeout', e.handshakeTimeout ?? WEBSOCKET_DEFAULTS.handshakeTimeout, 1);
    this.maxHeaders = integerOption('maxHeaders', e.maxHeaders ?? WEBSOCKET_DEFAULTS.maxHeaders, 1);
    if (e.allowedOrigins !== undefined && (!Array.isArray(e.allowedOrigins) || e.allowedOrigins.some((o) => typeof o !== 'string'))) {
      throw new InvalidOptionError('allowedOrigins', e.allowedOrigins, 'an array of origins such as "https://example.com"');
    }
    if (e.protocols !== undefined && (!Array.isArray(e.protocols) || e.protocols.some((p) => typeof p !== 'string' || p === ''))) {
      throw new InvalidOptionError('protocols', e.protocols, 'an array of subprotocol names');
    }
    if (e.handshake !== undefined && typeof e.handshake !== 'function') throw new InvalidOptionError('handshake', e.handshake, 'a function');
    const deflate = e.perMessageDeflate ?? WEBSOCKET_DEFAULTS.perMessageDeflate;
    if (typeof deflate === 'object' && deflate !== null) {
      if (deflate.clientNoContextTakeover !== undefined) booleanOption('perMessageDeflate.clientNoContextTakeover', deflate.clientNoContextTakeover);
      if (deflate.clientMaxWindowBits !== undefined) integerOption('perMessageDeflate.clientMaxWindowBits', deflate.clientMaxWindowBits, 8, 15);
      this.deflate = deflate;
    } else {
      this.deflate = booleanOption('perMessageDeflate', deflate) ? {} : undefined;
    }
    if (this.owned) {
      const own = e as Extract<WebSocketEndpoint, { port: number }>;
      integerOption('port', own.port, 0, 65535);
      integerOption('maxHeaderSize', own.maxHeaderSize ?? WEBSOCKET_DEFAULTS.maxHeaderSize, 1024);
      if (e.transport === 'wss' && !own.tls) throw new InvalidOptionError('tls', own.tls, "key material for a 'wss' endpoint");
    } else if (typeof e.server?.on !== 'function') {
      throw new InvalidOptionError('server', e.server, 'a node:http or node:https server');
    }
  }

  async listen(hooks: ListenerHooks): Promise<void> {
    loadWsLibrary();
    this.hooks = hooks;
    this.clock = hooks.clock;
    const endpoint = this.endpoint;
    if (endpoint.server !== undefined) {
      this.http = endpoint.server as HttpServer;
      UpgradeDispatcher.of(this.http).add(this.path, this);
      this.attached = true;
      return;
    }
    const where = this.describe(endpoint.host ?? '0.0.0.0', endpoint.port);
    if (endpoint.transport === 'wss') this.secureContext = secureContextFor(endpoint.tls!, where);
    // The HTTP server never listens: sockets come from our own net.Server, so that the handshake
    // deadline (and TLS, for wss) starts at the TCP accept, on the injectable clock.
    const http = createHttpServer({ maxHeaderSize: endpoint.maxHeaderSize ?? WEBSOCKET_DEFAULTS.maxHeaderSize });
    http.maxHeadersCount = this.maxHeaders + 1;
    http.on('request', (_request: IncomingMessage, response: ServerResponse) => {
      response.writeHead(426, { 'Content-Type': 'text/plain; charset=utf-8', Upgrade: 'websocket', Connection: 'close' });
      response.end('this endpoint speaks WebSocket only');
    });
    http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      if (!socket.writable) {
        socket.destroy();
        return;
      }
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      endWith(socket, httpRefusal(status, STATUS_CODES[status] ?? 'Bad Request'));
    });
    const server = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.incoming(socket));
    this.http = http;
    this.server = server;
    UpgradeDispatcher.of(http).add(this.path, this);
    this.attached = true;
    const options = { port: endpoint.port, backlog: endpoint.backlog ?? WEBSOCKET_DEFAULTS.backlog, ...(endpoint.host !== undefined ? { host: endpoint.host } : {}), ...ownPortOptions(endpoint.port) };
    await listenOn(server, options, where).catch((error: unknown) => {
      UpgradeDispatcher.of(http).remove(this.path, this);
      this.attached = false;
      throw error;
    });
  }

  close(): Promise<void> {
    const http = this.http;
    if (!http || !this.attached) return Promise.resolve();
    this.attached = false;
    UpgradeDispatcher.of(http).remove(this.path, this);
    for (const [socket, pending] of this.pending) {
      // Sockets still in the HTTP phase are this listener's; upgraded ones are the server's.
      if (!pending.link) {
        this.clock!.clear(pending.timer);
        socket.destroy();
      }
    }
    // Closing the listening handle is immediate; close()'s callback would wait for every
    // connection, and closing those is the server's job.
    if (this.server?.listening) this.server.close();
    return Promise.resolve();
  }

  address(): ListeningAddress | undefined {
    const info = this.owned ? this.server?.address() : this.http?.address();
    if (!info || typeof info === 'string') return undefined;
    const address = info as AddressInfo;
    return { transport: this.endpoint.transport, host: address.address, port: address.port, path: this.path };
  }

  private describe(host: string, port: number): string {
    return describeAddress({ transport: this.endpoint.transport, host, port, path: this.path });
  }

  // ---- handshakes ------------------------------------------------------------------------

  /**
   * A socket accepted by our own server: from now it has `handshakeTimeout` to finish TLS (wss),
   * send its request and be upgraded (slowloris, stalled ClientHello).
   */
  private incoming(raw: Socket): void {
    if (!this.secureContext) {
      this.track(raw);
      this.http!.emit('connection', raw);
      return;
    }
    const tls = this.endpoint.transport === 'wss' && this.owned ? (this.endpoint as WebSocketPortEndpoint).tls : undefined;
    const secure = acceptTls(raw, this.secureContext, tls);
    // Errors before HTTP takes the socket over (a reset, a bad ClientHello) end it quietly.
    const onEarlyError = (): void => {
      secure.destroy();
    };
    secure.on('error', onEarlyError);
    this.track(secure);
    secure.once('secure', () => {
      secure.off('error', onEarlyError);
      this.http?.emit('connection', secure);
    });
  }

  private track(socket: Duplex): Pending {
    const pending: Pending = { timer: this.clock!.setTimeout(() => this.timedOut(socket), this.handshakeTimeout) };
    pending.timer.unref?.();
    this.pending.set(socket, pending);
    socket.on('close', this.onPendingClose);
    return pending;
  }

  private timedOut(socket: Duplex): void {
    socket.off('close', this.onPendingClose);
    const pending = this.pending.get(socket);
    this.pending.delete(socket);
    const error = new HandshakeTimeoutError(this.handshakeTimeout, 'WebSocket');
    if (pending?.link) pending.link.fail(error);
    else socket.destroy();
  }

  private settled(socket: Duplex): void {
    const pending = this.pending.get(socket);
    if (!pending) return;
    this.clock!.clear(pending.timer);
    socket.off('close', this.onPendingClose);
    this.pending.delete(socket);
  }

  /** An upgrade request for this endpoint's path. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const checked = checkUpgrade(request, { allowedOrigins: this.endpoint.allowedOrigins, maxHeaders: this.maxHeaders });
    if (isRefusal(checked)) {
      endWith(socket, httpRefusal(checked.status, checked.reason, checked.headers));
      return;
    }
    const raw = socket as Socket;
    const hooks = this.hooks!;
    if (!hooks.admit(raw)) {
      endWith(socket, httpRefusal(503, 'too many connections'));
      return;
    }
    const pending = this.pending.get(socket) ?? this.track(socket);
    const link = new WebSocketLink(raw, socket instanceof TLSSocket ? 'wss' : 'ws', 'server', this.messageCodec, { request: checked.kept, head });
    pending.link = link;
    const connection = hooks.accepted(link);
    // The link has its own error listener now; the dispatcher's stand-in would only cost memory.
    socket.off('error', ignore);
    if (connection.state !== 'connecting') return; // closed by an `accept` listener
    const hook = this.endpoint.handshake;
    if (!hook) {
      this.decide(connection, link, socket, checked, undefined);
      return;
    }
    let decision: ReturnType<typeof hook>;
    try {
      const url = request.url ?? '/';
      const queryAt = url.indexOf('?');
      decision = hook({
        url,
        path: queryAt === -1 ? url : url.slice(0, queryAt),
        query: queryOf(url),
        // Node's object, made by checkUpgrade already: reading the kept request's would make a second.
        headers: request.headers,
        origin: request.headers.origin,
        remoteAddress: raw.remoteAddress,
        remotePort: raw.remotePort,
        protocols: checked.protocols,
        connection,
        request,
      });
    } catch (error) {
      this.hookFailed(connection, link, socket, error);
      return;
    }
    if (decision instanceof Promise || (typeof decision === 'object' && decision !== null && typeof (decision as { then?: unknown }).then === 'function')) {
      (decision as Promise<HandshakeDecision | void>).then(
        (value) => this.decide(connection, link, socket, checked, value),
        (error: unknown) => this.hookFailed(connection, link, socket, error),
      );
    } else {
      this.decide(connection, link, socket, checked, decision as HandshakeDecision | void);
    }
  }

  private decide(connection: AnyConnection, link: WebSocketLink, socket: Duplex, upgrade: UpgradeRequest, decision: HandshakeDecision | void): void {
    if (connection.state !== 'connecting') return; // timed out, or the server stopped meanwhile
    if (decision !== undefined && decision !== null && decision.type === 'refuse') {
      const status = Number.isInteger(decision.status) && decision.status >= 400 && decision.status <= 599 ? decision.status : 500;
      const reason = decision.reason ?? STATUS_CODES[status] ?? 'refused';
      let response: string;
      try {
        response = httpRefusal(status, reason, decision.headers);
      } catch (error) {
        this.hookFailed(connection, link, socket, error);
        return;
      }
      this.settled(socket);
      link.refuseHandshake(response, 'local', new HandshakeRefusedError(status, `WebSocket handshake refused with ${status}: ${reason}`));
      return;
    }
    if (decision !== undefined && decision !== null && decision.type !== 'accept') {
      this.hookFailed(connection, link, socket, new TypeError(`handshake hook returned ${JSON.stringify(decision)}; expected { type: 'accept' | 'refuse' }`));
      return;
    }
    let protocol = '';
    if (decision?.protocol !== undefined) {
      if (!upgrade.protocols.includes(decision.protocol)) {
        this.hookFailed(connection, link, socket, new TypeError(`handshake hook chose subprotocol ${JSON.stringify(decision.protocol)}, which the client did not offer`));
        return;
      }
      protocol = decision.protocol;
    } else if (this.endpoint.protocols) {
      protocol = this.endpoint.protocols.find((p) => upgrade.protocols.includes(p)) ?? '';
    }
    let deflate: PerMessageDeflateInstance | undefined;
    let extensions = '';
    const offers = upgrade.extensions[PER_MESSAGE_DEFLATE];
    if (this.deflate && offers) {
      deflate = new (perMessageDeflate())({
        isServer: true,
        maxPayload: connection.limits.maxReceiveBufferSize,
        ...(this.deflate.clientNoContextTakeover !== undefined ? { clientNoContextTakeover: this.deflate.clientNoContextTakeover } : {}),
        ...(this.deflate.clientMaxWindowBits !== undefined ? { clientMaxWindowBits: this.deflate.clientMaxWindowBits } : {}),
      });
      try {
        const params = deflate.accept(offers);
        extensions = extension.format({ [PER_MESSAGE_DEFLATE]: [params] });
      } catch {
        this.settled(socket);
        link.refuseHandshake(
          httpRefusal(400, 'invalid or unacceptable Sec-WebSocket-Extensions header'),
          'error',
          new HandshakeRefusedError(400, 'WebSocket handshake refused: unacceptable permessage-deflate offer'),
        );
        return;
      }
    }
    let response: string;
    try {
      response = switchingProtocols(upgrade.key, protocol, extensions, decision?.headers);
    } catch (error) {
      this.hookFailed(connection, link, socket, error);
      return;
    }
    if (decision?.context) Object.assign(connection.context, decision.context);
    this.settled(socket);
    link.acceptHandshake(response, protocol, deflate);
  }

  private hookFailed(connection: AnyConnection, link: WebSocketLink, socket: Duplex, error: unknown): void {
    if (connection.state !== 'connecting') return;
    this.settled(socket);
    link.refuseHandshake(
      httpRefusal(500, 'Internal Server Error'),
      'error',
      new HandlerFailedError(`WebSocket handshake hook failed: ${asError(error).message}`, { cause: error }),
    );
  }
}
