import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { Command, PATIENCE, scratch } from '../cli/command.js';
import { LineClient } from '../helpers/line-client.js';
import { RedisServer } from '../cluster/redis-server.js';

const CHAT_APP = fileURLToPath(new URL('../../examples/chat/app.js', import.meta.url));
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

it('chat on two instances sharing Redis (--redis): one on two workers, one in one process; users see each other, names and counts exact', { timeout: 3 * PATIENCE }, async (t) => {
  const { dir, remove } = scratch();
  // A prefix of this run's own: other runs on the same Redis are other clusters.
  const redis = ['--redis', REDIS_URL, '--redis-prefix', `sbtest-${randomBytes(4).toString('hex')}:`];
  const env = { PORT: '0', WEB_PORT: '0' };
  const a = new Command(['start', CHAT_APP, '--workers', '2', '--pid-file', 'a.pid', ...redis], { cwd: dir, env });
  const b = new Command(['run', CHAT_APP, ...redis], { cwd: dir, env });
  const users: LineClient[] = [];
  t.after(async () => {
    users.forEach((u) => u.destroy());
    a.kill('SIGTERM');
    b.kill('SIGTERM');
    await Promise.all([a.finished, b.finished]);
    remove();
  });
  const listening = /listening on tcp:\/\/127\.0\.0\.1:(\d+)/;
  const portA = Number((await a.output(listening).catch((error: Error) => assert.fail(`${error.message} (is Redis at ${REDIS_URL}?)`)))[1]);
  const portB = Number((await b.output(listening))[1]);

  const alice = new LineClient(portA);
  const bob = new LineClient(portB);
  users.push(alice, bob);
  assert.match(await alice.line(PATIENCE), /^Welcome/);
  alice.send('alice');
  assert.equal(await alice.line(PATIENCE), 'Hello alice! 0 others here. /help lists the commands.');
  assert.match(await bob.line(PATIENCE), /^Welcome/);
  bob.send('alice');
  assert.equal(await bob.line(PATIENCE), 'alice is taken. Another name?');
  bob.send('bob');
  assert.equal(await bob.line(PATIENCE), 'Hello bob! 1 other here. /help lists the commands.');
  assert.equal(await alice.line(PATIENCE), '* bob joined the chat');
  alice.send('hi from a');
  assert.equal(await bob.line(PATIENCE), '<alice> hi from a');
  for (const user of [alice, bob]) {
    user.send('/who lobby');
    assert.equal(await user.line(PATIENCE), 'In the lobby (2): alice, bob');
  }
});

it('chat on Redis: a line whose push fails (Redis gone) is reported to its sender, who stays connected; the server goes on', { timeout: 3 * PATIENCE }, async (t) => {
  const { dir, remove } = scratch();
  const redis = await RedisServer.start();
  const chat = new Command(['run', CHAT_APP, '--redis', redis.url], { cwd: dir, env: { PORT: '0', WEB_PORT: '0' } });
  const users: LineClient[] = [];
  t.after(async () => {
    users.forEach((u) => u.destroy());
    chat.kill('SIGTERM');
    const timer = setTimeout(() => chat.kill('SIGKILL'), PATIENCE / 2);
    await chat.finished;
    clearTimeout(timer);
    await redis.stop();
    remove();
  });
  const port = Number((await chat.output(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);
  const alice = new LineClient(port);
  users.push(alice);
  assert.match(await alice.line(PATIENCE), /^Welcome/);
  alice.send('alice');
  assert.equal(await alice.line(PATIENCE), 'Hello alice! 0 others here. /help lists the commands.');
  await redis.stop();
  const failed = 'That did not go through (the chat is busy or partly unreachable); try again.';
  alice.send('anyone there?');
  assert.equal(await alice.line(PATIENCE), failed);
  // Still served: the next line gets its own answer rather than a closed connection.
  alice.send('still here');
  assert.equal(await alice.line(PATIENCE), failed);
  assert.equal(alice.closed, false);
  await chat.output(/chat: a line from \S+ failed: ERR_CLUSTER_/);
});
