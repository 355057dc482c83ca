/**
 * `Date.now()` and `new Date()` on a virtual clock, for runWorkflow: while
 * the workflow's code runs, the global Date reads the clock it is given.
 * Instances are real Dates (so values, the codec and `instanceof` are as
 * usual); `new Date(x)` with arguments, `Date.parse` and `Date.UTC` are the
 * real ones. Runs nest: the innermost clock is read.
 */
const RealDate = Date;
const clocks: (() => number)[] = [];

const VirtualDate = function (this: unknown, ...args: unknown[]): Date | string {
  const now = clocks[clocks.length - 1]!();
  if (!new.target) return new RealDate(now).toString();
  // A subclass (or the codec rebuilding one) keeps its own prototype; plain `new Date()` gets a real Date.
  return Reflect.construct(RealDate, args.length === 0 ? [now] : args, new.target === VirtualDate ? RealDate : new.target) as Date;
} as unknown as DateConstructor;
Object.defineProperties(VirtualDate, {
  now: { value: () => clocks[clocks.length - 1]!(), writable: true, configurable: true },
  parse: { value: RealDate.parse, writable: true, configurable: true },
  UTC: { value: RealDate.UTC, writable: true, configurable: true },
  prototype: { value: RealDate.prototype },
});

/** Run `body` with the global Date reading `now` (restored when it settles). */
export async function withVirtualDate<T>(now: () => number, body: () => Promise<T>): Promise<T> {
  clocks.push(now);
  globalThis.Date = VirtualDate;
  try {
    return await body();
  } finally {
    clocks.splice(clocks.lastIndexOf(now), 1);
    if (clocks.length === 0) globalThis.Date = RealDate;
  }
}
