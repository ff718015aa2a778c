// Every way server.start() can fail, each with its documented code (docs/ERRORS.md, "Listening").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ErrorCode, Server, type SwitchboardError } from '../../src/index.js';
import { stopAfter } from '../helpers/cleanup.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-listen-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// dist/test/server -> dist/src/index.js
const INDEX = fileURLToPath(new URL('../../src/index.js', import.meta.url));
const NOBODY = 65534;

/**
 * Starts a server with these endpoints in a process that is not root, and returns the code its
 * start() rejected with. Root may bind anything, so as root the attempt runs in a child process
 * as `nobody`; as any other user, in a child all the same (the same path either way).
 */
function startUnprivileged(endpoints: unknown[]): { code: string | undefined; message: string } {
  const script = `
    import { Server } from ${JSON.stringify(INDEX)};
    const server = new Server({ endpoints: ${JSON.stringify(endpoints)} });
    server.start().then(
      () => { console.log(JSON.stringify({ code: 'started' })); return server.stop(); },
      (error) => console.log(JSON.stringify({ code: error.code, message: error.message })),
    );`;
  const asRoot = process.getuid?.() === 0;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
  });
  assert.equal(result.status, 0, `child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { code: string | undefined; message: string };
}

describe('server.start() failures', () => {
  it('start() twice: ERR_ALREADY_STARTED, and the running server is unaffected', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] }));
    await server.start();
    const address = server.addresses()[0];
    await assert.rejects(server.start(), { code: ErrorCode.AlreadyStarted });
    assert.equal(server.state, 'running');
    assert.deepEqual(server.addresses()[0], address);
  });

  it('an address that is not on this machine: ERR_LISTEN_FAILED with the system error as cause', async (t) => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never a local address, so bind fails EADDRNOTAVAIL.
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '192.0.2.1', port: 0 }] }));
    await assert.rejects(server.start(), (error: SwitchboardError) => {
      assert.equal(error.code, ErrorCode.ListenFailed);
      assert.equal((error.cause as NodeJS.ErrnoException).code, 'EADDRNOTAVAIL');
      assert.match(error.message, /192\.0\.2\.1/);
      return true;
    });
    assert.equal(server.state, 'idle');
  });

  it('a privileged port, or a directory it may not write, as a non-root user: ERR_PERMISSION_DENIED', (t) => {
    const port = startUnprivileged([{ transport: 'tcp', host: '127.0.0.1', port: 1 }]);
    assert.equal(port.code, ErrorCode.PermissionDenied, port.message);
    assert.match(port.message, /127\.0\.0\.1:1\b/);
    // A directory anyone may search but only its owner may write: the child may not create a
    // socket in it (as a non-root user, `/` is such a directory).
    const readOnly = mkdtempSync(join(tmpdir(), 'sb-listen-ro-'));
    t.after(() => rmSync(readOnly, { recursive: true, force: true }));
    chmodSync(readOnly, 0o755);
    const unix = startUnprivileged([{ transport: 'unix', path: join(process.getuid?.() === 0 ? readOnly : '/', 'denied.sock') }]);
    assert.equal(unix.code, ErrorCode.PermissionDenied, unix.message);
    // A directory it may not even search: inspecting the path for a stale socket fails EACCES.
    const closed = mkdtempSync(join(tmpdir(), 'sb-listen-closed-'));
    t.after(() => rmSync(closed, { recursive: true, force: true }));
    chmodSync(closed, 0o700);
    const hidden = startUnprivileged([{ transport: 'unix', path: join(closed, 'denied.sock') }]);
    assert.equal(hidden.code, ErrorCode.PermissionDenied, hidden.message);
  });

  it('a Unix path that is a regular file: ERR_ADDRESS_IN_USE, and the file is left untouched', async (t) => {
    const path = join(dir, 'not-a-socket');
    writeFileSync(path, 'precious data');
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'unix', path }] }));
    await assert.rejects(server.start(), (error: SwitchboardError) => {
      assert.equal(error.code, ErrorCode.AddressInUse);
      assert.match(error.message, /not a socket/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), 'precious data');
  });
});
