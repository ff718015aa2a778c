import type { WireEncoder } from '../codec/wire-encoder.js';
import { VIEW_MIN_BYTES } from '../transport/socket-events.js';

/**
 * Where the connections' small frames are written as they are sent: one shared slab, each
 * connection's consecutive frames a run in it, handed to the connection's queue as one view when
 * the run ends (another connection writes, a frame of another kind is queued, the turn flushes).
 * An echo of 16 pipelined messages is then one copy per message and one Buffer to write, instead
 * of a 4-byte header Buffer per message and a join of them all at the flush.
 *
 * Frames of {@link VIEW_MIN_BYTES} or more are not copied here: the codec's `encodeParts` queues
 * them as a header beside a view of the caller's body, as before.
 *
 * A full slab is left to the views still pointing into it (the garbage collector frees it once
 * the last of them is written) and a new one started. A peer that is not keeping up gets a copy
 * of its runs instead (see {@link ownCopies}), so that it never holds a whole slab alive.
 */

/** Large enough that a full one is rare within a turn, small enough that one lingering view costs little. */
export const SLAB_BYTES = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
/** Bytes of `slab` already given to frames. */
let used = 0;
/** The queue whose run is open (its frames are the last ones written to the slab), and where the run starts. */
let runQueue: Buffer[] | undefined;
let runStart = 0;

/** The slabs' memory (ArrayBuffers), to tell a run's view from any other Buffer. */
const slabMemory = new WeakSet<ArrayBufferLike>([slab.buffer]);

/**
 * Appends the frame of `message` to `queue`: written into the slab when smaller than
 * {@link VIEW_MIN_BYTES}, queued as the encoder's parts otherwise. Returns its bytes; throws as
 * the encoder does, with nothing queued. Only for an encoder with `encodeInto`.
 */
export function appendFrame(queue: Buffer[], encoder: WireEncoder, message: unknown): number {
  if (runQueue !== queue) {
    endRun();
    runQueue = queue;
    runStart = used;
  }
  const size = encoder.encodeInto!(message, slab, used, Math.min(SLAB_BYTES, used + VIEW_MIN_BYTES - 1));
  if (size < VIEW_MIN_BYTES && size <= SLAB_BYTES - used) {
    used += size;
    return size;
  }
  endRun();
  if (size >= VIEW_MIN_BYTES) return encoder.encodeParts(message, queue);
  slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  slabMemory.add(slab.buffer);
  used = 0;
  runQueue = queue;
  runStart = 0;
  encoder.encodeInto!(message, slab, 0, SLAB_BYTES);
  used = size;
  return size;
}

/** Ends `queue`'s open run, if it has one: its frames join the queue as one view. Call before reading or adding to the queue. */
export function sealRun(queue: Buffer[]): void {
  if (runQueue === queue) endRun();
}

/** Forgets `queue`'s open run without queuing it (the connection dropped its queue). */
export function dropRun(queue: Buffer[]): void {
  if (runQueue === queue) runQueue = undefined;
}

function endRun(): void {
  if (runQueue !== undefined && used > runStart) runQueue.push(slab.subarray(runStart, used));
  runQueue = undefined;
}

/**
 * Replaces the slab views in a sealed queue by copies: for a peer whose socket still holds
 * unwritten bytes, whose next write may wait long, so that it does not keep a slab alive meanwhile.
 */
export function ownCopies(queue: Buffer[]): void {
  for (let i = 0; i < queue.length; i++) {
    const piece = queue[i]!;
    if (slabMemory.has(piece.buffer)) queue[i] = Buffer.from(piece);
  }
}
