/**
 * Linearises expressions that contain `await` into temporaries, preserving
 * JavaScript's evaluation order and short-circuiting. `explode(e)` emits the
 * statements that must run first and returns an await-free expression that
 * finishes the computation. Anything evaluated before a later `await` is kept
 * in a temporary (temporaries are locals like any other: saved only when live).
 * A call's receiver is kept rather than the looked-up method, since functions
 * do not serialise; names from module scope are simply re-read.
 */
import * as t from '@babel/types';
import { Emitter, Label } from './emitter.js';
import { hasAwait, patternNames } from './refs.js';

export class UnsupportedAwait extends Error {
  constructor(
    readonly node: t.Node,
    message: string,
  ) {
    super(message);
  }
}

type Target = t.Identifier | t.MemberExpression;

export class Exploder {
  constructor(private readonly e: Emitter) {}

  /** An expression whose value cannot change before it is used: a literal, a temporary, a module-scope name. */
  private stable(x: t.Expression): boolean {
    if (t.isLiteral(x) && x.type !== 'TemplateLiteral') return true;
    if (x.type === 'Identifier') return this.e.temps.has(x.name) || !this.e.opts.unstable.has(x.name);
    return false;
  }

  /** Explode, and pin the value in a temporary when something awaited comes after it. */
  private pinned(x: t.Expression, later: boolean): t.Expression {
    const v = this.explode(x);
    if (!later || this.stable(v)) return v;
    const tmp = this.e.temp();
    this.e.assign(tmp, v);
    return t.cloneNode(tmp);
  }

  /** Evaluate an expression only for its effects. */
  discard(x: t.Expression): void {
    const v = this.explode(x);
    if (this.stable(v) || v.type === 'Identifier') return;
    this.e.exprStatement(v, x.loc);
  }

  explode(x: t.Expression): t.Expression {
    if (!hasAwait(x)) return x;
    switch (x.type) {
      case 'AwaitExpression': {
        // Compute the awaited value first: its side effects (`await f(i++)`) belong in the saved state.
        let v = this.explode(x.argument);
        if (!this.stable(v)) {
          const tmp = this.e.temp();
          this.e.assign(tmp, v);
          v = t.cloneNode(tmp);
        }
        return this.e.suspend(v, x.loc);
      }
      case 'ParenthesizedExpression':
        return this.explode(x.expression);
      case 'SequenceExpression': {
        const last = x.expressions.length - 1;
        x.expressions.slice(0, last).forEach((s) => this.discard(s));
        return this.explode(x.expressions[last]!);
      }
      case 'MemberExpression': {
        const obj = this.pinned(x.object as t.Expression, x.computed && hasAwait(x.property));
        return t.memberExpression(obj, x.computed ? this.explode(x.property as t.Expression) : x.property, x.computed);
      }
      case 'CallExpression':
        return this.call(x);
      case 'NewExpression': {
        const later = x.arguments.some(hasAwait);
        const callee = x.callee.type === 'Identifier' ? x.callee : this.pinned(x.callee as t.Expression, later);
        return t.newExpression(callee, this.list(x.arguments));
      }
      case 'OptionalMemberExpression':
      case 'OptionalCallExpression':
        return this.optionalChain(x);
      case 'LogicalExpression':
        return this.logical(x);
      case 'ConditionalExpression': {
        const test = this.explode(x.test);
        if (!hasAwait(x.consequent) && !hasAwait(x.alternate)) return t.conditionalExpression(test, x.consequent, x.alternate);
        const res = this.e.temp();
        const elseL = new Label();
        const end = new Label();
        this.e.jumpIfNot(test, elseL);
        this.e.assign(res, this.explode(x.consequent));
        this.e.jump(end);
        this.e.mark(elseL);
        this.e.assign(res, this.explode(x.alternate));
        this.e.mark(end);
        return t.cloneNode(res);
      }
      case 'BinaryExpression': {
        if (x.left.type === 'PrivateName') throw new UnsupportedAwait(x, `'#x in obj' with await`);
        const left = this.pinned(x.left, hasAwait(x.right));
        return t.binaryExpression(x.operator, left, this.explode(x.right));
      }
      case 'UnaryExpression': {
        if (x.operator === 'delete') return this.deletion(x.argument);
        return t.unaryExpression(x.operator, this.explode(x.argument), x.prefix);
      }
      case 'UpdateExpression': {
        if (x.argument.type !== 'MemberExpression') throw new UnsupportedAwait(x, `await in the target of '${x.operator}'`);
        return t.updateExpression(x.operator, this.target(x.argument, false), x.prefix);
      }
      case 'AssignmentExpression':
        return this.assignment(x);
      case 'ArrayExpression':
        return t.arrayExpression(this.list(x.elements));
      case 'ObjectExpression':
        return this.object(x);
      case 'TemplateLiteral':
        return t.templateLiteral(x.quasis, this.list(x.expressions as t.Expression[]) as t.Expression[]);
      case 'TaggedTemplateExpression': {
        const tag = x.tag.type === 'MemberExpression' ? this.target(x.tag, hasAwait(x.quasi)) : x.tag.type === 'Identifier' ? x.tag : this.pinned(x.tag, true);
        return t.taggedTemplateExpression(tag, t.templateLiteral(x.quasi.quasis, this.list(x.quasi.expressions as t.Expression[]) as t.Expression[]));
      }
      default:
        throw new UnsupportedAwait(x, `'await' inside ${article(x.type)} is not supported yet; compute the awaited value into a const first`);
    }
  }

