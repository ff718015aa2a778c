import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { compile, readmeExample, scratchProject } from './scratch-project.js';

/** The compiler's or the program's own output, so that a failure says what broke. */
function run(what: () => string | void): string {
  try {
    return what() ?? '';
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    assert.fail(`${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

describe('the packed package in a fresh project', () => {
  it("compiles README's quick start with a current TypeScript and no extra settings, and runs it", (t) => {
    const project = scratchProject();
    t.after(() => rmSync(dirname(project), { recursive: true, force: true }));
    writeFileSync(join(project, 'src/main.ts'), readmeExample('Quick start'));
    // A program against the testing entry and the typed API, beside the example.
    writeFileSync(
      join(project, 'src/typed.ts'),
      [
        "import { Client, JsonCodec, LengthFieldCodec, Server, type Connection } from 'switchboard';",
        "import { assertEverySplit } from 'switchboard/testing';",
        'interface Reading { device: string; value: number }',
        "const server = new Server({ endpoints: [{ transport: 'tcp', port: 0 }], codec: new JsonCodec<Reading>() });",
        "server.on('message', ({ message }) => message.value.toFixed(1));",
        "export const send = (c: Connection<Reading>): boolean | null => c.send({ device: 'd1', value: 1 });",
        "// @ts-expect-error: a WebSocket client takes a messageCodec, never a codec",
        "export const ws = new Client({ transport: 'ws', url: 'ws://127.0.0.1:1/', codec: new LengthFieldCodec() });",
        "assertEverySplit(new LengthFieldCodec(), new LengthFieldCodec().encode('x'), [Buffer.from('x')]);",
        'export { server };',
      ].join('\n'),
    );
    run(() => compile(project));
    run(() => compile(project, 'tsconfig.types-empty.json'));
    const output = run(() => execFileSync(process.execPath, [join(project, 'out/main.js')], { cwd: project, encoding: 'utf8', timeout: 30_000 }));
    assert.equal(output.trim(), 'HELLO');
  });

  it('ships source maps that carry their sources (src/ is not in the package)', (t) => {
    const project = scratchProject();
    t.after(() => rmSync(dirname(project), { recursive: true, force: true }));
    const home = join(project, 'node_modules/switchboard');
    assert.equal(existsSync(join(home, 'src')), false);
    const map = JSON.parse(readFileSync(join(home, 'dist/src/server/server.js.map'), 'utf8')) as { sources: string[]; sourcesContent?: string[] };
    assert.equal(map.sourcesContent?.length, map.sources.length);
    assert.match(map.sourcesContent![0]!, /export class Server/);
  });
});
