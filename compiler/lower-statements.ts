/**
 * Lowers the statements of a workflow body onto the emitter. A statement
 * without `await` is kept verbatim (a loop without awaits stays a native
 * loop); only its escaping `return`/`break`/`continue` are rewritten into
 * leaps, and its `var`s become assignments to step-level variables.
 * Statements that contain an await become numbered states.
 */
import * as t from '@babel/types';
import { Emitter, Label } from './emitter.js';
import { Exploder, UnsupportedAwait } from './explode-await.js';
import type { Entry, Leap } from './leap-manager.js';
import { certainWrites, hasAwait, patternNames } from './refs.js';
import { isFunctionNode } from './walk.js';

type Loop = t.ForStatement | t.WhileStatement | t.DoWhileStatement | t.ForInStatement | t.ForOfStatement;

const isLoop = (s: t.Node): s is Loop =>
  s.type === 'ForStatement' || s.type === 'WhileStatement' || s.type === 'DoWhileStatement' || s.type === 'ForInStatement' || s.type === 'ForOfStatement';

export class Lowerer {
  readonly x: Exploder;
  constructor(private readonly e: Emitter) {
    this.x = new Exploder(e);
  }

  statements(list: t.Statement[]): void {
    for (const s of list) this.statement(s);
  }

  statement(s: t.Statement, labels: string[] = []): void {
    const first = this.e.items.length;
    this.lower(s, labels);
    // Give generated statements the source position of the statement they came from (source maps).
    for (let i = first; i < this.e.items.length; i++) for (const n of this.e.items[i]!.nodes) if (!n.loc) n.loc = s.loc ?? null;
  }

  private leap(l: Leap): void {
    this.e.emit(l.nodes, { succ: l.succ, fall: false, defs: l.defs });
  }

  private lower(s: t.Statement, labels: string[]): void {
    switch (s.type) {
      case 'VariableDeclaration':
        return this.declaration(s);
      case 'ClassDeclaration':
        if (hasAwait(s)) throw new UnsupportedAwait(s, `'await' inside a class declaration is not supported`);
        this.e.declare(s.id!.name);
        this.e.assign(t.identifier(s.id!.name), t.classExpression(s.id, s.superClass, s.body, s.decorators));
        return;
    }
    if (!hasAwait(s)) return this.verbatim(s);
    switch (s.type) {
      case 'BlockStatement':
        return this.statements(s.body);
      case 'ExpressionStatement':
        return this.x.discard(s.expression);
      case 'IfStatement': {
        const test = this.x.explode(s.test);
        const end = new Label();
        if (!s.alternate) {
          this.e.jumpIfNot(test, end);
          this.statement(s.consequent);
        } else {
          const elseL = new Label();
          this.e.jumpIfNot(test, elseL);
          this.statement(s.consequent);
          this.e.jump(end);
          this.e.mark(elseL);
          this.statement(s.alternate);
        }
        this.e.mark(end);
        return;
      }
      case 'ReturnStatement':
        return this.leap(this.e.leaps.ret(s.argument ? this.x.explode(s.argument) : t.identifier('undefined')));
      case 'ThrowStatement':
        this.e.emit(t.throwStatement(this.x.explode(s.argument)), { fall: false, defs: [] });
        return;
      case 'LabeledStatement': {
        const names = [...labels, s.label.name];
        if (isLoop(s.body) || s.body.type === 'LabeledStatement') return this.statement(s.body, names);
        const end = new Label();
        this.e.leaps.push({ kind: 'block', names, breakL: end });
        this.statement(s.body);
        this.e.leaps.pop();
        this.e.mark(end);
        return;
      }
      case 'WhileStatement':
      case 'DoWhileStatement':
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
        return this.loop(s, labels);
      case 'SwitchStatement':
        return this.switchStatement(s, labels);
      case 'TryStatement':
        return this.tryStatement(s);
      default:
        throw new UnsupportedAwait(s, `'await' inside a ${s.type} is not supported`);
    }
  }

