/**
 * Which names a piece of generated code reads, and which it certainly
 * writes: the per-item facts the liveness analysis works from. Reads are
 * over-approximated (names read inside closures count, as calling the
 * closure may read them); writes are only the plain `name = …` kind.
 */
import * as t from '@babel/types';
import { isFunctionNode } from './walk.js';

const SKIP = new Set(['loc', 'start', 'end', 'leadingComments', 'trailingComments', 'innerComments', 'extra', 'type', 'range']);

export function readsOf(node: t.Node, out: Set<string> = new Set()): Set<string> {
  expr(node, out);
  return out;
}

function expr(n: t.Node | null | undefined, out: Set<string>): void {
  if (!n) return;
  switch (n.type) {
    case 'Identifier':
      out.add(n.name);
      return;
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      expr(n.object, out);
      if (n.computed) expr(n.property, out);
      return;
    case 'ObjectProperty':
    case 'ClassProperty':
    case 'ClassAccessorProperty':
      if (n.computed) expr(n.key, out);
      expr(n.value as t.Node | null, out);
      return;
    case 'ObjectMethod':
    case 'ClassMethod':
      if (n.computed) expr(n.key, out);
      for (const p of n.params) pattern(p, out);
      expr(n.body, out);
      return;
    case 'AssignmentExpression':
      if (n.operator === '=') pattern(n.left, out);
      else expr(n.left, out);
      expr(n.right, out);
      return;
    case 'VariableDeclarator':
      pattern(n.id, out);
      expr(n.init, out);
      return;
    case 'ForInStatement':
    case 'ForOfStatement':
      if (n.left.type === 'VariableDeclaration') expr(n.left, out);
      else pattern(n.left, out);
      expr(n.right, out);
      expr(n.body, out);
      return;
    case 'CatchClause':
      if (n.param) pattern(n.param, out);
      expr(n.body, out);
      return;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      for (const p of n.params) pattern(p, out);
      expr(n.body, out);
      return;
    case 'ClassDeclaration':
    case 'ClassExpression':
      expr(n.superClass, out);
      expr(n.body, out);
      return;
    case 'LabeledStatement':
      expr(n.body, out);
      return;
    case 'BreakStatement':
    case 'ContinueStatement':
    case 'MetaProperty':
    case 'PrivateName':
      return;
    default:
      for (const key of t.VISITOR_KEYS[n.type] ?? Object.keys(n)) {
        if (SKIP.has(key)) continue;
        const v = (n as unknown as Record<string, unknown>)[key];
        if (Array.isArray(v)) for (const c of v) expr(c as t.Node, out);
        else if (v && typeof v === 'object' && 'type' in v) expr(v as t.Node, out);
      }
  }
}

/** A binding/assignment target: its names are written, not read; defaults and computed keys are read. */
function pattern(n: t.Node | null | undefined, out: Set<string>): void {
  if (!n) return;
  switch (n.type) {
    case 'Identifier':
      return;
    case 'AssignmentPattern':
      pattern(n.left, out);
      expr(n.right, out);
      return;
    case 'ArrayPattern':
      for (const e of n.elements) pattern(e, out);
      return;
    case 'ObjectPattern':
      for (const p of n.properties) {
        if (p.type === 'RestElement') pattern(p.argument, out);
        else {
          if (p.computed) expr(p.key, out);
          pattern(p.value, out);
        }
      }
      return;
    case 'RestElement':
      pattern(n.argument, out);
      return;
    default:
      expr(n, out); // member expressions and the like are evaluated
  }
}

/** The Identifier nodes a binding pattern declares (or an assignment pattern targets), in source order. */
export function patternIds(n: t.Node | null | undefined, out: t.Identifier[] = []): t.Identifier[] {
  if (!n) return out;
  switch (n.type) {
    case 'Identifier':
      out.push(n);
      break;
    case 'AssignmentPattern':
      patternIds(n.left, out);
      break;
    case 'ArrayPattern':
      for (const e of n.elements) patternIds(e, out);
      break;
    case 'ObjectPattern':
      for (const p of n.properties) patternIds(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'RestElement':
      patternIds(n.argument, out);
      break;
  }
  return out;
}

/** Names bound by a pattern (declaration or assignment target). */
export function patternNames(n: t.Node | null | undefined, out: string[] = []): string[] {
  for (const id of patternIds(n)) out.push(id.name);
  return out;
}

/** Names a statement certainly writes: `a = …;` / `[a, b] = …;` (sequences too). */
export function certainWrites(stmt: t.Statement): string[] {
  if (stmt.type !== 'ExpressionStatement') return [];
  const out: string[] = [];
  const visit = (e: t.Expression): void => {
    if (e.type === 'SequenceExpression') e.expressions.forEach(visit);
    else if (e.type === 'AssignmentExpression' && e.operator === '=' && e.left.type !== 'MemberExpression') patternNames(e.left, out);
  };
  visit(stmt.expression);
  return out;
}

/** Nodes without child nodes: never an await inside, not worth a cache entry (most calls are on these). */
const LEAVES = new Set(['StringLiteral', 'NumericLiteral', 'BooleanLiteral', 'NullLiteral', 'BigIntLiteral', 'RegExpLiteral', 'ThisExpression', 'Super', 'TemplateElement']);

/** True when an `await` occurs in the node outside nested functions (and classes). */
const awaitCache = new WeakMap<t.Node, boolean>();
export function hasAwait(n: t.Node | null | undefined): boolean {
  if (!n) return false;
  if (LEAVES.has(n.type) || (n.type === 'Identifier' && !n.typeAnnotation && !n.decorators?.length)) return false;
  const cached = awaitCache.get(n);
  if (cached !== undefined) return cached;
  let found = false;
  if (n.type === 'AwaitExpression') found = true;
  // A method's computed key is evaluated where the object literal is (a class's, by check.ts, never awaits).
  else if (n.type === 'ObjectMethod') found = n.computed && hasAwait(n.key);
  else if (!isFunctionNode(n) && n.type !== 'ClassDeclaration' && n.type !== 'ClassExpression') {
    for (const key of t.VISITOR_KEYS[n.type] ?? []) {
      const v = (n as unknown as Record<string, unknown>)[key];
      if (Array.isArray(v)) {
        for (const c of v as (t.Node | null)[])
          if (c && hasAwait(c)) {
            found = true;
            break;
          }
      } else if (v && typeof v === 'object') found = hasAwait(v as t.Node);
      if (found) break;
    }
  }
  awaitCache.set(n, found);
  return found;
}
