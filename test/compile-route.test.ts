/**
 * compile()'s one route (parse, strip the types, the pass on the bare AST,
 * generate) against @babel/core running reawait's Babel plugin with
 * plugin-transform-typescript (test/support/babel-reference.ts): the same
 * code, map and metadata byte for byte, whichever stripping the module
 * takes (ts-strip's own walk for the TypeScript most modules use, the
 * plugin for the rest), and the same errors, as CompileErrors.
 */
import { parse, type ParserOptions } from '@babel/parser';
import type * as t from '@babel/types';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError, type CompileOptions } from '../compiler/index.js';
import { stripTypeScript } from '../compiler/ts-strip.js';
import { compileWithBabel } from './support/babel-reference.js';
import { ROOT } from './support/fixture-corpus.js';

const WF = `export async function wf(n: number): Promise<number> {\n  'use workflow';\n  const v = await act(n);\n  return v;\n}\n`;
const ACT = `import { proxyActivities } from 'reawait/workflow';\nconst { act } = proxyActivities<{ act(x: unknown): Promise<number> }>();\n`;

/** Inputs ts-strip's own walk takes. */
const FAST: Record<string, string> = {
  typeImports: `/** header */\nimport type { A } from './a';\n// before mixed\nimport { type B, value, Unused } from './b'; // trailing\nimport { OnlyInTypes } from './c';\nimport './side';\n${ACT}interface I { a: OnlyInTypes; b: typeof value } // after I\n/** doc */\ntype T = I | A | B;\nexport interface E { x: number }\nexport type F = E;\n${WF}export const use = value;\nlet t: T | undefined;\n`,
  exportMarker: `import type { A } from './a';\nimport { B } from './b';\nconst x: A | B = null as any;\nconsole.log(x);\n`,
  emptyImport: `import {} from './empty';\nimport type { E } from './e';\nexport const z: E | undefined = undefined;\n`,
  expressions: `${ACT}function h(this: unknown, n?: number): number { return (n as number)! + 1; }\nlet d!: number;\nexport const wf = async (k: number) => {\n  'use workflow';\n  interface Inner { q: number }\n  const xs: Inner[] = [];\n  const v = <number>(await act(k satisfies number)) as unknown as number;\n  /* c */ const r = await Promise.all([act(1), act(xs)] as const);\n  return v + h(2) + (r[0] as number)! + d;\n};\n`,
  valueImportNoExport: `import { v } from './v';\nimport type { W } from './w';\nconst w: W = v;\nconsole.log(w);\n`,
  castTargets: `${ACT}let q = 0;\nconst o = { a: [1] as number[] };\n(q as number) = 1;\no.a[0]! += 1;\n(o.a as number[])[0]++;\n${WF}`,
  // Renaming and the TDZ check: the pass's own scope analysis, the same on both routes.
  shadowingAndTdz: `${ACT}import type { T } from './t';\ninterface a { x: T }\nexport async function wf(n: number) {\n  'use workflow';\n  let r = late + n;\n  const late = await act(1);\n  { let a = await act(1); r += a; } { let a = await act(2); r += a; }\n  try { await act(3); } catch (n) { r += n as number; }\n  return r;\n}\n`,
  noWorkflow: `import type { X } from './x';\nexport function plain(x: X): number { return x as unknown as number; }\n`,
  // The pass has its own scope analysis: a module's own Promise leaves Promise.all alone on both routes.
  promiseImport: `import Promise from 'bluebird';\n${ACT}export async function wf(n: number) {\n  'use workflow';\n  return await Promise.all([act(n)]);\n}\n`,
};

/** Inputs it leaves to plugin-transform-typescript, and errors. */
const CORE: Record<string, string> = {
  enum: `enum Color { Red }\n${ACT}${WF}`,
  namespace: `namespace N { export const k = 1; }\n${ACT}${WF}`,
  klass: `class K { constructor(private a: number) {} }\n${ACT}${WF}`,
  reexport: `${ACT}export { act };\n${WF}`,
  exportAll: `export * from './x';\n${ACT}${WF}`,
  declare: `declare const g: number;\n${ACT}${WF}`,
  overloads: `function o(a: string): string;\nfunction o(a: unknown) { return a; }\n${ACT}${WF}`,
  shadowedImport: `import { x } from './x';\n${ACT}function f(x: number) { return x; }\n${WF}`,
  qualifiedType: `import { N } from './n';\n${ACT}let v: N.T;\n${WF}`,
  methodSignatureName: `import { act } from './a';\ninterface I { act(): void }\nlet i: I;\n${WF}`,
  compileError: `${ACT}export async function wf() {\n  'use workflow';\n  return this;\n}\n`,
  syntaxError: `${ACT}export async function wf() {\n  'use workflow';\n  const = 1;\n}\n`,
  sourceMapComment: `${ACT}${WF}//# sourceMappingURL=wf.js.map\n`,
  tsx: '',
};

/** Whether ts-strip's own walk takes `source` (else compile() has the plugin strip it). */
const ownStrip = (source: string): boolean =>
  stripTypeScript(parse(source, { sourceType: 'module', plugins: ['typescript', 'objectRestSpread', 'classProperties', ['typescript', {}]] } as ParserOptions) as t.File) !== null;

const same = (source: string, options: CompileOptions): void => {
  expect(JSON.stringify(compile(source, options)), options.filename).toBe(JSON.stringify(compileWithBabel(source, options)));
};

