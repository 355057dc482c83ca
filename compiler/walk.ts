/**
 * Plain node walking (no NodePaths): the children of a node in the order a
 * Babel traversal visits them, so that what a plain walk finds, and the order
 * it reports it in, match the traversal it replaces.
 */
import { VISITOR_KEYS } from '@babel/types';
import type * as t from '@babel/types';

/** Calls `visit` for each child node, in VISITOR_KEYS order; `key` is the field holding it. */
export function eachChild(n: t.Node, visit: (child: t.Node, key: string) => void): void {
  const keys = VISITOR_KEYS[n.type];
  if (!keys) return;
  const r = n as unknown as Record<string, unknown>;
  for (const key of keys) {
    const v = r[key];
    if (Array.isArray(v)) {
      for (const c of v as unknown[]) if (c && typeof c === 'object' && 'type' in c) visit(c as t.Node, key);
    } else if (v && typeof v === 'object' && 'type' in v) visit(v as t.Node, key);
  }
}

/** True for the nodes Babel's `isFunction` accepts. */
export function isFunctionNode(n: t.Node): n is t.Function {
  switch (n.type) {
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'ObjectMethod':
    case 'ClassMethod':
    case 'ClassPrivateMethod':
      return true;
    default:
      return false;
  }
}

/** TypeScript's expression wrappers (`x as T`, `x satisfies T`, `x!`, `<T>x`, `f<T>`): the value is their `expression`. */
export const TYPE_WRAPPERS: ReadonlySet<string> = new Set(['TSAsExpression', 'TSSatisfiesExpression', 'TSNonNullExpression', 'TSTypeAssertion', 'TSInstantiationExpression']);
