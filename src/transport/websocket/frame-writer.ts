import { VIEW_MIN_BYTES } from '../socket-events.js';
import { applyMask } from './mask.js';
import { CloseCode, Opcode } from './constants.js';
import { bytesOfReceivedText } from './received-text.js';

/**
 * Writes whole WebSocket frames (RFC 6455 §5.2): header and payload in one Buffer, so that a
 * broadcast frame can be handed to many sockets as is; or, for a connection's own send, header
 * and payload side by side so that a payload of bytes is not copied.
 *
 * ```text
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-------+-+-------------+-------------------------------+
 * |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 * |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 * |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 * | |1|2|3|       |K|             |                               |
 * +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 * |     Extended payload length continued, if payload len == 127  |
 * + - - - - - - - - - - - - - - - +-------------------------------+
 * |                               | Masking-key, if MASK set to 1 |
 * +-------------------------------+-------------------------------+
 * | Masking-key (continued)       |          Payload Data         |
 * +-------------------------------- - - - - - - - - - - - - - - - +
 * ```
 *
 * Frames written here always have FIN set and no RSV bits: messages are never fragmented on
 * output and never compressed (so that one encoding serves every connection).
 */
export function writeFrame(opcode: number, payload: string | Uint8Array, mask?: Uint8Array): Buffer {
  let length: number;
  let text: string | undefined;
  if (typeof payload === 'string') {
    // The text being delivered (an echo, a relay): its received bytes, copied, not re-encoded.
    const received = bytesOfReceivedText(payload);
    if (received === undefined) {
      text = payload;
      length = Buffer.byteLength(text);
    } else {
      payload = received;
      length = received.length;
    }
  } else {
    length = payload.length;
  }
  const headerBytes = headerBytesOf(length, mask !== undefined);
  const frame = Buffer.allocUnsafe(headerBytes + length);
  writeHeaderAt(frame, 0, opcode, length, mask);
  if (text !== undefined) frame.write(text, headerBytes, length, 'utf8');
  else frame.set(payload as Uint8Array, headerBytes);
  if (mask) applyMask(frame.subarray(headerBytes), ((mask[0]! << 24) | (mask[1]! << 16) | (mask[2]! << 8) | mask[3]!) >>> 0);
  return frame;
}

/**
 * An unmasked frame written at `at` in `target` when it fits before `end` (output-slab.ts packs a
 * connection's turn of small frames so, back to back, one copy each). Returns the frame's size,
 * written or not. The text being delivered is not encoded again: its received bytes are copied.
 */
export function writeFrameInto(opcode: number, payload: string | Uint8Array, target: Buffer, at: number, end: number): number {
  let text: string | undefined;
  let bytes: Uint8Array | undefined;
  let length: number;
  if (typeof payload === 'string') {
    bytes = bytesOfReceivedText(payload);
    if (bytes === undefined) {
      text = payload;
      length = Buffer.byteLength(text);
    } else {
      length = bytes.length;
    }
  } else {
    bytes = payload;
    length = payload.length;
  }
  const size = headerBytesOf(length, false) + length;
  if (size > end - at) return size;
  const headerBytes = writeHeaderAt(target, at, opcode, length, undefined);
  if (text !== undefined) target.write(text, at + headerBytes, length, 'utf8');
  else target.set(bytes!, at + headerBytes);
  return size;
}

/**
 * An unmasked frame pushed onto `out`, for a frame too large for the turn's output slab
 * ({@link writeFrameInto} takes the others). A message of bytes is left as it is (a view beside its
 * header, as `ws` does: `send` documents that bytes are not copied), so that an echoed or relayed
 * body is not copied; the text being delivered is not encoded again either (its received bytes
 * beside the header). Other text is encoded into one Buffer with its header. Returns the bytes pushed.
 */
export function writeFrameParts(opcode: number, payload: string | Uint8Array, out: Buffer[]): number {
  if (typeof payload !== 'string') return writeHeaderBeside(opcode, payload, out);
  const received = bytesOfReceivedText(payload);
  // Below VIEW_MIN_BYTES the flush would join header and view anyway: one Buffer now is cheaper.
  if (received !== undefined && received.length >= VIEW_MIN_BYTES) return writeHeaderBeside(opcode, received, out);
  const frame = writeFrame(opcode, payload);
  out.push(frame);
  return frame.length;
}

/** The frame of `payload` as two pieces: its header, then the payload itself. */
function writeHeaderBeside(opcode: number, payload: Uint8Array, out: Buffer[]): number {
  const length = payload.length;
  const header = Buffer.allocUnsafe(headerBytesOf(length, false));
  writeHeaderAt(header, 0, opcode, length, undefined);
  out.push(header, Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  return header.length + length;
}

function headerBytesOf(length: number, masked: boolean): number {
  return 2 + (length < 126 ? 0 : length < 65536 ? 2 : 8) + (masked ? 4 : 0);
}

/**
 * FIN, opcode, payload length and (for a client) the mask bit and key, at `start` in `frame`;
 * returns the header's length.
 */
function writeHeaderAt(frame: Buffer, start: number, opcode: number, length: number, mask: Uint8Array | undefined): number {
  frame[start] = 0x80 | opcode;
  let at = start + 2;
  if (length < 126) {
    frame[start + 1] = length;
  } else if (length < 65536) {
    frame[start + 1] = 126;
    // Two stores, not writeUInt16BE: a call and its checks per frame on the hot path.
    frame[at] = length >>> 8;
    frame[at + 1] = length & 0xff;
    at += 2;
  } else {
    frame[start + 1] = 127;
    frame.writeUInt32BE(Math.floor(length / 0x100000000), at);
    frame.writeUInt32BE(length >>> 0, at + 4);
    at += 8;
  }
  if (mask) {
    frame[start + 1]! |= 0x80;
    frame.set(mask, at);
    at += 4;
  }
  return at - start;
}

/** A close frame with a code and a reason (cut to fit the 125-byte control payload). */
export function writeCloseFrame(code: number | undefined, reason: string, mask?: Uint8Array): Buffer {
  if (code === undefined || code === CloseCode.NoStatus) return writeFrame(Opcode.Close, EMPTY, mask);
  let text: Buffer = Buffer.from(reason);
  if (text.length > 123) text = truncateUtf8(text, 123);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return writeFrame(Opcode.Close, payload, mask);
}

/** Cuts UTF-8 bytes to at most `max` without splitting a character. */
function truncateUtf8(bytes: Buffer, max: number): Buffer {
  let end = max;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

const EMPTY = Buffer.alloc(0);

/** An empty, unmasked ping: what a server's heartbeat sends. */
export const SERVER_PING_FRAME = writeFrame(Opcode.Ping, EMPTY);
