import type { Socket } from 'node:net';
import { nativeWriter } from './native-writer.js';
import { slabHeld } from './output-slab.js';

/**
 * The write batch of the connections' flush: while it lasts (no user code runs inside), stream
 * links may share one joined Buffer between targets whose queues hold the same frames, and with
 * the native accelerator the sockets' writes are gathered and sent in one call at its end.
 */
export function beginWriteBatch(): void {
  inBatch = true;
}

export function endWriteBatch(): void {
  inBatch = false;
  lastParts = undefined;
  lastJoined = undefined;
  if (directCount > 0) sendDirect();
}

// A broadcast queues the same frames on every target, so within one batch of flushes the
// targets' queues are alike: the first is joined, the others write that same Buffer. Only within
// a batch (no user code runs between its flushes), so a caller's Buffer reused later is never
// mistaken for its old content.
let inBatch = false;
let lastParts: readonly Buffer[] | undefined;
let lastJoined: Buffer | undefined;

/** `Buffer.concat(parts, bytes)`, shared with the previous flush of this batch if its parts were the same Buffers. */
export function joinQueued(parts: readonly Buffer[], bytes: number): Buffer {
  if (!inBatch) return Buffer.concat(parts, bytes);
  const count = parts.length;
  if (lastParts !== undefined && lastParts.length === count && lastJoined!.length === bytes) {
    let i = 0;
    while (i < count && parts[i] === lastParts[i]) i++;
    if (i === count) return lastJoined!;
  }
  lastParts = parts;
  lastJoined = Buffer.concat(parts, bytes);
  return lastJoined;
}

// The writes gathered for the native accelerator during a batch: socket, fd and Buffer at the same index.
let directFds = new Int32Array(256);
let directResult = new Int32Array(256);
const directBuffers: Buffer[] = [];
const directSockets: Socket[] = [];
let directCount = 0;
/**
 * Native sends since the process started (calls into the addon, writes in them), and those of one
 * socket a test watches (`tap.socket`): the writes that do not go through `socket.write`.
 */
export const directWrites: { calls: number; writes: number; tap: { socket: Socket | undefined; count: number } } = {
  calls: 0,
  writes: 0,
  tap: { socket: undefined, count: 0 },
};

/**
 * A socket's fd, kept on its handle once read: the handle's `fd` is a getter into C++ (a tenth of
 * the JavaScript time of a broadcast to 1,000 WebSocket connections, `perf`), and a handle's fd
 * never changes while it is open (checked first). On the handle, not the socket: a socket that
 * connects again gets a new handle.
 */
const fdKey = Symbol('switchboard.fd');
type HandleOf = { _handle?: { fd?: unknown; [fdKey]?: number } | null; encrypted?: boolean };

/**
 * The fd to send on directly, or -1. Only a plain TCP or Unix socket (not TLS: its bytes must be
 * encrypted by Node) whose Node write queue is empty, so that bytes sent now cannot overtake any
 * Node still holds; and only within a batch, where no other write to it can come in between.
 */
function directFd(socket: Socket): number {
  if (socket.writableLength !== 0 || socket.writableCorked !== 0 || socket.connecting || socket.destroyed) return -1;
  const own = socket as unknown as HandleOf;
  const handle = own._handle;
  if (handle === null || handle === undefined) return -1;
  const known = handle[fdKey];
  if (known !== undefined) return known;
  if (own.encrypted === true) return -1;
  const fd = handle.fd;
  if (typeof fd !== 'number' || fd < 0) return -1;
  handle[fdKey] = fd;
  return fd;
}

/**
 * Writes `data` to a socket: within a batch and with the native accelerator, gathered and sent
 * with the rest of the batch in one native call; otherwise `socket.write`.
 */
export function writeSocket(socket: Socket, data: Buffer): void {
  if (inBatch && nativeWriter !== undefined && data.length > 0) {
    const fd = directFd(socket);
    if (fd >= 0) {
      if (directCount === directFds.length) {
        const fds = new Int32Array(directCount * 2);
        fds.set(directFds);
        directFds = fds;
        directResult = new Int32Array(directCount * 2);
      }
      directFds[directCount] = fd;
      directBuffers.push(data);
      directSockets.push(socket);
      directCount++;
      if (socket === directWrites.tap.socket) directWrites.tap.count++;
      return;
    }
  }
  socket.write(data);
}

/**
 * Sends the writes gathered so far at once: before anything that may run user code inside a
 * batch (a `sendBufferDrain` listener could close a connection, and its goodbye must not overtake
 * bytes still gathered here).
 */
export function settleWrites(): void {
  if (directCount > 0) sendDirect();
}

/**
 * Sends the batch's gathered writes in one native call. What the kernel did not take (a full
 * socket buffer, an error) goes through `socket.write` as it would have: Node then queues it,
 * waits for `drain`, or reports the error on the socket as usual.
 */
function sendDirect(): void {
  const count = directCount;
  directCount = 0;
  try {
    nativeWriter!.sendEach(directFds, directBuffers, count, directResult);
  } catch {
    directResult.fill(0, 0, count); // cannot happen with well-formed arguments; fall back to Node for all
  }
  directWrites.calls++;
  directWrites.writes += count;
  for (let i = 0; i < count; i++) {
    const data = directBuffers[i]!;
    const sent = directResult[i]!;
    if (sent < data.length) {
      directSockets[i]!.write(sent > 0 ? data.subarray(sent) : data);
      slabHeld();
    }
  }
  directBuffers.length = 0;
  directSockets.length = 0;
}
