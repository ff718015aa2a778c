import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

// Keeps the benchmark suite from rotting: the short matrix must run end to end against every
// peer and write a report. No timing is asserted; machines here are shared and noisy.
it('npm run bench -- --quick runs every server and writes a report', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  try {
    const out = join(dir, 'BENCHMARKS.md');
    const runner = new URL('../../bench/run.js', import.meta.url).pathname;
    const result = spawnSync(process.execPath, [runner, '--quick', '--out', out], { encoding: 'utf8', timeout: 170_000 });
    assert.equal(result.status, 0, `bench exited ${result.status}:\n${result.stderr.slice(-2000)}`);
    const report = readFileSync(out, 'utf8');
    for (const name of ['**Switchboard**', 'node:net', 'ws', 'socket.io', 'uWebSockets.js']) {
      assert.ok(report.includes(name), `report names ${name}`);
    }
    assert.match(report, /<svg|\.svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
