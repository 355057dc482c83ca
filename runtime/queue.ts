/**
 * The Queue: how work reaches workers. Three kinds of jobs, each with a
 * deterministic id (pushing the same job twice while it exists is harmless,
 * and the store's revision guard makes a later duplicate a no-op):
 *   activity  `${executionId}:${op}`   run one activity call (op: the execution's op id)
 *   resume    `${executionId}:${rev}`  run the next step of an execution
 *   timer     `${executionId}:${op}`   fire a sleep / signal timeout at `at`
 * (each kind has its own queue, so the ids need not differ across kinds).
 * Delivery is at least once: a job whose worker died is delivered again.
 * Activity retries with backoff are the queue's job; timeouts are the
 * engine's (it aborts the activity's AbortSignal).
 */
import type { ActivityOptions } from './contract.js';

export interface ActivityJob {
  executionId: string;
  op: number;
  activity: string;
  /** Encoded argument array. */
  args: string;
  options: ActivityOptions;
  /** Set when workers lacking the activity gave the call back (routing, see HandBack): how often, since when (ms). */
  handedBack?: { n: number; since: number };
}

/**
 * What an activity handler returns when its worker lacks the activity: the
 * queue puts `job` back, due in `delayMs`, for any worker (its attempt count
 * unchanged: the call did not run), and the taken job ends without a result.
 */
export interface HandBack {
  job: ActivityJob;
  delayMs: number;
}

export interface ResumeJob {
  executionId: string;
  rev: number;
  /** In-process only: how many steps this resume follows without going back to the queue. */
  chain?: number;
}

export interface TimerJob {
  executionId: string;
  op: number;
  kind: 'sleep' | 'signal-timeout';
}

export interface Attempt {
  /** 1-based. Stable across redeliveries of the same attempt. */
  attempt: number;
  /** No retry is left after this attempt: a failure now is the call's outcome. */
  final: boolean;
  /** Queued by the commit that just landed, in this process: the call is live without asking the store. */
  fresh?: boolean;
}

export interface QueueHandlers {
  /** Throwing asks for a retry (only called with final=false when retries remain); a HandBack gives the job back. */
  activity(job: ActivityJob, attempt: Attempt): Promise<void | HandBack>;
  resume(job: ResumeJob): Promise<void>;
  timer(job: TimerJob): Promise<void>;
}

export interface ProcessOptions {
  /** Activity jobs run at once in this process (resumes and timers have their own smaller pools). */
  concurrency: number;
}

export interface Queue {
  pushActivities(jobs: readonly ActivityJob[]): Promise<void>;
  pushResume(job: ResumeJob): Promise<void>;
  /** `at`: ms since epoch when the timer fires (a past time fires at once). */
  pushTimers(timers: readonly { job: TimerJob; at: number }[]): Promise<void>;
  /** Start serving jobs (a process that only pushes never calls this). */
  process(handlers: QueueHandlers, options: ProcessOptions): Promise<void>;
  /** Stop taking jobs; wait up to `timeoutMs` for running ones, the rest are redelivered later. */
  close(timeoutMs?: number): Promise<void>;
}

export const activityJobId = (j: Pick<ActivityJob, 'executionId' | 'op'>): string => `${j.executionId}:${j.op}`;
export const resumeJobId = (j: ResumeJob): string => `${j.executionId}:${j.rev}`;
export const timerJobId = (j: Pick<TimerJob, 'executionId' | 'op'>): string => `${j.executionId}:${j.op}`;

/** The idempotency key an activity sees: stable across retries and redeliveries of the same call. */
export const idempotencyKey = activityJobId;

/** Delay before retry number `retry` (1-based) under `backoff`; 0 without backoff. */
export function backoffDelay(options: ActivityOptions, retry: number): number {
  const b = options.backoff;
  if (!b) return 0;
  return b.type === 'fixed' ? b.delay : b.delay * 2 ** (retry - 1);
}
