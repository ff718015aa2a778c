/**
 * Where a server connection's small frames are written: back to back in a shared slab, so that
 * the frames one connection queues during a turn (an echo of several messages read at once) are
 * one piece of its queue, written as it is at the flush, instead of a Buffer each joined by a copy.
 *
 * A frame is written at the slab's free end. When the queue's last piece is the view this slab
 * handed out last, and nothing was written after it, the new frame lies right behind it: the
 * piece is replaced by a view over both. Bytes already handed out are never written again (a full
 * slab is left to the views that hold it and a new one is started), so a piece a socket still
 * holds stays as it was.
 *
 * Memory: a queued frame keeps its slab alive, as with Node's own Buffer pool; frames larger than
 * {@link SLAB_FRAME_MAX} get a Buffer of their own, so one slab holds many frames.
 */
const SLAB_BYTES = 64 * 1024;
/** Frames up to this size go into the slab. */
export const SLAB_FRAME_MAX = 8 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
/**
 * The slab's ArrayBuffer, kept: views are made from it, since `slab.subarray` reads `slab.buffer`
 * each time, a call into C++ (`perf`: 3.5% of a 1 KiB WebSocket echo, 1.4% once made so).
 */
let slabMemory = slab.buffer;
let used = 0;
/** The piece handed out last (the view to grow), and where it starts in the slab. */
let lastPiece: Buffer | undefined;
let lastStart = 0;

/**
 * Room for a frame of `bytes` (at most {@link SLAB_FRAME_MAX}): returns the offset in
 * {@link currentSlab} to write the frame at; {@link commitFrame} hands the frame out once written.
 */
export function slabFor(bytes: number): number {
  if (used + bytes > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabMemory = slab.buffer;
    used = 0;
    lastPiece = undefined;
  }
  return used;
}

/** The slab that {@link slabFor} just made room in. */
export function currentSlab(): Buffer {
  return slab;
}

/**
 * Pushes the frame just written at `at` (`bytes` long) onto `out`, growing `out`'s last piece
 * instead when that piece ends where the frame starts.
 */
export function commitFrame(at: number, bytes: number, out: Buffer[]): void {
  const end = at + bytes;
  used = end;
  const count = out.length;
  // lastPiece is the slab's last frame (every frame in it is committed here), so it ends at `at`.
  if (count > 0 && out[count - 1] === lastPiece) {
    lastPiece = Buffer.from(slabMemory, lastStart, end - lastStart);
    out[count - 1] = lastPiece;
    return;
  }
  lastStart = at;
  lastPiece = Buffer.from(slabMemory, at, end - at);
  out.push(lastPiece);
}