  /** Arguments / elements in order; spreads that precede an await are materialised (iterators do not serialise). */
  private list<T extends t.Node | null>(items: T[]): T[] {
    return items.map((item, i) => {
      if (item === null) return item;
      const later = items.slice(i + 1).some((n) => n !== null && hasAwait(n));
      if (item.type === 'SpreadElement') {
        const arg = this.explode(item.argument);
        if (!later) return t.spreadElement(arg) as unknown as T;
        const tmp = this.e.temp();
        this.e.assign(tmp, t.arrayExpression([t.spreadElement(arg)]));
        return t.spreadElement(t.cloneNode(tmp)) as unknown as T;
      }
      if (item.type === 'ArgumentPlaceholder' || item.type === 'JSXNamespacedName') return item;
      return this.pinned(item as unknown as t.Expression, later) as unknown as T;
    });
  }

  private object(x: t.ObjectExpression): t.ObjectExpression {
    const props = x.properties;
    const laterAt = (i: number, inKey = false): boolean => {
      const p = props[i]!;
      if (inKey && p.type === 'ObjectProperty' && hasAwait(p.value)) return true;
      return props.slice(i + 1).some((q) => hasAwait(q));
    };
    return t.objectExpression(
      props.map((p, i) => {
        if (p.type === 'SpreadElement') {
          const arg = this.explode(p.argument);
          if (!laterAt(i)) return t.spreadElement(arg);
          const tmp = this.e.temp();
          this.e.assign(tmp, t.objectExpression([t.spreadElement(arg)]));
          return t.spreadElement(t.cloneNode(tmp));
        }
        if (p.type === 'ObjectMethod') {
          if (p.computed) p.key = this.pinned(p.key, laterAt(i));
          return p;
        }
        const key = p.computed ? this.pinned(p.key as t.Expression, laterAt(i, true)) : p.key;
        const value = this.pinned(p.value as t.Expression, laterAt(i));
        return t.objectProperty(key, value, p.computed, p.shorthand && value.type === 'Identifier' && key.type === 'Identifier' && value.name === key.name);
      }),
    );
  }

