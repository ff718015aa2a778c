/**
 * The text message whose listeners are running, beside the UTF-8 bytes it was decoded from.
 *
 * An echo or a relay sends back the very string it was handed; encoding it again (measuring its
 * UTF-8 length, then writing it character by character) costs more than the rest of the frame.
 * While the message's listeners run, a frame writer asked for a string equal to this one copies
 * (or keeps as a view) the received bytes instead.
 *
 * Why this is exact for any string: the bytes were validated by a fatal UTF-8 decode, and valid
 * UTF-8 and the strings it decodes to map one to one (no lone surrogates either way), so a string
 * equal to the decoded one encodes to exactly these bytes. A different or edited string is not
 * equal and is encoded as usual. The bytes are the frame's payload, unmasked in place in the
 * chunk the socket read (or the one copy of a frame that spanned chunks): nothing writes to them
 * afterwards, and they are only referenced while the listeners run, so no chunk is kept alive by
 * this beyond the turn's flush.
 */
let text: string | undefined;
let bytes: Buffer | undefined;

/** Called by the frame receiver around the delivery of a whole text message. */
export function receivingText(decoded: string, from: Buffer): void {
  text = decoded;
  bytes = from;
}

/** The delivery is over: later sends encode their strings. */
export function receivedText(): void {
  text = undefined;
  bytes = undefined;
}

/** The validated UTF-8 bytes of `candidate` when it equals the text being delivered, else undefined. */
export function bytesOfReceivedText(candidate: string): Buffer | undefined {
  // Length first: a cheap miss for most strings that differ (=== would compare their characters).
  return text !== undefined && candidate.length === text.length && candidate === text ? bytes : undefined;
}
