import type { Socket } from 'node:net';

/** What a link built on a `net.Socket` hears from it. */
export interface SocketHandler {
  socketData(chunk: Buffer): void;
  socketEnd(): void;
  socketDrain(): void;
  socketError(error: NodeJS.ErrnoException): void;
  socketClosed(): void;
}

/**
 * The link a socket belongs to. Socket listeners are shared functions that find their link here
 * (`this` is the socket), not five closures per connection: idle connections are what a
 * long-connection server holds most of, and each closure (with its context) is heap.
 */
const handlerKey = Symbol('switchboard.socketHandler');
type OwnedSocket = Socket & { [handlerKey]: SocketHandler };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[handlerKey].socketData(chunk);
}
function onSocketEnd(this: OwnedSocket): void {
  this[handlerKey].socketEnd();
}
function onSocketDrain(this: OwnedSocket): void {
  this[handlerKey].socketDrain();
}
function onSocketError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
  this[handlerKey].socketError(error);
}
function onSocketClose(this: OwnedSocket): void {
  this[handlerKey].socketClosed();
}

/** Routes a socket's events to its link. */
export function attachSocket(socket: Socket, handler: SocketHandler): void {
  const owned = socket as OwnedSocket;
  owned[handlerKey] = handler;
  socket.on('data', onSocketData);
  socket.on('end', onSocketEnd);
  socket.on('drain', onSocketDrain);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
}

/** Writes a turn's frames to a byte stream: one write for a few small ones, corked writes for big ones. */
export function writeFrames(socket: Socket, frames: readonly Buffer[], bytes: number, join: (parts: readonly Buffer[], bytes: number) => Buffer): void {
  const count = frames.length;
  if (count === 1) {
    socket.write(frames[0]!);
  } else if (bytes <= 65536) {
    // Small messages: one copy into one buffer beats writev's per-chunk bookkeeping.
    socket.write(join(frames, bytes));
  } else {
    socket.cork();
    for (let i = 0; i < count; i++) socket.write(frames[i]!);
    socket.uncork();
  }
}
