import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { ECHO_APP, PATIENCE, run } from '../cli/command.js';
import { start, workers } from './worker-helpers.js';

describe('workers: reload', () => {
  it('reload under traffic: every client gets its replies or the goodbye and reconnects; none hangs', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, port } = await start(t, ECHO_APP, ['--workers', '2']);
    let reloaded = false;
    let goodbyes = 0;
    const clients = Array.from({ length: 20 }, async (_, c) => {
      let replies = 0;
      let afterReload = 0;
      while (afterReload < 3) {
        const client = new LineClient(port);
        try {
          for (let n = 0; afterReload < 3; n++) {
            client.send(`c${c}n${n}`);
            const line = await client.line(PATIENCE);
            if (line === 'bye') {
              goodbyes++;
              await client.ended();
              break;
            }
            assert.match(line, new RegExp(`^[01] [12] c${c}n${n}$`));
            replies++;
            if (reloaded && line.split(' ')[1] === '2') afterReload++;
          }
        } catch (error) {
          // Closed without a goodbye would be a failure: only a connection that never got one may go silently.
          if (!client.closed) throw error;
          throw new Error(`client ${c} was closed without the goodbye`, { cause: error });
        } finally {
          client.destroy();
        }
      }
      return replies;
    });
    const reload = await run(['reload'], dir);
    assert.equal(reload.code, 0, reload.stderr);
    reloaded = true;
    const replies = await Promise.all(clients);
    assert.ok(replies.every((n) => n >= 3));
    assert.ok(goodbyes > 0, 'the old workers said goodbye');
    assert.deepEqual((await workers(dir)).map((w) => w.generation), [2, 2]);
    assert.ok(existsSync(join(dir, 'switchboard.pid')));
  });
});
