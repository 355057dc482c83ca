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
import type { ActivityJob, Attempt, ProcessOptions, Queue, QueueHandlers, ResumeJob, TimerJob } from '../queue.js';
import { activityJobId, resumeJobId, timerJobId } from '../queue.js';
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

/** Retries for resume/timer jobs that hit a Redis error (the sweep covers the rest). */
const INFRA_RETRIES = 8;

export class BeeQueueQueue implements Queue {
  private readonly queues: Record<Kind, BeeQueue>;
  private readonly stallInterval: number;

  constructor(private readonly options: BeeQueueOptions) {
    this.stallInterval = options.stallInterval ?? 5000;
    const make = (kind: Kind): BeeQueue => {
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
      q.on('error', (e: Error) => (options.onError ?? defaultOnError)(e));
      void q.ready().then(
        () => {
          // After a Redis restart the script cache is empty and bee-queue's EVALSHA fails: reload on every reconnect.
          const client = (q as unknown as { client: { on(ev: 'ready', f: () => void): void } }).client;
          client.on('ready', () => void beeLua.buildCache(client).catch((e: Error) => (options.onError ?? defaultOnError)(e)));
        },
        () => {},
      );
      return q;
    };
    this.queues = { activities: make('activities'), resumes: make('resumes'), timers: make('timers') };
  }

  async pushActivities(jobs: readonly ActivityJob[]): Promise<void> {
    const q = this.queues.activities;
    const BATCH = 2000;
    for (let i = 0; i < jobs.length; i += BATCH) {
      const batch = jobs.slice(i, i + BATCH).map((j) => {
        const job = q.createJob(j).setId(activityJobId(j));
        if (j.options.retries) job.retries(j.options.retries);
        if (j.options.backoff) job.backoff(j.options.backoff.type, j.options.backoff.delay);
        return job;
      });
      await this.saveAll(q, batch);
    }
  }

  async pushResume(job: ResumeJob): Promise<void> {
    const j = this.queues.resumes.createJob(job).setId(resumeJobId(job)).retries(INFRA_RETRIES).backoff('exponential', 100);
    await j.save();
  }

  async pushTimers(timers: readonly { job: TimerJob; at: number }[]): Promise<void> {
    const q = this.queues.timers;
    const jobs = timers.map(({ job, at }) => q.createJob(job).setId(timerJobId(job)).delayUntil(at).retries(INFRA_RETRIES).backoff('exponential', 100));
    await this.saveAll(q, jobs);
  }

  private async saveAll<T>(q: BeeQueue, jobs: BeeQueue.Job<T>[]): Promise<void> {
    if (jobs.length === 0) return;
    const errors = await (q as BeeQueue<T>).saveAll(jobs);
    const first = errors.values().next();
    if (!first.done) throw first.value;
  }

  async process(handlers: QueueHandlers, options: ProcessOptions): Promise<void> {
    const { activities, resumes, timers } = this.queues;
    const n = Math.max(1, options.concurrency);
    activities.process(n, async (job: BeeQueue.Job<ActivityJob>) => {
      const total = job.data.options.retries ?? 0;
      const left = Number((job.options as { retries?: number }).retries ?? 0);
      const attempt: Attempt = { attempt: total - left + 1, final: left <= 0 };
      await handlers.activity(job.data, attempt);
    });
    resumes.process(n, async (job: BeeQueue.Job<ResumeJob>) => handlers.resume(job.data));
    timers.process(n, async (job: BeeQueue.Job<TimerJob>) => handlers.timer(job.data));
    const half = Math.max(100, Math.floor(this.stallInterval / 2));
    for (const q of [activities, resumes, timers]) void q.checkStalledJobs(half).catch(() => {});
    await Promise.all([activities.ready(), resumes.ready(), timers.ready()]);
  }

  async close(timeoutMs = 5000): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.close(timeoutMs).catch(() => {})));
  }
}

function defaultOnError(e: Error): void {
  process.stderr.write(`reawait: queue error: ${e.message}\n`);
}
