import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildLoadgen, runLoadgen } from '../../bench/harness/loadgen.js';
import { SERVERS_DIR } from '../../bench/harness/paths.js';
import { ServerProcess } from '../../bench/harness/server-process.js';
import { runNode } from '../helpers/node-child.js';

// The idle memory reading of `npm run bench` waits for V8's memory reducer: the server reports its
// memory-reducing collections (bench/servers/memory-watch.ts) and SIGUSR1 ends the generator's
// hold (bench/loadgen/main.c). These are the two halves of that contract, for real.
const noTls = { cert: '', key: '', dispose: (): void => undefined };

describe('bench idle hold', () => {
  it('SIGUSR1 ends an idle hold early, and one sent before the hold began is forgotten', { timeout: 60_000 }, async () => {
    buildLoadgen(() => undefined);
    const server = await ServerProcess.start(join(SERVERS_DIR, 'net-server.js'), 'tcp', noTls);
    try {
      const held = 40;
      const result = await runLoadgen(
        ['--proto', 'len', '--transport', 'tcp', '--port', String(server.endpoint.port), '--workload', 'idle',
          '--conns', '50', '--procs', '1', '--warmup', '0.5', '--duration', String(held), '--server-pid', String(server.pid)],
        (held + 20) * 1000,
        (child) => {
          child.stderr?.setEncoding('utf8').on('data', (d: string) => {
            // Before the first reading: must not end the hold that follows.
            if (d.includes('loadgen: connecting')) child.kill('SIGUSR1');
            if (d.includes('loadgen: holding')) setTimeout(() => child.kill('SIGUSR1'), 300);
          });
        },
      );
      assert.equal(result.connected, 50);
      assert.ok(result.held_s !== undefined && result.held_s > 0 && result.held_s < held / 2, `held ${result.held_s} s of ${held}`);
      assert.ok(result.server.rss_end_kb > 0 && result.server.rss_after_kb > 0);
    } finally {
      await server.stop();
    }
  });

  it('a server started by the harness reports collections that carry V8\'s memory-reducing flag', { timeout: 30_000 }, async () => {
    // External memory pressure makes V8 collect with the same flag as its memory reducer, at once.
    const { code, output } = await runNode(['--import', new URL('../../bench/servers/memory-watch.js', import.meta.url).href, '-e',
      'const keep = []; for (let i = 0; i < 40; i++) { keep.push(Buffer.alloc(64 << 20)); if (keep.length > 2) keep.shift(); } setTimeout(() => {}, 200);'],
    {}, 20_000);
    assert.equal(code, 0, output);
    assert.match(output, /^memory-reduced$/m);
  });
});
