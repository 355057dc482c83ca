/**
 * `reawait compile` on one file, and `--watch`: each source is compiled
 * again as it changes (an error is printed and the last good output kept
 * until it is fixed), a new file is compiled, a deleted one loses its
 * outputs, and Ctrl+C stops it with exit 0. Waits are on conditions, with
 * generous deadlines (the machine may be loaded).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../bin/commands.js';
import { runCli } from '../runtime/cli/dispatch.js';
import { CLI, ensureDist } from './support/global-setup.js';

const WF = (n: number) => `import { sleep } from 'reawait/workflow';\nexport async function wf(): Promise<number> {\n  'use workflow';\n  await sleep('1s');\n  return ${n};\n}\n`;

async function until(what: string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('reawait compile', () => {
  it('compiles a single file (with its .d.ts); a file that is not a source is a usage error', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-compile-'));
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/one.ts'), WF(1));
    writeFileSync(path.join(dir, 'src/two.ts'), WF(2));
    writeFileSync(path.join(dir, 'src/notes.txt'), 'hi');
    let out = '';
    let err = '';
    const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
    expect(await runCli(commands, ['compile', path.join(dir, 'src/one.ts'), '--out', path.join(dir, 'build')], io)).toBe(0);
    expect(out).toBe(`reawait compile: 1 file written to ${path.join(dir, 'build')}\n`);
    expect(readFileSync(path.join(dir, 'build/one.js'), 'utf8')).toContain('return {\n');
    expect(existsSync(path.join(dir, 'build/one.d.ts'))).toBe(true);
    expect(existsSync(path.join(dir, 'build/two.js'))).toBe(false);
    expect(await runCli(commands, ['compile', path.join(dir, 'src/notes.txt'), '--out', path.join(dir, 'build')], io)).toBe(2);
    expect(err).toContain(`reawait: '${path.join(dir, 'src/notes.txt')}' is not a .ts, .mts or .js source file`);
  });

  it('notes when the output would be loaded as CommonJS (no "type": "module" in the package.json above it), and says how to fix it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-cjs-'));
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/one.ts'), WF(1));
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'cjs-app', version: '1.0.0' }));
    const compileIn = async () => {
      let err = '';
      const code = await runCli(commands, ['compile', path.join(dir, 'src'), '--out', path.join(dir, 'build')], { out: () => {}, err: (s) => void (err += s) });
      return { code, err };
    };
    const cjs = await compileIn();
    expect(cjs.code).toBe(0);
    expect(cjs.err).toContain(`has no "type": "module", so node would load it as CommonJS ('Cannot use import statement outside a module'); make the app ESM: npm pkg set type=module`);
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'esm-app', version: '1.0.0', type: 'module' }));
    expect((await compileIn()).err).toBe('');
  });

  describe('--watch', () => {
    beforeAll(() => ensureDist(), 120_000);

    it('recompiles what changes, reports errors without losing the last output, and stops on Ctrl+C', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'reawait-watch-'));
      const src = path.join(dir, 'src');
      const out = path.join(dir, 'build');
      mkdirSync(path.join(src, 'nested'), { recursive: true });
      writeFileSync(path.join(src, 'a.ts'), WF(1));
      const proc = spawn(process.execPath, [CLI, 'compile', src, '--out', out, '--watch'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      const output = (f: string) => (existsSync(path.join(out, f)) ? readFileSync(path.join(out, f), 'utf8') : '');
      try {
        await until('the watcher to start', () => stderr.includes('watching'));
        expect(stdout).toContain('1 file written');
        expect(output('a.js')).toContain('value: 1');

        writeFileSync(path.join(src, 'a.ts'), WF(10));
        await until('a.ts recompiled', () => output('a.js').includes('value: 10'));

        writeFileSync(path.join(src, 'nested/b.ts'), WF(2));
        await until('the new file compiled', () => output('nested/b.js').includes('value: 2') && existsSync(path.join(out, 'nested/b.d.ts')));

        writeFileSync(path.join(src, 'a.ts'), WF(3).replace('await sleep', 'this; await sleep'));
        await until('the error printed', () => stderr.includes("'this' is not supported"));
        expect(stderr).toMatch(/src\/a\.ts:4:3: 'this' is not supported/);
        expect(output('a.js')).toContain('value: 10'); // the last good output stays

        writeFileSync(path.join(src, 'a.ts'), WF(4));
        await until('the fix compiled', () => output('a.js').includes('value: 4'));

        rmSync(path.join(src, 'nested/b.ts'));
        await until('the deleted file\'s outputs removed', () => !existsSync(path.join(out, 'nested/b.js')) && !existsSync(path.join(out, 'nested/b.d.ts')));
      } finally {
        proc.kill('SIGINT');
      }
      expect(await exited).toBe(0);
    }, 180_000);
  });
});
