/**
 * The activity's context (runtime/activity-context.ts): its signal is made
 * only when read, and is aborted with the reason whether the abort came
 * before the read or after.
 */
import { describe, expect, it } from 'vitest';
import { activityContext, LazyAbort, runActivity } from '../runtime/activity-context.js';

describe('LazyAbort', () => {
  it('an abort before the signal is read: the signal read later is already aborted, with the first reason', () => {
    const lazy = new LazyAbort();
    lazy.abort(new Error('timed out'));
    lazy.abort(new Error('later'));
    expect(lazy.signal.aborted).toBe(true);
    expect((lazy.signal.reason as Error).message).toBe('timed out');
  });

  it('an abort after the signal is read fires its listeners, once', () => {
    const lazy = new LazyAbort();
    const seen: unknown[] = [];
    lazy.signal.addEventListener('abort', () => seen.push(lazy.signal.reason));
    expect(lazy.signal.aborted).toBe(false);
    lazy.abort('cancelled');
    lazy.abort('again');
    expect(seen).toEqual(['cancelled']);
  });

  it('reaches the activity through activityContext()', async () => {
    const lazy = new LazyAbort();
    const ctx = { idempotencyKey: 'k', attempt: 1, executionId: 'e', activity: 'a', get signal() { return lazy.signal; } };
    const run = runActivity(async () => {
      const { signal } = activityContext();
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
      return signal.reason;
    }, [], ctx);
    setTimeout(() => lazy.abort('stop'), 5);
    expect(await run).toBe('stop');
  });
});
