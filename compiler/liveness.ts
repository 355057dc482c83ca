/**
 * Backward liveness over the emitter's items. A variable is live at a point
 * when some path from there reads it before writing it; exception edges lead
 * to the handler in force. What is live where a suspension resumes is exactly
 * what the suspension writes into `frame.locals`.
 */
import * as t from '@babel/types';
import type { Emitter, Label } from './emitter.js';
import { readsOf } from './refs.js';

export function computeLiveness(e: Emitter): void {
  const items = e.items;
  const at = new Map<Label, number>();
  items.forEach((it, i) => it.mark && at.set(it.mark, i));
  const index = (l: Label): number => {
    const i = at.get(l);
    if (i === undefined) throw new Error('reawait compiler: jump to a label that was never placed');
    return i;
  };

  const uses = items.map((it) => {
    const raw = new Set<string>();
    for (const n of it.nodes) readsOf(n as t.Node, raw);
    const out = new Set<string>();
    for (const n of raw) if (e.vars.has(n)) out.add(n);
    return out;
  });

  // Live sets as bitsets over e.vars (in its order): the fixpoint below rebuilds every set on each round.
  const order = [...e.vars];
  const bit = new Map(order.map((v, i) => [v, i]));
  const words = (order.length + 31) >>> 5;
  const set = (names: Iterable<string>): Uint32Array => {
    const b = new Uint32Array(words);
    for (const n of names) {
      const i = bit.get(n);
      if (i !== undefined) b[i >>> 5]! |= 1 << (i & 31);
    }
    return b;
  };
  const plan = items.map((it, i) => {
    const throws = it.handler !== null && mayThrow(it.nodes);
    return {
      next: it.fall && i + 1 < items.length ? i + 1 : -1,
      succ: it.succ.map(index),
      keep: set(it.defs).map((w) => ~w),
      uses: set(uses[i]!),
      handler: throws ? index(it.handler!.label) : -1,
      handlerKeep: throws ? set(it.handler!.kills).map((w) => ~w) : null,
    };
  });

  const live: Uint32Array[] = items.map(() => new Uint32Array(words));
  const out = new Uint32Array(words);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = items.length - 1; i >= 0; i--) {
      const p = plan[i]!;
      out.fill(0);
      if (p.next >= 0) or(out, live[p.next]!);
      for (const s of p.succ) or(out, live[s]!);
      for (let w = 0; w < words; w++) out[w] = (out[w]! & p.keep[w]!) | p.uses[w]!;
      if (p.handler >= 0) for (let w = 0; w < words; w++) out[w]! |= live[p.handler]![w]! & p.handlerKeep![w]!;
      const cur = live[i]!;
      for (let w = 0; w < words; w++)
        if (cur[w] !== out[w]) {
          cur.set(out);
          changed = true;
          break;
        }
    }
  }

  for (const s of e.suspensions) {
    const here = live[index(s.resume)]!;
    s.live = order.filter((_, i) => (here[i >>> 5]! & (1 << (i & 31))) !== 0);
  }
}

function or(into: Uint32Array, from: Uint32Array): void {
  for (let w = 0; w < into.length; w++) into[w]! |= from[w]!;
}

/** Plain copies (`a = b`, `a = 1`, `pc = N; continue`) cannot throw, so they add no exception edge. */
function mayThrow(nodes: t.Statement[]): boolean {
  return !nodes.every(
    (n) =>
      n.type === 'ContinueStatement' ||
      (n.type === 'ExpressionStatement' &&
        n.expression.type === 'AssignmentExpression' &&
        n.expression.operator === '=' &&
        n.expression.left.type === 'Identifier' &&
        isPlainValue(n.expression.right)),
  );
}

function isPlainValue(e: t.Expression): boolean {
  if (e.type === 'Identifier') return true;
  if (e.type === 'UnaryExpression' && (e.operator === '-' || e.operator === '!' || e.operator === 'void')) return t.isLiteral(e.argument);
  return t.isLiteral(e) && e.type !== 'TemplateLiteral';
}
