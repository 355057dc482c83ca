/**
 * Backward liveness over the emitter's items. A variable is live at a point
 * when some path from there reads it before writing it; exception edges lead
 * to the handler in force. What is live where a suspension resumes is exactly
 * what the suspension writes into `frame.locals`.
 */
import { types as t } from '@babel/core';
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

  // What calling an inner function / const arrow may read: everything its body reads, transitively.
  const code = new Map<string, Set<string>>(e.codeBindings.map((b) => [b.name, readsOf(b.node)]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const reads of code.values())
      for (const n of [...reads]) {
        const more = code.get(n);
        if (more) for (const m of more) if (!reads.has(m)) (reads.add(m), (changed = true));
      }
  }
  const uses = items.map((it) => {
    const raw = new Set<string>();
    for (const n of it.nodes) readsOf(n as t.Node, raw);
    const out = new Set<string>();
    for (const n of raw) {
      if (e.vars.has(n)) out.add(n);
      const more = code.get(n);
      if (more) for (const m of more) if (e.vars.has(m)) out.add(m);
    }
    return out;
  });

  const live: Set<string>[] = items.map(() => new Set());
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = items.length - 1; i >= 0; i--) {
      const it = items[i]!;
      const out = new Set<string>();
      if (it.fall && i + 1 < items.length) for (const v of live[i + 1]!) out.add(v);
      for (const s of it.succ) for (const v of live[index(s)]!) out.add(v);
      for (const d of it.defs) out.delete(d);
      for (const u of uses[i]!) out.add(u);
      if (it.handler && mayThrow(it.nodes)) {
        const kills = new Set(it.handler.kills);
        for (const v of live[index(it.handler.label)]!) if (!kills.has(v)) out.add(v);
      }
      if (out.size !== live[i]!.size) {
        live[i] = out;
        changed = true;
      }
    }
  }

  const order = [...e.vars];
  for (const s of e.suspensions) {
    const here = live[index(s.resume)]!;
    s.live = order.filter((v) => here.has(v));
  }
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
