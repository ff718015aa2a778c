// What the scratch-project test does, step by step: a fresh project, as a new user makes one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (dist/test/package/ is three levels below it). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The first ```ts block after a heading of README.md. */
export function readmeExample(heading: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(`\n## ${heading}\n`);
  if (at < 0) throw new Error(`README.md has no "## ${heading}"`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!match?.[1]) throw new Error(`README.md's "${heading}" has no ts block`);
  return match[1];
}

/**
 * Packs the package (`npm pack`, so the `files` list and the `exports` map are what is tested) and
 * installs the tarball into a new project: its files unpacked into node_modules/switchboard, and
 * each dependency its package.json declares (and only those: an undeclared one must fail the
 * compile) linked from this repository's node_modules, so that the test needs no network.
 */
export function scratchProject(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sb-scratch-'));
  const project = join(dir, 'project');
  const modules = join(project, 'node_modules');
  const home = join(modules, 'switchboard');
  mkdirSync(home, { recursive: true });
  execFileSync('tar', ['-xzf', tarball(), '-C', home, '--strip-components=1']);
  const manifest = JSON.parse(readFileSync(join(home, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    const target = join(modules, name);
    mkdirSync(dirname(target), { recursive: true });
    if (!existsSync(target)) symlinkSync(join(repoRoot, 'node_modules', name), target, 'dir');
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }, null, 2));
  // What `tsc --init` leaves a new user with, less its comments: no `types`, no `skipLibCheck`.
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', rootDir: 'src' } }, null, 2),
  );
  // TypeScript 5.9's `tsc --init` writes `"types": []` (and 6.0 makes it the default): the package
  // must bring Node's types itself, not rely on node_modules/@types being scanned.
  writeFileSync(
    join(project, 'tsconfig.types-empty.json'),
    JSON.stringify({ extends: './tsconfig.json', compilerOptions: { types: [], noEmit: true } }, null, 2),
  );
  mkdirSync(join(project, 'src'));
  return project;
}

let packed: string | undefined;

/** The package as `npm pack` makes it, packed once per test process (into a directory removed at exit). */
function tarball(): string {
  if (packed === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'sb-pack-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const name = execFileSync('npm', ['pack', '--pack-destination', dir, '--silent', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' }).trim().split('\n').pop()!;
    packed = join(dir, name);
  }
  return packed;
}

/** Runs the repository's TypeScript (a current one) on the project; its diagnostics on failure. */
export function compile(project: string, config = 'tsconfig.json'): void {
  execFileSync(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', join(project, config)], { encoding: 'utf8', stdio: 'pipe' });
}
