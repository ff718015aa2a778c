import type { WireEncoder } from '../codec/wire-encoder.js';
import { VIEW_MIN_BYTES } from './socket-events.js';

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
 * The slab is reused from its start after a turn's flush when every view of it was taken whole
 * by the kernel (the usual case), so that a busy server does not allocate one slab after another:
 * each new ArrayBuffer counts as external memory, and their churn made V8 run a full mark-compact
 * about every 100 ms under a 1 KiB echo (`--trace-gc`), which the corked node:net peer never does.
 * A full slab hands over to the next of the pool. After a partial write (Node's socket holds a
 * view) the whole pool is left to the views still pointing into it (the garbage collector frees
 * a slab once the last is written) and new slabs are made. A peer that is not keeping up gets
 * copies of its runs instead (see {@link ownCopies}), so that it does not hold a slab alive.
 */

/** Large enough that a full one is rare within a turn, small enough that one lingering view costs little. */
export const SLAB_BYTES = 64 * 1024;
/** Slabs kept for reuse: a turn's output up to 1 MiB is written without allocating. */
const POOL_SLABS = 16;

const NO_SLAB: Buffer = Buffer.alloc(0);
/** The slabs of a turn, reused from the first after a flush that left none of their views behind. */
let pool: Buffer[] = [];
let poolIndex = -1;
/** The slab being written (NO_SLAB until the first frame), and its bytes already given to frames. */
let slab: Buffer = NO_SLAB;
let used = 0;
/** The queue whose run is open (its frames are the last ones written to the slab), and where the run starts. */
let runQueue: Buffer[] | undefined;
let runStart = 0;

/** Where the flush started in the slab, and whether a view of it may outlive the flush (see {@link slabHeld}). */
let flushSlab = slab;
let flushUsed = 0;
let held = false;

/** The slabs' memory (ArrayBuffers), to tell a run's view from any other Buffer. */
const slabMemory = new WeakSet<object>();

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
  const room = slab.length - used;
  const size = encoder.encodeInto!(message, slab, used, used + Math.min(room, VIEW_MIN_BYTES - 1));
  if (size < VIEW_MIN_BYTES && size <= room) {
    used += size;
    return size;
  }
  if (size >= VIEW_MIN_BYTES) {
    endRun();
    return encoder.encodeParts(message, queue);
  }
  // The slab is full. The open run moves to the next one with this frame, so that the queue
  // still holds one piece (one write, no join), unless it is long enough to stand alone.
  const from = slab;
  const run = used - runStart;
  const carry = run <= SLAB_BYTES - VIEW_MIN_BYTES;
  if (!carry) endRun();
  nextSlab();
  if (carry) from.copy(slab, 0, runStart, runStart + run);
  runQueue = queue;
  runStart = 0;
  used = carry ? run : 0;
  encoder.encodeInto!(message, slab, used, SLAB_BYTES);
  used += size;
  return size;
}

function nextSlab(): void {
  poolIndex++;
  if (poolIndex < pool.length) {
    slab = pool[poolIndex]!;
  } else {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabMemory.add(slab.buffer);
    if (pool.length < POOL_SLABS) pool.push(slab);
  }
  used = 0;
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

/**
 * A write left bytes in a socket's queue, or sent part of them natively and handed Node the rest
 * (in a flush, or outside one: a closing connection's last write): a view of a slab may be held
 * there, so the slabs written so far are not reused.
 */
export function slabHeld(): void {
  held = true;
}

/** The turn's flush begins: every run written so far is in a queue this flush writes. */
export function beginSlabFlush(): void {
  flushSlab = slab;
  flushUsed = used;
}

/**
 * The turn's flush is over: reuse the slab from its start, unless a view of it may still be held
 * (a partial write) or frames were written to it during the flush (a listener's send, queued for
 * the next one).
 */
export function endSlabFlush(): void {
  if (held) {
    // Views may be held anywhere in the pool's slabs: none is written again (the garbage
    // collector frees each once its last view is gone). The current one is still filled, never
    // rewound: a run a listener opened during the flush may be in it.
    pool = [];
    poolIndex = -1;
  } else if (slab === flushSlab && used === flushUsed && runQueue === undefined && pool.length > 0) {
    poolIndex = 0;
    slab = pool[0]!;
    used = 0;
  }
  held = false;
}