  /** A member target `o.p` / `o[k]` with the object (and key) pinned when something awaited follows. */
  private target(m: t.MemberExpression, laterAfter: boolean): t.MemberExpression {
    const keyAwaits = m.computed && hasAwait(m.property);
    const obj = this.pinned(m.object as t.Expression, keyAwaits || laterAfter);
    const prop = m.computed ? this.pinned(m.property as t.Expression, laterAfter) : m.property;
    return t.memberExpression(obj, prop, m.computed);
  }

  private call(x: t.CallExpression): t.Expression {
    const later = x.arguments.some(hasAwait);
    let callee: t.Expression | t.V8IntrinsicIdentifier;
    // `(a, f)(…)`: run the prefix for effect, then call through the last expression like any callee.
    let c = x.callee;
    while (c.type === 'SequenceExpression' && (c.expressions.at(-1)!.type === 'Identifier' || c.expressions.at(-1)!.type === 'MemberExpression')) {
      c.expressions.slice(0, -1).forEach((s) => this.discard(s));
      c = c.expressions.at(-1)!;
    }
    if (c !== x.callee) x = t.callExpression(c, x.arguments);
    if (x.callee.type === 'MemberExpression') callee = this.target(x.callee, later);
    else if (x.callee.type === 'Identifier' || x.callee.type === 'Import' || x.callee.type === 'Super' || x.callee.type === 'V8IntrinsicIdentifier') callee = x.callee;
    else callee = this.pinned(x.callee, later);
    const call = t.callExpression(callee, this.list(x.arguments));
    call.loc = x.loc;
    return call;
  }

  private logical(x: t.LogicalExpression): t.Expression {
    const left = this.explode(x.left);
    if (!hasAwait(x.right)) return t.logicalExpression(x.operator, left, x.right);
    const res = this.e.temp();
    const end = new Label();
    this.e.assign(res, left);
    this.shortCircuit(x.operator, res, end);
    this.e.assign(res, this.explode(x.right));
    this.e.mark(end);
    return t.cloneNode(res);
  }

  /** Jump to `end` when `value` already decides `op`. */
  private shortCircuit(op: '&&' | '||' | '??', value: t.Identifier, end: Label): void {
    const v = t.cloneNode(value);
    if (op === '&&') this.e.jumpIfNot(v, end);
    else if (op === '||') this.e.jumpIf(v, end);
    else this.e.jumpIf(t.binaryExpression('!=', v, t.nullLiteral()), end);
  }

  private assignment(x: t.AssignmentExpression): t.Expression {
    const op = x.operator;
    if (x.left.type !== 'Identifier' && x.left.type !== 'MemberExpression') {
      if (op !== '=') throw new UnsupportedAwait(x, `'${op}' on a pattern`);
      const value = this.explode(x.right);
      if (!hasAwait(x.left)) return t.assignmentExpression('=', x.left, value);
      const tmp = this.e.temp();
      this.e.assign(tmp, value);
      this.destructure(x.left as t.LVal, tmp);
      return t.cloneNode(tmp);
    }
    const later = hasAwait(x.right);
    const target: Target = x.left.type === 'Identifier' ? x.left : this.target(x.left, later);
    if (op === '=') return t.assignmentExpression('=', target, this.explode(x.right));
    if (op === '||=' || op === '&&=' || op === '??=') {
      const res = this.e.temp();
      const end = new Label();
      this.e.assign(res, t.cloneNode(target));
      this.shortCircuit(op.slice(0, 2) as '&&' | '||' | '??', res, end);
      this.e.assign(res, t.assignmentExpression('=', t.cloneNode(target), this.explode(x.right)));
      this.e.mark(end);
      return t.cloneNode(res);
    }
    // Compound: the old value is read before the right side runs, as in JS.
    const old = this.e.temp();
    this.e.assign(old, t.cloneNode(target));
    const right = this.explode(x.right);
    return t.assignmentExpression('=', t.cloneNode(target), t.binaryExpression(op.slice(0, -1) as t.BinaryExpression['operator'], t.cloneNode(old), right));
  }

