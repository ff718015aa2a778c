import { Socket } from 'node:net';
import { forgetNativeReads, pauseNativeReads, readNatively, restartNodeReads, resumeNativeReads, type SocketReads } from './native-reader.js';
import { readIntoSlab, slabReader } from './read-slab.js';
import { writeSocket } from './write-batch.js';

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
/** onSocketData as Node's read callback where a socket reads into the shared read buffer. */
const onSocketRead = slabReader(onSocketData);
function onSocketEnd(this: OwnedSocket): void {
  this[handlerKey].socketEnd();
}
/**
 * The `end` listener net.Socket adds to every socket (it stops writes after the peer's FIN unless
 * half-open). A second listener would turn the socket's one function into an array (about 60
 * bytes per connection), so where that is the only one, {@link onSocketEndAfterNode} replaces it.
 */
const nodeEndListener = ((): ((this: Socket) => void) | undefined => {
  const probe = new Socket();
  const listeners = probe.listeners('end');
  probe.destroy();
  return listeners.length === 1 ? (listeners[0] as (this: Socket) => void) : undefined;
})();
function onSocketEndAfterNode(this: OwnedSocket): void {
  nodeEndListener!.call(this);
  this[handlerKey].socketEnd();
}
function onSocketDrain(this: OwnedSocket): void {
  this[handlerKey].socketDrain();
}
function onSocketError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
  this[handlerKey].socketError(error);
}
function onSocketClose(this: OwnedSocket): void {
  forgetNativeReads(this);
  this[handlerKey].socketClosed();
}

/** Where the native reader (native-reader.ts) delivers, and how a socket it gives up is read after. */
const nativeTarget: SocketReads = {
  onChunk: onSocketData as (this: Socket, chunk: Buffer) => void,
  giveBack(socket: Socket): void {
    readWithNode(socket as OwnedSocket);
    restartNodeReads(socket);
  },
};

/** Node's own reading: into the shared read buffer where possible, else `data` events. */
function readWithNode(socket: OwnedSocket): void {
  if (!readIntoSlab(socket, onSocketRead)) socket.on('data', onSocketData);
}

/** Stops reading a socket (receive backpressure), whoever reads it. */
export function pauseReading(socket: Socket): void {
  if (!pauseNativeReads(socket)) socket.pause();
}

/** Reads a paused socket again. */
export function resumeReading(socket: Socket): void {
  if (!resumeNativeReads(socket)) socket.resume();
}

/** Routes a socket's events to its link. */
export function attachSocket(socket: Socket, handler: SocketHandler): void {
  const owned = socket as OwnedSocket;
  owned[handlerKey] = handler;
  if (!readNatively(socket, nativeTarget)) readWithNode(owned);
  if (nodeEndListener !== undefined && socket.listenerCount('end') === 1 && socket.listeners('end')[0] === nodeEndListener) {
    socket.removeListener('end', nodeEndListener);
    socket.on('end', onSocketEndAfterNode);
  } else {
    socket.on('end', onSocketEnd);
  }
  socket.on('drain', onSocketDrain);
  socket.on('error', onSocketError);
  socket.on('close', onSocketClose);
}

/**
 * A piece of output at least this large is written as it is (a view of the caller's bytes, beside
 * its header), never copied into a joined Buffer; smaller pieces are joined into one Buffer per
 * run. Below it, one copy costs less than Node's bookkeeping of one more chunk in a writev.
 */
export const VIEW_MIN_BYTES = 16 * 1024;

/**
 * Writes a turn's pieces to a byte stream in one syscall: runs of small pieces joined into one
 * Buffer each (`join` may share it with other targets of a broadcast), pieces of
 * {@link VIEW_MIN_BYTES} or more left as they are, all in one corked writev.
 */
export function writeFrames(socket: Socket, frames: readonly Buffer[], bytes: number, join: (parts: readonly Buffer[], bytes: number) => Buffer): void {
  const count = frames.length;
  if (count === 1) {
    writeSocket(socket, frames[0]!);
    return;
  }
  let large = 0;
  while (large < count && frames[large]!.length < VIEW_MIN_BYTES) large++;
  if (large === count) {
    // Small pieces only (the common case): one copy into one Buffer.
    writeSocket(socket, join(frames, bytes));
    return;
  }
  socket.cork();
  let start = 0;
  for (let i = large; i < count; i++) {
    const frame = frames[i]!;
    if (frame.length < VIEW_MIN_BYTES) continue;
    if (i > start) writeRun(socket, frames, start, i);
    socket.write(frame);
    start = i + 1;
  }
  if (start < count) writeRun(socket, frames, start, count);
  socket.uncork();
}

function writeRun(socket: Socket, frames: readonly Buffer[], start: number, end: number): void {
  socket.write(end - start === 1 ? frames[start]! : Buffer.concat(frames.slice(start, end)));
}