  private declaration(s: t.VariableDeclaration): void {
    for (const d of s.declarations) {
      const init = d.init;
      for (const n of patternNames(d.id)) this.e.declare(n);
      if (init) this.x.destructure(d.id as t.LVal, this.x.explode(init));
      else if (s.kind !== 'var') for (const n of patternNames(d.id)) this.e.assign(t.identifier(n), t.identifier('undefined'));
    }
  }

  private loop(s: Loop, names: string[]): void {
    const e = this.e;
    const end = new Label();
    const body = (continueL: Label): void => {
      e.leaps.push({ kind: 'loop', names, breakL: end, continueL });
      this.statement(s.body);
      e.leaps.pop();
    };
    switch (s.type) {
      case 'WhileStatement': {
        const head = new Label();
        e.mark(head);
        e.jumpIfNot(this.x.explode(s.test), end);
        body(head);
        e.jump(head);
        break;
      }
      case 'DoWhileStatement': {
        const top = new Label();
        const cont = new Label();
        e.mark(top);
        body(cont);
        e.mark(cont);
        e.jumpIf(this.x.explode(s.test), top);
        break;
      }
      case 'ForStatement': {
        if (s.init?.type === 'VariableDeclaration') this.declaration(s.init);
        else if (s.init) this.x.discard(s.init);
        const head = new Label();
        const cont = new Label();
        e.mark(head);
        if (s.test) e.jumpIfNot(this.x.explode(s.test), end);
        body(cont);
        e.mark(cont);
        if (s.update) this.x.discard(s.update);
        e.jump(head);
        break;
      }
      case 'ForOfStatement':
        this.forOf(s, names, end);
        break;
      case 'ForInStatement': {
        // The keys, taken when the loop starts (an iterator does not serialise), by index.
        const loop = `for…in loop at line ${s.loc?.start.line ?? '?'}`;
        const arr = e.temp(`the keys of the ${loop}`);
        const idx = e.temp(`the position in the ${loop}`);
        const obj = e.temp(`the object of the ${loop}`);
        const right = this.x.explode(s.right);
        const key = e.temp();
        e.assign(obj, right);
        e.assign(arr, t.arrayExpression([]));
        e.emit(t.forInStatement(t.cloneNode(key), t.cloneNode(obj), t.expressionStatement(t.callExpression(t.memberExpression(t.cloneNode(arr), t.identifier('push')), [t.cloneNode(key)]))), { defs: [] });
        // Keep the object for the deletion check only when it is plain data (it is then live across the awaits).
        e.assign(obj, t.conditionalExpression(plainObjectTest(obj), t.cloneNode(obj), t.nullLiteral()));
        e.assign(idx, t.numericLiteral(0));
        const head = new Label();
        e.mark(head);
        e.jumpIfNot(t.binaryExpression('<', t.cloneNode(idx), t.memberExpression(t.cloneNode(arr), t.identifier('length'))), end);
        // As in JS, a key deleted before the loop reaches it is not visited.
        const current = e.temp();
        e.assign(current, t.memberExpression(t.cloneNode(arr), t.updateExpression('++', t.cloneNode(idx)), true));
        const present = t.logicalExpression('||', t.binaryExpression('===', t.cloneNode(obj), t.nullLiteral()), t.binaryExpression('in', t.cloneNode(current), t.cloneNode(obj)));
        e.jumpIfNot(present, head);
        this.bindHead(s.left, t.cloneNode(current));
        body(head);
        e.jump(head);
        break;
      }
    }
    e.mark(end);
  }

  /** A `for…of` loop's head target: declared names, a pattern or a member. */
  private bindHead(left: t.ForInStatement['left'], item: t.Expression): void {
    if (left.type === 'VariableDeclaration') {
      const id = left.declarations[0]!.id;
      for (const n of patternNames(id)) this.e.declare(n);
      this.x.destructure(id as t.LVal, item);
    } else this.x.destructure(left, item);
  }

