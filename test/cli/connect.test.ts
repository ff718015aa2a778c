import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { LineCodec, Server, type EndpointOptions } from '../../src/index.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { Command, PATIENCE, run, scratch } from './command.js';

/** A server that answers each message with `echo: <message>` and greets each connection. */
async function echoServer(t: TestContext, endpoint: EndpointOptions): Promise<Server> {
  const server = new Server({ endpoints: [endpoint], codec: new LineCodec() });
  server.on('establish', ({ connection }) => void connection.send('welcome'));
  server.on('message', ({ connection, message }) => void connection.send(`echo: ${String(message)}`));
  await server.start();
  t.after(() => server.stop({ timeout: 0 }));
  return server;
}

/** Types two lines into `switchboard connect`, then ends its input: what did it print? */
async function session(t: TestContext, args: string[], dir: string): Promise<string> {
  const command = new Command(['connect', ...args], { cwd: dir, stdin: true });
  t.after(() => command.kill());
  await command.output(/welcome/);
  command.child.stdin!.write('hello\n');
  await command.output(/echo: hello/);
  command.child.stdin!.write('bye now\n');
  await command.output(/echo: bye now/);
  command.child.stdin!.end();
  const finished = await command.finished;
  assert.equal(finished.code, 0, finished.stderr);
  return finished.stdout;
}

describe('switchboard connect', () => {
  it('talks to a TCP line server like nc', { timeout: PATIENCE }, async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const server = await echoServer(t, { transport: 'tcp', host: '127.0.0.1', port: 0 });
    const port = (server.addresses()[0] as { port: number }).port;
    const out = await session(t, [`tcp://127.0.0.1:${port}`], dir);
    assert.equal(out, 'welcome\necho: hello\necho: bye now\n');
  });

  it('talks to a Unix socket, a TLS server (verified with --ca, or --insecure), and WebSocket servers (ws, wss)', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const path = join(dir, 's.sock');
    await echoServer(t, { transport: 'unix', path });
    assert.match(await session(t, [`unix:${path}`], dir), /^welcome\necho: hello\n/);

    const material = makeTlsMaterial();
    writeFileSync(join(dir, 'ca.pem'), material.cert);
    const tls = await echoServer(t, { transport: 'tls', host: '127.0.0.1', port: 0, tls: material });
    const tlsPort = (tls.addresses()[0] as { port: number }).port;
    assert.match(await session(t, [`tls://127.0.0.1:${tlsPort}`, '--ca', join(dir, 'ca.pem')], dir), /^welcome\necho: hello\n/);
    const unverified = await run(['connect', `tls://127.0.0.1:${tlsPort}`], dir);
    assert.equal(unverified.code, 1, 'a self-signed certificate is refused without --ca or --insecure');
    assert.match(unverified.stderr, /certificate/i);

    const ws = await echoServer(t, { transport: 'ws', host: '127.0.0.1', port: 0, path: '/chat' });
    const wsPort = (ws.addresses()[0] as { port: number }).port;
    assert.match(await session(t, [`ws://127.0.0.1:${wsPort}/chat`], dir), /^welcome\necho: hello\n/);

    const wss = await echoServer(t, { transport: 'wss', host: '127.0.0.1', port: 0, path: '/', tls: material });
    const wssPort = (wss.addresses()[0] as { port: number }).port;
    assert.match(await session(t, [`wss://127.0.0.1:${wssPort}/`, '--insecure'], dir), /^welcome\necho: hello\n/);
  });

  it('says when the server closes, and refuses bad URLs and codecs with exit 2', { timeout: PATIENCE }, async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const server = await echoServer(t, { transport: 'tcp', host: '127.0.0.1', port: 0 });
    const port = (server.addresses()[0] as { port: number }).port;
    const command = new Command(['connect', `tcp://127.0.0.1:${port}`], { cwd: dir, stdin: true });
    t.after(() => command.kill());
    await command.output(/welcome/);
    await server.stop({ finalMessage: 'closing' });
    const finished = await command.finished;
    assert.equal(finished.code, 0);
    assert.match(finished.stdout, /closing/);
    assert.match(finished.stderr, /connection closed/);

    const refused = await run(['connect', `tcp://127.0.0.1:${port}`], dir);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ECONNREFUSED|refused/i);
    for (const [args, pattern] of [
      [['connect', 'ftp://x:1'], /unknown scheme ftp:/],
      [['connect', 'not a url'], /not a URL/],
      [['connect', 'tcp://127.0.0.1:1', '--codec', 'morse'], /--codec must be one of line, json, length, raw/],
      [['connect'], /missing the URL/],
    ] as const) {
      const result = await run(args, dir);
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, pattern);
    }
  });
});
