import { Socket } from 'node:net';
import { beginSharedChunk, endSharedChunk } from '../codec/chunk-list.js';
import { AppendSlab } from './append-slab.js';

/**
 * Where a plain socket's reads land: one shared read buffer, copied at once into a slab of
 * received bytes, instead of Node's own read path.
 *
 * Why: for every read Node allocates a new zero-filled backing store of the bytes read, copies
 * them into it and wraps it in a new ArrayBuffer that the garbage collector must later sweep and
 * free (about 8% of a WebSocket 1 KiB echo's time, profiled with `perf`). Node's documented `onread`
 * option (a buffer of the caller's, reused for every read) skips all of that, but it exists only
 * for sockets one creates, not for those a server accepts. Here the same mechanism is switched on
 * for an accepted socket: the three private symbols behind `onread` are read off a probe socket
 * made with that option, and the socket's handle is given the shared read buffer
 * (`useUserBuffer`, what `onread` itself calls; a TLS socket's handle decrypts into it too). Where
 * that is not possible (another Node whose sockets lack them) or is turned off
 * (`SWITCHBOARD_NODE_READS=1`), the socket keeps Node's `data` events, and the tests run both ways.
 *
 * The read buffer is reused by the next read of any socket, so each read is copied into an
 * append-only slab (append-slab.ts), back to back, and handed on as a view of it. A read larger than
 * {@link OWN_BUFFER_MIN} gets a Buffer of its own, so that one slab holds many reads. The part of
 * a read kept past it as an incomplete frame is copied by the list that keeps it (chunk-list.ts:
 * kept slabs would outlive young-generation collections and cost full ones). A message a user
 * keeps keeps its whole slab alive; that memory is bounded by the bytes received meanwhile, and
 * is why the slab is small.
 */

/** Set to `1` to keep Node's own read path (`data` events) on every socket (native reads too: native-reader.ts). */
export const NODE_READS_ENV = 'SWITCHBOARD_NODE_READS';

const READ_BYTES = 64 * 1024; // what Node reads at most per call too
const SLAB_BYTES = 32 * 1024;
/** Reads larger than this are copied into a Buffer of their own, not the slab. */
export const OWN_BUFFER_MIN = 8 * 1024;

interface ReadSymbols {
  buffer: symbol;
  callback: symbol;
}

/** Node's private `onread` symbols, read off a socket made with that option; undefined if absent. */
function findReadSymbols(): ReadSymbols | undefined {
  if (process.env[NODE_READS_ENV] === '1') return undefined;
  const marker = Buffer.alloc(1);
  const callback = (): boolean => true;
  // `onread` is documented for net.connect() and new net.Socket(), but missing from @types/node's constructor options.
  const probe = new Socket({ onread: { buffer: marker, callback } } as ConstructorParameters<typeof Socket>[0]);
  let buffer: symbol | undefined;
  let callbackKey: symbol | undefined;
  for (const key of Object.getOwnPropertySymbols(probe)) {
    const value = (probe as unknown as Record<symbol, unknown>)[key];
    if (value === marker) buffer = key;
    else if (value === callback) callbackKey = key;
  }
  probe.destroy();
  return buffer !== undefined && callbackKey !== undefined ? { buffer, callback: callbackKey } : undefined;
}

const symbols = findReadSymbols();
const readBuffer = Buffer.allocUnsafeSlow(READ_BYTES);
const readArrayBuffer = readBuffer.buffer;

const received = new AppendSlab(SLAB_BYTES);

interface StreamHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/** Node's read callback, `this` the socket: made once by {@link slabReader}, shared by every socket. */
export type SlabReader<S extends Socket> = (this: S, bytes: number) => boolean;

/**
 * The read callback around `onChunk` (which gets each read as a view of a slab). Make it once and
 * hand the same one to every {@link readIntoSlab}: a closure per socket would cost an idle
 * connection about 100 bytes.
 */
export function slabReader<S extends Socket>(onChunk: (this: S, chunk: Buffer) => void): SlabReader<S> {
  return function onRead(this: S, bytes: number): boolean {
    if (bytes > OWN_BUFFER_MIN) {
      onChunk.call(this, ownCopy(bytes));
    } else {
      // What the connection keeps of a slab view past this call is copied (chunk-list.ts).
      const chunk = slabCopy(bytes);
      beginSharedChunk(chunk);
      onChunk.call(this, chunk);
      endSharedChunk();
    }
    // Pausing is the socket's own (pause() stops reading when a read buffer is set).
    return true;
  };
}

/**
 * Switches `socket`'s reads to the shared read buffer: each read goes to `reader` instead of being
 * emitted as `data`. Returns false, changing nothing, where it cannot be done; the caller then
 * listens to `data` as usual. The socket must not have `data` listeners.
 */
export function readIntoSlab<S extends Socket>(socket: S, reader: SlabReader<S>): boolean {
  if (symbols === undefined) return false;
  const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
  if (handle === null || handle === undefined || typeof handle.useUserBuffer !== 'function') return false;
  const owned = socket as unknown as Record<symbol, unknown>;
  owned[symbols.buffer] = readBuffer;
  owned[symbols.callback] = reader;
  handle.useUserBuffer(readBuffer);
  // With no `data` listener, flowing mode is still what lets `end` be emitted.
  socket.resume();
  return true;
}

/** The `bytes` just read into the shared buffer, copied into a Buffer of their own. */
function ownCopy(bytes: number): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes);
  own.set(new Uint8Array(readArrayBuffer, 0, bytes));
  return own;
}

/** The `bytes` just read into the shared buffer, copied into the slab. */
function slabCopy(bytes: number): Buffer {
  const at = received.reserve(bytes);
  received.slab.set(new Uint8Array(readArrayBuffer, 0, bytes), at);
  received.commit(at + bytes);
  return received.view(at, bytes);
}
