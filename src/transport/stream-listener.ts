import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import type { SecureContext } from 'node:tls';
import type { Codec } from '../codec/codec.js';
import { HandshakeTimeoutError, UnsupportedError } from '../errors.js';
import { describeAddress, ENDPOINT_DEFAULTS, validateStreamEndpoint, type ListeningAddress, type StreamEndpoint } from './endpoint.js';
import { streamFraming, type Framing } from './framing.js';
import { listenOn } from './listen-error.js';
import { ownPortOptions } from './reuse-port.js';
import type { Listener, ListenerHooks } from './listener.js';
import { StreamLink } from './stream-link.js';
import { acceptTls, secureContextFor } from './tls-material.js';
import { claimSocketPath } from './unix-socket-file.js';

/** Node added SO_REUSEPORT to net.Server.listen in 22.12 and 23.1. */
export function nodeSupportsReusePort(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major >= 23 ? major > 23 || minor >= 1 : major === 22 && minor >= 12;
}

/**
 * TCP, TLS and Unix-socket endpoints: one `net.Server` each. TLS is layered on each accepted
 * socket here rather than with `tls.Server`, so the connection exists (and `accept` fires) before
 * the handshake, and a failed or stalled handshake closes that connection with a coded error.
 */
export class StreamListener implements Listener {
  readonly framing: Framing;
  private server: NetServer | undefined;
  private secureContext: SecureContext | undefined;
  private hooks: ListenerHooks | undefined;

  /** Validates the endpoint (naming the option and its value); `codec` is the server's unless the endpoint names one. */
  constructor(
    readonly endpoint: StreamEndpoint,
    codec: Codec,
  ) {
    validateStreamEndpoint(endpoint);
    this.framing = streamFraming(endpoint.codec ?? codec);
  }

  async listen(hooks: ListenerHooks): Promise<void> {
    const endpoint = this.endpoint;
    // A platform limit rather than a bad value, so it is found when listening.
    if (endpoint.transport !== 'unix' && endpoint.reusePort && !nodeSupportsReusePort()) {
      throw new UnsupportedError(`option reusePort needs Node.js 22.12+ or 23.1+ (net.Server has no SO_REUSEPORT on ${process.version})`);
    }
    this.hooks = hooks;
    const where = this.describeRequested();
    if (endpoint.transport === 'tls') this.secureContext = secureContextFor(endpoint.tls, where);
    if (endpoint.transport === 'unix') await claimSocketPath(endpoint.path);
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (socket) => this.incoming(socket));
    this.server = server;
    const backlog = endpoint.backlog ?? ENDPOINT_DEFAULTS.backlog;
    await listenOn(
      server,
      endpoint.transport === 'unix'
        ? { path: endpoint.path, backlog, readableAll: endpoint.readableAll ?? false, writableAll: endpoint.writableAll ?? false }
        : {
            port: endpoint.port,
            backlog,
            ...(endpoint.host !== undefined ? { host: endpoint.host } : {}),
            ...(endpoint.ipv6Only ? { ipv6Only: true } : {}),
            ...(endpoint.reusePort ? { reusePort: true } : {}),
            // A worker in the reuse-port distribution binds the port itself (supervisor's choice).
            ...ownPortOptions(endpoint.port),
          },
      where,
    );
  }

  close(): Promise<void> {
    const server = this.server;
    // The listening handle closes at once; close()'s callback would wait for every accepted
    // connection to end, and closing those is the server's job, so it is not awaited.
    if (server?.listening) server.close();
    return Promise.resolve();
  }

  address(): ListeningAddress | undefined {
    const address = this.server?.address();
    if (!address) return undefined;
    if (typeof address === 'string') return { transport: 'unix', path: address };
    const info = address as AddressInfo;
    return { transport: this.endpoint.transport === 'tls' ? 'tls' : 'tcp', host: info.address, port: info.port };
  }

  private describeRequested(): string {
    const endpoint = this.endpoint;
    if (endpoint.transport === 'unix') return describeAddress({ transport: 'unix', path: endpoint.path });
    return describeAddress({ transport: endpoint.transport, host: endpoint.host ?? '0.0.0.0', port: endpoint.port });
  }

  private incoming(raw: Socket): void {
    const hooks = this.hooks!;
    if (!hooks.admit(raw)) {
      raw.destroy();
      return;
    }
    const endpoint = this.endpoint;
    if (endpoint.transport !== 'tls') {
      const link = new StreamLink(raw, endpoint.transport);
      hooks.accepted(link);
      link.markReady(); // a byte stream has no handshake: ready once `accept` has been heard
      return;
    }
    const secure = acceptTls(raw, this.secureContext!, endpoint.tls);
    const link = new StreamLink(secure, 'tls');
    const timeout = endpoint.handshakeTimeout ?? ENDPOINT_DEFAULTS.handshakeTimeout;
    const clock = hooks.clock;
    const timer = clock.setTimeout(() => link.fail(new HandshakeTimeoutError(timeout, 'TLS')), timeout);
    timer.unref?.();
    secure.once('secure', () => {
      clock.clear(timer);
      link.markReady();
    });
    secure.once('close', () => clock.clear(timer));
    hooks.accepted(link);
  }
}
