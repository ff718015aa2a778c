// Where things are, from the compiled file's location (dist/bench/harness/*.js).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const LOADGEN_DIR = join(REPO_ROOT, 'bench', 'loadgen');
export const LOADGEN_BIN = join(LOADGEN_DIR, 'loadgen');
export const SERVERS_DIR = join(REPO_ROOT, 'dist', 'bench', 'servers');
