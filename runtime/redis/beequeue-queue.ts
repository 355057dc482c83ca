/**
 * Queue on bee-queue 2: three bee-queue queues (activities, resumes, timers).
 * bee-queue gives us deterministic job ids (a job id that exists is not added
 * again), retries with backoff, delayed jobs (durable timers) and stall
 * detection. What it does not do, and we do here: reload its Lua scripts when
 * Redis restarts (it uses EVALSHA without a fallback), check for stalled jobs
 * periodically, and activate delayed jobs on every worker.
 */
import BeeQueue from 'bee-queue';
import { createRequire } from 'node:module';
import type { ActivityJob, Attempt, HandBack, ProcessOptions, Queue, QueueHandlers, ResumeJob, TimerJob } from '../queue.js';
import type { QueuedJobs } from '../store.js';
import { activityJobId, resumeJobId, timerJobId } from '../queue.js';
import { retryStore } from '../engine/retry.js';
import type { BeeRedisOptions } from './connection.js';

const beeLua = createRequire(import.meta.url)('bee-queue/lib/lua') as { buildCache(client: unknown): Promise<unknown> };

export interface BeeQueueOptions {
  redis: BeeRedisOptions;
  /** Key prefix of the three queues (default 'reawait:bq'). */
  prefix?: string;
  /** Whether this process serves jobs (a client only pushes). */
  worker: boolean;
  /** ms without a heartbeat after which a job is redelivered (default 5000). */
  stallInterval?: number;
  onError?: (error: Error) => void;
}

type Kind = 'activities' | 'resumes' | 'timers';
const KINDS: readonly Kind[] = ['activities', 'resumes', 'timers'];

/** Retries for resume/timer jobs that hit a Redis error (the sweep covers the rest). */
const INFRA_RETRIES = 8;

/** node_redis clients a bee-queue instance may hold (internal fields, read to check and to end them). */
interface BeeClients {
  client?: NodeRedisClient;
  bclient?: NodeRedisClient;
  eclient?: NodeRedisClient;
}
interface NodeRedisClient {
  connected?: boolean;
  on(ev: string, f: (...a: unknown[]) => void): void;
  end(flush: boolean): void;
}

