/**
 * The bytes a connection has received and not yet decoded, kept as the list of chunks the socket
 * delivered. Nothing is joined on arrival: a decoder peeks across chunk boundaries, and `take(n)`
 * returns a view when the frame lies inside one chunk and copies exactly once when it spans several.
 *
 * Why not Buffer.concat per read: with a 4 MiB frame arriving in 64 KiB reads, concatenating on
 * every read copies O(n²) bytes; this copies each byte at most once.
 */
export class ChunkList {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks`; dead ones are dropped in batches. */
  private head = 0;
  /** Bytes already consumed from `chunks[head]`. */
  private offset = 0;
  private bytes = 0;
  /** Bytes consumed since the list was last empty: turns read positions into stream positions. */
  private consumed = 0;
  /**
   * The chunk the last random access landed in, and the stream position of its first byte. A
   * search that resumes where it stopped (a delimiter codec) starts walking here instead of at
   * `head`, so a frame spread over many small chunks costs O(chunks) in all, not per read.
   */
  private cursorIndex = 0;
  private cursorStart = 0;

  /** Unread bytes. */
  get length(): number {
    return this.bytes;
  }

  /** Number of chunks holding unread bytes (each costs memory beyond its bytes). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (chunk === sharedChunk) sharedKeeper = this;
  }

  /**
   * @internal For {@link endSharedChunk}: if the list still holds part of `chunk` (its last), that
   * part becomes a copy of its own.
   */
  ownChunk(chunk: Buffer): void {
    const last = this.chunks.length - 1;
    // Consumed whole (or the list was cleared): nothing is kept.
    if (last < this.head || this.chunks[last] !== chunk) return;
    const from = last === this.head ? this.offset : 0;
    const own = Buffer.allocUnsafeSlow(chunk.length - from);
    own.set(from === 0 ? chunk : chunk.subarray(from));
    this.chunks[last] = own;
    if (from > 0) {
      // The copy starts at the read position.
      this.offset = 0;
      if (this.cursorIndex === last) this.cursorStart = this.consumed;
    }
  }

  /** The byte at `index` from the read position. The caller checks `index < length`. */
  byteAt(index: number): number {
    const i = this.seek(index);
    return this.chunks[i]![this.consumed + index - this.cursorStart]!;
  }

  /**
   * Index in `chunks` of the chunk holding the byte at `index` from the read position; leaves
   * the cursor there. Walks forward from the cursor when it can, from `head` otherwise.
   */
  private seek(index: number): number {
    const target = this.consumed + index;
    let i: number;
    let start: number;
    if (this.cursorIndex >= this.head && this.cursorIndex < this.chunks.length && this.cursorStart <= target) {
      i = this.cursorIndex;
      start = this.cursorStart;
    } else {
      i = this.head;
      start = this.consumed - this.offset;
    }
    for (;;) {
      const size = this.chunks[i]!.length;
      if (target < start + size) break;
      start += size;
      i++;
    }
    this.cursorIndex = i;
    this.cursorStart = start;
    return i;
  }

  /**
   * Reads an unsigned integer of `size` bytes (1, 2, 4 or 8) at `index` without consuming it.
   * 8-byte values come back as a bigint-free number: exact up to 2^53, and a value above that
   * is returned as `Infinity` so that a limit check rejects it rather than wrapping.
   */
  readUInt(index: number, size: 1 | 2 | 4 | 8, littleEndian: boolean): number {
    const first = this.chunks[this.head];
    if (first !== undefined && this.offset + index + size <= first.length) {
      const at = this.offset + index;
      switch (size) {
        case 1:
          return first[at]!;
        case 2:
          return littleEndian ? first.readUInt16LE(at) : first.readUInt16BE(at);
        case 4:
          // Byte by byte: Buffer's readUInt32* is not inlined here and re-checks the bounds checked above.
          return littleEndian
            ? first[at]! + first[at + 1]! * 0x100 + first[at + 2]! * 0x10000 + first[at + 3]! * 0x1000000
            : first[at]! * 0x1000000 + first[at + 1]! * 0x10000 + first[at + 2]! * 0x100 + first[at + 3]!;
        case 8:
          return toSafeNumber(littleEndian ? first.readBigUInt64LE(at) : first.readBigUInt64BE(at));
      }
    }
    let value = 0n;
    for (let k = 0; k < size; k++) {
      const byte = BigInt(this.byteAt(index + (littleEndian ? size - 1 - k : k)));
      value = (value << 8n) | byte;
    }
    return toSafeNumber(value);
  }

  /** Removes and returns the next `n` bytes: a view into one chunk, or one copy across several. */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.chunks[this.head]!;
    if (this.offset + n <= first.length) {
      const view = first.subarray(this.offset, this.offset + n);
      this.skip(n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.chunks[this.head]!;
      const count = Math.min(chunk.length - this.offset, n - written);
      chunk.copy(out, written, this.offset, this.offset + count);
      written += count;
      this.skip(count);
    }
    return out;
  }

  /**
   * Drops the next `gap` bytes, then removes and returns the `n` after them: a frame's body after
   * its header, in one step when both lie inside the first chunk (the usual case), as
   * `skip(gap)` then `take(n)` otherwise.
   */
  takeAfter(gap: number, n: number): Buffer {
    const first = this.chunks[this.head];
    const start = this.offset + gap;
    const end = start + n;
    if (first !== undefined && end <= first.length) {
      const view = first.subarray(start, end);
      if (end < first.length) {
        this.offset = end;
        this.bytes -= gap + n;
        this.consumed += gap + n;
      } else if (this.bytes === gap + n) {
        // The frame was all there was (one message per read): nothing left to track.
        this.clear();
      } else {
        this.skip(gap + n);
      }
      return view;
    }
    this.skip(gap);
    return this.take(n);
  }

  /** Removes and returns every unread byte. */
  takeAll(): Buffer {
    return this.take(this.bytes);
  }

  /** Drops the next `n` bytes. */
  skip(n: number): void {
    this.bytes -= n;
    this.consumed += n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      const available = chunk.length - this.offset;
      if (left < available) {
        this.offset += left;
        break;
      }
      left -= available;
      // Let go of the consumed chunk now: compaction below runs in batches, and a dead slot must
      // not keep its Buffer alive until then.
      this.chunks[this.head] = EMPTY;
      this.head++;
      this.offset = 0;
    }
    if (this.bytes === 0) {
      this.clear();
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.cursorIndex -= this.head;
      this.head = 0;
    }
  }

  /**
   * Position of `pattern` at or after `from`, or -1. Works across chunk boundaries, so a
   * multi-byte delimiter split between two reads is still found.
   */
  indexOf(pattern: Buffer, from = 0): number {
    const plen = pattern.length;
    if (plen === 0 || from < 0 || this.bytes - from < plen) return -1;
    const firstByte = pattern[0]!;
    let i = this.seek(from);
    // Position (relative to the read position) of chunk i's byte 0; negative for a part-read head.
    let base = this.cursorStart - this.consumed;
    let localFrom = from - base;
    // Search each chunk natively, then check the seam to the next chunks by hand.
    for (; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      const hit = chunk.indexOf(pattern, localFrom);
      if (hit !== -1) return base + hit;
      // A match that starts in this chunk's last plen-1 bytes and ends in the next ones.
      if (plen > 1) {
        for (let p = Math.max(localFrom, chunk.length - plen + 1); p < chunk.length; p++) {
          if (chunk[p] !== firstByte) continue;
          const pos = base + p;
          if (pos + plen > this.bytes) return -1;
          if (this.matchesAt(pattern, i, p)) return pos;
        }
      }
      base += chunk.length;
      localFrom = 0;
    }
    return -1;
  }

  /** Whether `pattern` starts at byte `p` of chunk `i`; the caller checks that enough bytes follow. */
  private matchesAt(pattern: Buffer, i: number, p: number): boolean {
    let chunk = this.chunks[i]!;
    for (let k = 0; k < pattern.length; k++, p++) {
      while (p >= chunk.length) {
        p -= chunk.length;
        chunk = this.chunks[++i]!;
      }
      if (chunk[p] !== pattern[k]) return false;
    }
    return true;
  }

  clear(): void {
    // A new empty array, not `length = 0`: setting an array's length is a runtime call in V8
    // (callgrind: dearer than the allocation).
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.bytes = 0;
    this.consumed = 0;
    this.cursorIndex = 0;
    this.cursorStart = 0;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * A received chunk that is a view of a slab shared by many reads (src/transport/read-slab.ts),
 * between {@link beginSharedChunk} and {@link endSharedChunk}, and the list it was pushed to.
 *
 * Why: the part of a read that a list keeps past the read (an incomplete frame) would keep the
 * whole slab alive; slabs kept across young-generation collections are promoted and then freed
 * only by full collections, which a 1 KiB echo then triggered ten times a second (`--trace-gc`).
 * So the list copies the part it keeps, once, when the read is over.
 */
let sharedChunk: Buffer | undefined;
let sharedKeeper: ChunkList | undefined;

/** `chunk`, about to be handed to the connection, is a view of a shared slab. */
export function beginSharedChunk(chunk: Buffer): void {
  sharedChunk = chunk;
  sharedKeeper = undefined;
}

/** The read is handled: a list still holding part of the shared chunk copies that part. */
export function endSharedChunk(): void {
  const keeper = sharedKeeper;
  const chunk = sharedChunk;
  sharedChunk = undefined;
  sharedKeeper = undefined;
  if (keeper !== undefined) keeper.ownChunk(chunk!);
}

function toSafeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
}
