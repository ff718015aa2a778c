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
import { INVALID_MESSAGE_CLOSE_CODE } from '../../src/browser/switchboard-client.js';
import { until } from '../helpers/wait.js';
import { stopAfter } from '../helpers/cleanup.js';
import { silentServer } from '../helpers/silent-server.js';
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
// No jitter (random() = 0): every retry waits exactly its backoff delay, so the test can check it.
const client = new SwitchboardClient(${JSON.stringify(wsUrl)}, { reconnect: { initialDelay: 50, maxDelay: 200 }, random: () => 0 });
for (const name of ['establish', 'message', 'close', 'connectFail', 'reconnect', 'sendFail']) {
  client.on(name, (event) => {
    const message = event.message instanceof ArrayBuffer ? { bytes: [...new Uint8Array(event.message)] } : event.message;
    window.events.push({ name, message, code: event.code, reason: event.reason, closeReason: event.closeReason, attempt: event.attempt, delay: event.delay });
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
  attempt?: number;
  delay?: number;
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
      // While the server is down, attempts fail and each retry waits longer: 50, 100, 200 ms.
      await waitFor(`window.events.filter((e) => e.name === 'connectFail').length >= 2`, 'two failed attempts');
      const queued = await tab.evaluate(() => (globalThis as unknown as PageWindow).client.send('while away'));
      assert.equal(queued, null);
      await server.start();
      await waitFor(`window.events.filter((e) => e.name === 'establish').length === 2`, 'second establish');
      await waitFor(`window.events.some((e) => e.name === 'message' && e.message === 'echo:while away')`, 'queued message delivered');
      const all = await events();
      const retries = all.filter((e) => e.name === 'reconnect').map((e) => [e.attempt, e.delay]);
      const fails = all.filter((e) => e.name === 'connectFail').map((e) => e.attempt);
      assert.ok(fails.length >= 2, `failed attempts: ${JSON.stringify(fails)}`);
      assert.deepEqual(fails, fails.map((_, i) => i + 1), 'failed attempts are counted in a row');
      // One retry scheduled after the drop and one after each failed attempt, with exponential
      // backoff capped at maxDelay.
      assert.deepEqual(retries, retries.map((_, i) => [i + 1, Math.min(200, 50 * 2 ** i)]));
      assert.equal(retries.length, fails.length + 1);
      assert.equal(all.filter((e) => e.name === 'sendFail').length, 0);

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

  it('options in the browser: codec (json, your own), protocols, binaryType, maxOfflineMessages, connectTimeout, decodeFail', { timeout: 30_000 }, async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'ws', host: '127.0.0.1', port: 0, path: '/opts', protocols: ['chat.v2'] }] }));
    const received: unknown[] = [];
    const closes: Array<number | undefined> = [];
    server.on('close', ({ code }) => closes.push(code));
    server.on('message', ({ connection, message }) => {
      received.push(message);
      if (message === 'send-binary') connection.send(Buffer.from([1, 2, 3]));
      else if (message === '"send-bad-json"') connection.send('this is not json');
      else connection.send(message);
    });
    await server.start();
    const url = `ws://127.0.0.1:${(server.addresses()[0] as { port: number }).port}/opts`;
    // A TCP server that accepts and never answers the upgrade: only connectTimeout ends the attempt.
    const silent = await silentServer(t);
    const blackHoleUrl = `ws://127.0.0.1:${silent.port}/`;
    const tab = await browser.newPage();
    t.after(() => tab.close());
    await tab.goto(`${pageOrigin}/`);
    await tab.waitForFunction(() => (globalThis as unknown as PageWindow).ready === true, undefined, { timeout: 5000 });

    // The page script runs in Chromium; it is a string so that this file needs no DOM types.
    const result = (await tab.evaluate(`(async ({ url, blackHoleUrl }) => {
      const { SwitchboardClient } = await import('/switchboard-client.js');
      const once = (client, name) => new Promise((resolve) => client.once(name, resolve));
      const out = {};

      // JSON codec and subprotocols: the server picks chat.v2 from the offer.
      const json = new SwitchboardClient(url, { codec: 'json', protocols: ['chat.v1', 'chat.v2'], reconnect: false });
      const established = once(json, 'establish');
      await json.connect();
      out.protocol = (await established).protocol;
      let next = once(json, 'message');
      json.send({ list: [1, 2], ok: true });
      out.json = (await next).message;
      // decodeFail: text that is not JSON; the client closes with INVALID_MESSAGE_CLOSE_CODE.
      const failed = once(json, 'decodeFail');
      const closed = once(json, 'close');
      json.send('send-bad-json');
      out.decodeFail = (await failed).error.name;
      out.decodeFailClose = (await closed).code;

      // binaryType blob, with the text codec.
      const blobs = new SwitchboardClient(url, { binaryType: 'blob', reconnect: false });
      await blobs.connect();
      next = once(blobs, 'message');
      blobs.send('send-binary');
      const blob = (await next).message;
      out.blob = { isBlob: blob instanceof Blob, bytes: [...new Uint8Array(await blob.arrayBuffer())] };
      blobs.close(1000, 'done');

      // A codec of your own.
      const own = new SwitchboardClient(url, { codec: { encode: (m) => 'out:' + m, decode: (d) => 'in:' + d }, reconnect: false });
      await own.connect();
      next = once(own, 'message');
      own.send('hi');
      out.own = (await next).message;
      own.close(1000, 'done');

      // maxOfflineMessages: the third message sent before connecting is refused.
      const offline = new SwitchboardClient(url, { maxOfflineMessages: 2, reconnect: false });
      const fails = [];
      offline.on('sendFail', (event) => fails.push([event.code, event.lostMessages]));
      out.offlineAnswers = [offline.send('queued 1'), offline.send('queued 2'), offline.send('queued 3')];
      out.offlineFails = fails;
      await offline.connect();
      next = once(offline, 'message');
      await next;
      offline.close(1000, 'done');

      // connectTimeout: an upgrade never answered is abandoned and connect() rejects.
      const slow = new SwitchboardClient(blackHoleUrl, { connectTimeout: 300, reconnect: false });
      const connectFail = once(slow, 'connectFail');
      out.timeout = await slow.connect().then(() => 'connected', (error) => 'rejected: ' + error.message);
      out.timeoutAttempt = (await connectFail).attempt;
      return out;
    })(${JSON.stringify({ url, blackHoleUrl })})`)) as Record<string, unknown>;

    assert.equal(result.protocol, 'chat.v2');
    assert.deepEqual(result.json, { list: [1, 2], ok: true });
    assert.equal(result.decodeFail, 'SyntaxError');
    assert.equal(result.decodeFailClose, INVALID_MESSAGE_CLOSE_CODE);
    assert.deepEqual(result.blob, { isBlob: true, bytes: [1, 2, 3] });
    assert.equal(result.own, 'in:out:hi');
    assert.deepEqual(result.offlineAnswers, [null, null, false]);
    assert.deepEqual(result.offlineFails, [['offlineQueueFull', 1]]);
    assert.match(String(result.timeout), /^rejected: /);
    assert.equal(result.timeoutAttempt, 1);
    await until(() => silent.closed === 1, 5000, 'the abandoned attempt closed by the browser');
    // What the server received, in order: JSON as text, the codec's output, the offline queue.
    assert.deepEqual(received, ['{"list":[1,2],"ok":true}', '"send-bad-json"', 'send-binary', 'out:hi', 'queued 1', 'queued 2']);
    await until(() => closes.includes(INVALID_MESSAGE_CLOSE_CODE), 2000, 'the server to see the client close after decodeFail');
  });
});
