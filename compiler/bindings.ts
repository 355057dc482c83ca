/**
 * Makes a workflow's bindings behave as JavaScript's once the lowering has
 * turned its locals into variables of one step function:
 *
 * - renames block-scoped bindings that would clash there (`x`, `x$1`, …);
 * - the temporal dead zone: a read or write that certainly runs before its
 *   `let`/`const`/class/parameter is initialised becomes the ReferenceError
 *   JS throws (`_rw_tdz('x')`, after the right side of an assignment, as in
 *   JS); a binding some read may or may not reach in its dead zone (from a
 *   closure made before the declaration ran, or from a later `switch` case)
 *   lives in an environment object that holds the TDZ marker until the
 *   declaration runs, and those reads check it;
 * - assignments to a `const` throw TypeError after their right side, in
 *   every form (`=`, `+=`, `||=`, `++`, destructuring, `for (c of …)`);
 * - parameters with defaults have their own scope: the body's `var x` of a
 *   parameter `x` is another binding, initialised from it.
 *
 * Environment objects (`$e1 = { x: TDZ }`) are made when their scope is
 * entered (per iteration for loops, with JS's copy between iterations of a
 * `for (let …)`), and every reference to a binding they hold becomes `$e1.x`.
 * Which bindings need one is decided from the scope analysis (scopes.ts).
 */
import * as t from '@babel/types';
import type { EnvLayout } from '../runtime/contract.js';
import type { Helpers } from './helpers.js';
import type { NameGen } from './scope.js';
import type { Analysis, Binding, Ref, Scope } from './scopes.js';
import { patternIds } from './refs.js';

export interface BindingsPlan {
  /** Statements to run at the function's entry, before its parameters are bound (the parameters' environment). */
  prologue: t.Statement[];
  /** Variables the rewrite introduced (environment objects, a scratch value): step-level locals. */
  locals: string[];
  /** Environment object → the source names it holds. */
  envLayout: EnvLayout;
}

type Status = 'before' | 'after' | 'unsure';

interface Ctx {
  fn: t.Function;
  an: Analysis;
  names: NameGen;
  helpers: Helpers;
  prefix: string;
  /** Bindings renamed for the step function: their new name. */
  final: Map<Binding, string>;
  /** Bindings kept in an environment object: the object's name. */
  env: Map<Binding, string>;
  /** Scope → its environment object's name. */
  scopeEnv: Map<Scope, string>;
  locals: string[];
  envLayout: EnvLayout;
  scratch: string | null;
  counter: { env: number; head: number };
}

export interface BindingsOptions {
  names: NameGen;
  helpers: Helpers;
  /** The step function's internal prefix (`$`): environment objects are `$e1`, `$e2`, … */
  prefix: string;
  /** Names the function uses from outside: its bindings are renamed away from them. */
  claimed: Set<string>;
  /** Bindings closures capture (environments.ts): they live in environment objects too. */
  captured?: ReadonlySet<Binding>;
  /** Shared by the functions of one workflow, so that environment and helper names never repeat among them. */
  counter?: { env: number; head: number };
  /** Rename clashing block-scoped bindings (default true: the function is flattened into a step function). */
  rename?: boolean;
}

export function prepareBindings(fn: t.Function, an: Analysis, o: BindingsOptions): BindingsPlan {
  const c: Ctx = { fn, an, names: o.names, helpers: o.helpers, prefix: o.prefix, final: new Map(), env: new Map(), scopeEnv: new Map(), locals: [], envLayout: {}, scratch: null, counter: o.counter ?? { env: 0, head: 0 } };
  const own = an.scopes.filter((s) => s.fn === fn);
  if (o.rename !== false) rename(c, own, o.claimed);

  // Decide, per binding of the function, what each reference is and where the binding lives.
  const status = new Map<Ref, Status>();
  for (const s of own)
    for (const b of s.bindings.values()) {
      for (const r of b.refs) {
        const st = classify(c, b, r);
        status.set(r, st);
        if (st === 'unsure') c.env.set(b, '');
      }
      if (o.captured?.has(b)) c.env.set(b, '');
    }
  for (const b of c.env.keys()) {
    let name = c.scopeEnv.get(b.scope);
    if (!name) {
      name = `${c.prefix}e${++c.counter.env}`;
      c.scopeEnv.set(b.scope, name);
      c.locals.push(name);
      c.envLayout[name] = [];
    }
    c.env.set(b, name);
    c.envLayout[name]!.push(b.name);
  }

  for (const s of own) for (const b of s.bindings.values()) for (const r of b.refs) rewriteRef(c, b, r, status.get(r)!);
  for (const p of an.shorthands) if (!(p.value.type === 'Identifier' && p.key.type === 'Identifier' && p.value.name === p.key.name) && !(p.value.type === 'AssignmentPattern' && p.value.left.type === 'Identifier' && p.key.type === 'Identifier' && p.value.left.name === p.key.name)) p.shorthand = false;

  const prologue: t.Statement[] = [];
  restructure(c, prologue);
  return { prologue, locals: c.locals, envLayout: c.envLayout };
}

