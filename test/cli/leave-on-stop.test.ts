// A process of the command leaves its cluster when it stops: an app that never disposes of its
// Registry (most do not) must not leave its presence keys in Redis for the lease to clear.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { Redis } from 'ioredis';
import { Command, PATIENCE, scratch, writeApp } from './command.js';
import { LineClient } from '../helpers/line-client.js';
import { until } from '../helpers/wait.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

// Binds each connection to a user, and never disposes of the registry.
const APP = `
export default function app() {
  const server = new sb.Server({ codec: new sb.LineCodec(), endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
  const registry = new sb.Registry(server);
  server.on('establish', ({ connection }) => { void registry.bind(connection, 'user-' + connection.id).then(() => connection.send('bound')); });
  return server;
}
`;

async function keysUnder(prefix: string): Promise<string[]> {
  const client = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    return await client.keys(`${prefix}*`);
  } finally {
    client.disconnect();
  }
}

for (const shape of [['run'], ['start', '--workers', '2']] as const) {
  it(`switchboard ${shape.join(' ')} --redis: stopped with SIGTERM, the node leaves no key behind`, { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, remove } = scratch();
    const prefix = `sbtest-leave-${randomBytes(4).toString('hex')}:`;
    const app = writeApp(dir, 'app.mjs', APP);
    const command = new Command([shape[0], app, ...shape.slice(1), '--redis', REDIS_URL, '--redis-prefix', prefix], { cwd: dir });
    const clients: LineClient[] = [];
    t.after(async () => {
      clients.forEach((client) => client.destroy());
      command.kill('SIGKILL');
      await command.finished;
      remove();
    });
    const port = Number((await command.output(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/).catch((error: Error) => assert.fail(`${error.message} (is Redis at ${REDIS_URL}?)`)))[1]);
    for (let i = 0; i < 3; i++) clients.push(new LineClient(port));
    for (const client of clients) assert.equal(await client.line(PATIENCE), 'bound');
    await until(async () => (await keysUnder(prefix)).length > 0, PATIENCE, 'presence keys in Redis');
    command.kill('SIGTERM');
    assert.equal((await command.finished).code, 0);
    // At once, not after the lease (3 s) has run out and a survivor cleaned up.
    assert.deepEqual(await keysUnder(prefix), []);
  });
}
