/**
 * The leap manager: where `break`, `continue` and `return` go, and how they
 * pass through the `finally` blocks in between. Crossing a lowered finally
 * stores a completion record in that finally's hidden local and jumps to it;
 * the finally's end then resumes the leap (see lower-statements).
 */
import * as t from '@babel/types';
import type { Emitter, Label } from './emitter.js';

export type Entry =
  | { kind: 'loop'; names: string[]; breakL: Label; continueL: Label }
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

  private innermostFinally(from: number, downTo: number): (Entry & { kind: 'finally' }) | null {
    for (let i = from - 1; i > downTo; i--) {
      const en = this.stack[i]!;
      if (en.kind === 'finally') return en;
    }
    return null;
  }

  jumpTo(depth: number, label: Label, from = this.stack.length): Leap {
    const fin = this.innermostFinally(from, depth);
    if (!fin) return { nodes: this.e.jumpNodes(label), succ: [label], defs: [] };
    if (!fin.targets.some((x) => x.label === label)) fin.targets.push({ depth, label });
    return this.viaFinally(fin, [t.objectProperty(t.identifier('t'), t.stringLiteral('j')), t.objectProperty(t.identifier('to'), label.ref())]);
  }

  ret(value: t.Expression, from = this.stack.length): Leap {
    const fin = this.innermostFinally(from, -1);
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
    return this.viaFinally(fin, [t.objectProperty(t.identifier('t'), t.stringLiteral('r')), t.objectProperty(t.identifier('v'), value)]);
  }

  private viaFinally(fin: Entry & { kind: 'finally' }, record: t.ObjectProperty[]): Leap {
    return {
      nodes: [t.expressionStatement(t.assignmentExpression('=', t.identifier(fin.cvar), t.objectExpression(record))), ...this.e.jumpNodes(fin.finallyL)],
      succ: [fin.finallyL],
      defs: [fin.cvar],
    };
  }
}
