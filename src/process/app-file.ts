import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AppError, ErrorCode } from '../errors.js';
import type { Server } from '../server/server.js';
import type { WorkerContext } from './worker-context.js';

/**
 * A Switchboard app: one module whose default export makes the server. The same file runs in one
 * process (`switchboard run app.js`), on N workers (`switchboard start app.js --workers N`) and on
 * many machines (`--redis URL`): the shape comes from the command line, never from the app.
 *
 * ```ts
 * // app.ts
 * import { LineCodec, Registry, Server, type AppContext, type TaskHandlers } from 'switchboard';
 *
 * export default function app(context: AppContext): Server {
 *   const server = new Server({ endpoints: [{ transport: 'tcp', port: 7000, codec: new LineCodec() }] });
 *   const registry = new Registry(server);   // spans every worker in the workers shape
 *   server.on('message', async ({ connection, message }) => {
 *     const digest = await context.task('hash', message, { timeout: 5000 }); // off the serving workers
 *     connection.send(`worker ${context.workerId}: ${digest}`);
 *   });
 *   return server;                           // not started: the process layer starts it
 * }
 *
 * export const tasks: TaskHandlers = {
 *   hash: (text: string) => createHash('sha256').update(text).digest('hex'),
 * };
 * export const goodbye = 'The server is restarting, please reconnect.';
 * ```
 */
export interface AppModule {
  /** Makes the server (not started) of this worker. May be async (to open a database first, ...). */
  default: AppFactory;
  /** Task handlers, run by the task workers (`--task-workers N`), by name. */
  tasks?: TaskHandlers;
  /** The last message each connection gets when the server stops or reloads (the codec's goodbye). */
  goodbye?: unknown;
}

export type AppFactory = (context: WorkerContext) => Server | Promise<Server>;

/**
 * A task handler: runs in a task worker thread, gets the data passed to `task()` (structured-cloned)
 * and returns (or resolves to) the result, which must be structured-cloneable too.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the data is whatever the app sends
export type TaskHandler = (data: any) => unknown;
export type TaskHandlers = Readonly<Record<string, TaskHandler>>;

/** Resolves an app path against the working directory, refusing what cannot be an app file. */
export function resolveAppPath(file: string): string {
  const path = resolve(file);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw new AppError(ErrorCode.AppNotFound, `app file ${file} does not exist (looked for ${path})`);
  }
  return path;
}

/** Imports an app file and checks it exports what an app must, naming what it found otherwise. */
export async function loadApp(file: string): Promise<AppModule> {
  const path = resolveAppPath(file);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new AppError(ErrorCode.AppInvalid, `app file ${file} failed to load: ${(error as Error).message ?? error}`, { cause: error });
  }
  return checkApp(file, loaded);
}

/** Checks a loaded module's exports (split from {@link loadApp} so task threads share it). */
export function checkApp(file: string, loaded: Record<string, unknown>): AppModule {
  const factory = loaded.default;
  if (typeof factory !== 'function') {
    const names = Object.keys(loaded);
    throw new AppError(
      ErrorCode.AppInvalid,
      `app file ${file} must have a default export that is a function (context) => Server; ` +
        (factory === undefined ? `it exports ${names.length === 0 ? 'nothing' : names.join(', ')}` : `its default export is ${typeof factory}`),
    );
  }
  const tasks = loaded.tasks;
  if (tasks !== undefined) {
    if (typeof tasks !== 'object' || tasks === null) throw new AppError(ErrorCode.AppInvalid, `app file ${file}: export tasks must be an object of functions, got ${typeof tasks}`);
    for (const [name, handler] of Object.entries(tasks)) {
      if (typeof handler !== 'function') throw new AppError(ErrorCode.AppInvalid, `app file ${file}: tasks.${name} must be a function, got ${typeof handler}`);
    }
  }
  return loaded as unknown as AppModule;
}

/** Checks what an app's factory returned is a server that is not started. */
export function checkServer(file: string, made: unknown): Server {
  const server = made as Partial<Server> | null | undefined;
  if (typeof server !== 'object' || server === null || typeof server.start !== 'function' || typeof server.stop !== 'function' || typeof server.addresses !== 'function') {
    throw new AppError(ErrorCode.AppInvalid, `app file ${file}: the default export must return a Server (not started), it returned ${made === null ? 'null' : typeof made}`);
  }
  if (server.state !== 'idle') throw new AppError(ErrorCode.AppInvalid, `app file ${file}: the default export must return a Server not yet started (it is ${server.state}); the process layer starts it`);
  return server as Server;
}
