/**
 * Ready executions nobody is resuming. A worker that makes an execution
 * ready resumes it in its own process, without a queue job (worker-engine
 * resumeHere): if that process dies mid-resume, no job is left to be
 * redelivered, and the execution only waited for the next full recovery
 * sweep (30 s by default). Every worker therefore looks, each stall
 * interval, for executions that have been ready for longer than that and
 * pushes their resume job. The job id (`<id>:<rev>`) keeps a job that is
 * already queued from being added twice, and the revision guard makes a
 * resume that raced a live one a no-op.
 */
import type { Queue } from '../queue.js';
import type { Store } from '../store.js';

/** Push the resume of every execution ready since before `readySince` (ms); returns how many were pushed. */
export async function pushStalledResumes(ctx: { store: Store; queue: Queue }, readySince: number, max = MAX_CHECKED): Promise<number> {
  const { ready } = await ctx.store.pending();
  let pushed = 0;
  for (const id of sample(ready, max)) {
    const rec = await ctx.store.load(id);
    if (rec?.status !== 'ready' || rec.updatedAt >= readySince) continue;
    await ctx.queue.pushResume({ executionId: id, rev: rec.rev });
    pushed++;
  }
  return pushed;
}

/**
 * Executions checked per call. Each check loads a record; a backlog of
 * thousands of ready executions (whose jobs are queued anyway) must not cost
 * every worker thousands of loads per stall interval. A random sample finds
 * a stalled one within a few intervals.
 */
const MAX_CHECKED = 200;

function sample<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  const a = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}
