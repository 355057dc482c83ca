/**
 * What a retry dispatches again (handle.retry()): every settlement kept by a
 * failed execution that is a rejected activity call whose 'call failed'
 * history event carries its job (the call exhausted its retries, or could not
 * run). Its settlement is dropped instead of re-applied, and the same job
 * (same op, same idempotency key `<exec>:<op>`, its activity, args and
 * options) is pushed again with a fresh attempt count. A rejection by a
 * child workflow that failed ('child failed' names it) is dropped too when
 * that child can be retried itself: the retry of the parent retries the
 * child, whose new end settles the op. Any other rejection is re-applied.
 * The history cap keeps both events (lib.lua keeps()).
 */
import type { ActivityOptions } from '../contract.js';
import type { ActivityJob } from '../queue.js';
import type { HistoryEvent, StoredSettlement } from '../store.js';

/** The detail a final 'call failed' event carries so that a retry can dispatch the call again (contract.ts: RetryableCall). */
export interface FailedCallJob {
  args: string;
  options: ActivityOptions;
}

export function failedCallDetail(job: ActivityJob): { job: FailedCallJob } {
  return { job: { args: job.args, options: job.options } };
}

export function callsToRedispatch(executionId: string, settlements: readonly StoredSettlement[], history: readonly HistoryEvent[]): ActivityJob[] {
  const out: ActivityJob[] = [];
  for (const s of settlements) {
    if (s.ok) continue;
    // The last 'call failed' of this op: the one whose settlement was kept.
    const e = history.findLast((x) => x.type === 'call failed' && x.op === s.op);
    const job = e?.job as Partial<FailedCallJob> | undefined;
    if (!e || typeof e.activity !== 'string' || typeof job?.args !== 'string') continue;
    out.push({ executionId, op: s.op, activity: e.activity, args: job.args, options: job.options ?? {} });
  }
  return out;
}

/** The failed children whose rejections a retry drops (it retries them): op and child id, from the 'child failed' events. */
export function failedChildren(settlements: readonly StoredSettlement[], history: readonly HistoryEvent[]): { op: number; child: string }[] {
  const out: { op: number; child: string }[] = [];
  for (const s of settlements) {
    if (s.ok) continue;
    const e = history.findLast((x) => (x.type === 'child failed' || x.type === 'call failed') && x.op === s.op);
    if (e?.type === 'child failed' && typeof e.child === 'string') out.push({ op: s.op, child: e.child });
  }
  return out;
}
