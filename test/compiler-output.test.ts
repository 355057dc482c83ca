/**
 * The compiler's output: module shape, metadata, liveness, verbatim
 * await-free code, source maps, compileDir and the Babel plugin.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { transformSync } from '@babel/core';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import reawaitBabel from '../compiler/babel-plugin.js';
import { compileDir } from '../compiler/compile-dir.js';
import { WORKFLOW, type CompiledWorkflowRecord, type Frame, type StepResult } from '../runtime/contract.js';
import { compileAndImport } from './support/compile-fixture.js';

const HEAD = `import { proxyActivities, sleep } from 'reawait/workflow';
import type * as acts from './activities.js';
const { add, encode } = proxyActivities<{ add(a: number, b: number): Promise<number>; encode(f: string): Promise<string> }>();
`;

describe('module shape', () => {
  const source = `${HEAD}
export async function pipeline(files: string[], factor = 2, ...rest: number[]): Promise<number> {
  'use workflow';
  const encoded = await Promise.all(files.map((f) => encode(f)));
  await sleep('1s');
  return encoded.length * factor + rest.length;
}
export const arrow = async (x: number) => {
  'use workflow';
  return (await add(x, 1)) as number;
};
const hidden = async function (y: number) {
  'use workflow';
  return add(y, y);
};
export default async function main() {
  'use workflow';
  return hidden(1);
}
export function untouched(a: number): number { return a + 1; }
`;
  const out = compile(source, { filename: 'src/shape.ts' });

  it('keeps each workflow name and form, with a calling stub and a definition after it', () => {
    expect(out.code).toMatch(/^import \{ defineWorkflow as _rw_define, call as _rw_call, group as _rw_group, closure as _rw_closure, defineSite as _rw_site \} from "reawait\/workflow";/);
    expect(out.code).toContain('export function pipeline(...args) {\n  return _rw_call(pipeline, args);\n}\n_rw_define(pipeline, {');
    expect(out.code).toContain('export const arrow = function arrow(...args) {\n  return _rw_call(arrow, args);\n};\n_rw_define(arrow, {');
    expect(out.code).toContain('const hidden = function hidden(...args) {');
    expect(out.code).toContain('export default function main(...args) {');
    expect(out.code).toContain('function pipeline$step($f, $r) {');
    // Promise.all inside the workflow became a durable group; types are stripped everywhere
    expect(out.code).toContain('_rw_group("all", files.map(_rw_closure("pipeline/1")))');
    // …and the arrow a closure site, registered after the workflow's definition
    expect(out.code).toContain('_rw_site({\n  id: "pipeline/1",\n  kind: "sync",');
    expect(out.code).toContain('}, () => f => {\n  return encode(f);\n});');
    expect(out.code).toContain('export function untouched(a) {\n  return a + 1;\n}');
    expect(out.code).not.toMatch(/: number|: string\[\]|as number|import type/);
  });

  it('describes every workflow: name, file, params, position, suspensions with live locals', () => {
    expect(out.workflows.map((w) => w.name)).toEqual(['pipeline', 'arrow', 'hidden', 'main']);
    const p = out.workflows[0]!;
    expect(p).toMatchObject({ name: 'pipeline', file: 'src/shape.ts', params: ['files', 'factor', '...rest'], line: 5, column: 7 });
    expect(p.version).toMatch(/^[0-9a-f]{16}$/);
    expect(p.suspensions).toEqual([
      { id: 0, line: 5, column: 7, live: [] },
      { id: 1, line: 7, column: 18, live: ['factor', 'rest'] },
      { id: 2, line: 8, column: 2, live: ['factor', 'rest', 'encoded'] },
    ]);
    // `return hidden(1)` resolves the returned frame call: a suspension at the closing brace
    expect(out.workflows[3]!.suspensions).toHaveLength(2);
    for (const w of out.workflows) expect(w.suspensions.map((x) => x.id)).toEqual(w.suspensions.map((_, i) => i));
  });

  it("versions name the closures' code too: a workflow's own sites and its module's helpers that make closures", () => {
    const mod = `export function adder(k: number) {\n  return (x: number) => x + k;\n}\nexport function plain(x: number) {\n  return x + 1;\n}\nexport async function wf(fs: (() => number)[]) {\n  'use workflow';\n  const g = (n: number) => n * 2;\n  await fs;\n  return g(adder(1)(2));\n}\n`;
    const version = (src: string) => compile(src, { filename: 'src/v.ts', sourceMaps: false }).workflows[0]!.version;
    const v = version(mod);
    expect(version(mod.replace('n * 2', 'n * 3')), "the workflow's own closure").not.toBe(v);
    expect(version(mod.replace('x + k', 'x - k')), "a helper's closure").not.toBe(v);
    expect(version(mod.replace('x + 1', 'x + 2')), 'a helper that makes no closure').toBe(v);
  });

  it('versions by code: same code, same hash; changed code, new hash; unrelated edits do not matter', () => {
    const again = compile(`// a comment shifting every line\n${source}`, { filename: 'src/shape.ts' });
    expect(again.workflows.map((w) => w.version)).toEqual(out.workflows.map((w) => w.version));
    const changed = compile(source.replace('encoded.length * factor', 'encoded.length * factor * 1'), { filename: 'src/shape.ts' });
    expect(changed.workflows[0]!.version).not.toBe(out.workflows[0]!.version);
    expect(changed.workflows[1]!.version).toBe(out.workflows[1]!.version);
  });

  it('produces a source map pointing back at the source', () => {
    const map = out.map as { sources: string[]; mappings: string; sourcesContent?: string[] };
    expect(map.sources).toEqual(['src/shape.ts']);
    expect(map.mappings.length).toBeGreaterThan(50);
    expect(compile(source, { filename: 'src/shape.ts', sourceMaps: false }).map).toBeNull();
  });

  it('renames shadowed block locals instead of mixing them up', () => {
    const code = compile(`${HEAD}export async function sh(x: number) {\n  'use workflow';\n  { const x = await add(1, 1); { let x = 5; await add(x, 0); } }\n  return x;\n}\n`, { filename: 's.ts' }).code;
    expect(code).toContain('x$1');
    expect(code).toContain('x$2');
  });
});

/** Drive a compiled step function by hand: every command resolves through `settle`, locals go through JSON. */
function drive(rec: CompiledWorkflowRecord, args: unknown[], settle: (cmd: unknown) => unknown): { value: unknown; frames: Frame[] } {
  const frame: Frame = { fn: rec.meta.name, pc: 0, locals: {} };
  const frames: Frame[] = [];
  let r: StepResult = rec.step(frame, { ok: true, value: args });
  while (!r.done) {
    frames.push(JSON.parse(JSON.stringify(frame)) as Frame);
    frame.locals = JSON.parse(JSON.stringify(frame.locals)) as Record<string, unknown>;
    r = rec.step(frame, { ok: true, value: settle(r.await) });
  }
  return { value: r.value, frames };
}

