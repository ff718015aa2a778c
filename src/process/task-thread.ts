// One task worker thread (piscina runs this module in each thread of the pool). It imports the
// app file once per thread, for its `tasks` export only: the default export (the server) is never
// called here. A handler's throw comes back as data, so that the pool can tell "the handler
// failed" (ERR_TASK_FAILED) from "the thread died" (ERR_TASK_WORKER_EXITED).
import { pathToFileURL } from 'node:url';
import { workerData } from 'node:worker_threads';
import { checkApp, type TaskHandlers } from './app-file.js';

/** What a thread hands back for one task. */
export type TaskOutcome =
  | { readonly type: 'done'; readonly value: unknown }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'unknown' };

/** An error as it crosses threads and processes: enough to rebuild it as a `cause`. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: unknown;
}

export interface TaskRequest {
  readonly name: string;
  readonly data: unknown;
}

let handlers: Promise<TaskHandlers> | undefined;

async function load(app: string): Promise<TaskHandlers> {
  const loaded = (await import(pathToFileURL(app).href)) as Record<string, unknown>;
  return checkApp(app, loaded).tasks ?? {};
}

export default async function runTask({ name, data }: TaskRequest): Promise<TaskOutcome> {
  handlers ??= load((workerData as { app: string }).app);
  const handler = Object.hasOwn(await handlers, name) ? (await handlers)[name] : undefined;
  if (handler === undefined) return { type: 'unknown' };
  try {
    return { type: 'done', value: await handler(data) };
  } catch (error) {
    return { type: 'failed', error: serializeError(error) };
  }
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}), ...(code !== undefined ? { code } : {}) };
}

/** Rebuilds a serialized error, so that a caller's `cause` has its name, message, stack and code. */
export function rebuildError(serialized: SerializedError): Error {
  const error = new Error(serialized.message);
  error.name = serialized.name;
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  if (serialized.code !== undefined) (error as { code?: unknown }).code = serialized.code;
  return error;
}
