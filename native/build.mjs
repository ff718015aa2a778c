// Builds the optional native accelerator at install, where a C compiler and Node's headers exist.
// Never fails the install: without the addon, Switchboard runs its pure-JavaScript path.
// Plain `cc`, not node-gyp: node-gyp would fetch Node's headers from the network, and this one
// file needs nothing but node_api.h, which Node installs beside itself.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'build', 'switchboard-native.node');
const candidates = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'];
const include = candidates.find((dir) => existsSync(join(dir, 'node_api.h')));

if (process.env.SWITCHBOARD_NATIVE === '0') {
  console.log('switchboard: SWITCHBOARD_NATIVE=0, native accelerator not built');
} else if (include === undefined) {
  console.log('switchboard: Node headers (node_api.h) not found, native accelerator not built: the pure-JavaScript path is used');
} else {
  try {
    mkdirSync(dirname(out), { recursive: true });
    const cc = process.env.CC ?? 'cc';
    const linkFlags = process.platform === 'darwin' ? ['-bundle', '-undefined', 'dynamic_lookup'] : ['-shared'];
    execFileSync(cc, ['-O2', '-fPIC', '-Wall', '-Werror', `-I${include}`, ...linkFlags, '-o', out, join(here, 'switchboard-native.c')], { stdio: 'inherit' });
    console.log(`switchboard: native accelerator built: ${out}`);
  } catch (error) {
    console.log(`switchboard: native accelerator not built (${error.message.split('\n')[0]}): the pure-JavaScript path is used`);
  }
}
