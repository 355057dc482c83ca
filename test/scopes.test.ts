/**
 * The pass's own scope analysis (compiler/scopes.ts) against Babel's scopes
 * as an oracle: on every workflow of the corpus and a set of tricky
 * snippets, every reference Babel sees is found and resolves to the same
 * declaration — except where Babel deliberately departs from the language
 * (parameter defaults do not see the body's `var`s), checked on its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from '@babel/parser';
import _traverse, { type NodePath } from '@babel/traverse';
import type * as t from '@babel/types';
import { describe, expect, it } from 'vitest';
import { hasWorkflowDirective } from '../compiler/find-workflows.js';
import { stripTypes } from '../compiler/scope.js';
import { analyse, moduleNames, type Analysis } from '../compiler/scopes.js';
import { ROOT } from './support/fixture-corpus.js';

type Traverse = (node: t.Node, opts: object) => void;
const traverse: Traverse = (_traverse as unknown as { default?: Traverse }).default ?? (_traverse as unknown as Traverse);

const SNIPPETS: Record<string, string> = {
  shadowing: `async function w(a, { b, c: [d = a] }, ...rest) { 'use workflow'; let x = a; { let x = b; { const x = d; f(x); } f(x); } for (let i = 0; i < x; i++) { const a = i; f(a, i); } for (const k in rest) f(k); for (const [k2, v = k2] of rest) f(k2, v); return x; }`,
  catchSwitch: `async function w(n) { 'use workflow'; try { g(); } catch ({ message, e = 1 }) { f(e, message); } try {} catch (e) { let q = e; f(q); } switch (n) { case 1: let s = 1; f(s); case 2: s = 2; function h() { return s; } f(h); } }`,
  classes: `async function w(base) { 'use workflow'; class A extends base { static n = A; [base] = 1; m() { return A; } static { var v = A; f(v); } } const B = class C { x = C; }; f(A, B); return new A(); }`,
  closures: `async function w(xs) { 'use workflow'; let total = 0; const add = (v) => (total += v); function twice(v) { return add(v) + add(v); } const o = { total, get t() { return total; }, set t(v) { total = v; }, m(q = total) { return q + this.n; }, [total]: twice }; const fe = function self(k) { return k ? self(k - 1) : total; }; xs.forEach(add); return [o, fe(2), twice(1)]; }`,
  labels: `async function w(x) { 'use workflow'; outer: for (const v of x) { inner: for (;;) { if (v) continue outer; break inner; } } const { x: renamed, ...others } = x; ({ renamed: x.y, ...others } = x); [x.a, others.b] = [1, 2]; x++; x ??= 1; return typeof undeclared + renamed; }`,
};

interface Site {
  fn: t.Function;
  path: NodePath<t.Function>;
}

function workflowsOf(source: string): { program: t.Program; sites: Site[] } {
  const file = parse(source, { sourceType: 'module', plugins: ['typescript'] });
  const sites: Site[] = [];
  traverse(file, {
    Function(p: NodePath<t.Function>) {
      if (!hasWorkflowDirective(p.node)) return;
      stripTypes(p.node as t.FunctionDeclaration);
      sites.push({ fn: p.node, path: p });
    },
  });
  return { program: file.program, sites };
}

function corpus(): { name: string; source: string }[] {
  const dir = path.join(ROOT, 'fixtures', 'programs');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => ({ name: f, source: readFileSync(path.join(dir, f), 'utf8') }));
  return [...files, ...Object.entries(SNIPPETS).map(([name, source]) => ({ name, source }))];
}

/** Babel's references in the workflow (reads, and the targets of assignments and updates) with the identifier each resolves to. */
function babelRefs(site: Site): Map<t.Identifier, t.Identifier | null> {
  const out = new Map<t.Identifier, t.Identifier | null>();
  const inside = (b: { scope: NodePath['scope'] } | undefined): boolean => {
    for (let s: NodePath['scope'] | undefined = b?.scope; s; s = s.parent) if (s === site.path.scope) return true;
    return false;
  };
  site.path.traverse({
    Identifier(p) {
      const parent = p.parent;
      const grand = p.parentPath.parentPath?.node;
      // Also the targets Babel does not count as referenced: of assignments, updates, loop heads and destructuring assignments.
      const target =
        (parent.type === 'AssignmentExpression' && parent.left === p.node) ||
        parent.type === 'UpdateExpression' ||
        ((parent.type === 'ForOfStatement' || parent.type === 'ForInStatement') && parent.left === p.node) ||
        parent.type === 'ArrayPattern' ||
        (parent.type === 'ObjectProperty' && parent.value === p.node && grand?.type === 'ObjectPattern' && p.parentPath.parentPath?.parent.type === 'AssignmentExpression');
      if (!p.isReferencedIdentifier() && !target) return;
      // Babel resolves a catch parameter's defaults outside the clause, and parameter defaults in the body (checked on their own below).
      if (p.findParent((q) => q.listKey === undefined && q.key === 'param' && q.parentPath?.isCatchClause() === true)) return;
      if (p.findParent((q) => q.listKey === 'params')) return;
      const b = p.scope.getBinding(p.node.name);
      if (b && p.node === b.identifier) return; // a declaration
      if (b && (b.path.node as { id?: unknown }).id === p.node) return;
      out.set(p.node, b && inside(b) ? b.identifier : null);
    },
  });
  return out;
}

