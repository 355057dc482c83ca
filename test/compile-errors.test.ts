/**
 * Refused constructs are compile errors with file:line:col and a code frame;
 * every error of a file (and, for the CLI, of every file) is reported.
 */
import { mkdtempSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError, type CompileErrorItem } from '../compiler/index.js';
import { runCli } from '../runtime/cli/dispatch.js';
import { commands } from '../bin/commands.js';

const main = (argv: string[], io: Parameters<typeof runCli>[2]) => runCli(commands, ['compile', ...argv], io);

const HEAD = `import { proxyActivities } from 'reawait/workflow';\nconst { f } = proxyActivities<{ f(x?: unknown): Promise<number> }>();\n`;

function errorsOf(source: string, filename = 'src/wf.ts'): CompileErrorItem[] {
  try {
    compile(source, { filename });
  } catch (err) {
    expect(err).toBeInstanceOf(CompileError);
    return (err as CompileError).errors;
  }
  throw new Error('expected a CompileError');
}

/** Compile `body` inside a workflow; the marked line `/*!*\/` is where the error must point. */
function refused(body: string, opts: { params?: string; head?: string } = {}): CompileErrorItem {
  const source = `${opts.head ?? HEAD}export async function wf(${opts.params ?? ''}) {\n  'use workflow';\n${body}\n}\n`;
  const errors = errorsOf(source);
  expect(errors).toHaveLength(1);
  return errors[0]!;
}

