/**
 * The module-private side of a {@link Connection}: what the server, the client, the heartbeat and
 * the broadcast path need of a connection and users must not call. Keyed by symbols this module
 * keeps (`src/index.ts` does not export it, and the package's `exports` map hides deep imports),
 * so it can change without breaking anyone; methods on the prototype, so it costs no memory per
 * connection.
 */
export const encoderOf: unique symbol = Symbol('switchboard.encoder');
export const sendFrame: unique symbol = Symbol('switchboard.sendFrame');
export const flushNow: unique symbol = Symbol('switchboard.flush');
export const establish: unique symbol = Symbol('switchboard.establish');
export const closeGracefully: unique symbol = Symbol('switchboard.closeGracefully');
export const destroyWith: unique symbol = Symbol('switchboard.destroyWith');
export const handlerFailed: unique symbol = Symbol('switchboard.handlerFailed');
export const probe: unique symbol = Symbol('switchboard.probe');
export const idle: unique symbol = Symbol('switchboard.idle');
export const linkOf: unique symbol = Symbol('switchboard.link');
/** What a connection's owner (a server or client) hears: every event, then the final close. */
export const ownerRelay: unique symbol = Symbol('switchboard.ownerRelay');
export const ownerClosed: unique symbol = Symbol('switchboard.ownerClosed');
/** A broadcast's encoder could not frame the message for this connection: report it as `send` would. */
export const refuseEncoded: unique symbol = Symbol('switchboard.refuseEncoded');