// ---------------------------------------------------------------------------
// Renaming
// ---------------------------------------------------------------------------

/**
 * Gives every binding of the function's own scopes a name no other of them
 * and no name the function uses from outside has. The function's first scope
 * keeps its names; so do names a node shows as its own `.name` (function
 * expression and class names): a renamed class declaration gets its new name
 * on the binding only (see classDeclaration).
 */
function rename(c: Ctx, own: Scope[], claimed: Set<string>): void {
  const [first] = own;
  for (const name of first!.bindings.keys()) claimed.add(name);
  for (const s of own) {
    if (s === first) continue;
    for (const b of s.bindings.values()) {
      if (b.kind === 'name' || b.kind === 'class-name') continue;
      if (claimed.has(b.name)) {
        const final = c.names.fresh(b.name);
        c.final.set(b, final);
        for (const id of b.ids) if (!(b.node?.type === 'ClassDeclaration' && b.node.id === id)) id.name = final;
        for (const r of b.refs) r.id.name = final;
        claimed.add(final);
      } else claimed.add(b.name);
    }
  }
}

/** The name a binding has in the step function. */
function localName(c: Ctx, b: Binding): string {
  return c.final.get(b) ?? b.name;
}

// ---------------------------------------------------------------------------
// The temporal dead zone
// ---------------------------------------------------------------------------

/** Whether a reference certainly runs after the binding is initialised, certainly before, or either. */
function classify(c: Ctx, b: Binding, r: Ref): Status {
  const init = b.tdz;
  if (!init) return 'after';
  // From a closure: it runs after it is made; made after the declaration ran, it is safe.
  let made: t.Node | null = null;
  for (let s: Scope | null = r.scope; s && s !== b.scope; s = s.parent) if (s.fn !== b.scope.fn) made = s.fn;
  if (made) {
    const at = made.type === 'FunctionDeclaration' ? (c.an.hoistedIn.get(made)?.node.start ?? 0) : (made.start ?? 0);
    return position(b, at) === 'after' ? 'after' : 'unsure';
  }
  return position(b, r.id.start ?? 0);
}

function position(b: Binding, at: number): Status {
  const init = b.tdz!;
  if (at < init.start) return 'before';
  if (init.init && at >= init.init[0] && at < init.init[1]) return 'before';
  if (at < init.end && at < init.ready) return 'before';
  // Declared directly in a switch: a later case may run without the declaring one.
  const k = b.switchCase;
  if (k && !(at >= (k.start ?? 0) && at < (k.end ?? 0))) return 'unsure';
  return 'after';
}

// ---------------------------------------------------------------------------
// References
// ---------------------------------------------------------------------------

/** Replace a node's contents in place (its parent keeps pointing at it), keeping its position and comments. */
export function morph(node: t.Node, into: t.Node): void {
  const keep = { loc: node.loc, start: node.start, end: node.end, leadingComments: node.leadingComments, trailingComments: node.trailingComments };
  for (const k of Object.keys(node)) delete (node as unknown as Record<string, unknown>)[k];
  Object.assign(node, into, keep);
}

