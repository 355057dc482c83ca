/**
 * The pass's own scope analysis, on the bare AST (no Babel paths or scopes:
 * compile()'s routes and the Babel plugin run the same pass): the scopes of
 * one workflow function and of everything nested in it, the bindings each
 * declares, and every identifier reference resolved to its binding, or to
 * none (a name of the module, or a global). Renaming, the temporal dead
 * zone, `const` and closure conversion all work from this one model.
 *
 * Strict mode is assumed (workflows are in modules): no `with`, no sloppy
 * block functions, `arguments` and `eval` are never bindings.
 */
import * as t from '@babel/types';

export type ScopeKind =
  /** A function's parameters and body (one scope when its parameters hold no expression). */
  | 'function'
  /** A function's parameters, when a default or computed key gives them their own scope (the body is a child 'function' scope). */
  | 'params'
  | 'block'
  /** A loop head's `let`/`const`. */
  | 'for'
  | 'switch'
  | 'catch'
  /** A class body: the class's own name, seen by its heritage, keys and members. */
  | 'class'
  /** A named function expression's own name. */
  | 'name'
  /** A class field initialiser or static block: code that runs apart from the function around the class. */
  | 'member';

export type BindingKind = 'var' | 'let' | 'const' | 'class' | 'function' | 'param' | 'catch' | 'name' | 'class-name';

/** The node whose activation a scope belongs to: a function, or a class member that runs on its own. */
export type Activation = t.Function | t.ClassProperty | t.ClassPrivateProperty | t.ClassAccessorProperty | t.StaticBlock;

export class Scope {
  readonly bindings = new Map<string, Binding>();
  readonly children: Scope[] = [];
  constructor(
    readonly kind: ScopeKind,
    readonly node: t.Node,
    readonly parent: Scope | null,
    readonly fn: Activation,
  ) {
    parent?.children.push(this);
  }
}

/** Where a `let`/`const`/class/parameter binding becomes initialised, by source position. */
export interface Initialisation {
  /** The declaring construct: a declarator, a loop head (left to right side), the parameter list, a class. */
  start: number;
  end: number;
  /** The part evaluated before any of its names is bound (an initialiser, a loop's right side). */
  init: [number, number] | null;
  /** Within the construct, reads at or after this position see the binding initialised. */
  ready: number;
}

export interface Binding {
  name: string;
  kind: BindingKind;
  scope: Scope;
  /** The identifiers that declare it (a `var` may be declared several times). */
  ids: t.Identifier[];
  /** The declaring function or class node for 'function', 'class', 'name' and 'class-name' bindings. */
  node?: t.Node;
  /** null: initialised when its scope is entered (var, function, name, class-name). */
  tdz: Initialisation | null;
  /** A binding declared alone by a declarator (`const f = …`): the initialiser. */
  init?: t.Expression;
  /** A binding declared directly in a `switch`: its case. */
  switchCase?: t.SwitchCase;
  refs: Ref[];
}

export interface Ref {
  id: t.Identifier;
  scope: Scope;
  read: boolean;
  write: boolean;
  /** The assignment or update whose direct target the identifier is (absent for reads and destructuring targets). */
  via?: t.AssignmentExpression | t.UpdateExpression;
  binding: Binding | null;
}

/** A use of `this`, `arguments`, `new.target` or `super`, with the scope it occurs in. */
export interface ImplicitUse {
  node: t.Node;
  what: 'this' | 'arguments' | 'new.target' | 'super';
  scope: Scope;
}

export interface Analysis {
  root: Scope;
  /** Every scope, in source order of its node. */
  scopes: Scope[];
  /** The binding each declaring identifier declares. */
  declared: Map<t.Identifier, Binding>;
  refs: Ref[];
  /** References to no binding of the analysed function: module-scope names and globals. */
  free: Ref[];
  implicit: ImplicitUse[];
  /** Object properties written `{ x }`: renaming or rewriting `x` must unset `shorthand`. */
  shorthands: t.ObjectProperty[];
  /** A function declaration → the scope its name is bound in (it is created when that scope is entered). */
  hoistedIn: Map<t.FunctionDeclaration, Scope>;
}

