// The chat's web page, served with node:http alone. Only the files listed here are ever served:
// a request's path is looked up in a map and never joined onto a directory, so `/../x` or
// `/%2e%2e/x` can only miss (404).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';

/** A file the page needs: where it is on disk (relative to this module) and what it is. */
interface WebFile {
  from: URL;
  type: string;
}

// This module runs as dist/examples/chat/web-files.js: the page's own files stay in the source
// tree (they are not compiled), the browser module is the compiled one.
const PUBLIC = new URL('../../../examples/chat/public/', import.meta.url);

const FILES: ReadonlyMap<string, WebFile> = new Map([
  ['/', { from: new URL('index.html', PUBLIC), type: 'text/html; charset=utf-8' }],
  ['/chat.css', { from: new URL('chat.css', PUBLIC), type: 'text/css; charset=utf-8' }],
  ['/chat.js', { from: new URL('chat.js', PUBLIC), type: 'text/javascript; charset=utf-8' }],
  ['/switchboard-client.js', { from: new URL('../../src/browser/switchboard-client.js', import.meta.url), type: 'text/javascript; charset=utf-8' }],
]);

const HEADERS = {
  // The page loads nothing from elsewhere and connects only to its own host (ws: included, CSP 3).
  'Content-Security-Policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  // A demo is edited and reloaded: always revalidate.
  'Cache-Control': 'no-cache',
} as const;

interface LoadedFile {
  body: Buffer;
  type: string;
}

/**
 * Reads the page's files once (a missing one fails here, at start, rather than per request) and
 * returns the request listener that serves them.
 */
export async function webFiles(): Promise<RequestListener> {
  const loaded = new Map<string, LoadedFile>();
  for (const [path, file] of FILES) {
    try {
      loaded.set(path, { body: await readFile(file.from), type: file.type });
    } catch (error) {
      throw new Error(`the chat page needs ${fileURLToPath(file.from)} (run npx tsc -p . first?)`, { cause: error });
    }
  }
  return (request, response) => serve(loaded, request, response);
}

function serve(files: ReadonlyMap<string, LoadedFile>, request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...HEADERS, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method Not Allowed\n');
    return;
  }
  const path = (request.url ?? '/').split('?', 1)[0] ?? '/'; // the query is ignored
  const file = files.get(path === '/index.html' ? '/' : path);
  if (file === undefined) {
    response.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not Found\n');
    return;
  }
  response.writeHead(200, { ...HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.length });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}
