/**
 * The type stripping of @babel/plugin-transform-typescript (as compile()
 * configures it) for the TypeScript most modules use, as plain walks on a
 * freshly parsed AST: the same nodes removed, unwrapped or blanked, comments
 * moved the way Babel's path.remove()/replaceWith() move them, type-only
 * imports elided, `export {}` added where the plugin adds it.
 *
 * Returns null for anything it does not reproduce exactly (classes, enums,
 * namespaces, `declare`, decorators, JSX, re-exports, import names it cannot
 * classify as used only in types or as values, …): compile() then has the
 * plugin strip a fresh parse of the module (compile.ts).
 */
import * as t from '@babel/types';
import { eachChild, isFunctionNode, TYPE_WRAPPERS } from './walk.js';

export interface Stripped {
  /** The plugin would add `export {}` (every import was elided and nothing is exported). */
  needsExportMarker: boolean;
}

/** Nodes whose handling by the plugin is not reproduced here. */
const UNSUPPORTED = new Set([
  'ClassDeclaration', 'ClassExpression', 'Decorator', 'TSEnumDeclaration', 'TSModuleDeclaration', 'TSImportEqualsDeclaration',
  'TSExportAssignment', 'TSNamespaceExportDeclaration', 'TSDeclareFunction', 'TSDeclareMethod', 'TSParameterProperty',
  'ExportAllDeclaration', 'ExportNamespaceSpecifier', 'ExportDefaultSpecifier', 'TSQualifiedName',
]);
/** Where a name is used in a type (the plugin's isInType): its parent and the field holding it. */
const TYPE_USES: Record<string, string> = { TSTypeReference: 'typeName', TSTypeQuery: 'exprName', TSExpressionWithTypeArguments: 'expression' };
const PATTERNS = new Set(['Identifier', 'AssignmentPattern', 'ArrayPattern', 'ObjectPattern', 'RestElement']);
const TYPE_ARGS_HOLDERS = new Set(['CallExpression', 'OptionalCallExpression', 'NewExpression', 'TaggedTemplateExpression']);

interface NameUses {
  value: boolean;
  /** Used where this module cannot tell a reference from a declaration. */
  unsure: boolean;
}

export function stripTypeScript(file: t.File): Stripped | null {
  const program = file.program;
  const uses = scanNames(program);
  if (!uses) return null;
  let esm: boolean | undefined;

  // Program enter: imports, in order.
  for (let i = 0; i < program.body.length; i++) {
    const stmt = program.body[i]!;
    if (stmt.type !== 'ImportDeclaration') continue;
    esm ??= true;
    if (stmt.importKind === 'type') {
      removeAt(program.body, i--);
      continue;
    }
    if (stmt.specifiers.length === 0) {
      esm = false;
      continue;
    }
    const remove = new Set<t.Node>(stmt.specifiers.filter((s) => s.type === 'ImportSpecifier' && s.importKind === 'type'));
    for (const s of stmt.specifiers) {
      if (remove.has(s)) continue;
      const use = uses.imports.get(s.local);
      if (!use || use.unsure) return null;
      if (use.value) esm = false;
      else remove.add(s);
    }
    if (remove.size === stmt.specifiers.length) removeAt(program.body, i--);
    else
      for (const s of remove) {
        if (s.leadingComments || s.trailingComments) return null;
        stmt.specifiers.splice(stmt.specifiers.indexOf(s as t.ImportSpecifier), 1);
      }
  }

  // The traversal, in Babel's order: each node's changes on entering it, then its children.
  let unsupported = false;
  const visitList = (list: (t.Node | null)[], parent: t.Node, key: string): void => {
    for (let i = 0; i < list.length; i++) {
      const n = list[i];
      if (!n) continue; // a hole: `[a, , b]`
      if (n.type === 'TSInterfaceDeclaration' || n.type === 'TSTypeAliasDeclaration' || (n.type === 'ExportNamedDeclaration' && n.exportKind === 'type')) {
        if (n.type === 'ExportNamedDeclaration') esm ??= true;
        removeAt(list as t.Node[], i--);
        continue;
      }
      list[i] = visit(n, parent, key, true);
    }
  };
  const visit = (node: t.Node, parent: t.Node, key: string, inList: boolean): t.Node => {
    let n = node;
    while (TYPE_WRAPPERS.has(n.type)) {
      const w = n as t.TSAsExpression | t.TSSatisfiesExpression | t.TSNonNullExpression | t.TSTypeAssertion | t.TSInstantiationExpression;
      let inner: t.Node = w.expression;
      if (w.type === 'TSAsExpression' || w.type === 'TSSatisfiesExpression') while (inner.type === 'TSAsExpression' || inner.type === 'TSSatisfiesExpression') inner = inner.expression;
      // path.replaceWith: the replacement must suit the field (a list element is not checked), and inherits the wrapper's comments.
      if (!inList && !fits(parent, key, inner)) unsupported = true;
      t.inheritsComments(inner, w);
      t.removeComments(w);
      n = inner;
    }
    if (PATTERNS.has(n.type)) {
      const p = n as t.Identifier;
      if (p.typeAnnotation) p.typeAnnotation = null;
      if (n.type === 'Identifier' && p.optional) p.optional = null;
    }
    if (isFunctionNode(n)) {
      if (n.typeParameters) n.typeParameters = null;
      if (n.returnType) n.returnType = null;
      const first = n.params[0];
      if (first && first.type === 'Identifier' && first.name === 'this') n.params.shift();
    }
    if (TYPE_ARGS_HOLDERS.has(n.type)) (n as t.CallExpression).typeParameters = null;
    if (n.type === 'VariableDeclarator' && n.definite) n.definite = null;
    if (n.type === 'ExportNamedDeclaration' || n.type === 'ExportDefaultDeclaration') esm = false;
    if (n.type.startsWith('TS')) unsupported = true; // a type in a place the plugin's visitors would not blank
    const r = n as unknown as Record<string, unknown>;
    for (const field of t.VISITOR_KEYS[n.type] ?? []) {
      const v = r[field];
      if (Array.isArray(v)) visitList(v as (t.Node | null)[], n, field);
      else if (v && typeof v === 'object' && 'type' in v) r[field] = visit(v as t.Node, n, field, false);
    }
    return n;
  };
  visitList(program.body, program, 'body');
  if (unsupported) return null;
  return { needsExportMarker: esm === true };
}

