/**
 * A child execution that ended settles its op in each parent execution that
 * awaits it. The store keeps the child in its `notify` set until this is
 * done, so the recovery sweep finishes it if a crash came in between.
 */
import type { Queue } from '../queue.js';
import { isTerminal, type ExecutionRecord, type ParentLink, type Store } from '../store.js';
import { encodeError } from './payload.js';
import { decodeValue } from '../codec.js';
import { describeThrown } from '../thrown.js';

export async function settleParent(ctx: { store: Store; queue: Queue }, child: ExecutionRecord, parent: ParentLink): Promise<void> {
  const ok = child.status === 'completed';
  const payload = ok ? child.result! : (child.error ?? encodeError(new Error(`child workflow '${child.id}' ended as ${child.status}`)));
  const event = ok
    ? { t: Date.now(), type: 'child completed', op: parent.op, child: child.id }
    : { t: Date.now(), type: 'child failed', op: parent.op, child: child.id, error: errorMessage(payload) };
  const outcome = await ctx.store.settle(parent.id, parent.op, ok, payload, event);
  if (outcome === 'ready') {
    const rec = await ctx.store.load(parent.id);
    if (rec?.status === 'ready') await ctx.queue.pushResume({ executionId: parent.id, rev: rec.rev });
  }
}

/** Notify the parents of an ended child, then take it off the notify set. */
export async function notifyParent(ctx: { store: Store; queue: Queue }, childId: string): Promise<void> {
  const child = await ctx.store.load(childId);
  if (child && isTerminal(child.status)) for (const link of child.parents ?? []) await settleParent(ctx, child, link);
  await ctx.store.clearNotify(childId);
}

export function errorMessage(encoded: string): string {
  try {
    return describeThrown(decodeValue(encoded));
  } catch {
    return '(undecodable error)';
  }
}
