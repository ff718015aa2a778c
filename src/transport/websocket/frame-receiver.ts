import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { ChunkList } from '../../codec/chunk-list.js';
import { ErrorCode, WebSocketProtocolError } from '../../errors.js';
import { CloseCode, isValidCloseCode, MAX_CONTROL_PAYLOAD, Opcode } from './constants.js';
import { applyMask } from './mask.js';
import { receivedText, receivingText } from './received-text.js';
import type { PerMessageDeflateInstance } from './ws-library.js';

// The handler's methods are keyed by these symbols, so that a connection can be its own handler
// (no closures per connection) without the methods becoming part of its public API.
export const onMessage: unique symbol = Symbol('websocket.onMessage');
export const onPing: unique symbol = Symbol('websocket.onPing');
export const onPong: unique symbol = Symbol('websocket.onPong');
export const onClose: unique symbol = Symbol('websocket.onClose');
export const onFail: unique symbol = Symbol('websocket.onFail');
export const onResume: unique symbol = Symbol('websocket.onResume');
export const receiving: unique symbol = Symbol('websocket.receiving');

/** What the receiver hands up: whole messages, control frames, and the one failure. */
export interface FrameHandler {
  /** A whole data message: text as a string (valid UTF-8), binary as a Buffer. */
  [onMessage](data: string | Buffer, binary: boolean): void;
  [onPing](payload: Buffer): void;
  [onPong](payload: Buffer): void;
  /** The peer's close frame; `code` is undefined when it carried none. Nothing is parsed after. */
  [onClose](code: number | undefined, reason: string): void;
  /** The peer broke the protocol; nothing is parsed after. */
  [onFail](error: WebSocketProtocolError): void;
  /** An inflated message part arrived after `run()` had returned: call `run()` again. */
  [onResume](): void;
  /** Asked after each frame: false stops `run()` until it is called again. */
  [receiving](): boolean;
}

export interface FrameReceiverOptions {
  /** Servers require masked frames from clients; clients refuse masked frames (RFC 6455 §5.1). */
  role: 'server' | 'client';
  /** A message (the sum of its fragments, inflated) past this is failed with 1009. */
  maxMessageBytes: number;
}

const HEADER = 0;
const PAYLOAD = 1;
const INFLATING = 2;
const DONE = 3;

/** Whole-message text: stateless without `stream`, so one instance serves every receiver. */
const wholeText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * From this size a payload is checked for ASCII first and, if it is, made a string byte for
 * byte: validating ASCII (simdutf) and copying cost less than the UTF-8 decoder's validation
 * and decoding (1 KiB: 174 against 217 ns); below, the extra call costs more than it saves.
 */
const ASCII_FIRST_MIN = 256;

/** A whole text payload as a string; throws on invalid UTF-8. */
function decodeText(payload: Buffer): string {
  if (payload.length >= ASCII_FIRST_MIN && isAscii(payload)) return payload.toString('latin1');
  return wholeText.decode(payload);
}
const EMPTY = Buffer.alloc(0);

/**
 * Parses RFC 6455 frames from the bytes a connection receives, enforcing the rules a server (or
 * client) must: masking, RSV bits, opcodes, control frame size and fragmentation, continuation
 * order, UTF-8 in text (checked fragment by fragment, so bad text fails as soon as it arrives),
 * close codes, and the message size limit, decided from each frame header before its payload is
 * buffered. A state machine over named states that returns early when bytes are short; payloads
 * are views of the received chunks (unmasked in place) unless a frame spans chunks.
 */
export class FrameReceiver {
  /** Received bytes not yet parsed. */
  readonly input = new ChunkList();
  maxMessageBytes: number;
  /** Set once permessage-deflate is negotiated: RSV1 then marks a compressed message. */
  deflate: PerMessageDeflateInstance | undefined;

  private readonly expectMasked: boolean;
  private state = HEADER;
  // The frame whose header has been read.
  private fin = false;
  private opcode = 0;
  private compressed = false;
  private masked = false;
  private payloadLength = 0;
  /** The frame's masking key, as a big-endian 32-bit number. */
  private maskKey = 0;
  // The fragmented (or compressed) message being assembled.
  private messageOpcode = 0;
  private messageCompressed = false;
  /** Payload bytes announced for the message so far (compressed bytes for a compressed one). */
  private messageBytes = 0;
  /** Bytes held for the message: binary fragments, or text already decoded, or inflated bytes. */
  private heldBytes = 0;
  private inflatedBytes = 0;
  private fragments: Buffer[] | undefined;
  private textParts: string[] | undefined;
  private streamText: TextDecoder | undefined;

  constructor(
    private readonly handler: FrameHandler,
    options: FrameReceiverOptions,
  ) {
    this.expectMasked = options.role === 'server';
    this.maxMessageBytes = options.maxMessageBytes;
  }

