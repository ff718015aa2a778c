// The chat demo's web page in a real browser (Chromium from Debian, driven by playwright-core),
// next to a TCP user at "nc": one chat, two transports. There is no skip: without Chromium this
// test fails and says how to install it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Browser, Locator } from 'playwright-core';
import { launchChromium } from '../helpers/browser.js';
import { startChat, type RunningChat } from '../../examples/chat/main.js';
import { LineClient } from '../helpers/line-client.js';

const WAIT_MS = 5000;

interface Reply {
  status: number;
  type: string | undefined;
  body: string;
}

/** One raw HTTP request: the path is sent exactly as given (fetch would resolve `..`). */
function get(port: number, path: string, method = 'GET', headers: OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'], body }));
    });
    request.on('upgrade', () => reject(new Error(`${path}: upgraded`)));
    request.on('error', reject);
    request.end();
  });
}

describe('chat demo web page', () => {
  let chat: RunningChat;
  let browser: Browser;
  let origin: string;

  before(async () => {
    chat = await startChat({ port: 0, webPort: 0 });
    origin = `http://127.0.0.1:${chat.webPort}`;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await chat?.stop();
  });

  it('serves the page, its script and style, and the browser module, with their types, and nothing else', async () => {
    const page = await get(chat.webPort, '/');
    assert.equal(page.status, 200);
    assert.equal(page.type, 'text/html; charset=utf-8');
    assert.match(page.body, /<script type="module" src="\/chat\.js"><\/script>/);
    assert.equal((await get(chat.webPort, '/index.html?x=1')).body, page.body);
    assert.equal((await get(chat.webPort, '/chat.js')).type, 'text/javascript; charset=utf-8');
    assert.equal((await get(chat.webPort, '/chat.css')).type, 'text/css; charset=utf-8');
    const module = await get(chat.webPort, '/switchboard-client.js');
    assert.equal(module.type, 'text/javascript; charset=utf-8');
    assert.match(module.body, /export class SwitchboardClient/);

    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/public/index.html', '/main.js', '/chat-room.js', '/chat.js/', '//chat.js', '/favicon.ico']) {
      assert.equal((await get(chat.webPort, path)).status, 404, path);
    }
    const post = await get(chat.webPort, '/', 'POST');
    assert.equal(post.status, 405);

    // Another site's page may not open a chat connection in its visitor's name.
    const upgrade = { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': randomBytes(16).toString('base64') };
    assert.equal((await get(chat.webPort, '/chat', 'GET', { ...upgrade, Origin: 'http://evil.example' })).status, 403);
  });

  it('a browser user and an nc user share the lobby, rooms and /msg; the page reconnects and takes its name back', async () => {
    const tab = await browser.newPage();
    const problems: string[] = [];
    tab.on('pageerror', (error) => problems.push(error.message));
    tab.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    const nc = new LineClient(chat.port);
    try {
      await tab.goto(`${origin}/`);
      const log = tab.getByRole('log', { name: 'Messages' });
      const shows = (text: string): Promise<void> => log.getByText(text, { exact: true }).first().waitFor({ timeout: WAIT_MS });
      const type = async (box: Locator, line: string): Promise<void> => {
        await box.fill(line);
        await box.press('Enter');
      };
      await tab.locator('#status[data-state="open"]').waitFor({ timeout: WAIT_MS });
      assert.equal(await tab.getByRole('status').textContent(), 'Connected');

      // The first line is the name, as on nc; the label then says who you are.
      await shows('Welcome to the Switchboard chat! What is your name?');
      await type(tab.getByLabel('Your name'), 'ada');
      await shows('Hello ada! 0 others here. /help lists the commands.');
      const box = tab.getByLabel('Message as ada');
      await box.waitFor({ timeout: WAIT_MS });

      assert.match(await nc.line(), /^Welcome/);
      nc.send('bob');
      assert.equal(await nc.line(), 'Hello bob! 1 other here. /help lists the commands.');
      await shows('* bob joined the chat');

      nc.send('hello from nc');
      await shows('<bob> hello from nc');
      await type(box, 'hello from the browser');
      assert.equal(await nc.line(), '<ada> hello from the browser');
      await shows('<ada> hello from the browser'); // the page's own echo, as a terminal shows what you type

      await type(box, '/msg bob psst');
      assert.equal(await nc.line(), '*ada* psst');
      await shows('-> bob: psst');

      nc.send('/join games');
      assert.match(await nc.line(), /^You are in #games \(1 here\)/);
      await type(box, '/join games');
      await shows('You are in #games (2 here). What you type goes to #games; /leave games to go back to the lobby.');
      assert.equal(await nc.line(), '* ada joined #games');
      nc.send('gg');
      await shows('#games <bob> gg');
      await type(box, '/who');
      await shows('In #games (2): ada, bob');

      // A reply of several lines in one message is one entry, its lines one under the other.
      await chat.registry.sendByFlag('ada', 'first line\nsecond line\n');
      const block = log.getByRole('listitem').filter({ hasText: 'first line' });
      await block.waitFor({ timeout: WAIT_MS });
      assert.equal(await block.textContent(), 'first line\nsecond line');
      const oneLine = (await log.getByText('In #games (2): ada, bob', { exact: true }).boundingBox())!.height;
      assert.ok((await block.boundingBox())!.height > 1.5 * oneLine, 'the two lines are on two lines');

      // The server drops the page's connection: the page says so, reconnects, and is ada again.
      await chat.registry.closeByFlag('ada');
      assert.equal(await nc.line(), '* ada left the chat');
      assert.equal(await nc.line(), '* ada joined the chat');
      await shows('Hello ada! 1 other here. /help lists the commands.');
      await tab.locator('#status[data-state="open"]').waitFor({ timeout: WAIT_MS });
      await type(box, 'back');
      assert.equal(await nc.line(), '<ada> back'); // a new connection starts in the lobby

      assert.deepEqual(problems, []);
    } finally {
      nc.destroy();
      await tab.close();
    }
  });
});