/** Babel's validation of a replacement (it throws where this returns false: compile() then has the plugin strip the module, and it reports it). */
function fits(parent: t.Node, key: string, node: t.Node): boolean {
  try {
    t.validate(parent, key, node);
    return true;
  } catch {
    return false;
  }
}

/** path.remove() of a list element: its comments go to the siblings (shareCommentsWithSiblings). */
function removeAt(list: t.Node[], k: number): void {
  const node = list[k]!;
  const trailing = node.trailingComments;
  const leading = node.leadingComments;
  if (trailing || leading) {
    const prev = list[k - 1];
    const next = list[k + 1];
    if (prev) {
      if (leading) t.addComments(prev, 'trailing', removeIfExisting(leading, prev.trailingComments));
      if (trailing && !next) t.addComments(prev, 'trailing', trailing);
    }
    if (next) {
      if (trailing) t.addComments(next, 'leading', removeIfExisting(trailing, next.leadingComments));
      if (leading && !prev) t.addComments(next, 'leading', leading);
    }
  }
  list.splice(k, 1);
}

function removeIfExisting(list: t.Comment[], toRemove: t.Comment[] | null | undefined): t.Comment[] {
  if (!toRemove?.length) return list;
  const set = new Set(toRemove);
  return list.filter((c) => !set.has(c));
}

/**
 * How each import's local name is used, before anything is stripped: in a
 * type position only (elided), as a value (kept), or somewhere this cannot
 * classify. Null when the module holds a construct not reproduced here.
 */
function scanNames(program: t.Program): { imports: Map<t.Identifier, NameUses> } | null {
  const names = new Map<string, NameUses>();
  const locals = new Set<t.Node>();
  const importedAs = new Set<t.Node>();
  for (const stmt of program.body) {
    if (stmt.type !== 'ImportDeclaration') continue;
    if (stmt.phase || (stmt as { module?: boolean }).module) return null;
    for (const s of stmt.specifiers) {
      locals.add(s.local);
      if (s.type === 'ImportSpecifier') importedAs.add(s.imported);
    }
  }
  const use = (name: string): NameUses => {
    let u = names.get(name);
    if (!u) names.set(name, (u = { value: false, unsure: false }));
    return u;
  };
  let bad = false;
  const walk = (n: t.Node, parent: t.Node | null, grand: t.Node | null, key: string): void => {
    if (bad) return;
    if (UNSUPPORTED.has(n.type) || n.type.startsWith('JSX') || (n as { declare?: boolean }).declare) {
      bad = true;
      return;
    }
    if (n.type === 'ExportNamedDeclaration' && (n.specifiers.length || n.source)) bad = true;
    if (n.type === 'ExportDefaultDeclaration' && (n.declaration.type === 'Identifier' || n.declaration.type.startsWith('TS'))) bad = true;
    if (n.type === 'Identifier' && parent && !locals.has(n) && !importedAs.has(n)) {
      const u = use(n.name);
      const computed = (parent as { computed?: boolean }).computed === true;
      const referenced = (): boolean => t.isReferenced(n, parent, grand ?? undefined);
      if (TYPE_USES[parent.type] === key) {
        // a use in a type (the plugin's isInType): elidable
      } else if (TYPE_WRAPPERS.has(parent.type) && key === 'expression') {
        u.value = true; // `x as T`, `x!`: x is read
      } else if (parent.type.startsWith('TS')) {
        // Babel counts some names in types as references (a method signature's name, a function type's parameters): not elidable then.
        if (referenced()) u.unsure = true;
      } else if (key === 'key' && !computed) {
        // a property name
      } else if (key === 'property' && !computed && (parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression')) {
        // a member name
      } else if (referenced()) u.value = true;
      else u.unsure = true; // a declaration, a label, …
    }
    eachChild(n, (c, k) => walk(c, n, parent, k));
  };
  walk(program, null, null, '');
  if (bad) return null;
  const imports = new Map<t.Identifier, NameUses>();
  for (const l of locals) imports.set(l as t.Identifier, names.get((l as t.Identifier).name) ?? { value: false, unsure: false });
  return { imports };
}
