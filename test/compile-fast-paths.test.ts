/**
 * The pass's plain-walk fast paths against the Babel path/scope versions they
 * stand in for: each must decide exactly what the traversal decides, or
 * defer to it. (The byte-identical comparison with the previous compiler is
 * .prof-local; these keep the equivalence checked in the suite.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { transformSync, type NodePath, type PluginObj, type PluginItem } from '@babel/core';
import _generate from '@babel/generator';
import type * as t from '@babel/types';
import { describe, expect, it } from 'vitest';
import { plainCheck, traversalCheck } from '../compiler/check.js';
import { ErrorSink } from '../compiler/errors.js';
import { findByTraversal, findTopLevel, type WorkflowSite } from '../compiler/find-workflows.js';
import { collectFileNames, keepTemporalDeadZone, NameGen, renameShadowed, rewritePromiseGroups } from '../compiler/scope.js';
import { scopeNeedsNoChange } from '../compiler/scope-noop.js';
import { ROOT } from './support/fixture-corpus.js';

type Generate = (ast: t.Node) => { code: string };
const generate: Generate = (_generate as unknown as { default?: Generate }).default ?? (_generate as unknown as Generate);
const tsModule = createRequire(import.meta.url)('@babel/plugin-transform-typescript') as { default?: PluginItem };
const tsPlugin = (tsModule.default ?? tsModule) as PluginItem;

const HEAD = `import { proxyActivities } from 'reawait/workflow';\nconst { f } = proxyActivities<{ f(x?: unknown): Promise<number> }>();\n`;
const wf = (name: string, body: string, params = ''): string => `export async function ${name}(${params}) {\n  'use workflow';\n${body}\n}\n`;

/** Workflows whose block bindings must be renamed, or whose reads precede their declaration. */
const NEEDS_SCOPE_WORK: Record<string, string> = {
  sibling: wf('sibling', '  { let x = await f(1); } { let x = await f(2); }'),
  outerName: wf('outerName', '  { let console = await f(); } console.log(1);'),
  param: wf('param', '  { let a = await f(); await f(a); } return a;', 'a: number'),
  catchShadow: wf('catchShadow', '  try { await f(); } catch (e) { return e; } return e;', 'e: number'),
  closureParam: wf('closureParam', '  { let x = await f(1); } const g = (x: number) => x; return g(2);'),
  tdz: wf('tdz', '  let x = x + await f(); return x;'),
  tdzDefault: wf('tdzDefault', '  const { a = b } = o; const b = await f(a); return b;', 'o: any'),
  switchCases: wf('switchCases', '  switch (n) { case 1: let q = 1; await f(q); break; default: q = 2; }', 'n: number'),
  varAfterBlock: wf('varAfterBlock', '  { let z = 1; await f(z); } var z = 2; return z;'),
  classExpr: wf('classExpr', '  const C = class Foo {}; await f(C); { let Foo = 1; await f(Foo); }'),
  staticBlock: wf('staticBlock', '  class S { static { var v = 1; } } await f(S); { let v = 2; await f(v); }'),
};

/** Workflows where the plain checks and walks must give the traversal's answer. */
const OTHERS: Record<string, string> = {
  clean: wf('clean', '  const xs = [1, 2];\n  for (const x of xs) { let y = await f(x); if (y) break; }\n  try { await f(); } catch (err) { await f(err); }\n  return xs.map((it) => it + 1);'),
  refused: `${wf('refused', '  const g = () => this;\n  function h(this: unknown) { return this; }\n  const o = { m() { return super.toString(); } };\n  const k = async () => { await f(); };\n  for await (const q of []) await f(q);\n  return [g, h, o, k, new.target];')}`,
  generator: 'export async function* gen() {\n  \'use workflow\';\n  yield 1;\n  const inner = function* () { yield 2; };\n}\n',
  argumentsUse: wf('argumentsUse', '  return arguments.length;'),
  evalUse: wf('evalUse', "  return eval('1');"),
  promiseGroups: wf('promiseGroups', '  return await Promise.all([f(1), Promise.race([f(2)]), Promise[\'any\']([f(3)]), Promise.resolve(4)]);'),
  promiseLocal: wf('promiseLocal', '  { const Promise = { all: (x: unknown) => x }; await f(Promise.all([1])); }\n  return await Promise.all([f(1)]);'),
  arrowEntry: 'export const arrowEntry = async (n: number) => {\n  \'use workflow\';\n  return await f(n);\n};\n',
  nested: 'export function outer() {\n  async function inner() { \'use workflow\'; }\n  return inner;\n}\n',
};