const lineOf = (source: string, needle: string): number => source.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('refused constructs', () => {
  const cases: { name: string; body: string; at: string; col: number; message: RegExp; params?: string }[] = [
    { name: 'this', body: '  return this;', at: 'return this', col: 10, message: /'this' is not supported inside a workflow/ },
    { name: 'this in an arrow', body: '  const g = () => this;\n  return g();', at: '() => this', col: 19, message: /'this'/ },
    { name: 'arguments', body: '  return arguments.length;', at: 'arguments', col: 10, message: /'arguments'.*rest parameter/ },
    { name: 'for await', body: '  for await (const x of [1]) await f(x);', at: 'for await', col: 3, message: /'for await' is not supported/ },
    { name: 'eval', body: "  return eval('1 + 1');", at: 'eval', col: 10, message: /'eval\(…\)' is not supported/ },
    { name: 'new.target', body: '  return new.target;', at: 'new.target', col: 10, message: /'new\.target' is not supported/ },
    { name: 'await in a parameter default', body: '  return x;', params: 'x = await f()', at: 'export async function', col: 30, message: /'await' (in a parameter default|is not allowed in async function parameters)/ },
    {
      name: "'this' in an arrow inside a method (its own site, made apart from the method)",
      body: '  const o = { n: 1, get() { return [1].map((x) => this.n + x); } };\n  return o.get();',
      at: 'const o',
      col: 51,
      message: /'this' inside an arrow function nested in a function of a workflow is not supported/,
    },
    {
      name: "'arguments' inside an async closure",
      body: '  const g = async function () { return arguments.length; };\n  return await g();',
      at: 'const g',
      col: 40,
      message: /'arguments' inside an async function of a workflow is not supported: use a rest parameter/,
    },
    {
      name: 'an async generator closure',
      body: '  const g = async function* () { yield await f(); };\n  return g;',
      at: 'const g',
      col: 13,
      message: /async generator functions are not supported inside a workflow/,
    },
    {
      name: 'an async function expression calling itself by its own name',
      body: '  const g = async function h(n: number): Promise<number> { return n ? await h(n - 1) : await f(); };\n  return await g(2);',
      at: 'const g',
      col: 77,
      message: /async function expression that refers to itself by its own name \('h'\)/,
    },
    {
      name: 'a getter with a computed name',
      body: "  const k = 'n';\n  const o = { get [k]() { return 1; } };\n  return o;",
      at: 'const o',
      col: 20,
      message: /a getter or setter with a computed name is not supported inside a workflow/,
    },
    { name: "'super' in an object method", body: '  const o = { m() { return super.toString(); } };\n  return o.m();', at: 'const o', col: 28, message: /'super' is not supported inside a workflow/ },
    { name: 'await in a computed class member name', body: '  class K { [await f()]() { return 1; } }\n  return K;', at: 'class K', col: 14, message: /'await' in a computed class member name is not supported inside a workflow: await the key into a const before the class/ },
    { name: 'await in a class heritage', body: '  const K = class extends (await f()) {};\n  return K;', at: 'class extends', col: 28, message: /'await' in a class's 'extends' clause is not supported inside a workflow/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with file:line:col and a code frame`, () => {
      const source = `${HEAD}export async function wf(${c.params ?? ''}) {\n  'use workflow';\n${c.body}\n}\n`;
      const err = refused(c.body, c.params ? { params: c.params } : {});
      expect(err.file).toBe('src/wf.ts');
      expect(err.line).toBe(lineOf(source, c.at));
      expect(err.column).toBe(c.col);
      expect(err.message).toMatch(c.message);
      expect(err.codeFrame).toContain(`> ${err.line} |`);
      expect(err.codeFrame).toMatch(/\|\s+\^/);
    });
  }

  it('allows this/arguments inside nested non-arrow functions and awaits in non-workflow code', () => {
    const source = `${HEAD}export async function wf() {\n  'use workflow';\n  const o = { n: 1, get() { return this.n + arguments.length; } };\n  return o.get() + (await f());\n}\nexport async function plain() { return this ?? (await f()); }\n`;
    expect(() => compile(source, { filename: 'src/ok.ts' })).not.toThrow();
  });

  it("leaves a module's helper function as written when a workflow could not hold its closures", () => {
    const source = `${HEAD}export function stream() {\n  return async function* () { yield await f(); };\n}\nexport function withThis(this: { n: number }) {\n  return () => this.n;\n}\nexport function adder(k: number) {\n  return (x: number) => x + k;\n}\nexport async function wf() {\n  'use workflow';\n  return adder(1)(await f());\n}\n`;
    const { code } = compile(source, { filename: 'src/helpers.ts', sourceMaps: false });
    expect(code).toContain('return async function* () {');
    expect(code).toContain('return () => this.n;');
    // the helper a workflow can hold closures of is converted: its closure is made through a site
    expect(code).toContain('_rw_closure("src/helpers.ts#adder/1", $e1)');
  });

  it('refuses a workflow that is not async, or is a generator', () => {
    const errors = errorsOf(`export function notAsync() {\n  'use workflow';\n  return 1;\n}\nexport async function* gen() {\n  'use workflow';\n  yield 1;\n}\n`);
    expect(errors.map((e) => [e.line, e.column, e.message])).toEqual([
      [1, 8, expect.stringMatching(/^workflow 'notAsync' must be an async function/)],
      [5, 8, expect.stringMatching(/^workflow 'gen' is a generator/)],
      [7, 3, expect.stringMatching(/^'yield' is not supported inside a workflow/)],
    ]);
  });

  it('refuses anonymous and nested workflows', () => {
    const errors = errorsOf(`export default async function () {\n  'use workflow';\n}\nfunction outer() {\n  return async function inner() {\n    'use workflow';\n  };\n}\n`);
    expect(errors.map((e) => [e.line, e.message])).toEqual([
      [1, expect.stringMatching(/needs a name/)],
      [5, expect.stringMatching(/needs a name|top level/)],
    ]);
  });

  it('reports syntax errors (with, super outside methods) as compile errors with a location', () => {
    const w = errorsOf(`export async function wf(o: object) {\n  'use workflow';\n  with (o) {}\n}\n`);
    expect(w).toMatchObject([{ file: 'src/wf.ts', line: 3, column: 3 }]);
    expect(w[0]!.message).toMatch(/with/i);
    const s = errorsOf(`export async function wf() {\n  'use workflow';\n  return super.x;\n}\n`);
    expect(s).toMatchObject([{ line: 3, column: 10 }]);
    expect(s[0]!.message).toMatch(/super/i);
  });

  it('reports every error of the file, in every workflow, not just the first', () => {
    const source = `${HEAD}export async function a() {\n  'use workflow';\n  const t = this;\n  return arguments[0];\n}\nexport const b = async () => {\n  'use workflow';\n  return [1].map(async (x) => arguments[0] + (await f(x)));\n};\n`;
    const errors = errorsOf(source, 'src/many.ts');
    expect(errors.map((e) => `${e.file}:${e.line}:${e.column}`)).toEqual(['src/many.ts:5:13', 'src/many.ts:6:10', 'src/many.ts:10:31']);
    let message = '';
    try {
      compile(source, { filename: 'src/many.ts' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain("src/many.ts:5:13: 'this' is not supported");
    expect(message).toContain('src/many.ts:6:10:');
    expect(message).toContain('src/many.ts:10:31:');
  });
});

describe('reawait compile (CLI)', () => {
  const capture = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (s: string) => void out.push(s), err: (s: string) => void err.push(s) }, out, err };
  };
  const tmp = () => mkdtempSync(path.join(tmpdir(), 'reawait-cli-'));

  it('exits non-zero and prints every error of every file', async () => {
    const dir = tmp();
    mkdirSync(path.join(dir, 'src', 'nested'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'one.ts'), `export async function one() {\n  'use workflow';\n  return this;\n}\n`);
    writeFileSync(path.join(dir, 'src', 'nested', 'two.ts'), `export async function two() {\n  'use workflow';\n  eval('1');\n  return arguments;\n}\n`);
    writeFileSync(path.join(dir, 'src', 'fine.ts'), `export const x: number = 1;\n`);
    const c = capture();
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(await main(['src', '--out', 'dist'], c.io)).toBe(1);
    } finally {
      process.chdir(cwd);
    }
    const text = c.err.join('');
    expect(text).toContain("src/one.ts:3:10: 'this' is not supported");
    expect(text).toContain("src/nested/two.ts:3:3: 'eval(…)' is not supported");
    expect(text).toContain("src/nested/two.ts:4:10: 'arguments' is not supported");
    expect(text).toContain('3 errors in 2 files');
    expect(text).toContain('> 3 |');
    // the clean file is still compiled
    expect(existsSync(path.join(dir, 'dist', 'fine.js'))).toBe(true);
  });

  it('gives clear usage errors', async () => {
    const dir = tmp();
    let c = capture();
    expect(await main([], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/missing <src>[\s\S]*usage: npx reawait compile <src> --out <out-dir> \[options\]/);
    c = capture();
    expect(await main([dir], c.io)).toBe(2);
    expect(c.err.join('')).toContain('--out is required');
    c = capture();
    expect(await main([path.join(dir, 'nope'), '--out', path.join(dir, 'o')], c.io)).toBe(2);
    expect(c.err.join('')).toMatch(/source '.*nope' does not exist/);
    c = capture();
    expect(await main([dir, '--out'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('--out needs a value');
  });
});
