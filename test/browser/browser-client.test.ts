// The browser module in a real browser: Chromium from Debian (/usr/bin/chromium), driven by
// playwright-core. There is no skip: without Chromium this test fails and says how to install it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { Client, Server } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { freePort } from '../helpers/servers.js';

const here = dirname(fileURLToPath(import.meta.url));
// dist/test/browser -> dist/src/browser/switchboard-client.js
const MODULE_PATH = join(here, '..', '..', 'src', 'browser', 'switchboard-client.js');

/** A page that loads the browser module and records every client event in window.events. */
function page(wsUrl: string): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>switchboard</title></head><body>
<script type="module">
import { SwitchboardClient } from '/switchboard-client.js';
window.events = [];
const client = new SwitchboardClient(${JSON.stringify(wsUrl)}, { reconnect: { initialDelay: 50, maxDelay: 200 } });
for (const name of ['establish', 'message', 'close', 'connectFail', 'reconnect', 'sendFail']) {
  client.on(name, (event) => {
    const message = event.message instanceof ArrayBuffer ? { bytes: [...new Uint8Array(event.message)] } : event.message;
    window.events.push({ name, message, code: event.code, reason: event.reason, closeReason: event.closeReason });
  });
}
window.client = client;
window.ready = true;
</script>
</body></html>`;
}

interface PageEvent {
  name: string;
  message?: unknown;
  code?: number;
  reason?: string;
  closeReason?: string;
}

/** What the page puts on window (the test compiles without the DOM library). */
interface PageWindow {
  ready?: boolean;
  events: PageEvent[];
  client: { connect(): Promise<void>; send(message: unknown): boolean | null; close(code: number, reason: string): void };
}

describe('browser client in Chromium', () => {
  let browser: Browser;
  let pageServer: HttpServer;
  let pageOrigin: string;
  let wsPort: number;

  before(async () => {
    assert.ok(existsSync(MODULE_PATH), `browser module not built at ${MODULE_PATH}: npx tsc -p .`);
    wsPort = await freePort();
    pageServer = createHttpServer((request, response) => {
      if (request.url === '/switchboard-client.js') {
        response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
        response.end(readFileSync(MODULE_PATH));
      } else if (request.url === '/') {
        response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
        response.end(page(`ws://127.0.0.1:${wsPort}/live`));
      } else {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
    pageOrigin = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    pageServer?.closeAllConnections();
    pageServer?.close();
  });

  it('connects, sends, receives a broadcast from a TCP client, and reconnects after a server restart', async () => {
    // One server, two transports: TCP (length-prefixed) and WebSocket (text as strings).
    const server = new Server({
      endpoints: [
        { transport: 'tcp', host: '127.0.0.1', port: 0 },
        { transport: 'ws', host: '127.0.0.1', port: wsPort, path: '/live', allowedOrigins: [pageOrigin] },
      ],
    });
    server.on('message', ({ connection, message }) => {
      if (connection.transport === 'ws') {
        connection.send(typeof message === 'string' ? `echo:${message}` : message);
        return;
      }
      // From TCP: broadcast to everyone, in each transport's terms.
      const text = (message as Buffer).toString();
      for (const target of server.connections()) target.send(target.transport === 'ws' ? text : Buffer.from(text));
    });
    await server.start();
    const tcpPort = (server.addresses()[0] as { port: number }).port;
    const tcp = new Client({ transport: 'tcp', host: '127.0.0.1', port: tcpPort });
    let tab: Page | undefined;
    try {
      tab = await browser.newPage();
      await tab.goto(`${pageOrigin}/`);
      await tab.waitForFunction(() => (globalThis as unknown as PageWindow).ready === true, undefined, { timeout: 5000 });
      const events = (): Promise<PageEvent[]> => tab!.evaluate(() => (globalThis as unknown as PageWindow).events);
      const waitFor = (check: string, what: string): Promise<unknown> =>
        tab!.waitForFunction(check, undefined, { timeout: 5000 }).catch(async (error: Error) => {
          throw new Error(`${what}: ${error.message}\nevents: ${JSON.stringify(await events())}`);
        });

      await tab.evaluate(() => (globalThis as unknown as PageWindow).client.connect());
      await until(() => server.connectionCount === 1, 2000, 'the browser connection');
      const browserSide = [...server.connections()][0]!;
      assert.equal(browserSide.transport, 'ws');
      assert.equal(browserSide.websocket?.request?.origin, pageOrigin);

      // Send text and binary; the echo comes back in kind.
      assert.equal(await tab.evaluate(() => (globalThis as unknown as PageWindow).client.send('hello')), true);
      await tab.evaluate(() => (globalThis as unknown as PageWindow).client.send(new Uint8Array([1, 2, 250])));
      await waitFor(`window.events.some((e) => e.name === 'message' && e.message === 'echo:hello')`, 'text echo');
      await waitFor(`window.events.some((e) => e.name === 'message' && e.message && e.message.bytes && e.message.bytes.join() === '1,2,250')`, 'binary echo');

      // A broadcast sent by a TCP client reaches the browser (and the TCP client itself).
      const tcpConnection = await tcp.connect();
      const tcpGot: string[] = [];
      tcp.on('message', ({ message }) => tcpGot.push((message as Buffer).toString()));
      tcpConnection.send(Buffer.from('news for everyone'));
      await waitFor(`window.events.some((e) => e.name === 'message' && e.message === 'news for everyone')`, 'broadcast in the browser');
      await until(() => tcpGot.includes('news for everyone'), 2000, 'broadcast over TCP');

      // The server restarts on the same port: the page sees 1001, retries with backoff, queues
      // what it sends meanwhile, and delivers it once reconnected.
      await server.stop({ timeout: 1000 });
      await waitFor(`window.events.some((e) => e.name === 'close' && e.code === 1001)`, 'close 1001');
      await waitFor(`window.events.some((e) => e.name === 'reconnect')`, 'reconnect scheduled');
      const queued = await tab.evaluate(() => (globalThis as unknown as PageWindow).client.send('while away'));
      assert.equal(queued, null);
      await server.start();
      await waitFor(`window.events.filter((e) => e.name === 'establish').length === 2`, 'second establish');
      await waitFor(`window.events.some((e) => e.name === 'message' && e.message === 'echo:while away')`, 'queued message delivered');
      const names = (await events()).map((e) => e.name);
      assert.ok(names.includes('connectFail') || names.filter((n) => n === 'reconnect').length >= 1);
      assert.equal(names.filter((n) => n === 'sendFail').length, 0);

      // A clean close from the page: the server sees the browser's code.
      const serverClosed = new Promise<{ code?: number }>((resolve) => server.once('close', resolve));
      await tab.evaluate(() => (globalThis as unknown as PageWindow).client.close(4000, 'bye'));
      const closed = await serverClosed;
      assert.equal(closed.code, 4000);
    } finally {
      await tab?.close();
      await tcp.close();
      await server.stop({ timeout: 500 });
    }
  });
});