/** Where the binding's value is: its variable, or its field in an environment object. */
function storage(c: Ctx, b: Binding): t.Identifier | t.MemberExpression {
  const env = c.env.get(b);
  return env ? t.memberExpression(t.identifier(env), t.identifier(b.name)) : t.identifier(localName(c, b));
}

const isTdz = (c: Ctx, s: t.Expression): t.Expression => t.binaryExpression('===', s, c.helpers.id('TDZ'));
const throwTdz = (c: Ctx, b: Binding): t.Expression => c.helpers.call('tdz', [t.stringLiteral(b.name)]);
const throwConst = (c: Ctx, b: Binding): t.Expression => c.helpers.call('constAssign', [t.stringLiteral(b.name)]);

/** The value of a read: checked against the TDZ marker when the read may be in the dead zone. */
function readOf(c: Ctx, b: Binding, st: Status): t.Expression {
  if (st === 'before') return throwTdz(c, b);
  if (st === 'unsure') return t.conditionalExpression(isTdz(c, storage(c, b)), throwTdz(c, b), storage(c, b));
  return storage(c, b);
}

function scratch(c: Ctx): t.Identifier {
  if (!c.scratch) {
    c.scratch = `${c.prefix}v`;
    c.locals.push(c.scratch);
  }
  return t.identifier(c.scratch);
}

/** A destructuring target whose assignment runs `onSet` with the value instead of storing it. */
function setterTarget(onSet: (v: t.Identifier) => t.Expression): t.MemberExpression {
  const v = t.identifier('v');
  const setter = t.objectMethod('set', t.identifier('_'), [v], t.blockStatement([t.expressionStatement(onSet(t.identifier('v')))]));
  return t.memberExpression(t.objectExpression([setter]), t.identifier('_'));
}

function rewriteRef(c: Ctx, b: Binding, r: Ref, st: Status): void {
  const constant = b.kind === 'const';
  const moved = c.env.has(b);
  if (!r.write) {
    if (st !== 'after' || moved) morph(r.id, readOf(c, b, st));
    return;
  }
  // What an assignment that gets this far must do instead of storing: nothing (store), or throw.
  const error: 'none' | 'tdz' | 'const' | 'tdz-or-const' | 'check' =
    st === 'before' ? 'tdz' : constant ? (st === 'unsure' ? 'tdz-or-const' : 'const') : st === 'unsure' ? 'check' : 'none';
  const via = r.via;
  if (error === 'none') {
    if (moved) morph(r.id, storage(c, b));
    return;
  }
  const lastly = (): t.Expression =>
    error === 'tdz' ? throwTdz(c, b) : error === 'const' ? throwConst(c, b) : t.conditionalExpression(isTdz(c, storage(c, b)), throwTdz(c, b), throwConst(c, b));
  const precheck = (): t.Expression => t.logicalExpression('&&', isTdz(c, storage(c, b)), throwTdz(c, b));
  if (!via) {
    // A destructuring or for…in/of target.
    morph(
      r.id,
      setterTarget((v) => (error === 'check' ? t.conditionalExpression(isTdz(c, storage(c, b)), throwTdz(c, b), t.assignmentExpression('=', storage(c, b), v)) : t.sequenceExpression([v, lastly()]))),
    );
    return;
  }
  if (via.type === 'UpdateExpression') {
    if (error === 'tdz') morph(via, throwTdz(c, b));
    else if (error === 'check') morph(via, t.sequenceExpression([precheck(), t.updateExpression(via.operator, storage(c, b), via.prefix)]));
    // The old value is read and converted (valueOf runs) before the failing store, as in JS.
    else morph(via, t.sequenceExpression([t.updateExpression(via.operator, t.memberExpression(t.arrayExpression([readOf(c, b, st)]), t.numericLiteral(0), true)), lastly()]));
    return;
  }
  const op = via.operator;
  const rhs = via.right;
  if (op === '=') {
    if (error === 'check') {
      const tmp = scratch(c);
      morph(via, t.sequenceExpression([t.assignmentExpression('=', tmp, rhs), t.conditionalExpression(isTdz(c, storage(c, b)), throwTdz(c, b), t.assignmentExpression('=', storage(c, b), t.cloneNode(tmp)))]));
    } else morph(via, t.sequenceExpression([rhs, lastly()]));
    return;
  }
  if (error === 'tdz') return morph(via, throwTdz(c, b));
  if (error === 'check') return morph(via, t.sequenceExpression([precheck(), t.assignmentExpression(op, storage(c, b), rhs)]));
  if (op === '||=' || op === '&&=' || op === '??=') {
    morph(via, t.logicalExpression(op.slice(0, 2) as '||' | '&&' | '??', readOf(c, b, st), t.sequenceExpression([rhs, lastly()])));
    return;
  }
  morph(via, t.sequenceExpression([t.assignmentExpression(op, t.memberExpression(t.arrayExpression([readOf(c, b, st)]), t.numericLiteral(0), true), rhs), lastly()]));
}

