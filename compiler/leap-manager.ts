/**
 * The leap manager: where `break`, `continue` and `return` go, and how they
 * pass through the `finally` blocks in between. Crossing a lowered finally
 * stores a completion record in that finally's hidden local and jumps to it;
 * the finally's end then resumes the leap (see lower-statements). Leaving a
 * lowered `for…of` other than by `continue` closes its iterator first
 * (IteratorClose), innermost first, as JS does.
 */
import * as t from '@babel/types';
import type { Emitter, Label } from './emitter.js';

export type Entry =
  /** `close`: a for…of loop's cursor, closed when a leap leaves the loop. */
  | { kind: 'loop'; names: string[]; breakL: Label; continueL: Label; close?: t.Identifier }
  | { kind: 'switch' | 'block'; names: string[]; breakL: Label }
  | { kind: 'finally'; finallyL: Label; cvar: string; targets: { depth: number; label: Label }[]; returns: boolean };

/** Statements that leave the current point; they never fall through. */
export interface Leap {
  nodes: t.Statement[];
  succ: Label[];
  defs: string[];
}

export class LeapManager {
  readonly stack: Entry[] = [];
  constructor(private readonly e: Emitter) {}

  push(entry: Entry): void {
    this.stack.push(entry);
  }
  pop(): void {
    this.stack.pop();
  }

  /** The entry a break/continue refers to (by label name, or the innermost loop/switch). */
  find(kind: 'break' | 'continue', name: string | null): { depth: number; label: Label } | null {
    for (let i = this.stack.length - 1; i >= 0; i--) {
      const en = this.stack[i]!;
      if (en.kind === 'finally') continue;
      if (name !== null) {
        if (!en.names.includes(name)) continue;
        if (kind === 'continue') return en.kind === 'loop' ? { depth: i, label: en.continueL } : null;
        return { depth: i, label: en.breakL };
      }
      if (kind === 'continue' && en.kind === 'loop') return { depth: i, label: en.continueL };
      if (kind === 'break' && (en.kind === 'loop' || en.kind === 'switch')) return { depth: i, label: en.breakL };
    }
    return null;
  }

  /**
   * The for…of loops a leap from `from` to `depth` leaves before it reaches
   * a finally (closed in that order), and that finally, if any.
   */
  private crossing(from: number, depth: number, label: Label | null): { closes: t.Statement[]; fin: (Entry & { kind: 'finally' }) | null } {
    const closes: t.Statement[] = [];
    for (let i = from - 1; i >= Math.max(depth, 0); i--) {
      const en = this.stack[i]!;
      if (i > depth && en.kind === 'finally') return { closes, fin: en };
      if (en.kind === 'loop' && en.close && (i > depth || label === en.breakL))
        closes.push(t.expressionStatement(this.e.opts.helpers.call('forOfClose', [t.cloneNode(en.close)])));
    }
    return { closes, fin: null };
  }

  jumpTo(depth: number, label: Label, from = this.stack.length): Leap {
    const { closes, fin } = this.crossing(from, depth, label);
    if (!fin) return { nodes: [...closes, ...this.e.jumpNodes(label)], succ: [label], defs: [] };
    if (!fin.targets.some((x) => x.label === label)) fin.targets.push({ depth, label });
    return this.viaFinally(fin, [t.objectProperty(t.identifier('t'), t.stringLiteral('j')), t.objectProperty(t.identifier('to'), label.ref())], closes);
  }

  ret(value: t.Expression, from = this.stack.length): Leap {
    const { closes, fin } = this.crossing(from, -1, null);
    if (!fin && closes.length) {
      // The returned value is evaluated before the iterators close.
      const v = this.e.temp();
      const rest = this.ret(t.cloneNode(v), 0);
      return { nodes: [t.expressionStatement(t.assignmentExpression('=', v, value)), ...closes, ...rest.nodes], succ: rest.succ, defs: rest.defs };
    }
    if (!fin && this.e.maybeThenable(value)) {
      // `return thenable` resolves it, as an async function does: via the exit state.
      const exit = this.e.exit();
      return {
        nodes: [t.expressionStatement(t.assignmentExpression('=', t.identifier(exit.value), value)), ...this.e.jumpNodes(exit.label)],
        succ: [exit.label],
        defs: [exit.value],
      };
    }
    if (!fin) {
      return {
        nodes: [t.returnStatement(t.objectExpression([t.objectProperty(t.identifier('done'), t.booleanLiteral(true)), t.objectProperty(t.identifier('value'), value)]))],
        succ: [],
        defs: [],
      };
    }
    fin.returns = true;
    return this.viaFinally(fin, [t.objectProperty(t.identifier('t'), t.stringLiteral('r')), t.objectProperty(t.identifier('v'), value)], closes);
  }

  private viaFinally(fin: Entry & { kind: 'finally' }, record: t.ObjectProperty[], closes: t.Statement[]): Leap {
    return {
      nodes: [t.expressionStatement(t.assignmentExpression('=', t.identifier(fin.cvar), t.objectExpression(record))), ...closes, ...this.e.jumpNodes(fin.finallyL)],
      succ: [fin.finallyL],
      defs: [fin.cvar],
    };
  }
}
