/**
 * What an activity can learn about the call it serves. Activities stay plain
 * functions with their declared parameters; the context travels beside them
 * in AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface ActivityContext {
  /** Stable across retries and re-deliveries of the same call: use it to make side effects idempotent. */
  idempotencyKey: string;
  /** 1-based attempt number. */
  attempt: number;
  executionId: string;
  /** The activity's name. */
  activity: string;
  /** Fires when the attempt times out or the execution is cancelled. */
  signal: AbortSignal;
}

const storage = new AsyncLocalStorage<ActivityContext>();

/** The context of the activity call running now; throws outside an activity. */
export function activityContext(): ActivityContext {
  const ctx = storage.getStore();
  if (!ctx) throw new Error('reawait: activityContext() called outside an activity; it is only available while a worker runs an activity function');
  return ctx;
}

/** Run an activity function with `ctx` as its context. Sync functions and sync throws become a promise. */
export function runActivity(fn: (...args: never[]) => unknown, args: readonly unknown[], ctx: ActivityContext): Promise<unknown> {
  return storage.run(ctx, async () => (fn as (...a: unknown[]) => unknown)(...args));
}

/**
 * An AbortController made only when the activity reads its signal (most
 * never do, and one costs a few µs per call); an abort before that is kept
 * and the signal read later is already aborted with its reason.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  private reason: { value: unknown } | undefined;

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason.value);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.controller) this.controller.abort(reason);
    else this.reason ??= { value: reason };
  }
}