  /**
   * Destructure `value` (a temporary or stable expression) into `pattern`
   * step by step, for patterns whose defaults or computed keys await.
   * Await-free patterns are emitted as one native destructuring assignment.
   */
  destructure(pattern: t.LVal | t.PatternLike, value: t.Expression): void {
    if (!hasAwait(pattern) && pattern.type !== 'AssignmentPattern') {
      if (pattern.type === 'Identifier') this.e.assign(pattern, value);
      else this.e.emit(t.expressionStatement(t.assignmentExpression('=', pattern as t.LVal, value)), { defs: patternNames(pattern) });
      return;
    }
    switch (pattern.type) {
      case 'AssignmentPattern': {
        // JS evaluates a member target's reference before reading the value and its default.
        const left = pattern.left.type === 'MemberExpression' ? this.target(pattern.left, true) : pattern.left;
        const tmp = this.e.temp();
        const skip = new Label();
        this.e.assign(tmp, value);
        this.e.jumpIf(t.binaryExpression('!==', t.cloneNode(tmp), t.identifier('undefined')), skip);
        this.e.assign(tmp, this.explode(pattern.right));
        this.e.mark(skip);
        this.destructure(left, t.cloneNode(tmp));
        return;
      }
      case 'ObjectPattern': {
        const src = this.e.temp();
        this.e.assign(src, value);
        // Let JS raise its own TypeError for null/undefined.
        this.e.emit(t.expressionStatement(t.assignmentExpression('=', t.objectPattern([]), t.cloneNode(src))), { defs: [] });
        const keys: t.Expression[] = [];
        for (const p of pattern.properties) {
          if (p.type === 'RestElement') {
            const rest = this.e.temp();
            this.e.assign(rest, t.callExpression(t.memberExpression(t.identifier('Object'), t.identifier('assign')), [t.objectExpression([]), t.cloneNode(src)]));
            for (const k of keys) this.e.exprStatement(t.unaryExpression('delete', t.memberExpression(t.cloneNode(rest), t.cloneNode(k), true)));
            this.destructure(p.argument, t.cloneNode(rest));
            continue;
          }
          let key: t.Expression;
          if (p.computed) {
            const k = this.e.temp();
            this.e.assign(k, this.explode(p.key as t.Expression));
            key = k;
          } else key = p.key.type === 'Identifier' ? t.stringLiteral(p.key.name) : (p.key as t.Expression);
          keys.push(key);
          this.destructure(p.value as t.PatternLike, t.memberExpression(t.cloneNode(src), t.cloneNode(key), true));
        }
        return;
      }
      case 'ArrayPattern': {
        const arr = this.e.temp();
        this.e.assign(arr, t.arrayExpression([t.spreadElement(value)]));
        pattern.elements.forEach((el, i) => {
          if (!el) return;
          if (el.type === 'RestElement')
            this.destructure(el.argument, t.callExpression(t.memberExpression(t.cloneNode(arr), t.identifier('slice')), [t.numericLiteral(i)]));
          else this.destructure(el, t.memberExpression(t.cloneNode(arr), t.numericLiteral(i), true));
        });
        return;
      }
      case 'MemberExpression': {
        const m = hasAwait(pattern) ? this.target(pattern, false) : pattern;
        this.e.exprStatement(t.assignmentExpression('=', m, value));
        return;
      }
      default:
        throw new UnsupportedAwait(pattern, `'await' inside this destructuring target`);
    }
  }