export class BeeQueueQueue implements Queue {
  private readonly queues: Partial<Record<Kind, BeeQueue>> = {};
  /** Queues whose connection failed before it was ready: bee-queue never retries those, so they are made again. */
  private readonly dead = new WeakSet<BeeQueue>();
  private readonly stallInterval: number;
  private raiseTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BeeQueueOptions) {
    this.stallInterval = options.stallInterval ?? 5000;
    // Queues are made at their first use, which the backend holds back until the store's connection is ready:
    // node_redis would report a failed login by 'error' events that nobody can listen to.
  }

  private onError(e: Error): void {
    (this.options.onError ?? defaultOnError)(e);
  }

  /** The live queue of `kind`: a dead one (its connection failed at start) is replaced. */
  private queue(kind: Kind): BeeQueue {
    const existing = this.queues[kind];
    if (existing && !this.dead.has(existing)) return existing;
    if (existing) endClients(existing);
    const options = this.options;
    const q = new BeeQueue(kind, {
      prefix: options.prefix ?? 'reawait:bq',
      redis: { ...options.redis },
      isWorker: options.worker,
      getEvents: false,
      sendEvents: false,
      storeJobs: false,
      removeOnSuccess: true,
      removeOnFailure: true,
      activateDelayedJobs: options.worker,
      stallInterval: this.stallInterval,
      // Timers are few and must fire on time; debounce delayed activation little.
      delayedDebounce: 50,
    });
    q.on('error', (e: Error) => this.onError(e));
    reloadScriptsOnNoscript(q);
    void q.ready().then(
      () => {
        // After a Redis restart the script cache is empty and bee-queue's EVALSHA fails: reload on every reconnect.
        const client = (q as unknown as BeeClients).client!;
        client.on('ready', () => void beeLua.buildCache(client).catch((e: Error) => this.onError(e)));
      },
      () => this.dead.add(q),
    );
    this.queues[kind] = q;
    return q;
  }

  /** Whether every queue's command connection is up (or will be made at its next use). */
  connected(): boolean {
    return KINDS.every((k) => {
      const q = this.queues[k];
      // A dead queue is made again at its next use; it holds no connection to wait for.
      return q === undefined || this.dead.has(q) || (q as unknown as BeeClients).client?.connected === true;
    });
  }

  async pushActivities(jobs: readonly ActivityJob[]): Promise<void> {
    const q = this.queue('activities');
    const BATCH = 2000;
    for (let i = 0; i < jobs.length; i += BATCH) {
      await this.saveAll(q, jobs.slice(i, i + BATCH).map((j) => activityJob(q, j)));
    }
  }

  /**
   * The keys and arguments with which a store's commit script queues the
   * commit's jobs itself (RedisStore `jobs`, lib.lua queue_jobs), written as
   * bee-queue's addJob.lua and addDelayedJob.lua write them: the job JSON is
   * bee-queue's own (Job#toData), so its workers take them as any other.
   */
  forCommit(jobs: QueuedJobs): { keys: string[]; args: string[] } {
    const a = this.queue('activities');
    const t = this.queue('timers');
    const args = [String(jobs.activities.length + jobs.timers.length), keyOf(t, 'earlierDelayed')];
    for (const j of jobs.activities) args.push('a', activityJobId(j), dataOf(activityJob(a, j)), '0');
    for (const { job: j, at } of jobs.timers) {
      const job = timerJob(t, j, at);
      args.push('t', timerJobId(j), dataOf(job), String((job.options as { delay?: number }).delay ?? 0));
    }
    return { keys: [keyOf(a, 'jobs'), keyOf(a, 'waiting'), keyOf(t, 'jobs'), keyOf(t, 'waiting'), keyOf(t, 'delayed')], args };
  }

  async pushResume(job: ResumeJob): Promise<void> {
    const j = this.queue('resumes').createJob(job).setId(resumeJobId(job)).retries(INFRA_RETRIES).backoff('exponential', 100);
    await j.save();
  }

  async pushTimers(timers: readonly { job: TimerJob; at: number }[]): Promise<void> {
    const q = this.queue('timers');
    await this.saveAll(
      q,
      timers.map(({ job, at }) => timerJob(q, job, at)),
    );
  }

  private async saveAll<T>(q: BeeQueue, jobs: BeeQueue.Job<T>[]): Promise<void> {
    if (jobs.length === 0) return;
    let errors = await (q as BeeQueue<T>).saveAll(jobs);
    // A Redis that restarted has no scripts: load them and save the jobs that failed again (their ids make it idempotent).
    if ([...errors.values()].some(isNoScript)) {
      await beeLua.buildCache((q as unknown as BeeClients).client);
      errors = await (q as BeeQueue<T>).saveAll([...errors.keys()]);
    }
    const first = errors.values().next();
    if (!first.done) throw first.value;
  }

  async process(handlers: QueueHandlers, options: ProcessOptions): Promise<void> {
    const [activities, resumes, timers] = KINDS.map((k) => this.queue(k)) as [BeeQueue, BeeQueue, BeeQueue];
    const n = Math.max(1, options.concurrency);
    activities.process(n, async (job: BeeQueue.Job<ActivityJob>) => {
      const total = job.data.options.retries ?? 0;
      const left = Number((job.options as { retries?: number }).retries ?? 0);
      const attempt: Attempt = { attempt: total - left + 1, final: left <= 0 };
      const back = await handlers.activity(job.data, attempt);
      if (back) await this.handBack(activities, back, left);
    });
    resumes.process(n, async (job: BeeQueue.Job<ResumeJob>) => handlers.resume(job.data));
    timers.process(n, async (job: BeeQueue.Job<TimerJob>) => handlers.timer(job.data));
    const half = Math.max(100, Math.floor(this.stallInterval / 2));
    for (const q of [activities, resumes, timers]) void q.checkStalledJobs(half).catch(() => {});
    // bee-queue raises due delayed jobs (timers, retry backoffs, handed-back calls) when its timer fires, and
    // arms that timer from the last raise and from a pub/sub message per new head; a message published while
    // Redis restarts reaches nobody, and a raise that fails is not re-armed: raise every stall interval too.
    this.raiseTimer = setInterval(() => {
      for (const q of [activities, timers]) (q as unknown as { _activateDelayed(): void })._activateDelayed();
    }, this.stallInterval);
    this.raiseTimer.unref();
    await Promise.all([activities.ready(), resumes.ready(), timers.ready()]);
  }

  /**
   * Give a call back (its worker lacks the activity): a delayed copy under a
   * new id (the taken job still holds the call's id until it ends), with the
   * retries it had left; the taken job then ends as done. The copy is saved
   * before the taken job ends, and the save is retried through an outage: a
   * failed save would fail the taken job, and bee-queue would drop it with
   * the call (an outage longer than that leaves the taken job to stall
   * detection: it finishes neither way).
   */
  private async handBack(q: BeeQueue, back: HandBack, retriesLeft: number): Promise<void> {
    const { job: j, delayMs } = back;
    const id = `${activityJobId(j)}~${j.handedBack?.n ?? 0}`;
    await retryStore(`handing back call ${j.op} of execution '${j.executionId}'`, () => {
      const job = q.createJob(j).setId(id);
      if (delayMs > 0) job.delayUntil(Date.now() + delayMs);
      if (retriesLeft > 0) job.retries(retriesLeft);
      if (j.options.backoff) job.backoff(j.options.backoff.type, j.options.backoff.delay);
      return this.saveAll(q, [job]);
    });
  }

  /** Stop taking jobs, wait up to `timeoutMs` for running ones; a close that Redis being gone holds up is cut off then. */
  async close(timeoutMs = 5000): Promise<void> {
    clearInterval(this.raiseTimer);
    const queues = KINDS.map((k) => this.queues[k]).filter((q): q is BeeQueue => q !== undefined);
    await Promise.all(
      queues.map(async (q) => {
        let timer: NodeJS.Timeout | undefined;
        const cutOff = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + 500)));
        await Promise.race([q.close(timeoutMs).catch(() => {}), cutOff]);
        clearTimeout(timer);
        endClients(q);
      }),
    );
  }
}

