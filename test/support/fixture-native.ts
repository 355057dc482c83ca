/**
 * Runs an *uncompiled* workflow function as plain async JavaScript, serving
 * the commands it awaits (activity calls, sleep, signal) directly through a
 * NativeHost. This is the reference the compiled run is compared against.
 * What crosses to an activity and back, and a signal's payload, is copied
 * through the codec here as the runtime copies it (it is sent to a worker or
 * stored; runWorkflow's roundTrip does the same): plain JavaScript would hand
 * the activity the workflow's own object, and an activity that returns it
 * (echo) would give back the same object, an identity no durable run keeps.
 */
import { setNativeHost } from 'reawait/workflow';
import { roundTripValue } from '../../runtime/codec.js';
import type { ActivityFns, Recorder } from './fixture-recorder.js';

export interface NativeRunOptions {
  activities: ActivityFns;
  signals?: Record<string, unknown>;
  recorder: Recorder;
  /** Reject if the run takes longer than this (ms). */
  timeoutMs?: number;
}

export async function runNativeRecorded(fn: (...args: never[]) => Promise<unknown>, args: unknown[], opts: NativeRunOptions): Promise<unknown> {
  const { activities, signals = {}, recorder } = opts;
  setNativeHost({
    async call(name, callArgs) {
      const f = activities[name];
      if (!f) throw new Error(`native run: unknown activity '${name}'`);
      const value = await f(...roundTripValue(callArgs, `the arguments of activity '${name}'`));
      return roundTripValue(value, `the result of activity '${name}'`);
    },
    async sleep(ms) {
      recorder.note('sleep', 'sleep', [ms]);
    },
    async signal(name, timeoutMs) {
      recorder.note('signal', 'signal', [name]);
      if (Object.prototype.hasOwnProperty.call(signals, name)) return roundTripValue(signals[name], `the payload of signal '${name}'`);
      if (timeoutMs !== undefined) return undefined;
      throw new Error(`native run: workflow waits for signal '${name}' which was not given`);
    },
    async child(workflow) {
      throw new Error(`native run: child workflows ('${workflow}') are not served here`);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      (fn as (...a: unknown[]) => Promise<unknown>)(...args),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`native run did not finish within ${opts.timeoutMs ?? 5000} ms`)), opts.timeoutMs ?? 5000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    setNativeHost(null);
  }
}