  /**
   * A `for…of` loop holding an await iterates through a cursor (runtime/for-of.ts):
   * data for arrays, strings, Maps and Sets, the live iterator otherwise. It is
   * parked before every suspension inside the loop, and closed when the loop
   * is left early: by a leap (the leap manager) or by an exception from the
   * head's binding or the body (the handler below), not by the iterator's own
   * failures.
   */
  private forOf(s: t.ForOfStatement, names: string[], end: Label): void {
    const e = this.e;
    const helpers = e.opts.helpers;
    const loop = `for…of loop at line ${s.loc?.start.line ?? '?'}`;
    const cursor = e.temp(`the iterator of the ${loop}`);
    const r = s.right;
    // `of o.keys()` & co: the receiver and the method's name, so that the built-in iterators of arrays, Maps and Sets stay data too.
    const method =
      r.type === 'CallExpression' && r.arguments.length === 0 && r.callee.type === 'MemberExpression' && !r.callee.computed && r.callee.object.type !== 'Super' &&
      r.callee.property.type === 'Identifier' && ['keys', 'values', 'entries'].includes(r.callee.property.name)
        ? r.callee
        : null;
    const args = method ? [this.x.explode(method.object as t.Expression), t.stringLiteral((method.property as t.Identifier).name)] : [this.x.explode(r)];
    e.assign(cursor, helpers.call('forOf', args));
    const head = new Label();
    const start = new Label();
    const handler = new Label();
    const err = e.temp(`an exception leaving the ${loop}`);
    e.mark(head);
    const item = e.temp();
    e.assign(item, helpers.call('forOfNext', [t.cloneNode(cursor)]));
    e.jumpIf(t.binaryExpression('===', t.cloneNode(item), helpers.id('forOfDone')), end);
    e.mark(start);
    e.handlers.push({ label: handler, kills: [err.name] });
    e.parking.push(cursor);
    e.leaps.push({ kind: 'loop', names, breakL: end, continueL: head, close: cursor });
    this.bindHead(s.left, t.cloneNode(item));
    this.statement(s.body);
    e.leaps.pop();
    e.parking.pop();
    e.handlers.pop();
    e.jump(head);
    e.mark(handler);
    e.regions.push({ start, end: handler, handler, onThrow: (x) => [t.expressionStatement(t.assignmentExpression('=', t.cloneNode(err), x))] });
    e.emit([t.expressionStatement(helpers.call('forOfClose', [t.cloneNode(cursor), t.booleanLiteral(true)])), t.throwStatement(t.cloneNode(err))], { fall: false, defs: [] });
  }

  private switchStatement(s: t.SwitchStatement, names: string[]): void {
    const e = this.e;
    const d = e.temp();
    e.assign(d, this.x.explode(s.discriminant));
    const end = new Label();
    const labels = s.cases.map(() => new Label());
    s.cases.forEach((c, i) => {
      if (c.test) e.jumpIf(t.binaryExpression('===', t.cloneNode(d), this.x.explode(c.test)), labels[i]!);
    });
    const def = s.cases.findIndex((c) => !c.test);
    e.jump(def >= 0 ? labels[def]! : end);
    e.leaps.push({ kind: 'switch', names, breakL: end });
    s.cases.forEach((c, i) => {
      e.mark(labels[i]!);
      this.statements(c.consequent);
    });
    e.leaps.pop();
    e.mark(end);
  }