const TYPE_KEYS = new Set(['typeAnnotation', 'returnType', 'typeParameters', 'typeArguments', 'superTypeParameters', 'implements', 'decorators']);

interface Ctx {
  scope: Scope;
  /** Where `var` declarations go. */
  vars: Scope;
}

interface DeclMode {
  kind: BindingKind;
  scope: Scope;
  construct: { start: number; end: number; init: [number, number] | null } | null;
  switchCase?: t.SwitchCase | undefined;
}

/** Analyse a function (a workflow): its scopes and every scope nested in it. */
export function analyse(fn: t.Function): Analysis {
  return new Analyser().run(fn);
}

class Analyser {
  private readonly a: Analysis = {
    root: null as unknown as Scope,
    scopes: [],
    declared: new Map(),
    refs: [],
    free: [],
    implicit: [],
    shorthands: [],
    hoistedIn: new Map(),
  };
  /** The case whose consequent is being walked, for declarations made directly in a switch. */
  private switchCase: t.SwitchCase | undefined;

  run(fn: t.Function): Analysis {
    this.fn(fn, null);
    this.a.root = this.a.scopes[0]!;
    for (const r of this.a.refs) {
      let s: Scope | null = r.scope;
      while (s && !s.bindings.has(r.id.name)) s = s.parent;
      r.binding = s ? s.bindings.get(r.id.name)! : null;
      if (r.binding) r.binding.refs.push(r);
      else this.a.free.push(r);
    }
    return this.a;
  }

  private scope(kind: ScopeKind, node: t.Node, parent: Scope | null, fn: Activation = parent!.fn): Scope {
    const s = new Scope(kind, node, parent, fn);
    this.a.scopes.push(s);
    return s;
  }

  private declare(id: t.Identifier, m: DeclMode, ready: number | null): void {
    let b = m.scope.bindings.get(id.name);
    if (!b) {
      const construct = m.construct;
      b = {
        name: id.name,
        kind: m.kind,
        scope: m.scope,
        ids: [],
        tdz: construct ? { ...construct, ready: ready ?? id.end ?? construct.end } : null,
        refs: [],
        ...(m.switchCase && m.scope.kind === 'switch' ? { switchCase: m.switchCase } : {}),
      };
      m.scope.bindings.set(id.name, b);
    } else if (m.kind === 'function') b.kind = 'function'; // `var f; function f() {}`: one binding, made at entry
    b.ids.push(id);
    // A class declaration's name declares the outer binding; its inner one (kind class-name) shares the identifier.
    if (m.kind !== 'class-name' || !this.a.declared.has(id)) this.a.declared.set(id, b);
  }

  private ref(id: t.Identifier, scope: Scope, read: boolean, write: boolean, via?: t.AssignmentExpression | t.UpdateExpression): void {
    this.a.refs.push({ id, scope, read, write, binding: null, ...(via ? { via } : {}) });
  }

  // --- functions and classes ---

  /** `c` is null for the analysed function itself (its name, if any, belongs to the module). */
  private fn(n: t.Function, c: Ctx | null): void {
    let outer = c?.scope ?? null;
    if (n.type === 'FunctionExpression' && n.id && outer) {
      outer = this.scope('name', n, outer);
      this.declare(n.id, { kind: 'name', scope: outer, construct: null }, null);
      outer.bindings.get(n.id.name)!.node = n;
    }
    const withExpressions = n.params.some(hasExpression);
    const ps = this.scope(withExpressions ? 'params' : 'function', n, outer, n);
    if (n.params.length) {
      const construct = { start: n.params[0]!.start ?? 0, end: n.params[n.params.length - 1]!.end ?? 0, init: null };
      for (const p of n.params) this.pattern(p, { scope: ps, vars: ps }, { kind: 'param', scope: ps, construct }, null);
    }
    if (n.body.type === 'BlockStatement') {
      const bs = withExpressions ? this.scope('function', n.body, ps, n) : ps;
      this.statements(n.body.body, { scope: bs, vars: bs });
    } else this.node(n.body, { scope: ps, vars: ps });
  }