function corpus(): { name: string; source: string }[] {
  const dir = path.join(ROOT, 'fixtures', 'programs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => ({ name: f, source: readFileSync(path.join(dir, f), 'utf8') }));
  const snippets = Object.entries({ ...NEEDS_SCOPE_WORK, ...OTHERS }).map(([name, body]) => ({ name, source: HEAD + body }));
  return [...files, ...snippets];
}

/** Runs `atExit` on the program once the TypeScript plugin has stripped it (where the pass runs); returns the output code. */
function onProgram(source: string, atExit: (program: NodePath<t.Program>) => void): string {
  const probe = (): PluginObj => ({ visitor: { Program: { exit: (p) => atExit(p as NodePath<t.Program>) } } });
  const out = transformSync(source, { filename: 'x.ts', babelrc: false, configFile: false, sourceType: 'module', parserOpts: { plugins: ['typescript'] }, plugins: [probe, tsPlugin] });
  return out?.code ?? '';
}

const sitesOf = (program: NodePath<t.Program>): WorkflowSite[] => findByTraversal(program, new ErrorSink('x.ts', ''));

describe('plain-walk fast paths decide what the Babel traversals decide', () => {
  it('findTopLevel finds the traversal\'s sites, or defers when a directive sits elsewhere', () => {
    let deferred = 0;
    for (const { name, source } of corpus())
      onProgram(source, (program) => {
        const fast = findTopLevel(program.node, program);
        const slow = sitesOf(program);
        if (!fast) return void deferred++;
        expect(fast.map((s) => [s.name, s.fn, s.statement, s.holder]), name).toEqual(slow.map((s) => [s.name, s.fn, s.statement, s.holder]));
        fast.forEach((s, i) => {
          expect(s.fn, name).toBe(slow[i]!.fn);
          expect(s.statement, name).toBe(slow[i]!.statement);
          expect(s.holder?.node, name).toBe(slow[i]!.holder?.node);
          expect(s.path?.().node, name).toBe(s.fn);
        });
      });
    expect(deferred).toBe(1); // `nested`
  });

  it('plainCheck reports the traversal\'s errors in the same order, or defers on arguments/eval', () => {
    const deferredFor: string[] = [];
    for (const { name, source } of corpus())
      onProgram(source, (program) => {
        for (const site of sitesOf(program)) {
          const plain = plainCheck(site.fn);
          if (!plain) {
            deferredFor.push(site.name);
            continue;
          }
          const viaPlain = new ErrorSink('x.ts', source);
          for (const [node, message] of plain) viaPlain.at(node, message);
          const viaTraversal = new ErrorSink('x.ts', source);
          traversalCheck(site.path!(), viaTraversal);
          expect(viaPlain.items, name).toEqual(viaTraversal.items);
        }
      });
    expect(deferredFor).toEqual(expect.arrayContaining(['argumentsUse', 'evalUse']));
  });

  it('the refused constructs are found by the plain walk (super in a method and this in a function are theirs, not the workflow\'s)', () => {
    onProgram(HEAD + OTHERS.refused!, (program) => {
      const messages = (plainCheck(sitesOf(program)[0]!.fn) ?? []).map(([, m]) => m.split(':')[0]);
      expect(messages).toEqual([
        "'this' is not supported inside a workflow",
        "'await' inside a nested function",
        "'for await' is not supported inside a workflow",
        "'new.target' is not supported inside a workflow",
      ]);
    });
  });

  it('rewritePromiseGroups rewrites the same calls by plain walk as by traversal', () => {
    for (const { name, source } of corpus()) {
      const bound = (s: WorkflowSite) => (): boolean => !!s.path!().scope.getBinding('Promise');
      const run = (byTraversal: boolean): string => onProgram(source, (program) => sitesOf(program).forEach((s) => rewritePromiseGroups(s, '_group', bound(s), byTraversal)));
      expect(run(false), name).toBe(run(true));
    }
  });

  it('scopeNeedsNoChange is true only where renameShadowed and keepTemporalDeadZone change nothing', () => {
    const skipped: string[] = [];
    for (const { name, source } of corpus())
      onProgram(source, (program) => {
        const names = new NameGen(collectFileNames(program.node));
        for (const site of sitesOf(program)) {
          const noChange = scopeNeedsNoChange(site.fn);
          const before = generate(site.fn).code;
          renameShadowed(site.path!(), names);
          keepTemporalDeadZone(site.path!(), names.origin);
          if (noChange) {
            skipped.push(site.name);
            expect(generate(site.fn).code, `${name}: ${site.name}`).toBe(before);
          }
        }
      });
    for (const name of Object.keys(NEEDS_SCOPE_WORK)) expect(skipped).not.toContain(name);
    expect(skipped).toContain('clean');
    expect(skipped.length).toBeGreaterThan(60);
  });
});