function check(name: string, source: string): Analysis[] {
  const { sites } = workflowsOf(source);
  const analyses: Analysis[] = [];
  for (const site of sites) {
    const a = analyse(site.fn);
    analyses.push(a);
    const mine = new Map(a.refs.map((r) => [r.id, r]));
    for (const [id, decl] of babelRefs(site)) {
      const r = mine.get(id);
      expect(r, `${name}: '${id.name}' at ${id.loc?.start.line}:${id.loc?.start.column} is a reference`).toBeDefined();
      const got = r!.binding ? r!.binding.ids : null;
      // Babel merges a body `var` with the parameter of its name; with defaults they are two bindings (checked below).
      if (r!.binding?.kind === 'var' && r!.binding.scope.parent?.kind === 'params' && r!.binding.scope.parent.bindings.get(id.name)?.ids.includes(decl!)) continue;
      if (decl === null) expect(got, `${name}: '${id.name}' at ${id.loc?.start.line}:${id.loc?.start.column} resolves outside the workflow`).toBeNull();
      else expect(got, `${name}: '${id.name}' at ${id.loc?.start.line}:${id.loc?.start.column}`).toContain(decl);
    }
  }
  return analyses;
}

describe('scope analysis', () => {
  it('finds and resolves every reference as Babel does, on the corpus and tricky snippets', () => {
    let workflows = 0;
    for (const { name, source } of corpus()) workflows += check(name, source).length;
    expect(workflows).toBeGreaterThan(90);
  });

  it('gives parameter defaults their own scope: they do not see the body (where Babel does)', () => {
    const { sites } = workflowsOf(`const x = 0;\nasync function w(a = () => x, b = a) { 'use workflow'; var x = 1; var a; return [a, b, x]; }`);
    const an = analyse(sites[0]!.fn);
    const refs = (n: string) => an.refs.filter((r) => r.id.name === n);
    expect(refs('x').map((r) => r.binding?.kind ?? 'module')).toEqual(['module', 'var']);
    // the body's `var a` is a binding of its own, initialised from the parameter
    const [inDefault, inBody] = refs('a');
    expect(inDefault!.binding!.kind).toBe('param');
    expect(inBody!.binding!.kind).toBe('var');
    expect(inBody!.binding).not.toBe(inDefault!.binding);
  });

  it('resolves a catch parameter\'s defaults to the clause\'s bindings (where Babel does not)', () => {
    const an = analyse(workflowsOf(`async function w() { 'use workflow'; const code = 0; try {} catch ({ code, twice = code * 2 }) { return twice; } }`).sites[0]!.fn);
    const read = an.refs.find((r) => r.id.name === 'code')!;
    expect(read.binding!.kind).toBe('catch');
  });

  it('records where let/const/class/parameters become initialised, per name in a pattern', () => {
    const src = `async function w(p = q, q) { 'use workflow'; const { a, b = a, c: { d } = { d: a } } = o; for (const k of k) f(k); class K {} return [a, b, d, K]; }`;
    const an = analyse(workflowsOf(src).sites[0]!.fn);
    const b = (n: string) => [...an.declared.values()].find((x) => x.name === n)!;
    const pos = (needle: string, from = 0) => src.indexOf(needle, from);
    // `b = a` reads a after a is bound; `{ d: a }` is evaluated before d is bound
    expect(b('a').tdz!.ready).toBeLessThanOrEqual(pos('b = a') + 4);
    expect(b('d').tdz!.ready).toBe(pos('{ d: a }') + '{ d: a }'.length);
    expect(b('q').tdz!.ready).toBeGreaterThan(pos('p = q') + 4);
    expect(b('k').tdz!.init).toEqual([pos('of k') + 3, pos('of k') + 4]);
    expect(b('K').tdz).toMatchObject({ ready: pos('class K {}') + 10 });
  });

  it('finds the names a module declares at its top level', () => {
    const { program } = workflowsOf(`import d, { a as b } from 'm';\nimport * as ns from 'n';\nexport const [c, { e }] = [1, {}];\nfunction f() { var inner; }\nclass K {}\nif (1) { var hoisted; let block; }\nexport default function g() {}\n`);
    expect([...moduleNames(program)].sort()).toEqual(['K', 'b', 'c', 'd', 'e', 'f', 'g', 'hoisted', 'ns']);
  });
});
