import type { Socket } from 'node:net';
import { beginSharedChunk, endSharedChunk } from '../codec/chunk-list.js';
import { nativeAddon } from './native-addon.js';
import { NODE_READS_ENV } from './read-slab.js';

/**
 * Reads of plain sockets (TCP and Unix: not TLS, whose bytes Node must decrypt) gathered by the
 * native accelerator, one call into JavaScript per batch instead of one per read.
 *
 * Why: Node calls into JavaScript for every read of every socket, through its C++ callback
 * machinery and then `onStreamRead`: about 0.5 us a read, a third of the server's user time when
 * 100 connections each echo one small message at a time (`perf`). The addon keeps the sockets
 * handed over in an epoll set of its own, watched by one handle on Node's loop; when it is
 * readable, it reads every ready socket straight into the slab of received bytes below and calls
 * {@link onBatch} once with the list. Writes stay Node's.
 *
 * Anything but data (the peer's end, an error, a hang-up) is not read natively: the socket leaves
 * the set and goes back to Node's own reading ({@link SocketReads.giveBack}), which then meets it
 * as it always does ('end', 'error', 'close'). Pausing a connection's receiving takes its socket
 * out of the set and resuming puts it back ({@link pauseNativeReads}); Node's own reading is
 * stopped all along, its handle marked as reading so that Node does not start it again.
 *
 * Node's per-read bookkeeping is skipped with its callback: a natively read socket's `bytesRead`
 * does not grow and a `socket.setTimeout` is not refreshed by reads. No link uses either (the
 * connection counts its bytes, the heartbeat is Switchboard's own, the WebSocket link sets 0).
 *
 * Received bytes are handed on as views of the slab, as with read-slab.ts: bytes handed out are
 * never written again (a full slab is replaced, never rewound), and what a connection keeps of a
 * read past its delivery is copied (chunk-list.ts).
 */

/** What gets a socket's reads, and takes it back when the addon gives it up. */
export interface SocketReads {
  /** A read, as a view of the slab; `this` is the socket. */
  onChunk(this: Socket, chunk: Buffer): void;
  /** The addon gave the socket up (the peer's end, an error): Node reads it from now on. */
  giveBack(socket: Socket): void;
}

/**
 * Reads land back to back here, up to 64 KiB each (two of the largest per slab). A slab that
 * fills ends a round of reads, not the turn: the addon polls again once a new one is given, so
 * 64 KiB slabs measured the same as 128 KiB on a 1 KiB echo (A/B, 100 x 4 over WebSocket). A
 * message a user keeps (a Buffer view) keeps its slab alive: bounded by the bytes received meanwhile.
 */
const SLAB_BYTES = 128 * 1024;
/** The addon stops reading below this much room (native/switchboard-native.c, MIN_ROOM). */
const MIN_ROOM = 2048;
const BATCH = 256;

interface Handle {
  fd?: number;
  reading?: boolean;
  readStop?: () => number;
  readStart?: () => number;
}

const addon = nativeAddon;
const entries = new Int32Array(new ArrayBuffer(BATCH * 3 * 4));
/** [0] slab bytes used (the addon advances it), [1] the slab's length. */
const state = new Int32Array(new ArrayBuffer(8));
let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let memory = slab.buffer as ArrayBuffer;
/** Sockets being read natively, by id (the index), and the free ids. */
const sockets: Array<Socket | undefined> = [];
const freeIds: number[] = [];
/** A natively read socket's id while it is in the addon's set; -1 - id while paused (out of it). */
const idKey = Symbol('switchboard.nativeReadId');
type Watched = Socket & { [idKey]?: number };
let reads: SocketReads | undefined;

// SWITCHBOARD_NODE_READS=1 means Node's own reads for every socket, these included.
const open =
  process.env[NODE_READS_ENV] !== '1' &&
  addon?.readerOpen !== undefined && addon.readerSlab !== undefined && addon.readerWatch !== undefined && addon.readerOpen(onBatch, entries, state);
if (open) addon!.readerSlab!(slab);

/** Whether sockets can be read natively here (Linux, with the addon built and on). */
export const nativeReads: boolean = open === true;

