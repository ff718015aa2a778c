/** RFC 6455's fixed GUID, appended to Sec-WebSocket-Key to make Sec-WebSocket-Accept. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Frame opcodes (RFC 6455 §5.2). 3-7 and 11-15 are reserved and refused. */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** Close codes Switchboard sends or reports (RFC 6455 §7.4.1). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reported (never sent) when a close frame had no code. */
  NoStatus: 1005,
  /** Reported (never sent) when the connection ended without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  InternalError: 1011,
  ServiceRestart: 1012,
} as const;

/** Control frames carry at most this many payload bytes and are never fragmented. */
export const MAX_CONTROL_PAYLOAD = 125;

/**
 * Whether a peer may send `code` in a close frame: 1000-1014 minus the reserved 1004-1006
 * (1015 and 1016+ in the 1xxx range are unassigned), and 3000-4999 for libraries and applications.
 */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}