describe("a workflow module's own classes", () => {
  it('registers each top-level class declaration with the codec as <file>#<Name>, right after it; nested and ambient ones are left alone', () => {
    const source = `
import { sleep } from 'reawait/workflow';
export class ValidationError extends Error {}
class Money { constructor(public cents: number) {} }
export default class Ledger {}
declare class Ambient {}
function helper() { class Local {} return Local; }
export async function pay() {
  'use workflow';
  await sleep(1);
  return new Money(1);
}
`;
    const { code } = compile(source, { filename: 'src/billing.ts' });
    expect(code).toMatch(/^import \{ defineWorkflow as _rw_define, call as _rw_call, group as _rw_group, serializable as _rw_serializable \} from "reawait\/workflow";/);
    expect(code).toContain('export class ValidationError extends Error {}\n_rw_serializable(ValidationError, "src/billing.ts#ValidationError");');
    expect(code).toMatch(/class Money \{[^]*?\n\}\n_rw_serializable\(Money, "src\/billing\.ts#Money"\);/);
    expect(code).toContain('export default class Ledger {}\n_rw_serializable(Ledger, "src/billing.ts#Ledger");');
    expect(code.match(/_rw_serializable\(/g)).toHaveLength(3);
    // A module without classes imports no registration helper; a module without workflows is left as it was
    expect(compile(`export async function w() { 'use workflow'; return 1; }`, { filename: 'w.ts' }).code).not.toContain('serializable');
    expect(compile(`export class Plain {}`, { filename: 'p.ts' }).code).not.toContain('serializable');
  });
});

describe('liveness and verbatim code', () => {
  it('keeps the return-value slot out of states saved before the return', () => {
    const out = compile(
      `${HEAD}
export async function sums(n: number) {
  'use workflow';
  let s = 0;
  for (let i = 0; i < n; i++) s += await add(s, i);
  return s;
}
`,
      { filename: 'src/sums.ts' },
    );
    const lives = out.workflows[0]!.suspensions.map((x) => x.live);
    expect(lives.flat().some((v) => v.endsWith('rv'))).toBe(false);
    expect(lives[1]).toEqual(['n', 'i', '$t0']);
  });

  it('saves only the variables live across each await', async () => {
    const source = `${HEAD}
export async function liveOnly(n: number) {
  'use workflow';
  const big = Array.from({ length: 1000 }, (_, i) => i);
  const sum = big.reduce((a, b) => a + b, 0);
  let keep = 'kept';
  const a = await add(sum, n);
  const unused = await add(a, 1);
  return keep + a;
}
`;
    const { module, workflows } = await compileAndImport(source, 'compiler-output/live-only.ts');
    const rec = (module.liveOnly as unknown as Record<symbol, CompiledWorkflowRecord>)[WORKFLOW];
    expect(workflows[0]!.suspensions.map((s) => s.live)).toEqual([[], ['keep'], ['keep', 'a']]);
    const calls: unknown[] = [];
    const { value, frames } = drive(rec, [5], (cmd) => {
      calls.push(cmd);
      const c = cmd as { args: number[] };
      return c.args[0]! + c.args[1]!;
    });
    expect(value).toBe('kept499505');
    expect(frames.map((f) => [f.pc, Object.keys(f.locals)])).toEqual([
      [1, ['keep']],
      [2, ['keep', 'a']],
    ]);
  });

  it('keeps a pending completion only where a finally still needs it; rewrites every Promise combinator', () => {
    const out = compile(
      `${HEAD}export async function fin(xs: number[]) {
  'use workflow';
  let total = 0;
  try {
    for (const x of xs) total += await add(x, 0);
  } finally {
    await add(total, 0);
  }
  const r = await Promise.race([add(1, 1), add(2, 2)]);
  const a = await Promise.any([add(1, 1)]);
  const s = await Promise.allSettled([add(1, 1)]);
  return [total, r, a, s];
}
`,
      { filename: 'src/fin.ts' },
    );
    const lives = out.workflows[0]!.suspensions.slice(1).map((s) => s.live);
    // in the try block nothing pending is saved; inside the finally the completion record is
    expect(lives[0]!.some((v) => v.startsWith('$c'))).toBe(false);
    expect(lives[1]!.some((v) => v.startsWith('$c'))).toBe(true);
    expect(lives.slice(2).flat().some((v) => v.startsWith('$c'))).toBe(false);
    expect(out.code).toContain('_rw_group("race", [add(1, 1), add(2, 2)])');
    expect(out.code).toContain('_rw_group("any", [add(1, 1)])');
    expect(out.code).toContain('_rw_group("allSettled", [add(1, 1)])');
  });

  it('keeps an await-free loop a native loop', async () => {
    const source = `${HEAD}
export async function hotLoop(n: number) {
  'use workflow';
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += i % 7;
  }
  return await add(total, 0);
}
export function nativeLoop(n: number) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    total += i % 7;
  }
  return total;
}
`;
    const { module, code } = await compileAndImport(source, 'compiler-output/hot-loop.ts');
    const step = code.slice(code.indexOf('function hotLoop$step'));
    expect(step).toMatch(/for \(let i = 0; i < n; i\+\+\) \{\s*total \+= i % 7;\s*\}/);
    const rec = (module.hotLoop as unknown as Record<symbol, CompiledWorkflowRecord>)[WORKFLOW];
    const nativeLoop = module.nativeLoop as (n: number) => number;
    // Its speed against plain JS is bench row 2 (npm run bench); here, only that it is the same loop computing the same value.
    const N = 100_000;
    const compiled = drive(rec, [N], (cmd) => (cmd as { args: number[] }).args[0]).value as number;
    expect(compiled).toBe(nativeLoop(N));
  });
});

describe('compileDir', () => {
  it('compiles a folder to .js + .js.map at the same relative paths, rewriting .ts import specifiers', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'reawait-dir-'));
    mkdirSync(path.join(dir, 'src', 'lib'), { recursive: true });
    writeFileSync(path.join(dir, 'src', 'video.ts'), `import { helper } from './lib/helper.ts';\nimport { other } from './lib/other.js';\nexport async function v(x: number) {\n  'use workflow';\n  return helper(x) + other;\n}\n`);
    writeFileSync(path.join(dir, 'src', 'lib', 'helper.ts'), `export const helper = (x: number): number => x * 2;\n`);
    writeFileSync(path.join(dir, 'src', 'lib', 'other.js'), `export const other = 1;\n`);
    writeFileSync(path.join(dir, 'src', 'lib', 'types.d.ts'), `export type T = number;\n`);
    const cwd = process.cwd();
    process.chdir(dir);
    let result;
    try {
      result = await compileDir('src', 'dist');
    } finally {
      process.chdir(cwd);
    }
    expect(result.errors).toEqual([]);
    expect(result.files.map((f) => f.split(path.sep).join('/')).sort()).toEqual(['dist/lib/helper.js', 'dist/lib/other.js', 'dist/video.js']);
    const video = readFileSync(path.join(dir, 'dist', 'video.js'), 'utf8');
    expect(video).toMatch(/from ["']\.\/lib\/helper\.js["']/);
    expect(video).toMatch(/from ["']\.\/lib\/other\.js["']/);
    expect(video).toContain('file: "src/video.ts"');
    expect(video).toMatch(/\/\/# sourceMappingURL=video\.js\.map\n$/);
    const map = JSON.parse(readFileSync(path.join(dir, 'dist', 'video.js.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toEqual(['../src/video.ts']);
  });
});

describe('Babel plugin', () => {
  it('works in a plain Babel setup and leaves the metadata on the file', () => {
    const result = transformSync(`export async function plugged(x) {\n  'use workflow';\n  const y = await f(x);\n  return y + 1;\n}\n`, {
      filename: 'plugged.js',
      babelrc: false,
      configFile: false,
      plugins: [[reawaitBabel, { importSource: 'reawait/workflow' }]],
    });
    expect(result?.code).toContain('_rw_define(plugged, {');
    const meta = (result?.metadata as unknown as { reawait: { workflows: { name: string; suspensions: unknown[] }[] } }).reawait;
    expect(meta.workflows[0]).toMatchObject({ name: 'plugged', file: 'plugged.js', suspensions: [{ id: 0 }, { id: 1, line: 3, column: 12, live: [] }] });
  });
});
