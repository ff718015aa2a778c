import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/index.js';

// dist/test/docs/ -> repository root
const root = new URL('../../../', import.meta.url);
const doc = readFileSync(new URL('docs/ERRORS.md', root), 'utf8');

type CodeName = keyof typeof ErrorCode;

/**
 * For every code, the test that raises it and shows it raised: a file under test/, the test's
 * name, and what in that test's body names the code (by default `ErrorCode.<name>`; codec tests
 * go through a helper that checks the code). Checked against the sources below, so that a renamed
 * or deleted test, or one that no longer checks its code, fails here.
 */
const RAISED_BY: Partial<Record<CodeName, { file: string; test: string; evidence?: string }>> = {
  FrameTooLarge: { file: 'connection/limits.test.ts', test: 'a length field announcing more than maxFrameBytes fails from the header alone; others unaffected' },
  CorruptFrame: { file: 'codec/length-field-codec.test.ts', test: 'signed length: a negative value is a corrupt frame, at every width', evidence: 'corrupt(' },
  InvalidJson: { file: 'websocket/connection.test.ts', test: 'uses a message codec when configured (JSON)' },
  InvalidUtf8: { file: 'codec/line-codec.test.ts', test: 'fails with ERR_INVALID_UTF8, the decoder error as cause', evidence: 'badUtf8(' },
  InvalidMessage: { file: 'websocket/connection.test.ts', test: 'sends a string as a text frame and bytes as a binary frame; refuses other values with sendFail' },
  InvalidOption: { file: 'websocket/connection.test.ts', test: 'closes with a code and reason of the application: websocket.close(4000, ...)' },
  InvalidArgument: { file: 'registry/registry.test.ts', test: 'rejects arguments of the wrong type with ERR_INVALID_ARGUMENT' },
  Unsupported: { file: 'server/server.test.ts', test: 'refuses reusePort on a Node without SO_REUSEPORT instead of ignoring it' },
  AddressInUse: { file: 'server/server.test.ts', test: 'rejects start() on a used address with the address in the error' },
  PermissionDenied: { file: 'server/listen-errors.test.ts', test: 'a privileged port, or a directory it may not write, as a non-root user: ERR_PERMISSION_DENIED' },
  ListenFailed: { file: 'server/listen-errors.test.ts', test: 'an address that is not on this machine: ERR_LISTEN_FAILED with the system error as cause' },
  BadTlsMaterial: { file: 'server/server.test.ts', test: 'rejects bad TLS material at start()' },
  AlreadyStarted: { file: 'server/listen-errors.test.ts', test: 'start() twice: ERR_ALREADY_STARTED, and the running server is unaffected' },
  ReceiveBufferFull: { file: 'connection/limits.test.ts', test: '20 MiB without a delimiter: receiveBufferFull, closed, memory bounded' },
  SendBufferFull: { file: 'connection/limits.test.ts', test: 'sendBufferFullPolicy close: the connection is closed with reason limit' },
  ConnectionError: { file: 'connection/connection.test.ts', test: 'a peer that resets the connection: close with ERR_CONNECTION, the system error as cause' },
  TlsHandshake: { file: 'connection/connection.test.ts', test: 'plaintext garbage to a TLS listener ends that connection with a coded error; the server serves on' },
  HandshakeTimeout: { file: 'connection/connection.test.ts', test: 'a stalled TLS handshake is closed at handshakeTimeout (injected clock)' },
  HandlerFailed: { file: 'connection/connection.test.ts', test: 'a handler that throws or rejects fails only its connection; the server serves on' },
  OpenFailed: { file: 'client/client.test.ts', test: 'a bad host: openFail; a bad port: openFail at once' },
  ConnectFailed: { file: 'client/client.test.ts', test: 'a closed port: connectFail with ECONNREFUSED, connect() rejects' },
  OfflineQueueFull: { file: 'client/client.test.ts', test: 'the offline queue is bounded: over it, sendFail offlineQueueFull' },
  ClientClosed: { file: 'client/client.test.ts', test: 'connect() on a closed client, or pending when the client is closed: ERR_CLIENT_CLOSED' },
  WebSocketProtocol: { file: 'websocket/frame-receiver.test.ts', test: 'read_server_frames as a client; refuses masked ones' },
  HandshakeRefused: { file: 'websocket/handshake.test.ts', test: 'runs the handshake hook: accept with context, protocol and headers; refuse with a status; a throw is 500' },
  ClusterUnavailable: { file: 'cluster/redis-faults.test.ts', test: 'a node started while Redis is away: ready() rejects with a code, and it joins once Redis answers' },
  ClusterTimeout: { file: 'cluster/redis-faults.test.ts', test: 'CLIENT PAUSE 3000: the queue to Redis stays bounded, and what cannot be answered fails with a code', evidence: "codes['ERR_CLUSTER_TIMEOUT']" },
  ClusterOverloaded: { file: 'cluster/redis-faults.test.ts', test: 'CLIENT PAUSE 3000: the queue to Redis stays bounded, and what cannot be answered fails with a code', evidence: "codes['ERR_CLUSTER_OVERLOADED']" },
  ClusterIncomplete: { file: 'cluster/local-hub.test.ts', test: 'a live node that does not answer in time is named, and the others are counted' },
  ClusterRemoteFailed: { file: 'cluster/local-hub.test.ts', test: 'a call the node holding the connection fails rejects with ERR_CLUSTER_REMOTE_FAILED, naming its code' },
  PeerUnreachable: { file: 'udp/udp.test.ts', test: 'an ICMP port unreachable becomes a sendFail unreachable on the connection, never a crash' },
  // process and command (issue 9): the command's errors reach a user as a message and an exit code
  AppNotFound: { file: 'cli/usage.test.ts', test: 'an app file that does not exist, or exports nothing usable, fails the start with what was expected', evidence: 'does not exist' },
  AppInvalid: { file: 'cli/usage.test.ts', test: 'an app file that does not exist, or exports nothing usable, fails the start with what was expected', evidence: 'must have a default export' },
  WorkerStartFailed: { file: 'process/crashes.test.ts', test: 'a reload of code that cannot start stops at the first new worker; the old workers keep serving', evidence: 'could not start the app' },
  SupervisorGone: { file: 'process/workers.test.ts', test: 'workers do not outlive a supervisor killed with SIGKILL: no orphan keeps the port, a pending task rejects' },
  TaskFailed: { file: 'process/tasks.test.ts', test: 'a handler that throws rejects with ERR_TASK_FAILED carrying its error' },
  TaskTimeout: { file: 'process/tasks.test.ts', test: 'a timeout rejects with ERR_TASK_TIMEOUT, and the pool goes on' },
  TaskQueueFull: { file: 'process/tasks.test.ts', test: 'a full queue rejects at once with ERR_TASK_QUEUE_FULL' },
  TaskWorkerExited: { file: 'process/tasks.test.ts', test: 'a task worker that dies mid-task rejects that task only, and is replaced' },
  UnknownTask: { file: 'process/tasks.test.ts', test: 'an unknown task rejects with ERR_UNKNOWN_TASK; a bad timeout is refused up front' },
  NoTaskWorkers: { file: 'process/tasks.test.ts', test: 'task() rejects with ERR_NO_TASK_WORKERS' },
  NotRunning: { file: 'cli/usage.test.ts', test: 'stop, status, reload and restart with nothing running exit 3; a stale pid file is detected and removed', evidence: 'not running' },
  AlreadyRunning: { file: 'cli/daemon.test.ts', test: 'start --daemon, a second start refused, status (text and --json), restart, stop', evidence: 'already running' },
  ReloadInProgress: { file: 'cli/daemon-reload.test.ts', test: 'reload on a daemon: the port stays open, a second reload meanwhile is refused, old connections get the goodbye', evidence: 'a reload is already running' },
  ControlFailed: { file: 'cli/usage.test.ts', test: 'a pid file naming a live process with no control socket: status cannot reach it, exit 1', evidence: 'cannot reach the control socket' },
  BadCommandLine: { file: 'cli/usage.test.ts', test: '--help lists the commands, each command has its own --help, an unknown one exits 2', evidence: '--workers must be a whole number' },
};

