/**
 * The outbox of a commit: the jobs of the ops a step started (activity
 * calls, timers, child executions), stored with the commit and pushed after
 * it (engine/dispatch.ts). A plain JSON document: arguments are already
 * encoded by the codec.
 */
import type { ActivityJob, TimerJob } from './queue.js';
import type { NewExecution } from './store.js';

export interface Outbox {
  activities: ActivityJob[];
  timers: { job: TimerJob; at: number }[];
  children: NewExecution[];
}

export const emptyOutbox = (): Outbox => ({ activities: [], timers: [], children: [] });

export const isEmptyOutbox = (o: Outbox): boolean => o.activities.length === 0 && o.timers.length === 0 && o.children.length === 0;

/** The op of an outbox that is one activity call and nothing else: its delivery clears the outbox (Store.isLive). */
export const loneCall = (o: Outbox): number | undefined => (o.activities.length === 1 && o.timers.length === 0 && o.children.length === 0 ? o.activities[0]!.op : undefined);

/** '' for an empty outbox (nothing to push). */
export const encodeOutbox = (o: Outbox): string => (isEmptyOutbox(o) ? '' : JSON.stringify(o));

export function decodeOutbox(text: string): Outbox {
  const o = JSON.parse(text) as Partial<Outbox>;
  return { activities: o.activities ?? [], timers: o.timers ?? [], children: o.children ?? [] };
}
