/**
 * Dispatching the outbox (outbox.ts) of a committed step: built before the
 * commit and stored with it; pushed after the commit (never before), and
 * again by the recovery sweep if a crash came between the commit and
 * clearDispatch(). Job ids are deterministic, so a second push of the same
 * job is harmless.
 */
import type { LeafCommand } from '../contract.js';
import { encodeValue } from '../codec.js';
import { loneCall, type Outbox } from '../outbox.js';
import type { Queue } from '../queue.js';
import type { HistoryEvent, QueuedJobs, Store } from '../store.js';
import { isTerminal } from '../store.js';
import type { WorkflowRegistry } from './registry.js';
import { settleParent } from './parent.js';

export interface DispatchContext {
  store: Store;
  queue: Queue;
  workflows: WorkflowRegistry;
}

/**
 * The outbox of the ops a step started. Timers fire `ms` after `now` (the
 * commit), also when the sweep pushes them again. Arguments that cannot be
 * encoded throw ValueEncodeError naming the activity or child.
 */
export function buildOutbox(ctx: Pick<DispatchContext, 'workflows'>, executionId: string, workflow: string, started: readonly { op: number; cmd: LeafCommand }[], now: number): Outbox {
  const out: Outbox = { activities: [], timers: [], children: [] };
  for (const { op, cmd } of started) {
    switch (cmd.kind) {
      case 'call':
        out.activities.push({ executionId, op, activity: cmd.activity, args: encodeValue(cmd.args, `the arguments of activity '${cmd.activity}' called by workflow '${workflow}'`, false), options: cmd.options ?? {} });
        break;
      case 'sleep':
        out.timers.push({ job: { executionId, op, kind: 'sleep' }, at: now + cmd.ms });
        break;
      case 'signal':
        if (cmd.timeoutMs !== undefined) out.timers.push({ job: { executionId, op, kind: 'signal-timeout' }, at: now + cmd.timeoutMs });
        break;
      case 'child':
        out.children.push({
          id: cmd.id!,
          workflow: cmd.workflow,
          version: ctx.workflows.get(cmd.workflow)?.meta.version ?? '',
          args: encodeValue(cmd.args, `the arguments of child workflow '${cmd.workflow}' started by workflow '${workflow}'`),
          parent: { id: executionId, op },
        });
        break;
    }
  }
  return out;
}

/**
 * What a commit carries: with a store that queues jobs itself
 * (Store.queuesJobs), the calls and timers go in its transaction as `jobs`
 * and only the children stay in the outbox (`pushed`).
 */
export function splitOutbox(store: Pick<Store, 'queuesJobs'>, o: Outbox): { pushed: Outbox; jobs?: QueuedJobs } {
  if (!store.queuesJobs) return { pushed: o };
  return { pushed: { activities: [], timers: [], children: o.children }, jobs: { activities: o.activities, timers: o.timers } };
}

/** The 'dispatched' history event of a commit (the outbox makes the push certain once the commit lands). */
export function dispatchedEvent(o: Outbox, t: number): HistoryEvent | undefined {
  const calls = o.activities.length;
  const timers = o.timers.length;
  const children = o.children.length;
  return calls + timers + children > 0 ? { t, type: 'dispatched', calls, timers, children } : undefined;
}

/** Push the outbox of the commit that made `rev` of execution `id`, then clear its flag. */
export async function dispatch(ctx: DispatchContext, id: string, rev: number, o: Outbox): Promise<void> {
  for (const child of o.children) {
    const { created, record } = await ctx.store.create(child);
    if (created || record.status === 'ready') await ctx.queue.pushResume({ executionId: child.id, rev: record.rev });
    else if (isTerminal(record.status)) await settleParent(ctx, record, child.parent!);
  }
  await ctx.queue.pushActivities(o.activities);
  await ctx.queue.pushTimers(o.timers);
  // A lone call's flag is cleared by its delivery (Store.isLive): one round trip less per step.
  if (loneCall(o) === undefined) await ctx.store.clearDispatch(id, rev);
}
