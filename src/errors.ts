/**
 * Every error Switchboard raises is a {@link SwitchboardError} with a stable string `code`.
 * Match on `code`, never on the message. All codes are listed in docs/ERRORS.md.
 */
export const ErrorCode = {
  // codec
  FrameTooLarge: 'ERR_FRAME_TOO_LARGE',
  CorruptFrame: 'ERR_CORRUPT_FRAME',
  InvalidJson: 'ERR_INVALID_JSON',
  InvalidUtf8: 'ERR_INVALID_UTF8',
  InvalidMessage: 'ERR_INVALID_MESSAGE',
  // options
  InvalidOption: 'ERR_INVALID_OPTION',
  InvalidArgument: 'ERR_INVALID_ARGUMENT',
  Unsupported: 'ERR_UNSUPPORTED',
  // lifecycle / listening
  AddressInUse: 'ERR_ADDRESS_IN_USE',
  PermissionDenied: 'ERR_PERMISSION_DENIED',
  ListenFailed: 'ERR_LISTEN_FAILED',
  BadTlsMaterial: 'ERR_BAD_TLS_MATERIAL',
  AlreadyStarted: 'ERR_ALREADY_STARTED',
  // connection
  ReceiveBufferFull: 'ERR_RECEIVE_BUFFER_FULL',
  SendBufferFull: 'ERR_SEND_BUFFER_FULL',
  ConnectionError: 'ERR_CONNECTION',
  TlsHandshake: 'ERR_TLS_HANDSHAKE',
  HandshakeTimeout: 'ERR_HANDSHAKE_TIMEOUT',
  HandlerFailed: 'ERR_HANDLER_FAILED',
  // client
  OpenFailed: 'ERR_OPEN_FAILED',
  ConnectFailed: 'ERR_CONNECT_FAILED',
  OfflineQueueFull: 'ERR_OFFLINE_QUEUE_FULL',
  ClientClosed: 'ERR_CLIENT_CLOSED',
  // websocket
  WebSocketProtocol: 'ERR_WEBSOCKET_PROTOCOL',
  HandshakeRefused: 'ERR_HANDSHAKE_REFUSED',
  // cluster (issue 10): the registry across processes and machines
  ClusterUnavailable: 'ERR_CLUSTER_UNAVAILABLE',
  ClusterTimeout: 'ERR_CLUSTER_TIMEOUT',
  ClusterOverloaded: 'ERR_CLUSTER_OVERLOADED',
  ClusterIncomplete: 'ERR_CLUSTER_INCOMPLETE',
  ClusterRemoteFailed: 'ERR_CLUSTER_REMOTE_FAILED',
  // udp
  PeerUnreachable: 'ERR_PEER_UNREACHABLE',
  // process and command (workers, task workers, the switchboard command)
  AppNotFound: 'ERR_APP_NOT_FOUND',
  AppInvalid: 'ERR_APP_INVALID',
  WorkerStartFailed: 'ERR_WORKER_START_FAILED',
  SupervisorGone: 'ERR_SUPERVISOR_GONE',
  TaskFailed: 'ERR_TASK_FAILED',
  TaskTimeout: 'ERR_TASK_TIMEOUT',
  TaskQueueFull: 'ERR_TASK_QUEUE_FULL',
  TaskWorkerExited: 'ERR_TASK_WORKER_EXITED',
  UnknownTask: 'ERR_UNKNOWN_TASK',
  NoTaskWorkers: 'ERR_NO_TASK_WORKERS',
  NotRunning: 'ERR_NOT_RUNNING',
  AlreadyRunning: 'ERR_ALREADY_RUNNING',
  ReloadInProgress: 'ERR_RELOAD_IN_PROGRESS',
  ControlFailed: 'ERR_CONTROL_FAILED',
  BadCommandLine: 'ERR_BAD_COMMAND_LINE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class: a stable `code`, the underlying `cause` passed on. */
export class SwitchboardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A codec could not turn bytes into a message (Netty's DecoderException). */
export class DecodeError extends SwitchboardError {}

/** A frame announced or reached more than `maxFrameBytes` (Netty's TooLongFrameException). */
export class FrameTooLargeError extends DecodeError {
  constructor(
    readonly frameBytes: number,
    readonly maxFrameBytes: number,
  ) {
    super(ErrorCode.FrameTooLarge, `frame of ${frameBytes} bytes exceeds maxFrameBytes ${maxFrameBytes}`);
  }
}

/** The bytes cannot be a frame of this codec: a negative length, a length shorter than its header. */
export class CorruptFrameError extends DecodeError {
  constructor(message: string) {
    super(ErrorCode.CorruptFrame, message);
  }
}

/** An option was missing, of the wrong type or out of range; the message names it and its value. */
export class InvalidOptionError extends SwitchboardError {
  constructor(name: string, value: unknown, expected: string) {
    super(ErrorCode.InvalidOption, `option ${name} must be ${expected}, got ${describe(value)}`);
  }
}

/** A call got an argument of the wrong type or shape (an id, flag or group that is not a string, ...). */
export class InvalidArgumentError extends SwitchboardError {
  constructor(name: string, value: unknown, expected: string) {
    super(ErrorCode.InvalidArgument, `argument ${name} must be ${expected}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** Turns anything thrown into an Error without losing it. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value), { cause: value });
}

/** A client could not connect. `code` tells whether it could not even begin (ERR_OPEN_FAILED: bad address, unknown host) or was refused or timed out (ERR_CONNECT_FAILED); `osCode` is the system's code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, ...). */
export class ConnectError extends SwitchboardError {
  constructor(
    code: typeof ErrorCode.OpenFailed | typeof ErrorCode.ConnectFailed,
    message: string,
    readonly osCode: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * A codec cannot frame this message: a delimiter inside a delimited message, a fixed-length frame
 * of the wrong size, a value JSON cannot represent. Raised by `encode`; the message is not sent.
 */
export class InvalidMessageError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidMessage, message, options);
  }
}

/**
 * What a codec's `encode` threw, as every send path reports it: a coded error stays as it is, and
 * anything else (a user codec's own `TypeError`) becomes `ERR_INVALID_MESSAGE` with it as `cause`.
 */
export function asInvalidMessage(error: unknown): SwitchboardError {
  return error instanceof SwitchboardError
    ? error
    : new InvalidMessageError(`the codec could not encode the message: ${asError(error).message}`, { cause: error });
}

/**
 * A WebSocket peer broke RFC 6455 (`ERR_WEBSOCKET_PROTOCOL`), sent text that is not UTF-8
 * (`ERR_INVALID_UTF8`) or a message over the limit (`ERR_FRAME_TOO_LARGE`). `closeCode` is the
 * close code the connection was failed with (1002, 1007, 1009, ...).
 */
export class WebSocketProtocolError extends DecodeError {
  constructor(
    code: ErrorCode,
    readonly closeCode: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A WebSocket handshake was refused with an HTTP `status` (by the checks, the hook or the peer). */
export class HandshakeRefusedError extends SwitchboardError {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.HandshakeRefused, message, options);
  }
}

// ---- cluster (issue 10) ------------------------------------------------------------------------

/**
 * The cluster engine cannot be reached (`ERR_CLUSTER_UNAVAILABLE`: Redis down, not yet joined,
 * disposed), did not answer in time (`ERR_CLUSTER_TIMEOUT`), or refused work because its outgoing
 * queue is full (`ERR_CLUSTER_OVERLOADED`), or another node failed the call (`ERR_CLUSTER_REMOTE_FAILED`).
 * Local work goes on; the call that needed the cluster fails.
 */
export class ClusterError extends SwitchboardError {
  /** For a push or close: connections of this node it was handed to before the cluster failed. */
  readonly delivered: number;
  constructor(
    code: typeof ErrorCode.ClusterUnavailable | typeof ErrorCode.ClusterTimeout | typeof ErrorCode.ClusterOverloaded | typeof ErrorCode.ClusterRemoteFailed,
    message: string,
    options?: { cause?: unknown; delivered?: number },
  ) {
    super(code, message, options);
    this.delivered = options?.delivered ?? 0;
  }
}

/**
 * A push or close across the cluster reached every node that answered, but some live nodes did not
 * answer in time: `delivered` counts what the answering nodes (and this one) handed the message to,
 * `unanswered` names the others. Their connections may or may not have got it: never silently less.
 */
export class ClusterIncompleteError extends SwitchboardError {
  constructor(
    readonly delivered: number,
    readonly unanswered: readonly string[],
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.ClusterIncomplete, `${unanswered.length} node(s) did not answer in time (${unanswered.join(', ')}); ${delivered} connection(s) reached by the others`, options);
  }
}

// ---- one class per failure ----------------------------------------------------------------
// Each names its failure once, so that a catch or an event handler can test `instanceof` as well
// as `code`, and the message is written in one place.

/** `JsonCodec` / `JsonMessageCodec` received a frame that is not JSON (`cause`: the parse error). */
export class InvalidJsonError extends DecodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidJson, message, options);
  }
}

/** Bytes that must be UTF-8 text are not. */
export class InvalidUtf8Error extends DecodeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidUtf8, message, options);
  }
}

/** The option cannot work on this Node.js version. */
export class UnsupportedError extends SwitchboardError {
  constructor(message: string) {
    super(ErrorCode.Unsupported, message);
  }
}

/** Another socket holds the address a server wants to listen on. */
export class AddressInUseError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.AddressInUse, message, options);
  }
}

/** The process may not bind that address. */
export class PermissionDeniedError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PermissionDenied, message, options);
  }
}

/** Any other listen failure (`cause`: the system error). */
export class ListenFailedError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ListenFailed, message, options);
  }
}

/** TLS key material that cannot make a secure context. */
export class BadTlsMaterialError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.BadTlsMaterial, message, options);
  }
}

/** `start()` on a server that is not idle. */
export class AlreadyStartedError extends SwitchboardError {
  constructor(message: string) {
    super(ErrorCode.AlreadyStarted, message);
  }
}

/** An incomplete message passed `maxReceiveBufferSize`; the connection closes with reason `limit`. */
export class ReceiveBufferFullError extends SwitchboardError {
  constructor(
    readonly bufferedBytes: number,
    readonly limit: number,
    message = `receive buffer passed ${limit} bytes (${bufferedBytes} held)`,
  ) {
    super(ErrorCode.ReceiveBufferFull, message);
  }
}

/** The send buffer is over `maxSendBufferSize` and the connection's policy is `close`. */
export class SendBufferFullError extends SwitchboardError {
  constructor(readonly limit: number) {
    super(ErrorCode.SendBufferFull, `send buffer over its limit of ${limit} bytes`);
  }
}

/** The link failed underneath a connection (`cause`: the system error, e.g. `ECONNRESET`). */
export class ConnectionFailedError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ConnectionError, message, options);
  }
}

/** The TLS handshake failed: plaintext to a TLS port, a bad certificate, a protocol error. */
export class TlsHandshakeError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.TlsHandshake, message, options);
  }
}

/** A TLS or WebSocket handshake did not finish within `handshakeTimeout`. */
export class HandshakeTimeoutError extends SwitchboardError {
  constructor(readonly timeout: number, what: string) {
    super(ErrorCode.HandshakeTimeout, `${what} handshake not finished within ${timeout} ms`);
  }
}

/** A user handler threw or rejected while handling a connection's event (`cause`: its error). */
export class HandlerFailedError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.HandlerFailed, message, options);
  }
}

/** A message sent while a client was disconnected did not fit its offline queue. */
export class OfflineQueueFullError extends SwitchboardError {
  constructor(readonly maxMessages: number) {
    super(ErrorCode.OfflineQueueFull, `offline queue holds at most ${maxMessages} messages`);
  }
}

/** `connect()` on a closed client, or the client was closed before it connected. */
export class ClientClosedError extends SwitchboardError {
  constructor(message: string) {
    super(ErrorCode.ClientClosed, message);
  }
}

/** A datagram could not reach its peer (ICMP port unreachable: nothing listens there). */
export class PeerUnreachableError extends SwitchboardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PeerUnreachable, message, options);
  }
}

// ---- process and command (issue 9): workers, task workers, the switchboard command ----------------

/** An app file is missing, or does not export what the process layer needs (the message says what it expected). */
export class AppError extends SwitchboardError {
  constructor(code: typeof ErrorCode.AppNotFound | typeof ErrorCode.AppInvalid, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** A worker could not start its app (listen failed, the app threw); `cause` is its error as the worker reported it. */
export class WorkerStartError extends SwitchboardError {
  constructor(
    readonly workerId: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.WorkerStartFailed, message, options);
  }
}

/**
 * A task did not give a result: its handler threw (`ERR_TASK_FAILED`, `cause`: the handler's error),
 * it ran past its timeout (`ERR_TASK_TIMEOUT`), the queue was full (`ERR_TASK_QUEUE_FULL`), the
 * task worker running it died (`ERR_TASK_WORKER_EXITED`), no handler has that name
 * (`ERR_UNKNOWN_TASK`), no task workers were started (`ERR_NO_TASK_WORKERS`), or the supervisor
 * went away (`ERR_SUPERVISOR_GONE`).
 */
export class TaskError extends SwitchboardError {
  constructor(
    code: ErrorCode,
    readonly task: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The command could not do what it was asked: nothing runs, something runs already, a reload runs, the control socket failed, bad arguments. */
export class CommandError extends SwitchboardError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