  private cls(n: t.Class, c: Ctx): void {
    const cs = this.scope('class', n, c.scope);
    if (n.id) {
      this.declare(n.id, { kind: 'class-name', scope: cs, construct: null }, null);
      cs.bindings.get(n.id.name)!.node = n;
    }
    const inner: Ctx = { scope: cs, vars: c.vars };
    if (n.superClass) this.node(n.superClass, inner);
    for (const m of n.body.body) {
      if ('computed' in m && m.computed && 'key' in m) this.node(m.key as t.Expression, inner);
      switch (m.type) {
        case 'ClassMethod':
        case 'ClassPrivateMethod':
          this.fn(m, inner);
          break;
        case 'ClassProperty':
        case 'ClassPrivateProperty':
        case 'ClassAccessorProperty':
          if (m.value) {
            const ms = this.scope('member', m, cs, m);
            this.node(m.value, { scope: ms, vars: ms });
          }
          break;
        case 'StaticBlock': {
          const ms = this.scope('member', m, cs, m);
          this.statements(m.body, { scope: ms, vars: ms });
          break;
        }
      }
    }
  }

  // --- declarations and patterns ---

  private variables(d: t.VariableDeclaration, c: Ctx, head?: t.ForInStatement | t.ForOfStatement): void {
    const kind: BindingKind = d.kind === 'var' ? 'var' : d.kind === 'let' ? 'let' : 'const';
    const scope = kind === 'var' ? c.vars : c.scope;
    for (const decl of d.declarations) {
      let construct: DeclMode['construct'] = null;
      if (kind !== 'var') {
        if (head) construct = { start: d.start ?? 0, end: head.right.end ?? 0, init: [head.right.start ?? 0, head.right.end ?? 0] };
        else construct = { start: decl.start ?? 0, end: decl.end ?? 0, init: decl.init ? [decl.init.start ?? 0, decl.init.end ?? 0] : null };
      }
      this.pattern(decl.id, c, { kind, scope, construct, switchCase: this.switchCase }, null);
      if (decl.init && decl.id.type === 'Identifier' && !head) scope.bindings.get(decl.id.name)!.init = decl.init;
      if (decl.init) this.node(decl.init, c);
    }
  }

  /**
   * A binding or assignment target. `ready` is the end of the outermost
   * default around the current position: a name in `{ a: { b } = d }` is
   * bound only once `d` has been evaluated.
   */
  private pattern(n: t.Node, c: Ctx, m: DeclMode | 'assign', ready: number | null): void {
    switch (n.type) {
      case 'Identifier':
        if (m === 'assign') this.ref(n, c.scope, false, true);
        else this.declare(n, m, ready);
        return;
      case 'AssignmentPattern':
        this.pattern(n.left, c, m, ready ?? n.end ?? null);
        this.node(n.right, c);
        return;
      case 'ArrayPattern':
        for (const e of n.elements) if (e) this.pattern(e, c, m, ready);
        return;
      case 'ObjectPattern':
        for (const p of n.properties) {
          if (p.type === 'RestElement') this.pattern(p.argument, c, m, ready);
          else {
            if (p.computed) this.node(p.key, c);
            if (p.shorthand) this.a.shorthands.push(p);
            this.pattern(p.value, c, m, ready);
          }
        }
        return;
      case 'RestElement':
        this.pattern(n.argument, c, m, ready);
        return;
      default:
        if (t.isTSParameterProperty(n)) return this.pattern(n.parameter, c, m, ready);
        this.node(n, c); // a member target: evaluated
    }
  }

  // --- statements ---

  private statements(list: t.Statement[], c: Ctx): void {
    for (const s of list) this.node(s, c);
  }