// ---------------------------------------------------------------------------
// Declarations and environment objects
// ---------------------------------------------------------------------------

/**
 * Rewrites the statements of the function's own scopes: declarations of
 * bindings that moved into an environment object become assignments to it,
 * environments are made where their scope is entered, renamed class
 * declarations keep their name, and a body `var` that shadows a parameter
 * starts with its value. Nested functions and classes are left alone.
 */
function restructure(c: Ctx, prologue: t.Statement[]): void {
  const fn = c.fn;
  // The function's first own scope: its parameters (and body, unless a parameter holds an expression).
  const params = c.an.scopes.find((s) => s.fn === fn && s.node === fn) ?? c.an.root;
  const scopeOf = new Map<t.Node, Scope>();
  for (const s of c.an.scopes) if (s.fn === fn) scopeOf.set(s.node, s);
  const bodyScope = fn.body.type === 'BlockStatement' ? (scopeOf.get(fn.body) ?? params) : params;

  const entry = (s: Scope | undefined): t.Statement[] => {
    const env = s && c.scopeEnv.get(s);
    return env ? [assign(t.identifier(env), envObject(c, s, env))] : [];
  };
  const freshItem = (): t.Identifier => t.identifier(`${c.prefix}h${++c.counter.head}`);

  /** Replacement statements for `s` (null: keep it; its parts are rewritten in place). */
  const stmt = (s: t.Statement): t.Statement[] | null => {
    let inner: t.Statement = s;
    const labels: t.LabeledStatement[] = [];
    while (inner.type === 'LabeledStatement') {
      labels.push(inner);
      inner = inner.body;
    }
    const relabel = (loop: t.Statement): t.Statement => labels.reduceRight<t.Statement>((body, l) => t.labeledStatement(l.label, body), loop);
    switch (inner.type) {
      case 'VariableDeclaration':
        return declaration(inner);
      case 'ClassDeclaration':
        return classDeclaration(inner);
      case 'BlockStatement':
        block(inner);
        return null;
      case 'IfStatement':
        single(inner, 'consequent');
        single(inner, 'alternate');
        return null;
      case 'WhileStatement':
      case 'DoWhileStatement':
        single(inner, 'body');
        return null;
      case 'ForStatement':
        single(inner, 'body');
        return forStatement(inner, relabel);
      case 'ForInStatement':
      case 'ForOfStatement':
        single(inner, 'body');
        forInOf(inner);
        return null;
      case 'SwitchStatement': {
        for (const k of inner.cases) list(k.consequent);
        const start = entry(scopeOf.get(inner));
        return start.length ? [t.blockStatement([...start, s])] : null;
      }
      case 'TryStatement':
        block(inner.block);
        if (inner.handler) catchClause(inner.handler);
        if (inner.finalizer) block(inner.finalizer);
        return null;
      default:
        return null;
    }
  };

  /** A nested function declaration becomes an assignment of its value at the start of its block (as JS hoists it). */
  const hoist = (d: t.FunctionDeclaration): t.Statement => {
    const b = c.an.declared.get(d.id!);
    const value = d as unknown as t.FunctionExpression;
    value.type = 'FunctionExpression';
    if (!b) return t.variableDeclaration('let', [t.variableDeclarator(t.identifier(d.id!.name), value)]);
    const target = storage(c, b);
    const s = target.type === 'Identifier' ? t.variableDeclaration('let', [t.variableDeclarator(target, value)]) : assign(target, value);
    s.loc = d.loc ?? null;
    return s;
  };

  const list = (stmts: t.Statement[]): void => {
    const hoisted: t.Statement[] = [];
    for (let i = 0; i < stmts.length; i++) {
      const s0 = stmts[i]!;
      if (s0.type === 'FunctionDeclaration') {
        hoisted.push(hoist(s0));
        stmts.splice(i--, 1);
        continue;
      }
      const out = stmt(s0);
      if (out) {
        stmts.splice(i, 1, ...out);
        i += out.length - 1;
      }
    }
    stmts.unshift(...hoisted);
  };

  const single = <K extends string>(holder: { [k in K]?: t.Statement | null }, key: K): void => {
    const s = holder[key];
    if (!s) return;
    const out = stmt(s);
    if (out) holder[key] = out.length === 1 ? out[0]! : t.blockStatement(out);
  };

  const block = (b: t.BlockStatement): void => {
    list(b.body);
    b.body.unshift(...entry(scopeOf.get(b)));
  };

  /** A declaration whose names moved into an environment: assignments, and a declaration for the names that did not. */
  const declaration = (d: t.VariableDeclaration): t.Statement[] | null => {
    if (!d.declarations.some((x) => patternMoves(c, x.id))) return null;
    const out: t.Statement[] = [];
    for (const decl of d.declarations) {
      if (!patternMoves(c, decl.id)) {
        out.push(t.variableDeclaration(d.kind, [decl]));
        continue;
      }
      // `var` keeps declaring the names that stay (without resetting them); `let`/`const` ones become `let`.
      const stay = stayingNames(c, decl.id);
      if (stay.length) out.push(t.variableDeclaration(d.kind === 'var' ? 'var' : 'let', stay.map((n) => t.variableDeclarator(t.identifier(n)))));
      movePattern(c, decl.id as t.LVal);
      if (decl.init) out.push(assign(decl.id as t.LVal, decl.init));
      else if (d.kind !== 'var') out.push(assign(decl.id as t.LVal, t.identifier('undefined')));
    }
    return out;
  };

  const classDeclaration = (d: t.ClassDeclaration): t.Statement[] | null => {
    const b = d.id ? c.an.declared.get(d.id) : undefined;
    if (!b || (!c.env.has(b) && localName(c, b) === b.name)) return null;
    // The class keeps its own name (`.name`, and the binding its body sees); the outer binding is the renamed or moved one.
    const expr = t.classExpression(t.identifier(b.name), d.superClass, d.body, d.decorators);
    const target = storage(c, b);
    return [target.type === 'Identifier' ? t.variableDeclaration('let', [t.variableDeclarator(target, expr)]) : assign(target, expr)];
  };

  const catchClause = (h: t.CatchClause): void => {
    list(h.body.body);
    const start = entry(scopeOf.get(h));
    if (h.param && patternMoves(c, h.param)) {
      const value = freshItem();
      start.push(...(declaration(t.variableDeclaration('let', [t.variableDeclarator(h.param as t.LVal, t.cloneNode(value))])) ?? []));
      h.param = value;
    }
    h.body.body.unshift(...start);
  };

  const forStatement = (s: t.ForStatement, relabel: (loop: t.Statement) => t.Statement): t.Statement[] | null => {
    const init = s.init;
    if (init?.type !== 'VariableDeclaration') return null;
    if (init.kind === 'var') {
      const made = declaration(init);
      if (!made) return null;
      // The assignments stay the loop's init; declarations of the names that stay go before it.
      const decls = made.filter((x): x is t.VariableDeclaration => x.type === 'VariableDeclaration');
      const exprs = made.filter((x): x is t.ExpressionStatement => x.type === 'ExpressionStatement').map((x) => x.expression);
      s.init = exprs.length === 0 ? null : exprs.length === 1 ? exprs[0]! : t.sequenceExpression(exprs);
      return decls.length ? [...decls, relabel(s)] : null;
    }
    const sc = scopeOf.get(s);
    const env = sc && c.scopeEnv.get(sc);
    if (!sc || !env) return null;
    // JS copies a `for (let …)` head into a new environment before each iteration's test (CreatePerIterationEnvironment).
    const made = declaration(init) ?? [];
    const copy = (): t.Expression => t.assignmentExpression('=', t.identifier(env), envCopy(c, sc, env));
    s.init = init.kind === 'const' ? null : copy();
    if (init.kind !== 'const') s.update = s.update ? t.sequenceExpression([copy(), s.update]) : copy();
    return [t.blockStatement([...entry(sc), ...made, relabel(s)])];
  };

  const forInOf = (s: t.ForInStatement | t.ForOfStatement): void => {
    const left = s.left;
    if (left.type !== 'VariableDeclaration') return;
    const decl = left.declarations[0]!;
    if (left.kind === 'var') {
      if (!patternMoves(c, decl.id)) return;
      const stay = stayingNames(c, decl.id);
      movePattern(c, decl.id as t.LVal);
      s.left = decl.id as t.LVal;
      // (the names that stay are declared by another `var` of the function, or hoisted by the lowering)
      if (stay.length) s.body = t.blockStatement([t.variableDeclaration('var', stay.map((n) => t.variableDeclarator(t.identifier(n)))), s.body]);
      return;
    }
    const sc = scopeOf.get(s);
    if (!sc || !c.scopeEnv.get(sc)) return;
    // A fresh environment per iteration: the head binds into it from the item.
    const item = freshItem();
    const bind = declaration(t.variableDeclaration(left.kind, [t.variableDeclarator(decl.id, t.cloneNode(item))])) ?? [];
    s.left = t.variableDeclaration('const', [t.variableDeclarator(item)]);
    s.body = t.blockStatement([...entry(sc), ...bind, s.body]);
  };

  // The parameters' environment is made before they bind (into it); the body's when the body starts.
  prologue.push(...entry(params));
  for (const p of fn.params) movePattern(c, p as t.LVal);
  if (fn.body.type !== 'BlockStatement') return;
  list(fn.body.body);
  if (bodyScope !== params) {
    const start = entry(bodyScope);
    // `function f(x = 1) { var x; … }`: the body's x is another binding, holding the parameter's value.
    for (const b of bodyScope.bindings.values()) {
      const p = params.bindings.get(b.name);
      if (p && b.kind === 'var') start.push(assign(storage(c, b), storage(c, p)));
    }
    fn.body.body.unshift(...start);
  }
}