  /**
   * `delete` of what holds an await: a member is deleted from its (pinned)
   * object; an optional chain that short-circuits deletes nothing and gives
   * true; anything else is evaluated and gives true, as in JS (never a
   * `delete temporary`, which strict mode rejects).
   */
  private deletion(arg: t.Expression): t.Expression {
    if (arg.type === 'MemberExpression') return t.unaryExpression('delete', this.target(arg, false));
    if (arg.type === 'OptionalMemberExpression') {
      const res = this.e.temp();
      const nullish = new Label();
      const end = new Label();
      const link = this.chainLink(arg, nullish, false) as t.MemberExpression;
      this.e.assign(res, t.unaryExpression('delete', link));
      this.e.jump(end);
      this.e.mark(nullish);
      this.e.assign(res, t.booleanLiteral(true));
      this.e.mark(end);
      return t.cloneNode(res);
    }
    return t.sequenceExpression([this.explode(arg), t.booleanLiteral(true)]);
  }

  /**
   * An optional chain containing await: each `?.` link tests the value so far
   * and short-circuits the whole chain to undefined, so nothing to its right
   * (awaits included) runs when it is nullish.
   */
  private optionalChain(x: t.OptionalMemberExpression | t.OptionalCallExpression): t.Expression {
    const res = this.e.temp();
    const nullish = new Label();
    const end = new Label();
    this.e.assign(res, this.chainLink(x, nullish, false));
    this.e.jump(end);
    this.e.mark(nullish);
    this.e.assign(res, t.identifier('undefined'));
    this.e.mark(end);
    return t.cloneNode(res);
  }

  private chainObject(x: t.Expression, nullish: Label, later: boolean): t.Expression {
    if (x.type === 'OptionalMemberExpression' || x.type === 'OptionalCallExpression') return this.pinTo(this.chainLink(x, nullish, later), later);
    return this.pinned(x, later);
  }

  private pinTo(v: t.Expression, later: boolean): t.Expression {
    if (!later || this.stable(v)) return v;
    const tmp = this.e.temp();
    this.e.assign(tmp, v);
    return t.cloneNode(tmp);
  }

  /** Test `v` for nullish (jumping to `nullish`), keeping it in a temporary. */
  private guard(v: t.Expression, nullish: Label): t.Expression {
    const tmp = this.stable(v) ? v : this.e.temp();
    if (tmp !== v) this.e.assign(tmp as t.Identifier, v);
    this.e.jumpIf(t.binaryExpression('==', t.cloneNode(tmp), t.nullLiteral()), nullish);
    return t.cloneNode(tmp);
  }

  private chainLink(x: t.Expression, nullish: Label, later: boolean): t.Expression {
    if (x.type === 'OptionalMemberExpression' || x.type === 'MemberExpression') {
      const keyAwaits = x.computed && hasAwait(x.property);
      let obj = this.chainObject(x.object as t.Expression, nullish, keyAwaits || later || x.optional === true);
      if (x.optional) obj = this.guard(obj, nullish);
      const prop = x.computed ? this.pinTo(this.explode(x.property as t.Expression), later) : x.property;
      return t.memberExpression(obj, prop, x.computed);
    }
    if (x.type === 'OptionalCallExpression' || x.type === 'CallExpression') {
      const argsAwait = x.arguments.some(hasAwait) || later;
      let callee: t.Expression;
      const c = x.callee as t.Expression;
      if (c.type === 'MemberExpression' || c.type === 'OptionalMemberExpression') {
        // The receiver is read again for the call: keep it in a temporary.
        let obj = this.chainObject(c.object as t.Expression, nullish, true);
        if (c.optional) obj = this.guard(obj, nullish);
        const prop = c.computed ? this.pinTo(this.explode(c.property as t.Expression), argsAwait) : c.property;
        callee = t.memberExpression(obj, prop, c.computed);
      } else callee = this.chainObject(c, nullish, argsAwait || x.optional === true);
      if (x.optional) this.e.jumpIf(t.binaryExpression('==', t.cloneNode(callee), t.nullLiteral()), nullish);
      return t.callExpression(callee, this.list(x.arguments));
    }
    return this.explode(x);
  }
}

function article(type: string): string {
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return (/^[aeiou]/.test(words) ? 'an ' : 'a ') + words;
}
