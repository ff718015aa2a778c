import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Command, PATIENCE, run, scratch } from '../cli/command.js';
import { LineClient } from '../helpers/line-client.js';

const CHAT_APP = fileURLToPath(new URL('../../examples/chat/app.js', import.meta.url));

describe('the chat demo as an app file, run by the command', () => {
  for (const args of [['run'], ['start', '--workers', '1']]) {
    it(`switchboard ${args[0]}: two users chat`, { timeout: 2 * PATIENCE }, async (t) => {
      const { dir, remove } = scratch();
      const command = new Command([args[0]!, CHAT_APP, ...args.slice(1)], { cwd: dir, env: { PORT: '0', WEB_PORT: '0' } });
      t.after(async () => {
        command.kill('SIGTERM');
        await command.finished;
        remove();
      });
      const [, port] = await command.output(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
      const alice = new LineClient(Number(port));
      const bob = new LineClient(Number(port));
      t.after(() => {
        alice.destroy();
        bob.destroy();
      });
      assert.match(await alice.line(PATIENCE), /^Welcome/);
      alice.send('alice');
      assert.equal(await alice.line(PATIENCE), 'Hello alice! 0 others here. /help lists the commands.');
      assert.match(await bob.line(PATIENCE), /^Welcome/);
      bob.send('bob');
      assert.equal(await bob.line(PATIENCE), 'Hello bob! 1 other here. /help lists the commands.');
      assert.equal(await alice.line(PATIENCE), '* bob joined the chat');
      bob.send('hi alice');
      assert.equal(await alice.line(PATIENCE), '<bob> hi alice');
      if (args[0] === 'start') {
        const status = JSON.parse((await run(['status', '--json'], dir)).stdout);
        assert.equal(status.workers[0].stats.connections, 2);
      }
      // A stop says the app's goodbye to everyone.
      command.kill('SIGTERM');
      assert.equal(await alice.line(PATIENCE), 'The chat is closing. Bye!');
      assert.equal((await command.finished).code, 0);
    });
  }
});
