import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { AddressInUseError } from '../../errors.js';
import { httpRefusal } from './handshake.js';

/** Something that answers upgrade requests for one path. */
export interface UpgradeRoute {
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

const dispatchers = new WeakMap<HttpServer, UpgradeDispatcher>();

/**
 * The one 'upgrade' listener of an HTTP server, routing each upgrade request by its path to the
 * WebSocket endpoint registered for it. Unknown paths get 404, unless the server has upgrade
 * listeners of its own (another library's WebSocket server) to answer them.
 */
export class UpgradeDispatcher {
  private readonly routes = new Map<string, UpgradeRoute>();
  private readonly listener = (request: IncomingMessage, socket: Duplex, head: Buffer): void => this.dispatch(request, socket, head);

  private constructor(private readonly server: HttpServer) {}

  /** The dispatcher of `server`, made on first use. */
  static of(server: HttpServer): UpgradeDispatcher {
    let dispatcher = dispatchers.get(server);
    if (!dispatcher) {
      dispatcher = new UpgradeDispatcher(server);
      dispatchers.set(server, dispatcher);
    }
    return dispatcher;
  }

  add(path: string, route: UpgradeRoute): void {
    if (this.routes.has(path)) {
      throw new AddressInUseError(`address in use: a WebSocket endpoint already serves path ${path} on this HTTP server`);
    }
    if (this.routes.size === 0) this.server.on('upgrade', this.listener);
    this.routes.set(path, route);
  }

  remove(path: string, route: UpgradeRoute): void {
    if (this.routes.get(path) !== route) return;
    this.routes.delete(path);
    if (this.routes.size === 0) {
      this.server.off('upgrade', this.listener);
      dispatchers.delete(this.server);
    }
  }

  private dispatch(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node hands an upgraded socket over without an error listener; a reset must not crash.
    socket.on('error', ignore);
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const route = this.routes.get(queryAt === -1 ? url : url.slice(0, queryAt));
    if (route) {
      route.handleUpgrade(request, socket, head);
    } else if (this.server.listenerCount('upgrade') === 1) {
      endWith(socket, httpRefusal(404, 'no WebSocket endpoint at this path'));
    }
  }
}

/** The dispatcher's own error listener; a connection that takes the socket over removes it. */
export function ignore(): void {}

/** Writes a last response and closes the socket once it is out. */
export function endWith(socket: Duplex, response: string): void {
  socket.once('finish', () => socket.destroy());
  socket.end(response);
}