  private tryStatement(s: t.TryStatement): void {
    const e = this.e;
    const { handler, finalizer } = s;
    const tryStart = new Label();
    const catchL = handler ? new Label() : null;
    const finL = finalizer ? new Label() : null;
    const after = new Label();
    const cvar = finalizer ? e.completionVar(s.loc?.start.line) : null;
    const fin: (Entry & { kind: 'finally' }) | null = finL && cvar ? { kind: 'finally', finallyL: finL, cvar, targets: [], returns: false } : null;

    // Where the caught error goes: the catch parameter itself, or a temporary to destructure.
    let param: t.Identifier | null = null;
    if (handler?.param?.type === 'Identifier') {
      param = t.identifier(handler.param.name);
      e.declare(param.name);
    } else if (handler?.param) param = e.temp();
    const toFinally = (): void => {
      e.emit(t.expressionStatement(t.assignmentExpression('=', t.identifier(cvar!), t.nullLiteral())), { defs: [cvar!] });
      e.jump(finL!);
    };

    if (fin) e.leaps.push(fin);
    e.mark(tryStart);
    e.handlers.push(catchL ? { label: catchL, kills: param ? [param.name] : [] } : { label: finL!, kills: [cvar!] });
    this.statements(s.block.body);
    e.handlers.pop();
    if (fin) toFinally();
    else e.jump(after);

    if (handler && catchL) {
      e.mark(catchL);
      const p = param;
      e.regions.push({ start: tryStart, end: catchL, handler: catchL, onThrow: (err) => (p ? [t.expressionStatement(t.assignmentExpression('=', t.cloneNode(p), err))] : []) });
      if (fin) e.handlers.push({ label: finL!, kills: [cvar!] });
      if (handler.param && handler.param.type !== 'Identifier') {
        for (const n of patternNames(handler.param)) e.declare(n);
        this.x.destructure(handler.param as t.LVal, t.cloneNode(param!));
      }
      this.statements(handler.body.body);
      if (fin) {
        e.handlers.pop();
        toFinally();
      } else e.jump(after);
    }

    if (fin && finL && cvar && finalizer) {
      e.leaps.pop();
      e.mark(finL);
      e.regions.push({
        start: catchL ?? tryStart,
        end: finL,
        handler: finL,
        onThrow: (err) => [t.expressionStatement(t.assignmentExpression('=', t.identifier(cvar), record('t', 'v', err)))],
      });
      this.statements(finalizer.body);
      // The finally ran to its end: resume the completion that brought us here.
      const c = (): t.Identifier => t.identifier(cvar);
      const is = (kind: string): t.Expression =>
        t.logicalExpression('&&', t.binaryExpression('!=', c(), t.nullLiteral()), t.binaryExpression('===', t.memberExpression(c(), t.identifier('t')), t.stringLiteral(kind)));
      e.emit(t.ifStatement(is('t'), t.throwStatement(t.memberExpression(c(), t.identifier('v')))), { defs: [] });
      if (fin.returns) {
        const l = e.leaps.ret(t.memberExpression(c(), t.identifier('v')));
        e.emit(t.ifStatement(is('r'), t.blockStatement(l.nodes)), { succ: l.succ, defs: [] });
      }
      for (const target of fin.targets) {
        const l = e.leaps.jumpTo(target.depth, target.label);
        const test = t.logicalExpression('&&', is('j'), t.binaryExpression('===', t.memberExpression(c(), t.identifier('to')), target.label.ref()));
        e.emit(t.ifStatement(test, t.blockStatement(l.nodes)), { succ: l.succ, defs: [] });
      }
    }
    e.mark(after);
  }