  /** Bytes held for incomplete frames and messages. */
  get bufferedBytes(): number {
    return this.input.length + this.heldBytes;
  }

  /** Buffers held (each costs memory beyond its bytes). */
  get bufferedChunks(): number {
    return this.input.chunkCount + (this.fragments?.length ?? 0) + (this.textParts?.length ?? 0);
  }

  /** Whether the receiver waits for the rest of a frame or message (as opposed to being idle or done). */
  get incomplete(): boolean {
    return this.state === PAYLOAD || this.messageOpcode !== 0 || this.input.length > 0;
  }

  /** Parses every whole frame in `input` (until the handler stops receiving); returns how many. */
  run(): number {
    let frames = 0;
    for (;;) {
      if (this.state === HEADER && !this.readHeader()) break;
      if (this.state !== PAYLOAD || this.input.length < this.payloadLength) break;
      const payload = this.input.take(this.payloadLength);
      if (this.masked) applyMask(payload, this.maskKey);
      this.state = HEADER;
      frames++;
      this.frame(payload);
      if (!this.handler[receiving]()) break;
    }
    return frames;
  }

  /** Stops for good: later bytes and pending inflations are ignored. */
  stop(): void {
    this.state = DONE;
    this.input.clear();
    this.resetMessage();
  }

  // ---- frame header ----------------------------------------------------------------------

  private readHeader(): boolean {
    const input = this.input;
    if (input.length < 2) return false;
    const head = input.readUInt(0, 2, false);
    const b0 = head >>> 8;
    const b1 = head & 0xff;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;

    if ((b0 & 0x30) !== 0) return this.protocolError('RSV2 and RSV3 must be clear');
    if (opcode >= Opcode.Close) {
      if (opcode > Opcode.Pong) return this.protocolError(`reserved opcode ${opcode}`);
      if (!fin) return this.protocolError('a control frame must not be fragmented');
      if (rsv1) return this.protocolError('RSV1 must be clear on a control frame');
      if (length > MAX_CONTROL_PAYLOAD) return this.protocolError(`control frame of ${length} bytes (at most ${MAX_CONTROL_PAYLOAD})`);
      if (opcode === Opcode.Close && length === 1) return this.protocolError('close frame with a 1-byte payload');
    } else if (opcode === Opcode.Continuation) {
      if (this.messageOpcode === 0) return this.protocolError('continuation frame with nothing to continue');
      if (rsv1) return this.protocolError('RSV1 must be clear on a continuation frame');
    } else if (opcode === Opcode.Text || opcode === Opcode.Binary) {
      if (this.messageOpcode !== 0) return this.protocolError('new data frame inside a fragmented message');
      if (rsv1 && !this.deflate) return this.protocolError('RSV1 set but no extension was negotiated');
    } else {
      return this.protocolError(`reserved opcode ${opcode}`);
    }
    if (masked !== this.expectMasked) {
      return this.protocolError(this.expectMasked ? 'client frames must be masked' : 'server frames must not be masked');
    }

    let headerBytes = 2;
    if (length === 126) {
      if (input.length < 4) return false;
      length = input.readUInt(2, 2, false);
      headerBytes = 4;
    } else if (length === 127) {
      if (input.length < 10) return false;
      // Infinity above 2^53 (and so for a set top bit): refused below like any oversized length.
      length = input.readUInt(2, 8, false);
      headerBytes = 10;
    }
    if (opcode < Opcode.Close) {
      const total = this.messageBytes + length;
      if (total > this.maxMessageBytes) {
        return this.fail(
          ErrorCode.FrameTooLarge,
          CloseCode.MessageTooBig,
          `message of ${Number.isFinite(total) ? total : 'over 2^53'} bytes exceeds the limit of ${this.maxMessageBytes}`,
        );
      }
    }
    const maskAt = headerBytes;
    if (masked) headerBytes += 4;
    if (input.length < headerBytes) return false;
    this.maskKey = masked ? input.readUInt(maskAt, 4, false) : 0;
    input.skip(headerBytes);

    this.fin = fin;
    this.opcode = opcode;
    this.compressed = rsv1;
    this.masked = masked;
    this.payloadLength = length;
    if (opcode < Opcode.Close) this.messageBytes += length;
    this.state = PAYLOAD;
    return true;
  }

  // ---- frames and messages ---------------------------------------------------------------

  private frame(payload: Buffer): void {
    switch (this.opcode) {
      case Opcode.Text:
      case Opcode.Binary:
        if (this.fin && !this.compressed) {
          this.messageBytes = 0;
          this.whole(payload, this.opcode);
          return;
        }
        this.messageOpcode = this.opcode;
        this.messageCompressed = this.compressed;
        this.part(payload);
        return;
      case Opcode.Continuation:
        this.part(payload);
        return;
      case Opcode.Close:
        this.close(payload);
        return;
      case Opcode.Ping:
        this.handler[onPing](payload);
        return;
      case Opcode.Pong:
        this.handler[onPong](payload);
        return;
    }
  }