function activityJob(q: BeeQueue, j: ActivityJob): BeeQueue.Job<ActivityJob> {
  const job = q.createJob(j).setId(activityJobId(j));
  if (j.options.retries) job.retries(j.options.retries);
  if (j.options.backoff) job.backoff(j.options.backoff.type, j.options.backoff.delay);
  return job;
}

function timerJob(q: BeeQueue, j: TimerJob, at: number): BeeQueue.Job<TimerJob> {
  return q.createJob(j).setId(timerJobId(j)).delayUntil(at).retries(INFRA_RETRIES).backoff('exponential', 100);
}

/** bee-queue's key of `name` for queue `q` (Queue#toKey, not in its typings). */
const keyOf = (q: BeeQueue, name: string): string => (q as unknown as { toKey(n: string): string }).toKey(name);
/** The JSON bee-queue stores for a job (Job#toData, not in its typings). */
const dataOf = <T>(job: BeeQueue.Job<T>): string => (job as unknown as { toData(): string }).toData();

function isNoScript(e: unknown): boolean {
  return e instanceof Error && e.message.includes('NOSCRIPT');
}

/**
 * bee-queue runs its scripts by EVALSHA only. After a Redis restart (or a
 * SCRIPT FLUSH) every call fails with NOSCRIPT until its connection happens
 * to reconnect; a push lost that way waited for the next recovery sweep.
 * Its one script entry point is wrapped: on NOSCRIPT, load the scripts and
 * run the call once more (pipelined batches are retried by saveAll above).
 */
function reloadScriptsOnNoscript(q: BeeQueue): void {
  const inner = q as unknown as { _evalScriptOn(commandable: unknown, args: unknown[]): Promise<unknown> };
  const original = inner._evalScriptOn.bind(q);
  inner._evalScriptOn = async (commandable, args) => {
    const again = [...args];
    try {
      return await original(commandable, args);
    } catch (e) {
      // Only a client can run it again; a pipelined batch has already been sent.
      const c = q as unknown as BeeClients;
      if (!isNoScript(e) || (commandable !== c.client && commandable !== c.bclient)) throw e;
      await beeLua.buildCache(commandable);
      return original(commandable, again);
    }
  };
}

/** End a queue's connections now (pending commands fail; they already have error listeners). */
function endClients(q: BeeQueue): void {
  const c = q as unknown as BeeClients;
  for (const client of [c.client, c.bclient, c.eclient]) {
    if (!client) continue;
    client.on('error', () => {});
    try {
      client.end(true);
    } catch {
      // already ended
    }
  }
}

function defaultOnError(e: Error): void {
  process.stderr.write(`reawait: queue error: ${e.message}\n`);
}