function onBatch(count: number): void {
  let failure: unknown;
  for (let i = 0; i < count; i++) {
    const at = i * 3;
    const socket = sockets[entries[at]!];
    if (socket === undefined) continue; // forgotten since (closed by a listener earlier in this batch)
    const length = entries[at + 2]!;
    try {
      if (length < 0) {
        // The addon took it out of its set and counted it out: forgotten here even if destroyed
        // meanwhile, or its close would count it out a second time.
        forget(socket as Watched);
        if (!socket.destroyed) reads!.giveBack(socket);
      } else if (!socket.destroyed) {
        const chunk = Buffer.from(memory, entries[at + 1]!, length);
        beginSharedChunk(chunk);
        try {
          reads!.onChunk.call(socket, chunk);
        } finally {
          endSharedChunk();
        }
      }
    } catch (error) {
      // The other sockets' reads of this batch are still delivered; the first failure is thrown after.
      failure ??= { error };
    }
  }
  if (state[1]! - state[0]! < MIN_ROOM) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    memory = slab.buffer as ArrayBuffer;
    addon!.readerSlab!(slab);
  }
  if (failure !== undefined) throw (failure as { error: unknown }).error;
}

/**
 * Hands `socket`'s reads to the addon; false (nothing changed) where that cannot be done: the
 * caller then reads it as before. The socket must be a plain TCP or Unix socket, connected, with
 * no `data` listener and nothing read yet by Node.
 */
export function readNatively(socket: Socket, to: SocketReads): boolean {
  if (!nativeReads || (socket as { encrypted?: boolean }).encrypted === true || socket.connecting || socket.destroyed) return false;
  if (reads !== undefined && reads !== to) return false; // one receiver for all (socket-events.ts)
  const handle = (socket as unknown as { _handle?: Handle | null })._handle;
  const fd = handle?.fd;
  if (handle === null || handle === undefined || typeof fd !== 'number' || fd < 0 || typeof handle.readStop !== 'function' || typeof handle.readStart !== 'function') {
    return false;
  }
  const id = freeIds.pop() ?? sockets.length;
  if (!addon!.readerWatch!(id, fd, true)) {
    if (id < sockets.length) freeIds.push(id);
    return false;
  }
  reads = to;
  sockets[id] = socket;
  (socket as Watched)[idKey] = id;
  handle.readStop();
  // Node reads when its stream wants data and the handle is not reading: marked as reading, it
  // leaves the socket to the addon. In flowing mode, `end` can still be emitted once given back.
  handle.reading = true;
  socket.resume();
  return true;
}

/** Whether the addon reads this socket now. */
export function isReadNatively(socket: Socket): boolean {
  return (socket as Watched)[idKey] !== undefined;
}

/** Stops reading a natively read socket (receive backpressure); false if it is not one. */
export function pauseNativeReads(socket: Socket): boolean {
  return watch(socket as Watched, false);
}

/** Reads a natively read socket again; false if it is not one. */
export function resumeNativeReads(socket: Socket): boolean {
  return watch(socket as Watched, true);
}

function watch(socket: Watched, on: boolean): boolean {
  const value = socket[idKey];
  if (value === undefined) return false;
  if (value >= 0 === on) return true; // already so
  const id = value >= 0 ? value : -1 - value;
  const fd = (socket as unknown as { _handle?: Handle | null })._handle?.fd;
  // A closed socket's fd is gone from the set already (and its number may be another's now).
  if (typeof fd === 'number' && fd >= 0 && !socket.destroyed && addon!.readerWatch!(id, fd, on)) socket[idKey] = on ? id : -1 - id;
  return true;
}

/**
 * The socket closed: Node closed its fd, which took it out of the addon's set (counted out here),
 * and its id is free again.
 */
export function forgetNativeReads(socket: Socket): void {
  const value = (socket as Watched)[idKey];
  if (value === undefined) return;
  if (value >= 0) addon!.readerWatch!(value, -1, false);
  forget(socket as Watched);
}

/** Forgets a socket no longer in the set (given back, or counted out). */
function forget(socket: Watched): void {
  const value = socket[idKey];
  if (value === undefined) return;
  const id = value >= 0 ? value : -1 - value;
  socket[idKey] = undefined;
  sockets[id] = undefined;
  freeIds.push(id);
}

/** Node's own reading again, for a socket the addon gave back: its handle reads from now on. */
export function restartNodeReads(socket: Socket): void {
  const handle = (socket as unknown as { _handle?: Handle | null })._handle;
  if (handle === null || handle === undefined || socket.destroyed) return;
  handle.reading = true;
  handle.readStart!();
}