  /** The common case: a message in one uncompressed frame. */
  private whole(payload: Buffer, opcode: number): void {
    if (opcode === Opcode.Binary) {
      this.handler[onMessage](payload, true);
      return;
    }
    let text: string;
    try {
      text = decodeText(payload);
    } catch (error) {
      this.invalidUtf8(error);
      return;
    }
    // An echo or relay of this string from its listeners writes these bytes, not a new encoding.
    receivingText(text, payload);
    try {
      this.handler[onMessage](text, false);
    } finally {
      receivedText();
    }
  }

  private part(payload: Buffer): void {
    if (this.messageCompressed) {
      this.inflate(payload, this.fin);
      return;
    }
    this.collect(payload, this.fin);
  }

  /** Adds a piece of the message (a fragment, or inflated bytes); delivers it after the last. */
  private collect(piece: Buffer, fin: boolean): void {
    if (this.messageOpcode === Opcode.Text) {
      // Streaming decode: a sequence split across pieces is carried over, and invalid bytes throw
      // in the piece where they arrive rather than when the message is complete.
      this.streamText ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
      let text: string;
      try {
        text = this.streamText.decode(piece, { stream: !fin });
      } catch (error) {
        this.streamText = undefined;
        this.invalidUtf8(error);
        return;
      }
      if (text.length > 0) (this.textParts ??= []).push(text);
      this.heldBytes += piece.length;
    } else if (piece.length > 0) {
      (this.fragments ??= []).push(piece);
      this.heldBytes += piece.length;
    }
    if (!fin) return;
    const binary = this.messageOpcode === Opcode.Binary;
    let data: string | Buffer;
    if (binary) {
      const fragments = this.fragments ?? [];
      data = fragments.length === 0 ? EMPTY : fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments, this.heldBytes);
    } else {
      const parts = this.textParts ?? [];
      data = parts.length === 1 ? parts[0]! : parts.join('');
    }
    this.resetMessage();
    this.handler[onMessage](data, binary);
  }

  private resetMessage(): void {
    this.messageOpcode = 0;
    this.messageCompressed = false;
    this.messageBytes = 0;
    this.heldBytes = 0;
    this.inflatedBytes = 0;
    this.fragments = undefined;
    this.textParts = undefined;
  }

  private close(payload: Buffer): void {
    let code: number | undefined;
    let reason = '';
    if (payload.length > 0) {
      code = payload.readUInt16BE(0);
      if (!isValidCloseCode(code)) {
        this.protocolError(`invalid close code ${code}`);
        return;
      }
      try {
        reason = wholeText.decode(payload.subarray(2));
      } catch (error) {
        this.invalidUtf8(error);
        return;
      }
    }
    this.stop();
    this.handler[onClose](code, reason);
  }

  // ---- permessage-deflate ----------------------------------------------------------------

  private inflate(data: Buffer, fin: boolean): void {
    this.state = INFLATING;
    // A closure per compressed frame: compression is off by default and never the hot path.
    this.deflate!.decompress(data, fin, (error, result) => this.inflated(error, result, fin));
  }

  private inflated(error: (Error & { code?: string }) | null, result: Buffer | undefined, fin: boolean): void {
    if (this.state !== INFLATING) return;
    this.state = HEADER;
    if (error || !result) {
      if (error?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        this.fail(ErrorCode.FrameTooLarge, CloseCode.MessageTooBig, `inflated message exceeds the limit of ${this.maxMessageBytes} bytes`);
      } else {
        this.fail(ErrorCode.WebSocketProtocol, CloseCode.InvalidPayload, `cannot inflate message: ${error?.message ?? 'no data'}`, error);
      }
      return;
    }
    this.inflatedBytes += result.length;
    if (this.inflatedBytes > this.maxMessageBytes) {
      this.fail(ErrorCode.FrameTooLarge, CloseCode.MessageTooBig, `inflated message exceeds the limit of ${this.maxMessageBytes} bytes`);
      return;
    }
    this.collect(result, fin);
    if (this.state === HEADER) this.handler[onResume]();
  }

  // ---- failures --------------------------------------------------------------------------

  private protocolError(message: string): false {
    return this.fail(ErrorCode.WebSocketProtocol, CloseCode.ProtocolError, message);
  }

  private invalidUtf8(cause: unknown): void {
    this.fail(ErrorCode.InvalidUtf8, CloseCode.InvalidPayload, 'text is not valid UTF-8', cause);
  }

  private fail(code: ErrorCode, closeCode: number, message: string, cause?: unknown): false {
    if (this.state === DONE) return false;
    this.stop();
    this.handler[onFail](new WebSocketProtocolError(code, closeCode, `invalid WebSocket frame: ${message}`, cause === undefined ? undefined : { cause }));
    return false;
  }
}
