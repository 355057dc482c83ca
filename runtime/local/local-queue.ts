/**
 * The embedded Queue: jobs in memory, served in this process. Like the
 * bee-queue one it keeps a job id only once while the job exists, runs
 * activity retries with backoff (attempt numbers as the Attempt type says)
 * and fires timers at their time. Nothing here is durable: the jobs die with
 * the process, and the worker's recovery sweep pushes them again from the
 * store (the embedded store reports every waiting execution as undispatched
 * when it opens, so its calls and timers — due times from the commit time —
 * are pushed again; a timer that came due while the process was down fires
 * at once).
 */
import type { ActivityJob, Attempt, ProcessOptions, Queue, QueueHandlers, ResumeJob, TimerJob } from '../queue.js';
import { activityJobId, backoffDelay, resumeJobId, timerJobId } from '../queue.js';

type Entry =
  | { kind: 'activity'; id: string; job: ActivityJob; attempt: number }
  | { kind: 'resume'; id: string; job: ResumeJob; attempt: number }
  | { kind: 'timer'; id: string; job: TimerJob; attempt: number };

type Kind = Entry['kind'];

/** Retries of resume/timer jobs whose handler threw (a disk error); the sweep covers the rest. */
const INFRA_RETRIES = 8;
/** setTimeout's longest delay; longer timers re-arm. */
const MAX_DELAY = 2 ** 31 - 1;

/** A FIFO with O(1) shift. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(x: T): void {
    this.items.push(x);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const x = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}

export class LocalQueue implements Queue {
  /** Ids of jobs queued, running, or waiting for their time. */
  private readonly known = new Set<string>();
  private readonly queues: Record<Kind, Fifo<Entry>> = { activity: new Fifo(), resume: new Fifo(), timer: new Fifo() };
  private readonly running: Record<Kind, number> = { activity: 0, resume: 0, timer: 0 };
  private readonly inFlight = new Set<Promise<void>>();
  /** Timers and retries waiting for their time; armed only while a worker serves. */
  private readonly delayed = new Map<string, { entry: Entry; at: number; handle?: NodeJS.Timeout }>();
  private handlers: QueueHandlers | undefined;
  private concurrency = 1;
  private closed = false;
  /** Errors of jobs that are not retried: the serving worker's. */
  private onError: (error: unknown, where: string) => void = defaultOnError;

  // Ids are per kind (as in bee-queue's separate queues): an activity and a resume may share `${execution}:${n}`.
  async pushActivities(jobs: readonly ActivityJob[]): Promise<void> {
    for (const job of jobs) this.enqueue({ kind: 'activity', id: `a ${activityJobId(job)}`, job, attempt: 1 });
    this.pump();
  }

  async pushResume(job: ResumeJob): Promise<void> {
    this.enqueue({ kind: 'resume', id: `r ${resumeJobId(job)}`, job, attempt: 1 });
    this.pump();
  }

  async pushTimers(timers: readonly { job: TimerJob; at: number }[]): Promise<void> {
    for (const { job, at } of timers) {
      const id = `t ${timerJobId(job)}`;
      if (this.closed || this.known.has(id)) continue;
      this.known.add(id);
      this.delay({ kind: 'timer', id, job, attempt: 1 }, at);
    }
    this.pump();
  }

  private enqueue(entry: Entry): void {
    if (this.closed || this.known.has(entry.id)) return;
    this.known.add(entry.id);
    this.queues[entry.kind].push(entry);
  }

  private delay(entry: Entry, at: number): void {
    const d = { entry, at } as { entry: Entry; at: number; handle?: NodeJS.Timeout };
    this.delayed.set(entry.id, d);
    if (this.handlers) this.arm(d);
  }

  private arm(d: { entry: Entry; at: number; handle?: NodeJS.Timeout }): void {
    const wait = d.at - Date.now();
    d.handle = setTimeout(
      () => {
        d.handle = undefined;
        if (d.at > Date.now()) return this.arm(d);
        this.delayed.delete(d.entry.id);
        this.queues[d.entry.kind].push(d.entry);
        this.pump();
      },
      Math.max(0, Math.min(wait, MAX_DELAY)),
    );
  }

  async process(handlers: QueueHandlers, options: ProcessOptions, onError?: (error: unknown, where: string) => void): Promise<void> {
    if (this.closed) throw new Error('reawait: this embedded queue is closed');
    if (this.handlers) throw new Error('reawait: a worker already serves this embedded backend in this process (one Worker per folder)');
    this.handlers = handlers;
    this.onError = onError ?? defaultOnError;
    this.concurrency = Math.max(1, options.concurrency);
    for (const d of this.delayed.values()) this.arm(d);
    this.pump();
  }

  private pump(): void {
    const handlers = this.handlers;
    if (!handlers) return;
    for (const kind of ['resume', 'timer', 'activity'] as const) {
      const q = this.queues[kind];
      while (this.running[kind] < this.concurrency && q.size > 0) {
        const entry = q.shift()!;
        this.running[kind]++;
        const p = this.run(handlers, entry).finally(() => {
          this.running[kind]--;
          this.inFlight.delete(p);
          this.pump();
        });
        this.inFlight.add(p);
      }
    }
  }

  private async run(handlers: QueueHandlers, entry: Entry): Promise<void> {
    let failure: unknown;
    try {
      if (entry.kind === 'activity') {
        const retries = entry.job.options.retries ?? 0;
        const attempt: Attempt = { attempt: entry.attempt, final: entry.attempt > retries };
        await handlers.activity(entry.job, attempt);
      } else if (entry.kind === 'resume') await handlers.resume(entry.job);
      else await handlers.timer(entry.job);
      this.known.delete(entry.id);
      return;
    } catch (error) {
      failure = error;
    }
    const retry = entry.attempt; // 1-based number of the retry to come
    const retriesLeft = entry.kind === 'activity' ? (entry.job.options.retries ?? 0) - entry.attempt + 1 : INFRA_RETRIES - entry.attempt + 1;
    if (this.closed || retriesLeft <= 0) {
      this.known.delete(entry.id);
      if (!this.closed) this.onError(failure, `${entry.kind} job ${entry.id}`);
      return;
    }
    const wait = entry.kind === 'activity' ? backoffDelay(entry.job.options, retry) : 100 * 2 ** (retry - 1);
    this.delay({ ...entry, attempt: entry.attempt + 1 } as Entry, Date.now() + wait);
  }

  /** Stop serving (a Worker closing): wait up to `timeoutMs` for running jobs; queued ones wait for the next worker. */
  async stopProcessing(timeoutMs = 5000): Promise<void> {
    this.handlers = undefined;
    for (const d of this.delayed.values()) {
      if (d.handle) clearTimeout(d.handle);
      d.handle = undefined;
    }
    await this.drain(timeoutMs);
  }

  private async drain(timeoutMs: number): Promise<void> {
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
    clearTimeout(timer);
  }

  async close(timeoutMs = 5000): Promise<void> {
    await this.stopProcessing(timeoutMs);
    this.closed = true;
    this.delayed.clear();
    this.known.clear();
  }
}

function defaultOnError(e: unknown, where: string): void {
  process.stderr.write(`reawait: ${where}: ${e instanceof Error ? e.message : String(e)}\n`);
}
