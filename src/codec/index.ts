// The codec layer: bytes <-> messages. Every name here is exported on purpose; nothing else is.

export type { Codec, Decoder, CodecOptions, DecodedBy, EncodedBy } from './codec.js';
export { DEFAULT_MAX_FRAME_BYTES } from './codec.js';
export { ChunkList } from './chunk-list.js';
export { LengthFieldCodec, LENGTH_FIELD_DEFAULTS, type LengthFieldCodecOptions } from './length-field-codec.js';
export { DelimiterCodec, DELIMITER_DEFAULTS, type DelimiterCodecOptions, type DelimiterBytes } from './delimiter-codec.js';
export { FixedLengthCodec, FIXED_LENGTH_DEFAULTS, type FixedLengthCodecOptions } from './fixed-length-codec.js';
export { LineCodec, LINE_DEFAULTS, type LineCodecOptions } from './line-codec.js';
export { JsonCodec, JSON_DEFAULTS, type JsonCodecOptions } from './json-codec.js';
export { RawCodec, RAW_DEFAULTS, type RawCodecOptions } from './raw-codec.js';
