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
  }

  /** The byte at `index` from the read position. The caller checks `index < length`. */
  byteAt(index: number): number {
    let i = this.head;
    let at = index + this.offset;
    for (;;) {
      const chunk = this.chunks[i]!;
      if (at < chunk.length) return chunk[at]!;
      at -= chunk.length;
      i++;
    }
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
          return littleEndian ? first.readUInt32LE(at) : first.readUInt32BE(at);
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

  /** Removes and returns every unread byte. */
  takeAll(): Buffer {
    return this.take(this.bytes);
  }

  /** Drops the next `n` bytes. */
  skip(n: number): void {
    this.bytes -= n;
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      const available = chunk.length - this.offset;
      if (left < available) {
        this.offset += left;
        return;
      }
      left -= available;
      this.head++;
      this.offset = 0;
    }
    if (this.bytes === 0) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Position of `pattern` at or after `from`, or -1. Works across chunk boundaries, so a
   * multi-byte delimiter split between two reads is still found.
   */
  indexOf(pattern: Buffer, from = 0): number {
    const plen = pattern.length;
    if (plen === 0 || this.bytes - from < plen) return -1;
    const firstByte = pattern[0]!;
    // Fast path: search each chunk natively, then check the seams between chunks by hand.
    let base = 0; // position (relative to the read position) of the current chunk's first unread byte
    for (let i = this.head; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      const start = i === this.head ? this.offset : 0;
      const span = chunk.length - start;
      if (base + span > from) {
        const localFrom = Math.max(0, from - base) + start;
        const hit = chunk.indexOf(pattern, localFrom);
        if (hit !== -1) return base + hit - start;
        // A match that starts in this chunk's last plen-1 bytes and ends in the next ones.
        if (plen > 1) {
          const seamStart = Math.max(localFrom, chunk.length - plen + 1);
          for (let p = seamStart; p < chunk.length; p++) {
            if (chunk[p] !== firstByte) continue;
            const pos = base + p - start;
            if (pos + plen > this.bytes) return -1;
            if (this.matchesAt(pattern, pos)) return pos;
          }
        }
      }
      base += span;
    }
    return -1;
  }

  private matchesAt(pattern: Buffer, pos: number): boolean {
    for (let k = 0; k < pattern.length; k++) if (this.byteAt(pos + k) !== pattern[k]) return false;
    return true;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.bytes = 0;
  }
}

const EMPTY = Buffer.alloc(0);

function toSafeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
}