/**
 * Codes that exist before any test raises them, each with who owes the test. Kept explicit (and
 * checked both ways below) so that a new code is never silently left untested: the owner removes
 * its line when the test lands.
 */
const NOT_YET_RAISED: Partial<Record<CodeName, string>> = {};

/** The source of one test: from its `it(` / `test(` line to the next one (or the end of the file). */
function testBody(file: string, name: string): string | undefined {
  const path = new URL(`test/${file}`, root);
  if (!existsSync(path)) return undefined;
  const source = readFileSync(path, 'utf8');
  const quoted = [`'${name.replaceAll("'", "\\'")}'`, `"${name}"`, `\`${name}\``];
  const start = Math.max(...quoted.map((q) => Math.max(source.indexOf(`it(${q}`), source.indexOf(`test(${q}`))));
  if (start === -1) return undefined;
  const next = /\n\s*(it|test)\(/g;
  next.lastIndex = start + 1;
  const end = next.exec(source)?.index ?? source.length;
  return source.slice(start, end);
}

describe('docs/ERRORS.md', () => {
  it('lists every error code', () => {
    const missing = Object.values(ErrorCode).filter((code) => !doc.includes(`\`${code}\``));
    assert.deepEqual(missing, []);
  });

  it('lists no code that does not exist', () => {
    const listed = new Set([...doc.matchAll(/`(ERR_[A-Z0-9_]+)`/g)].map((m) => m[1]!));
    const known = new Set<string>(Object.values(ErrorCode));
    assert.deepEqual([...listed].filter((code) => !known.has(code)), []);
  });

  it('every code is raised by a named test that checks it', () => {
    const problems: string[] = [];
    for (const name of Object.keys(ErrorCode) as CodeName[]) {
      const entry = RAISED_BY[name];
      if (entry && NOT_YET_RAISED[name]) problems.push(`${ErrorCode[name]}: raised by a test now, remove it from NOT_YET_RAISED`);
      if (!entry) {
        if (!NOT_YET_RAISED[name]) problems.push(`${ErrorCode[name]}: no test listed in RAISED_BY`);
        continue;
      }
      const body = testBody(entry.file, entry.test);
      if (body === undefined) {
        problems.push(`${ErrorCode[name]}: no test '${entry.test}' in test/${entry.file}`);
        continue;
      }
      const evidence = entry.evidence ?? `ErrorCode.${name}`;
      if (!body.includes(evidence)) problems.push(`${ErrorCode[name]}: test '${entry.test}' never checks it (no ${evidence})`);
    }
    assert.deepEqual(problems, []);
  });
});