function assign(target: t.LVal, value: t.Expression): t.ExpressionStatement {
  return t.expressionStatement(t.assignmentExpression('=', target, value));
}

/** A scope's environment object as made on entry: the TDZ marker for bindings some read may reach before their declaration. */
function envObject(c: Ctx, s: Scope, env: string): t.ObjectExpression {
  const props: t.ObjectProperty[] = [];
  for (const b of s.bindings.values()) {
    if (c.env.get(b) !== env) continue;
    const tdz = b.tdz !== null;
    props.push(t.objectProperty(t.identifier(b.name), tdz ? c.helpers.id('TDZ') : t.identifier('undefined')));
  }
  return t.objectExpression(props);
}

/** The next iteration's copy of a loop head's environment. */
function envCopy(c: Ctx, s: Scope, env: string): t.ObjectExpression {
  const props: t.ObjectProperty[] = [];
  for (const b of s.bindings.values()) if (c.env.get(b) === env) props.push(t.objectProperty(t.identifier(b.name), t.memberExpression(t.identifier(env), t.identifier(b.name))));
  return t.objectExpression(props);
}

function patternMoves(c: Ctx, p: t.Node): boolean {
  return patternIds(p).some((id) => {
    const b = c.an.declared.get(id);
    return !!b && c.env.has(b);
  });
}

function stayingNames(c: Ctx, p: t.Node): string[] {
  return patternIds(p)
    .filter((id) => {
      const b = c.an.declared.get(id);
      return !b || !c.env.has(b);
    })
    .map((id) => id.name);
}

/** Turn the declaring identifiers of moved bindings into their environment fields (a pattern becomes an assignment target). */
function movePattern(c: Ctx, p: t.LVal): void {
  for (const id of patternIds(p)) {
    const b = c.an.declared.get(id);
    if (b && c.env.has(b)) morph(id, storage(c, b));
  }
}