  /** Emit an await-free statement as it is, rewriting only what escapes it. */
  private verbatim(s: t.Statement): void {
    const succ: Label[] = [];
    const defs: string[] = [];
    const e = this.e;
    let rootLeap: Leap | undefined;
    const leap = (l: Leap): t.Statement => {
      succ.push(...l.succ);
      rootLeap = l;
      return t.blockStatement(l.nodes);
    };
    interface Ctx {
      loops: number;
      breakables: number;
      labels: Set<string>;
    }
    const visit = (n: t.Node, parent: t.Node | null, key: string, ctx: Ctx): t.Node | null | undefined => {
      // A nested function's or class member's jumps are its own.
      if (isFunctionNode(n) || n.type === 'ClassProperty' || n.type === 'ClassPrivateProperty' || n.type === 'StaticBlock') return undefined;
      switch (n.type) {
        case 'ReturnStatement':
          return leap(e.leaps.ret(n.argument ?? t.identifier('undefined')));
        case 'BreakStatement':
        case 'ContinueStatement': {
          const kind = n.type === 'BreakStatement' ? 'break' : 'continue';
          if (n.label ? ctx.labels.has(n.label.name) : (kind === 'break' ? ctx.breakables : ctx.loops) > 0) return undefined;
          const target = e.leaps.find(kind, n.label?.name ?? null);
          if (!target) return undefined;
          return leap(e.leaps.jumpTo(target.depth, target.label));
        }
        case 'VariableDeclaration':
          if (n.kind === 'var') return hoistVar(n, parent, key);
          break;
        case 'LabeledStatement': {
          const inner = { ...ctx, labels: new Set([...ctx.labels, n.label.name]) };
          const r = visit(n.body, n, 'body', inner);
          if (r) n.body = r as t.Statement;
          return undefined;
        }
      }
      const inner: Ctx = isLoop(n)
        ? { ...ctx, loops: ctx.loops + 1, breakables: ctx.breakables + 1 }
        : n.type === 'SwitchStatement'
          ? { ...ctx, breakables: ctx.breakables + 1 }
          : ctx;
      for (const k of t.VISITOR_KEYS[n.type] ?? []) {
        const v = (n as unknown as Record<string, unknown>)[k];
        // A loop's own head belongs to the enclosing context as far as break/continue go, but it holds none.
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) {
            const c = v[i] as t.Node | null;
            if (!c) continue;
            const r = visit(c, n, k, inner);
            if (r !== undefined) v[i] = r;
          }
        } else if (v && typeof v === 'object' && 'type' in v) {
          const r = visit(v as t.Node, n, k, inner);
          if (r !== undefined) (n as unknown as Record<string, unknown>)[k] = r;
        }
      }
      return undefined;
    };
    const hoistVar = (d: t.VariableDeclaration, parent: t.Node | null, key: string): t.Node | null => {
      const assigns: t.Expression[] = [];
      for (const decl of d.declarations) {
        for (const n of patternNames(decl.id)) e.declare(n);
        if (decl.init) assigns.push(t.assignmentExpression('=', decl.id as t.LVal, decl.init));
      }
      if (parent && (parent.type === 'ForInStatement' || parent.type === 'ForOfStatement') && key === 'left') return d.declarations[0]!.id;
      const expr = assigns.length === 0 ? null : assigns.length === 1 ? assigns[0]! : t.sequenceExpression(assigns);
      if (parent && parent.type === 'ForStatement' && key === 'init') return expr;
      return expr ? t.expressionStatement(expr) : t.emptyStatement();
    };
    const root = visit(s, null, '', { loops: 0, breakables: 0, labels: new Set() });
    // The statement itself is a return/break/continue: a leap that always happens (its writes are certain, nothing falls through).
    if (root && rootLeap) return this.leap(rootLeap);
    const out = (root ?? s) as t.Statement;
    defs.push(...certainWrites(out));
    e.emit(out, { succ, defs });
  }
}

function record(kind: string, field: string, value: t.Expression): t.ObjectExpression {
  return t.objectExpression([t.objectProperty(t.identifier('t'), t.stringLiteral(kind)), t.objectProperty(t.identifier(field), value)]);
}

/** `o` is an array or an object whose prototype is Object.prototype or null. */
function plainObjectTest(o: t.Identifier): t.Expression {
  const proto = t.callExpression(t.memberExpression(t.identifier('Object'), t.identifier('getPrototypeOf')), [t.cloneNode(o)]);
  const plainProto = t.callExpression(t.memberExpression(t.arrayExpression([t.memberExpression(t.identifier('Object'), t.identifier('prototype')), t.nullLiteral()]), t.identifier('includes')), [proto]);
  const isObject = t.logicalExpression('&&', t.binaryExpression('!==', t.cloneNode(o), t.nullLiteral()), t.binaryExpression('===', t.unaryExpression('typeof', t.cloneNode(o)), t.stringLiteral('object')));
  const isArray = t.callExpression(t.memberExpression(t.identifier('Array'), t.identifier('isArray')), [t.cloneNode(o)]);
  return t.logicalExpression('&&', isObject, t.logicalExpression('||', isArray, plainProto));
}
