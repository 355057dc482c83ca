/**
 * Decides, with one plain walk, that renameShadowed and keepTemporalDeadZone
 * (scope.ts) would leave a workflow unchanged, so that the usual workflow
 * skips their scope crawl and path traversals. It reproduces no scope model:
 * it proves, from declarations and where each name occurs, that no binding
 * could be renamed and no read precedes its declaration; when unsure (an
 * unusual construct, a node without position) it answers false and the
 * Babel-scope versions run.
 */
import { FLIPPED_ALIAS_KEYS } from '@babel/types';
import type * as t from '@babel/types';
import type { WorkflowFunction } from './find-workflows.js';
import { patternIds } from './refs.js';
import { eachChild, isFunctionNode } from './walk.js';

/** Containers whose `let`/`const`/functions/classes are bound in a block scope no larger than the container itself. */
const BLOCKS = new Set(['BlockStatement', 'SwitchCase', 'ForStatement', 'ForInStatement', 'ForOfStatement']);

/**
 * Nodes this walk does not model: declarations other than variables,
 * functions and classes (type declarations bind names too, for Babel), type
 * syntax, and static blocks (their `var`s are their own).
 */
const UNSURE = new Set([...(FLIPPED_ALIAS_KEYS.Declaration ?? []), ...(FLIPPED_ALIAS_KEYS.Flow ?? []), 'StaticBlock']);
for (const known of ['VariableDeclaration', 'FunctionDeclaration', 'ClassDeclaration']) UNSURE.delete(known);

interface Facts {
  /** How often each name is declared anywhere in the workflow (nested functions included). */
  declared: Map<string, number>;
  /** Identifier nodes that declare (not reference) a name. */
  declaring: Set<t.Node>;
  /** Bindings of block scopes (outside nested functions): the candidates for renaming. */
  block: { name: string; scope: t.Node }[];
  /** `let`/`const`/class bindings outside nested functions: a read before `end` would be a TDZ error. */
  tdz: { name: string; end: number | null | undefined }[];
  /** Identifiers that may be references, by name. */
  occurs: Map<string, t.Node[]>;
  unsure: boolean;
}

export function scopeNeedsNoChange(fn: WorkflowFunction): boolean {
  const f: Facts = { declared: new Map(), declaring: new Set(), block: [], tdz: [], occurs: new Map(), unsure: false };
  const declare = (ids: t.Identifier[]): void => {
    for (const id of ids) {
      f.declared.set(id.name, (f.declared.get(id.name) ?? 0) + 1);
      f.declaring.add(id);
    }
  };
  /** Where a block-scoped declaration sitting in `parent` is bound: null at the workflow's top level, or the container. */
  const blockOf = (parent: t.Node): t.Node | null => {
    if (parent === fn.body) return null;
    if (!BLOCKS.has(parent.type)) f.unsure = true;
    return parent;
  };

  const visit = (n: t.Node, parent: t.Node, nested: boolean): void => {
    if (UNSURE.has(n.type) || n.type.startsWith('TS')) {
      f.unsure = true;
      return;
    }
    switch (n.type) {
      case 'VariableDeclaration':
        for (const d of n.declarations) {
          const ids = patternIds(d.id);
          declare(ids);
          if (nested || n.kind === 'var') continue;
          const scope = blockOf(parent);
          for (const id of ids) {
            if (scope) f.block.push({ name: id.name, scope });
            f.tdz.push({ name: id.name, end: d.end });
          }
        }
        break;
      case 'FunctionDeclaration':
      case 'ClassDeclaration':
        if (n.id) {
          declare([n.id]);
          if (!nested) {
            const scope = blockOf(parent);
            if (scope) f.block.push({ name: n.id.name, scope });
            if (n.type === 'ClassDeclaration') f.tdz.push({ name: n.id.name, end: n.end });
          }
        }
        break;
      case 'ClassExpression':
        if (n.id) {
          declare([n.id]);
          if (!nested) f.block.push({ name: n.id.name, scope: n });
        }
        break;
      case 'CatchClause':
        if (n.param) {
          const ids = patternIds(n.param);
          declare(ids);
          if (!nested) for (const id of ids) f.block.push({ name: id.name, scope: n });
        }
        break;
      case 'Identifier':
      case 'JSXIdentifier':
        if (!f.declaring.has(n)) {
          const list = f.occurs.get(n.name);
          if (list) list.push(n);
          else f.occurs.set(n.name, [n]);
        }
        break;
    }
    if (isFunctionNode(n)) {
      if (n.type === 'FunctionExpression' && n.id) declare([n.id]);
      for (const p of n.params) declare(patternIds(p));
    }
    const inner = nested || isFunctionNode(n);
    eachChild(n, (c, key) => {
      if (!isReference(n, key)) return;
      visit(c, n, inner);
    });
  };

  if (fn.type !== 'ArrowFunctionExpression' && fn.id) declare([fn.id]);
  for (const p of fn.params) declare(patternIds(p));
  eachChild(fn, (c) => visit(c, fn, false));
  if (f.unsure) return false;

  for (const b of f.block) {
    if (f.declared.get(b.name) !== 1 || b.scope.start == null || b.scope.end == null) return false;
    for (const o of f.occurs.get(b.name) ?? []) if (o.start == null || o.end == null || o.start < b.scope.start || o.end > b.scope.end) return false;
  }
  for (const d of f.tdz) {
    if (d.end == null) return false;
    for (const o of f.occurs.get(d.name) ?? []) if (o.start == null || o.start < d.end) return false;
  }
  return true;
}

/** False for the child fields that hold names but never references: property keys, member names, labels. */
function isReference(parent: t.Node, key: string): boolean {
  if (key === 'label' || parent.type === 'MetaProperty') return false;
  if (key === 'key') return (parent as { computed?: boolean }).computed === true;
  if (key === 'property') return !((parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && !parent.computed);
  return true;
}

