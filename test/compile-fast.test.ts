/**
 * compile()'s fast route (parse, own type stripping, pass, generate) against
 * the @babel/core route it stands in for: same code, map and metadata byte
 * for byte whenever it answers, and no answer for what it does not reproduce.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileWithBabel } from '../compiler/compile-babel.js';
import { compileFast } from '../compiler/compile-fast.js';
import { ROOT } from './support/fixture-corpus.js';

const WF = `export async function wf(n: number): Promise<number> {\n  'use workflow';\n  const v = await act(n);\n  return v;\n}\n`;
const ACT = `import { proxyActivities } from 'reawait/workflow';\nconst { act } = proxyActivities<{ act(x: unknown): Promise<number> }>();\n`;

/** Inputs the fast route must take (and match the core route on). */
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

/** Inputs the fast route must leave to the core route. */
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

const core = (source: string, filename: string) => compileWithBabel(source, { filename });
const fast = (source: string, filename: string) => compileFast({ source, filename, sourceMaps: true, importSource: undefined });

describe('compile(): the fast route matches the @babel/core route', () => {
  it.each(Object.entries(FAST))('takes the fast route and matches: %s', (name, source) => {
    const f = fast(source, `src/${name}.ts`);
    expect(f).not.toBeNull();
    expect(JSON.stringify(f)).toBe(JSON.stringify(core(source, `src/${name}.ts`)));
  });

  it.each(Object.keys(CORE))('leaves it to the core route: %s', (name) => {
    expect(fast(CORE[name]!, name === 'tsx' ? 'src/x.tsx' : `src/${name}.ts`)).toBeNull();
  });

  it('rewrites relative .ts/.mts specifiers to .js as the core route does (reawait compile)', () => {
    const source = `import { helper } from './helper.ts';\nimport type { T } from './types.ts';\nimport pkg from 'pkg/x.ts';\nimport * as other from '../other.mts';\n${ACT}export async function wf(n: number): Promise<unknown> {\n  'use workflow';\n  const m = await import('./lazy.ts');\n  const v: T = await act(n);\n  return [helper, pkg, other, m, v];\n}\nexport const later = () => import ( "./later.mts" );\n`;
    const opts = { filename: 'src/rw.ts', rewriteImportExtensions: true };
    const f = compileFast({ source, filename: opts.filename, sourceMaps: true, importSource: undefined, rewriteImportExtensions: true });
    expect(f).not.toBeNull();
    expect(JSON.stringify(f)).toBe(JSON.stringify(compileWithBabel(source, opts)));
    expect(f!.code).toContain(`from "./helper.js"`);
    expect(f!.code).toContain(`from 'pkg/x.ts'`);
    expect(f!.code).toContain(`from "../other.js"`);
    expect(f!.code).toContain(`"./later.js"`);
    expect(f!.code).not.toContain('./lazy.ts');
  });

  it('matches on every fixture it takes, without and with source maps', () => {
    const dir = path.join(ROOT, 'fixtures', 'programs');
    let taken = 0;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts'))) {
      const source = readFileSync(path.join(dir, f), 'utf8');
      const filename = `fixtures/programs/${f}`;
      for (const sourceMaps of [true, false]) {
        // Without source maps: another helper import and the import-extension rewrite as well.
        const got = compileFast({ source, filename, sourceMaps, importSource: sourceMaps ? undefined : 'x/wf', rewriteImportExtensions: !sourceMaps });
        if (!got) continue;
        taken++;
        expect(JSON.stringify(got), f).toBe(JSON.stringify(compileWithBabel(source, { filename, sourceMaps, ...(sourceMaps ? {} : { importSource: 'x/wf', rewriteImportExtensions: true }) })));
      }
    }
    expect(taken).toBeGreaterThan(80);
  });
});
