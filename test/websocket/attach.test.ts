import assert from 'node:assert/strict';
import { createServer, get, type Server as HttpServer } from 'node:http';
import { describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { Client, ErrorCode, Server, type SwitchboardError } from '../../src/index.js';
import { nextEvent } from '../helpers/wait.js';
import { closeAfter, stopAfter } from '../helpers/cleanup.js';
import { RawWebSocket, rawExchange, upgradeRequest } from './raw-websocket.js';

/** An application's HTTP server (as Express or Fastify would make), listening on a free port. */
async function appServer(): Promise<{ http: HttpServer; port: number }> {
  const http = createServer((request, response) => response.end(`page ${request.url}`));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return { http, port: (http.address() as { port: number }).port };
}

function httpGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('WebSocket endpoints attached to an HTTP server', () => {
  it('serves several paths on one server next to its own routes; unknown paths get 404', async (t) => {
    const { http, port } = await appServer();
    const server = stopAfter(t, new Server({
      endpoints: [
        { transport: 'ws', server: http, path: '/chat' },
        { transport: 'ws', server: http, path: '/feed' },
      ],
    }));
    server.on('message', ({ connection, message }) => connection.send(`${connection.websocket?.request?.path}:${String(message)}`));
    await server.start();
    const second = stopAfter(t, new Server({ endpoints: [{ transport: 'ws', server: http, path: '/admin' }] }));
    second.on('message', ({ connection }) => connection.send('admin'));
    await second.start();
    try {
      assert.equal(await httpGet(port, '/index.html'), 'page /index.html');
      for (const path of ['/chat', '/feed']) {
        const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}${path}?x=1` }));
        const connection = await client.connect();
        connection.send('hi');
        assert.equal((await nextEvent<{ message: unknown }>(connection, 'message')).message, `${path}:hi`);
        await client.close();
      }
      const admin = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/admin` }));
      (await admin.connect()).send('x');
      assert.equal((await nextEvent<{ message: unknown }>(admin, 'message')).message, 'admin');
      await admin.close();
      const { response } = await rawExchange(port, upgradeRequest('/nowhere'));
      assert.match(response, /^HTTP\/1\.1 404 /);
      assert.deepEqual(server.addresses().map((a) => [a.transport, (a as { path: string }).path]), [['ws', '/chat'], ['ws', '/feed']]);
    } finally {
      await server.stop({ timeout: 500 });
      await second.stop({ timeout: 500 });
    }
    // Stopped: the paths are gone (Node hands such requests to the application), its server goes on.
    assert.equal(http.listenerCount('upgrade'), 0);
    assert.match((await rawExchange(port, upgradeRequest('/chat'), 200)).response, /^HTTP\/1\.1 200 /);
    assert.equal(await httpGet(port, '/still'), 'page /still');
    http.closeAllConnections();
    http.close();
  });

  it('refuses a second endpoint on the same path with ERR_ADDRESS_IN_USE', async (t) => {
    const { http } = await appServer();
    const first = stopAfter(t, new Server({ endpoints: [{ transport: 'ws', server: http, path: '/x' }] }));
    await first.start();
    const clash = stopAfter(t, new Server({ endpoints: [{ transport: 'ws', server: http, path: '/x' }] }));
    await assert.rejects(clash.start(), (error: SwitchboardError) => error.code === ErrorCode.AddressInUse);
    await first.stop();
    http.closeAllConnections();
    http.close();
  });

  it('leaves unknown paths to another upgrade handler on the same server', async (t) => {
    const { http, port } = await appServer();
    const other = new WebSocketServer({ noServer: true });
    http.on('upgrade', (request, socket, head) => {
      if (request.url === '/legacy') other.handleUpgrade(request, socket, head, (ws) => ws.send('legacy'));
    });
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'ws', server: http, path: '/new' }] }));
    await server.start();
    try {
      const legacy = await RawWebSocket.open(port, upgradeRequest('/legacy'));
      assert.equal(legacy.status, 101);
      assert.equal((await legacy.nextFrame()).payload.toString(), 'legacy');
      legacy.destroy();
      const fresh = await RawWebSocket.open(port, upgradeRequest('/new'));
      assert.equal(fresh.status, 101);
      fresh.destroy();
    } finally {
      await server.stop({ timeout: 500 });
      other.close();
      http.closeAllConnections();
      http.close();
    }
  });
});
