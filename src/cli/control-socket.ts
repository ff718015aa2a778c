// The control socket beside the pid file: how `status`, `stop`, `reload` and `restart` reach a
// running supervisor. JSON lines over a Unix socket, served and dialled with Switchboard itself
// (its Unix listener already replaces a stale socket file left by a dead server and refuses a
// live one).
import { JsonCodec } from '../codec/json-codec.js';
import type { Connection } from '../connection/connection.js';
import { Client } from '../client/client.js';
import { CommandError, ErrorCode, SwitchboardError } from '../errors.js';
import { Server } from '../server/server.js';

export type ControlRequest =
  | { readonly cmd: 'ping' | 'status' | 'reload' | 'reload-tasks' }
  | { readonly cmd: 'stop'; readonly timeout?: number };

export type ControlReply = { readonly ok: true; readonly result?: unknown } | { readonly ok: false; readonly code: string; readonly message: string };

/** What the supervisor's process does for each request. `stop` only begins the stop: the socket closes when the process exits. */
export interface ControlHandlers {
  status(): Promise<unknown>;
  stop(timeout: number | undefined): void;
  reload(): Promise<void>;
  reloadTasks(): Promise<void>;
}

/** How long a liveness probe of a control socket waits for its answer. */
const PING_TIMEOUT = 2000;

/** Serves the control socket at `path` until `close()`. */
export async function serveControl(path: string, handlers: ControlHandlers): Promise<{ close(): Promise<void> }> {
  const server = new Server({ endpoints: [{ transport: 'unix', path }], codec: new JsonCodec(), stopTimeout: 0 });
  server.on('message', ({ connection, message }) => void answer(connection, message as ControlRequest, handlers));
  await server.start();
  return { close: () => server.stop({ timeout: 0 }) };
}

async function answer(connection: Connection, request: ControlRequest, handlers: ControlHandlers): Promise<void> {
  let reply: ControlReply;
  try {
    switch (request?.cmd) {
      case 'ping':
        reply = { ok: true, result: 'pong' };
        break;
      case 'status':
        reply = { ok: true, result: await handlers.status() };
        break;
      case 'stop':
        handlers.stop(typeof request.timeout === 'number' ? request.timeout : undefined);
        reply = { ok: true, result: 'stopping' };
        break;
      case 'reload':
        await handlers.reload();
        reply = { ok: true, result: 'reloaded' };
        break;
      case 'reload-tasks':
        await handlers.reloadTasks();
        reply = { ok: true, result: 'reloaded' };
        break;
      default:
        reply = { ok: false, code: ErrorCode.BadCommandLine, message: `unknown control request ${JSON.stringify(request)}` };
    }
  } catch (error) {
    const code = error instanceof SwitchboardError ? error.code : ErrorCode.ControlFailed;
    reply = { ok: false, code, message: (error as Error).message };
  }
  connection.send(reply);
}

/**
 * Sends one request and resolves to the reply; with `untilClosed`, resolves only once the server
 * closes the connection too (its process exited after a stop). Rejects with ERR_CONTROL_FAILED
 * when the socket cannot be reached.
 */
export async function askControl(path: string, request: ControlRequest, options: { untilClosed?: boolean; timeout?: number } = {}): Promise<ControlReply> {
  const client = new Client({ transport: 'unix', path, codec: new JsonCodec(), connectTimeout: options.timeout ?? PING_TIMEOUT });
  let connection: Connection;
  try {
    connection = await client.connect();
  } catch (error) {
    await client.close();
    throw new CommandError(ErrorCode.ControlFailed, `cannot reach the control socket ${path}: ${(error as Error).message}`, { cause: error });
  }
  return new Promise<ControlReply>((resolve, reject) => {
    let reply: ControlReply | undefined;
    const timer = options.timeout === undefined ? undefined : setTimeout(() => connection.destroy(), options.timeout);
    client.on('message', ({ message }) => {
      reply = message as ControlReply;
      if (!options.untilClosed) void client.close();
    });
    client.on('close', () => {
      clearTimeout(timer);
      void client.close();
      if (reply) resolve(reply);
      else reject(new CommandError(ErrorCode.ControlFailed, `the control socket ${path} closed without an answer`));
    });
    connection.send(request);
  });
}

/** Whether a live supervisor answers on this control socket. */
export async function controlAnswers(path: string): Promise<boolean> {
  try {
    const reply = await askControl(path, { cmd: 'ping' }, { timeout: PING_TIMEOUT });
    return reply.ok;
  } catch {
    return false;
  }
}