/** The CompileError compile() throws for `source`. */
const failure = (source: string, filename: string): CompileError => {
  try {
    compile(source, { filename });
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    return e as CompileError;
  }
  throw new Error(`${filename} compiled`);
};

const STRIPPED_BY_PLUGIN = ['enum', 'namespace', 'klass', 'reexport', 'exportAll', 'declare', 'overloads', 'shadowedImport', 'qualifiedType', 'methodSignatureName'];

describe("compile(): one route, byte for byte what @babel/core makes with reawait's Babel plugin", () => {
  it.each(Object.entries(FAST))('ts-strip takes it, and the output matches: %s', (name, source) => {
    expect(ownStrip(source)).toBe(true);
    same(source, { filename: `src/${name}.ts` });
  });

  it.each(STRIPPED_BY_PLUGIN)('the plugin strips it, and the output matches: %s', (name) => {
    const source = CORE[name]!;
    expect(ownStrip(source)).toBe(false);
    same(source, { filename: `src/${name}.ts` });
    same(source, { filename: `src/${name}.ts`, sourceMaps: false, importSource: 'x/wf', rewriteImportExtensions: true });
  });

  it('a .tsx module (the plugin strips it) and a plain .js one match', () => {
    same(`const n: number = 1;\n${ACT}${WF}`, { filename: 'src/x.tsx' });
    same(`import { proxyActivities } from 'reawait/workflow';\nconst { act } = proxyActivities();\nexport async function wf(n) {\n  'use workflow';\n  return await act(n);\n}\n`, { filename: 'src/x.js' });
  });

  it('merges an input source map named by a sourceMappingURL comment as @babel/core does', () => {
    const map = Buffer.from(JSON.stringify({ version: 3, sources: ['original.ts'], names: [], mappings: 'AAAA;AACA;AACA;AACA;AACA' })).toString('base64');
    const source = `${ACT}${WF}//# sourceMappingURL=data:application/json;base64,${map}\n`;
    same(source, { filename: 'src/mapped.ts' });
    expect(JSON.stringify(compile(source, { filename: 'src/mapped.ts' }).map)).toContain('original.ts');
    same(CORE.sourceMapComment!, { filename: 'src/sourceMapComment.ts' });
  });

  it('a refused construct and a syntax error are CompileErrors naming file, line and column', () => {
    const refused = failure(CORE.compileError!, 'src/refused.ts');
    expect(refused.errors[0]).toMatchObject({ file: 'src/refused.ts', line: 5 });
    expect(refused.errors[0]!.message).toMatch(/this/);
    expect(() => compileWithBabel(CORE.compileError!, { filename: 'src/refused.ts' })).toThrow(/this/);
    const syntax = failure(CORE.syntaxError!, 'src/syntax.ts');
    expect(syntax.errors[0]).toMatchObject({ file: 'src/syntax.ts', line: 5, column: 9 });
    expect(syntax.errors[0]!.message).toBe('Unexpected token');
    expect(syntax.errors[0]!.codeFrame).toContain('const = 1;');
  });

  it("an error of the plugin's stripping is a CompileError too, at the construct's line and column", () => {
    const e = failure(`${ACT}const a = 1;\n  export = a;\n`, 'src/assign.ts');
    expect(e.errors[0]).toMatchObject({ file: 'src/assign.ts', line: 4, column: 3 });
    expect(e.errors[0]!.message).toMatch(/^`export = <value>;` is only supported/);
    expect(e.errors[0]!.codeFrame).toContain('export = a;');
    expect(e.message).not.toContain('\u001b['); // no terminal colours, whatever the terminal
  });

  it('rewrites relative .ts/.mts specifiers to .js as the reference does (reawait compile)', () => {
    const source = `import { helper } from './helper.ts';\nimport type { T } from './types.ts';\nimport pkg from 'pkg/x.ts';\nimport * as other from '../other.mts';\n${ACT}export async function wf(n: number): Promise<unknown> {\n  'use workflow';\n  const m = await import('./lazy.ts');\n  const v: T = await act(n);\n  return [helper, pkg, other, m, v];\n}\nexport const later = () => import ( "./later.mts" );\n`;
    const opts = { filename: 'src/rw.ts', rewriteImportExtensions: true };
    same(source, opts);
    const { code } = compile(source, opts);
    expect(code).toContain(`from "./helper.js"`);
    expect(code).toContain(`from 'pkg/x.ts'`);
    expect(code).toContain(`from "../other.js"`);
    expect(code).toContain(`"./later.js"`);
    expect(code).not.toContain('./lazy.ts');
  });

  it('matches on every fixture, without and with source maps; ts-strip takes most of them', () => {
    const dir = path.join(ROOT, 'fixtures', 'programs');
    const files = readdirSync(dir).filter((x) => x.endsWith('.ts'));
    let own = 0;
    for (const f of files) {
      const source = readFileSync(path.join(dir, f), 'utf8');
      const filename = `fixtures/programs/${f}`;
      if (ownStrip(source)) own++;
      same(source, { filename });
      // Without source maps: another helper import and the import-extension rewrite as well.
      same(source, { filename, sourceMaps: false, importSource: 'x/wf', rewriteImportExtensions: true });
    }
    expect(files.length).toBeGreaterThan(80);
    expect(own).toBeGreaterThan(files.length * 0.8);
  });
});
