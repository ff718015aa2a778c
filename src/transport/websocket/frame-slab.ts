import { AppendSlab } from '../append-slab.js';

/**
 * Where a server connection's small frames are written: back to back in a shared slab, so that
 * the frames one connection queues during a turn (an echo of several messages read at once) are
 * one piece of its queue, written as it is at the flush, instead of a Buffer each joined by a copy.
 *
 * A frame is written at the slab's free end (append-slab.ts: bytes handed out are never written
 * again, so a piece a socket still holds stays as it was). When the queue's last piece is the
 * view this slab handed out last, and nothing was written after it, the new frame lies right
 * behind it: the piece is replaced by a view over both.
 *
 * Memory: a queued frame keeps its slab alive, as with Node's own Buffer pool; frames larger than
 * {@link SLAB_FRAME_MAX} get a Buffer of their own, so one slab holds many frames.
 */
const SLAB_BYTES = 64 * 1024;
/** Frames up to this size go into the slab. */
export const SLAB_FRAME_MAX = 8 * 1024;

const frames = new AppendSlab(SLAB_BYTES);
/** The piece handed out last (the view to grow), and where it starts in its slab. */
let lastPiece: Buffer | undefined;
let lastStart = 0;

/**
 * Room for a frame of `bytes` (at most {@link SLAB_FRAME_MAX}): returns the offset in
 * {@link currentSlab} to write the frame at; {@link commitFrame} hands the frame out once written.
 */
export function slabFor(bytes: number): number {
  const slab = frames.slab;
  const at = frames.reserve(bytes);
  // A new slab: the last piece lies in the old one and cannot grow.
  if (frames.slab !== slab) lastPiece = undefined;
  return at;
}

/** The slab that {@link slabFor} just made room in. */
export function currentSlab(): Buffer {
  return frames.slab;
}

/**
 * Pushes the frame just written at `at` (`bytes` long) onto `out`, growing `out`'s last piece
 * instead when that piece ends where the frame starts.
 */
export function commitFrame(at: number, bytes: number, out: Buffer[]): void {
  const end = at + bytes;
  frames.commit(end);
  const count = out.length;
  // lastPiece is the slab's last frame (every frame in it is committed here), so it ends at `at`.
  if (count > 0 && out[count - 1] === lastPiece) {
    lastPiece = frames.view(lastStart, end - lastStart);
    out[count - 1] = lastPiece;
    return;
  }
  lastStart = at;
  lastPiece = frames.view(at, end - at);
  out.push(lastPiece);
}
