/**
 * Records what a workflow run asks of the outside world, identically for the
 * native and the compiled run: every activity call (name + arguments,
 * described at call time) and, on the native side, sleeps and signal waits.
 *
 * Durable requests issued in the same synchronous turn (a Promise.all over
 * several calls) share a batch number: the native run's batches are what the
 * compiled run's suspensions should count, and within a batch the order of
 * calls is genuinely concurrent, so sequences are compared batch by batch as
 * multisets.
 */
import { describeValue } from './fixture-compare.js';

export interface RecordedEvent {
  kind: 'call' | 'sleep' | 'signal';
  /** `add(1, 2)`, `sleep(1000)`, `signal("go")`. */
  text: string;
  batch: number;
}

export type ActivityFns = Record<string, (...args: unknown[]) => unknown>;

export class Recorder {
  readonly events: RecordedEvent[] = [];
  private openBatch: number | null = null;
  private batches = 0;

  /** Number of distinct batches seen (each one a durable suspension of the workflow). */
  get batchCount(): number {
    return this.batches;
  }

  note(kind: RecordedEvent['kind'], name: string, args: unknown[]): void {
    if (this.openBatch === null) {
      this.openBatch = this.batches++;
      queueMicrotask(() => (this.openBatch = null));
    }
    this.events.push({ kind, text: `${name}(${args.map((a) => describeValue(a)).join(', ')})`, batch: this.openBatch });
  }

  /** The activity calls only, as text. */
  calls(): string[] {
    return this.events.filter((e) => e.kind === 'call').map((e) => e.text);
  }

  /** Sizes of the batches of activity calls, in order (for windowed comparison). */
  callBatchSizes(): number[] {
    const sizes = new Map<number, number>();
    for (const e of this.events) if (e.kind === 'call') sizes.set(e.batch, (sizes.get(e.batch) ?? 0) + 1);
    return [...sizes.values()];
  }

  /** Wrap activity functions so that every call is noted before it runs. */
  wrap(activities: ActivityFns): ActivityFns {
    const wrapped: ActivityFns = {};
    for (const [name, fn] of Object.entries(activities)) {
      wrapped[name] = async (...args: unknown[]) => {
        this.note('call', name, args);
        return fn(...args);
      };
    }
    return wrapped;
  }
}

/**
 * Canonical form of a call sequence: calls grouped into the given windows
 * (sizes taken from the native run), each window sorted. Leftover calls beyond
 * the windows form one more window so that extra calls show in a diff.
 */
export function windowed(calls: string[], sizes: number[]): string[][] {
  const out: string[][] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(calls.slice(i, i + n).sort());
    i += n;
  }
  if (i < calls.length) out.push(calls.slice(i));
  return out;
}