  private node(n: t.Node, c: Ctx): void {
    switch (n.type) {
      case 'Identifier':
        this.ref(n, c.scope, true, false);
        return;
      case 'ThisExpression':
        this.a.implicit.push({ node: n, what: 'this', scope: c.scope });
        return;
      case 'Super':
        this.a.implicit.push({ node: n, what: 'super', scope: c.scope });
        return;
      case 'MetaProperty':
        if (n.meta.name === 'new') this.a.implicit.push({ node: n, what: 'new.target', scope: c.scope });
        return;
      case 'PrivateName':
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'DebuggerStatement':
        return;
      case 'LabeledStatement':
        return this.node(n.body, c);
      case 'FunctionDeclaration':
        if (n.id) {
          this.declare(n.id, { kind: 'function', scope: c.scope, construct: null }, null);
          c.scope.bindings.get(n.id.name)!.node = n;
        }
        this.a.hoistedIn.set(n, c.scope);
        return this.fn(n, c);
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        return this.fn(n, c);
      case 'ObjectMethod':
        if (n.computed) this.node(n.key, c);
        return this.fn(n, c);
      case 'ClassDeclaration':
        if (n.id) {
          this.declare(n.id, { kind: 'class', scope: c.scope, construct: { start: n.start ?? 0, end: n.end ?? 0, init: null }, switchCase: this.switchCase }, n.end ?? null);
          c.scope.bindings.get(n.id.name)!.node = n;
        }
        return this.cls(n, c);
      case 'ClassExpression':
        return this.cls(n, c);
      case 'VariableDeclaration':
        return this.variables(n, c);
      case 'BlockStatement': {
        const saved = this.switchCase;
        this.switchCase = undefined;
        this.statements(n.body, { scope: this.scope('block', n, c.scope), vars: c.vars });
        this.switchCase = saved;
        return;
      }
      case 'StaticBlock':
        return; // only inside classes (cls)
      case 'ForStatement': {
        const lexical = n.init?.type === 'VariableDeclaration' && n.init.kind !== 'var';
        const inner: Ctx = lexical ? { scope: this.scope('for', n, c.scope), vars: c.vars } : c;
        if (n.init) this.node(n.init, inner);
        if (n.test) this.node(n.test, inner);
        if (n.update) this.node(n.update, inner);
        this.node(n.body, inner);
        return;
      }
      case 'ForInStatement':
      case 'ForOfStatement': {
        const left = n.left;
        if (left.type === 'VariableDeclaration') {
          const inner: Ctx = left.kind === 'var' ? c : { scope: this.scope('for', n, c.scope), vars: c.vars };
          this.variables(left, inner, n);
          this.node(n.right, inner);
          this.node(n.body, inner);
        } else {
          this.pattern(left, c, 'assign', null);
          this.node(n.right, c);
          this.node(n.body, c);
        }
        return;
      }
      case 'SwitchStatement': {
        this.node(n.discriminant, c);
        const inner: Ctx = { scope: this.scope('switch', n, c.scope), vars: c.vars };
        const saved = this.switchCase;
        for (const k of n.cases) {
          this.switchCase = undefined;
          if (k.test) this.node(k.test, inner);
          this.switchCase = k;
          this.statements(k.consequent, inner);
        }
        this.switchCase = saved;
        return;
      }
      case 'CatchClause': {
        const cs = this.scope('catch', n, c.scope);
        const inner: Ctx = { scope: cs, vars: c.vars };
        if (n.param) this.pattern(n.param, inner, { kind: 'catch', scope: cs, construct: { start: n.param.start ?? 0, end: n.param.end ?? 0, init: null } }, null);
        const saved = this.switchCase;
        this.switchCase = undefined;
        this.statements(n.body.body, inner);
        this.switchCase = saved;
        return;
      }
      case 'MemberExpression':
      case 'OptionalMemberExpression':
        this.node(n.object, c);
        if (n.computed) this.node(n.property, c);
        return;
      case 'ObjectExpression':
        for (const p of n.properties) {
          if (p.type === 'ObjectProperty') {
            if (p.computed) this.node(p.key, c);
            if (p.shorthand) this.a.shorthands.push(p);
            this.node(p.value, c);
          } else this.node(p, c);
        }
        return;
      case 'AssignmentExpression':
        if (n.left.type === 'Identifier') this.ref(n.left, c.scope, n.operator !== '=', true, n);
        else this.pattern(n.left, c, 'assign', null);
        this.node(n.right, c);
        return;
      case 'UpdateExpression':
        if (n.argument.type === 'Identifier') this.ref(n.argument, c.scope, true, true, n);
        else this.node(n.argument, c);
        return;
    }
    if (n.type.startsWith('TS') && !('expression' in n)) return; // type-only syntax
    const r = n as unknown as Record<string, unknown>;
    for (const key of t.VISITOR_KEYS[n.type] ?? []) {
      if (TYPE_KEYS.has(key)) continue;
      const v = r[key];
      if (Array.isArray(v)) {
        for (const x of v as unknown[]) if (x && typeof x === 'object' && 'type' in x) this.node(x as t.Node, c);
      } else if (v && typeof v === 'object' && 'type' in v) this.node(v as t.Node, c);
    }
  }
}

