import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { Command, PATIENCE, run, scratch } from '../cli/command.js';
import { LineClient } from '../helpers/line-client.js';

const CHAT_APP = fileURLToPath(new URL('../../examples/chat/app.js', import.meta.url));

/** Connections per worker, from `switchboard status --json`. */
async function connectionsPerWorker(dir: string): Promise<number[]> {
  const status = JSON.parse((await run(['status', '--json'], dir)).stdout) as { workers: Array<{ stats?: { connections: number } }> };
  return status.workers.map((w) => w.stats?.connections ?? -1);
}

it('chat on two workers: users on different workers see each other, names and counts are exact from every worker, also right after a SIGKILL', { timeout: 4 * PATIENCE }, async (t) => {
  const { dir, remove } = scratch();
  const command = new Command(['start', CHAT_APP, '--workers', '2'], { cwd: dir, env: { PORT: '0', WEB_PORT: '0' } });
  const users: LineClient[] = [];
  t.after(async () => {
    users.forEach((u) => u.destroy());
    command.kill('SIGTERM');
    await command.finished;
    remove();
  });
  const port = Number((await command.output(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/))[1]);

  /** Connects and names a user; returns it and the worker that holds it. */
  const join = async (name: string, others: number): Promise<{ user: LineClient; worker: number }> => {
    const before = await connectionsPerWorker(dir);
    const user = new LineClient(port);
    users.push(user);
    assert.match(await user.line(PATIENCE), /^Welcome/);
    const after = await connectionsPerWorker(dir);
    const worker = after.findIndex((n, i) => n === (before[i] ?? 0) + 1);
    assert.ok(worker >= 0, `one worker took the connection: ${before} -> ${after}`);
    user.send(name);
    assert.equal(await user.line(PATIENCE), `Hello ${name}! ${others} other${others === 1 ? '' : 's'} here. /help lists the commands.`);
    return { user, worker };
  };

  const alice = await join('alice', 0);
  const bob = await join('bob', 1);
  assert.equal(await alice.user.line(PATIENCE), '* bob joined the chat');
  const carol = await join('carol', 2);
  assert.equal(await alice.user.line(PATIENCE), '* carol joined the chat');
  assert.equal(await bob.user.line(PATIENCE), '* carol joined the chat');
  const all = [alice, bob, carol];
  assert.deepEqual(new Set(all.map((u) => u.worker)), new Set([0, 1]), 'the users are spread over both workers');

  // A name held on another worker is taken; a line reaches the users of both workers.
  const elsewhere = all.find((u) => u.worker !== alice.worker)!;
  elsewhere.user.send('/name alice');
  assert.equal(await elsewhere.user.line(PATIENCE), 'alice is taken. Another name?');
  alice.user.send('hi all');
  assert.equal(await bob.user.line(PATIENCE), '<alice> hi all');
  assert.equal(await carol.user.line(PATIENCE), '<alice> hi all');
  for (const { user } of all) {
    user.send('/who lobby');
    assert.equal(await user.line(PATIENCE), 'In the lobby (3): alice, bob, carol');
  }
  bob.user.send('/msg alice psst');
  assert.equal(await alice.user.line(PATIENCE), '*bob* psst');
  assert.equal(await bob.user.line(PATIENCE), '-> alice: psst');

  // SIGKILL the worker that holds alice: once the supervisor has seen it die, its users are gone from every answer.
  const status = JSON.parse((await run(['status', '--json'], dir)).stdout) as { workers: Array<{ pid: number }> };
  const victimPid = status.workers[alice.worker]!.pid;
  process.kill(victimPid, 'SIGKILL');
  await command.output(new RegExp(`worker ${alice.worker} \\(pid ${victimPid}\\) died \\(SIGKILL\\)`));
  const survivors = all.filter((u) => u.worker !== alice.worker);
  const lost = all.filter((u) => u.worker === alice.worker);
  for (const { user } of lost) await user.ended();
  const names = survivors.map((u) => (u === bob ? 'bob' : 'carol')).sort();
  for (const { user } of survivors) {
    user.send('/who lobby');
    assert.equal(await user.line(PATIENCE), `In the lobby (${names.length}): ${names.join(', ')}`);
  }
  const heir = survivors[0]!;
  heir.user.send('/name alice'); // free again: flagExists answers false at once
  const renamed = `* ${heir === bob ? 'bob' : 'carol'} is now known as alice`;
  for (const { user } of survivors) assert.equal(await user.line(PATIENCE), renamed);
});
