/**
 * Closure conversion, first half: which functions a workflow creates and
 * which of its variables they capture.
 *
 * Invariant: every function written in workflow code outside a class body
 * (arrow, function expression or declaration, object-literal method, at any
 * depth) is a closure site, numbered `<workflow>/<n>` in source order; every
 * binding some other activation refers to is captured, so it lives in an
 * environment object (bindings.ts) and the frame and every closure share it.
 * Class bodies stay native code: their members are not sites, but what they
 * capture from the workflow is still moved into environments.
 */
import * as t from '@babel/types';
import type { Analysis, Binding } from './scopes.js';
import { eachChild } from './walk.js';

export type SiteFunction = t.ArrowFunctionExpression | t.FunctionExpression | t.FunctionDeclaration | t.ObjectMethod;

export interface SiteInfo {
  node: SiteFunction;
  /** `<workflow>/<n>`. */
  id: string;
  /** The function's `name` as JS infers it from where it is written. */
  name: string;
  /** The function's `length`. */
  length: number;
  async: boolean;
  /** An arrow: no `this` of its own. */
  arrow: boolean;
  /** A getter or setter of an object literal, and the literal. */
  accessor?: { object: t.ObjectExpression; kind: 'get' | 'set' };
}

/** Arrows with a concise body get `{ return … }`, so that every site has statements to put its environments in. */
export function blockBodies(fn: t.Function): void {
  const walk = (n: t.Node): void => {
    if (n.type === 'ArrowFunctionExpression' && n.body.type !== 'BlockStatement') {
      const ret = t.returnStatement(n.body);
      ret.loc = n.body.loc ?? null;
      n.body = t.blockStatement([ret]);
      n.body.loc = ret.loc;
    }
    eachChild(n, walk);
  };
  eachChild(fn, walk);
}

/** The functions nested in `fn` that become sites, in source order (a parent before its children). */
export function siteFunctions(fn: t.Function, workflow: string): SiteInfo[] {
  const out: SiteInfo[] = [];
  const walk = (n: t.Node, parent: t.Node | null, key: string): void => {
    if (n.type === 'ClassBody') return;
    if (n.type === 'ArrowFunctionExpression' || n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration' || n.type === 'ObjectMethod') {
      const accessor = n.type === 'ObjectMethod' && n.kind !== 'method' ? { object: parent as t.ObjectExpression, kind: n.kind } : undefined;
      const name = (accessor ? `${accessor.kind} ` : '') + inferredName(n, parent, key);
      out.push({ node: n, id: `${workflow}/${out.length + 1}`, name, length: lengthOf(n), async: n.async, arrow: n.type === 'ArrowFunctionExpression', ...(accessor ? { accessor } : {}) });
    }
    eachChild(n, (c, k) => walk(c, n, k));
  };
  eachChild(fn, (c, k) => walk(c, fn, k));
  return out;
}

function keyName(key: t.Node, computed: boolean): string {
  if (computed) return key.type === 'StringLiteral' ? key.value : key.type === 'NumericLiteral' ? String(key.value) : '';
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'NumericLiteral') return String(key.value);
  return '';
}

/** JS's name inference (NamedEvaluation) for the places a function is commonly written. */
function inferredName(n: SiteFunction, parent: t.Node | null, key: string): string {
  if (n.type === 'ObjectMethod') return keyName(n.key, n.computed);
  if (n.type !== 'ArrowFunctionExpression' && n.id) return n.id.name;
  if (!parent) return '';
  switch (parent.type) {
    case 'VariableDeclarator':
      return key === 'init' && parent.id.type === 'Identifier' ? parent.id.name : '';
    case 'AssignmentExpression':
      return key === 'right' && parent.operator === '=' && parent.left.type === 'Identifier' ? parent.left.name : '';
    case 'AssignmentPattern':
      return key === 'right' && parent.left.type === 'Identifier' ? parent.left.name : '';
    case 'ObjectProperty':
      return key === 'value' ? keyName(parent.key, parent.computed) : '';
    default:
      return '';
  }
}

function lengthOf(n: t.Function): number {
  let k = 0;
  for (const p of n.params) {
    if (p.type === 'AssignmentPattern' || p.type === 'RestElement') break;
    k++;
  }
  return k;
}

/** Bindings referred to from an activation other than their own: they live in environment objects. */
export function capturedBindings(an: Analysis): Set<Binding> {
  const out = new Set<Binding>();
  for (const r of an.refs) {
    const b = r.binding;
    if (!b || b.kind === 'name' || b.kind === 'class-name') continue;
    if (r.scope.fn !== b.scope.fn) out.add(b);
  }
  return out;
}

/** Identifiers among `names` that `n` refers to (the environments a site's code uses), in the order of `names`. */
export function envsUsed(n: t.Node, names: readonly string[]): string[] {
  const wanted = new Set(names);
  const seen = new Set<string>();
  t.traverseFast(n, (x) => {
    if (x.type === 'Identifier' && wanted.has(x.name)) seen.add(x.name);
  });
  return names.filter((x) => seen.has(x));
}