/** A parameter whose evaluation runs code: a default or a computed key (the parameters then get their own scope). */
function hasExpression(p: t.Node): boolean {
  switch (p.type) {
    case 'AssignmentPattern':
      return true;
    case 'ArrayPattern':
      return p.elements.some((e) => e !== null && hasExpression(e));
    case 'ObjectPattern':
      return p.properties.some((q) => (q.type === 'RestElement' ? hasExpression(q.argument) : q.computed || hasExpression(q.value)));
    case 'RestElement':
      return hasExpression(p.argument);
    case 'TSParameterProperty':
      return hasExpression(p.parameter);
    default:
      return false;
  }
}

/** The nearest activation (function or class member) that owns `this`/`arguments`/`new.target`/`super` at a scope: arrows see through. */
export function implicitOwner(scope: Scope): Activation {
  for (let s: Scope | null = scope; s; s = s.parent) if (s.fn.type !== 'ArrowFunctionExpression') return s.fn;
  return scope.fn;
}

/** Names declared at a module's top level (imports, declarations, and `var`s in top-level blocks). */
export function moduleNames(program: t.Program): Set<string> {
  const names = new Set<string>();
  const ids = (p: t.Node | null | undefined): void => {
    if (!p) return;
    if (p.type === 'Identifier') names.add(p.name);
    else if (p.type === 'AssignmentPattern') ids(p.left);
    else if (p.type === 'ArrayPattern') p.elements.forEach(ids);
    else if (p.type === 'ObjectPattern') p.properties.forEach((q) => ids(q.type === 'RestElement' ? q.argument : q.value));
    else if (p.type === 'RestElement') ids(p.argument);
  };
  const varsIn = (n: t.Node | null | undefined, top: boolean): void => {
    if (!n || typeof n !== 'object') return;
    if (n.type === 'VariableDeclaration') {
      if (top || n.kind === 'var') n.declarations.forEach((d) => ids(d.id));
    } else if (top && (n.type === 'FunctionDeclaration' || n.type === 'ClassDeclaration' || n.type === 'TSEnumDeclaration' || n.type === 'TSModuleDeclaration')) {
      if (n.id?.type === 'Identifier') names.add(n.id.name);
      return;
    } else if (n.type === 'ImportDeclaration') {
      n.specifiers.forEach((s) => names.add(s.local.name));
      return;
    } else if (n.type === 'TSImportEqualsDeclaration') {
      names.add(n.id.name);
      return;
    }
    if (t.isFunction(n) || t.isClass(n) || n.type.startsWith('TS')) return;
    for (const key of t.VISITOR_KEYS[n.type] ?? []) {
      const v = (n as unknown as Record<string, unknown>)[key];
      if (Array.isArray(v)) v.forEach((x) => varsIn(x as t.Node, false));
      else if (v && typeof v === 'object') varsIn(v as t.Node, false);
    }
  };
  for (const s of program.body) {
    const d = s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' ? s.declaration : s;
    varsIn(d as t.Node, true);
  }
  return names;
}
