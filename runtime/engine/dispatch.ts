/**
 * The outbox: push the commands of a committed suspension. Runs after the
 * commit (never before), and again from the recovery sweep if a crash came
 * between the commit and clearDispatch(); job ids are deterministic, so a
 * second push of the same command is harmless.
 */
import type { Group } from '../contract.js';
import { encodeValue } from '../codec.js';
import type { ActivityJob, Queue, TimerJob } from '../queue.js';
import type { HistoryEvent, Store } from '../store.js';
import { isTerminal } from '../store.js';
import type { WorkflowRegistry } from './registry.js';
import { settleParent } from './parent.js';

export interface DispatchContext {
  store: Store;
  queue: Queue;
  workflows: WorkflowRegistry;
}

/** A group of one activity call (a plain `await activity()`: the common step). */
export const isLoneCall = (group: Group): boolean => group.items.length === 1 && group.items[0]!.kind === 'call';

/** The 'dispatched' history event of a group's commit (the outbox makes the push certain once the commit lands). */
export function dispatchedEvent(group: Group, t: number): HistoryEvent | undefined {
  let calls = 0;
  let timers = 0;
  let children = 0;
  for (const it of group.items) {
    if (it.kind === 'call') calls++;
    else if (it.kind === 'sleep' || (it.kind === 'signal' && it.timeoutMs !== undefined)) timers++;
    else if (it.kind === 'child') children++;
  }
  return calls + timers + children > 0 ? { t, type: 'dispatched', calls, timers, children } : undefined;
}

/** Child executions get `${parent}:${rev}:${slot}` unless the workflow named one. */
export function childId(parent: string, rev: number, slot: number, given?: string): string {
  return given ?? `${parent}:${rev}:${slot}`;
}

/**
 * Push every command of `group` (the suspension of `id` at `rev`), then
 * clear the outbox flag. `base` is when the suspension was committed: timers
 * fire at base + duration, also when re-pushed by the sweep.
 */
export async function dispatch(ctx: DispatchContext, id: string, rev: number, group: Group, base: number): Promise<void> {
  const activities: ActivityJob[] = [];
  const timers: { job: TimerJob; at: number }[] = [];
  let children = 0;
  for (let slot = 0; slot < group.items.length; slot++) {
    const item = group.items[slot]!;
    switch (item.kind) {
      case 'call':
        activities.push({ executionId: id, rev, slot, activity: item.activity, args: encodeValue(item.args), options: item.options ?? {} });
        break;
      case 'sleep':
        timers.push({ job: { executionId: id, rev, slot, kind: 'sleep' }, at: base + item.ms });
        break;
      case 'signal':
        if (item.timeoutMs !== undefined) timers.push({ job: { executionId: id, rev, slot, kind: 'signal-timeout' }, at: base + item.timeoutMs });
        break;
      case 'child': {
        children++;
        const cid = childId(id, rev, slot, item.id);
        const { created, record } = await ctx.store.create({
          id: cid,
          workflow: item.workflow,
          version: ctx.workflows.get(item.workflow)?.meta.version ?? '',
          args: encodeValue(item.args),
          parent: { id, rev, slot },
        });
        if (created || record.status === 'ready') await ctx.queue.pushResume({ executionId: cid, rev: record.rev });
        else if (isTerminal(record.status)) await settleParent(ctx, record, { id, rev, slot });
        break;
      }
      case 'value':
        break;
    }
  }
  await ctx.queue.pushActivities(activities);
  await ctx.queue.pushTimers(timers);
  // A lone call's flag is cleared by its delivery (Store.isLive) or its settlement: one round trip less per step.
  if (!isLoneCall(group)) await ctx.store.clearDispatch(id, rev);
}
