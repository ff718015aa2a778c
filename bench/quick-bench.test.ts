import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';

// Keeps the benchmark suite from rotting: the short matrix must run end to end against every
// peer and write a report. No timing is asserted; machines here are shared and noisy.
// Not part of `npm test` (it lives outside test/, which is all `node --test dist/test/` runs): it
// took ~45 s of a ~50 s run, and its load generator takes both cores from the tests beside it.
// Run it with `npm run test:bench`.
it('npm run bench -- --quick runs every server and writes a report', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  try {
    const out = join(dir, 'BENCHMARKS.md');
    const runner = new URL('./run.js', import.meta.url).pathname; // dist/bench/run.js
    const result = spawnSync(process.execPath, [runner, '--quick', '--out', out], { encoding: 'utf8', timeout: 170_000 });
    assert.equal(result.status, 0, `bench exited ${result.status}:\n${result.stderr.slice(-2000)}`);
    const report = readFileSync(out, 'utf8');
    // A table row per measured case: | Server | Transport | Messages/s | ... Every server must have
    // at least one row with a measured, positive rate (a failed case has no number there).
    const rows = [...report.matchAll(/^\| (\S[^|]*?) \| (tcp|tls|unix|ws|wss) \| ([\d,]+) \|/gm)];
    for (const name of ['**Switchboard**', 'node:net', 'ws', 'socket.io', 'uWebSockets.js']) {
      const rates = rows.filter((row) => row[1] === name).map((row) => Number(row[3]!.replaceAll(',', '')));
      assert.ok(rates.length > 0 && rates.every((rate) => rate > 0), `report has measured rows for ${name}: ${JSON.stringify(rates)}`);
    }
    assert.match(report, /<svg|\.svg/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
