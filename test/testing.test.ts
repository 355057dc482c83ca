import { describe, expect, it } from 'vitest';
import { activityContext, type ActivityContext } from '../runtime/activity-context.js';
import { StateEncodeError, UnknownActivityError } from '../runtime/errors.js';
import { runNative, runWorkflow } from '../runtime/testing.js';
import { group, proxyActivities, signal, sleep, startChild } from '../runtime/workflow.js';
import { hand, suspend, value } from './support/hand-workflow.js';

const activities = {
  async encodeVideo(path: string): Promise<string> {
    await new Promise((r) => setImmediate(r));
    return path.replace(/\.mp4$/, '.m3u8');
  },
  async createPlaylist(files: string[]): Promise<string> {
    return `#EXTM3U\n${files.join('\n')}`;
  },
};
type Acts = typeof activities;
const { encodeVideo, createPlaylist } = proxyActivities<Acts>({ retries: 3 });

// The design's example, by hand:
//   const encoded = await Promise.all(files.map((f) => encodeVideo(f)));
//   await sleep('1s');
//   return { playlist: await createPlaylist(encoded), count: encoded.length };
const videoPipeline = hand<[string[]], { playlist: string; count: number }>('videoPipeline', (f, r) => {
  switch (f.pc) {
    case 0: {
      const [files] = value(r) as [string[]];
      return suspend(f, 1, {}, group('all', files.map((x) => encodeVideo(x))));
    }
    case 1: {
      const encoded = value(r);
      return suspend(f, 2, { encoded }, sleep('1s'));
    }
    case 2:
      value(r);
      return suspend(f, 3, { encoded: f.locals.encoded }, createPlaylist(f.locals.encoded as string[]));
    case 3:
      return { done: true, value: { playlist: value(r), count: (f.locals.encoded as string[]).length } };
    default:
      throw new Error(`bad pc ${f.pc}`);
  }
});
async function videoPipelineNative(files: string[]) {
  const encoded = await Promise.all(files.map((x) => encodeVideo(x)));
  await sleep('1s');
  return { playlist: await createPlaylist(encoded), count: encoded.length };
}

describe('runWorkflow', () => {
  it("runs the design's video example with a state round-trip at every suspension", async () => {
    const out = await runWorkflow(videoPipeline, [['a.mp4', 'b.mp4', 'c.mp4']], { activities });
    expect(out.result).toEqual({ playlist: '#EXTM3U\na.m3u8\nb.m3u8\nc.m3u8', count: 3 });
    expect(out.suspensions).toBe(3);
    expect(out.maxStateBytes).toBeGreaterThan(50);
    expect(out.maxStateBytes).toBeLessThan(300);
    expect(out.virtualMs).toBe(1000); // sleep('1s') passes on the virtual clock
    const plain = await runWorkflow(videoPipeline, [['a.mp4']], { activities, roundTrip: false });
    expect(plain).toEqual({ result: { playlist: '#EXTM3U\na.m3u8', count: 1 }, suspensions: 3, maxStateBytes: 0, virtualMs: 1000 });
  });

  it('matches runNative on results and activity call sequences', async () => {
    const callsC: string[] = [];
    const callsN: string[] = [];
    const files = ['x.mp4', 'y.mp4'];
    const c = await runWorkflow(videoPipeline, [files], { activities, onCall: (n, a) => callsC.push(`${n}(${JSON.stringify(a)})`) });
    const n = await runNative(videoPipelineNative, [files], { activities, onCall: (n, a) => callsN.push(`${n}(${JSON.stringify(a)})`) });
    expect(c.result).toEqual(n.result);
    expect(callsC).toEqual(callsN);
    expect(callsC).toEqual(['encodeVideo(["x.mp4"])', 'encodeVideo(["y.mp4"])', 'createPlaylist([["x.m3u8","y.m3u8"]])']);
  });

  it('serves sleep on a virtual clock: a short sleep beats a long one, in no real time', async () => {
    const acts = proxyActivities<{ tag(s: string): Promise<string> }>();
    const order: string[] = [];
    const w = hand<[], unknown>('t_sleeps', (f, r) => {
      switch (f.pc) {
        case 0:
          return suspend(f, 1, {}, group('race', [sleep('1h'), group('all', []) as never]));
        default:
          return { done: true, value: value(r) };
      }
    });
    void w;
    const racer = hand<[], unknown>('t_race_sleep', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, group('race', [sleep('2h'), signal('never', { timeout: '1h' }), acts.tag('fast')]));
      if (f.pc === 1) return suspend(f, 2, { first: value(r) }, group('race', [sleep('2h'), signal('never', { timeout: '1h' })]));
      return { done: true, value: [f.locals.first, value(r)] };
    });
    const out = await runWorkflow(racer, [], { activities: { tag: async (s: string) => (order.push(s), s) } });
    expect(out.result).toEqual(['fast', undefined]); // activities take no virtual time; the 1h timeout beats the 2h sleep
    expect(order).toEqual(['fast']);
    expect(out.virtualMs).toBe(3_600_000); // the second race ends at the 1h timeout, on the virtual clock
  });

  it('serves signals from options.signals, times out missing ones with a timeout, and names missing ones without', async () => {
    const w = hand<[], unknown>('t_signals', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, signal('approve'));
      if (f.pc === 1) return suspend(f, 2, { approval: value(r) }, signal('late', { timeout: '10m' }));
      return { done: true, value: { approval: f.locals.approval, late: value(r) } };
    });
    const payload = { by: 'ann', at: new Date(5) };
    const out = await runWorkflow(w, [], { activities: {}, signals: { approve: payload } });
    expect(out.result).toEqual({ approval: payload, late: undefined });
    expect((out.result as { approval: unknown }).approval).not.toBe(payload); // it went through the codec
    await expect(runWorkflow(w, [], { activities: {} })).rejects.toThrow(
      "workflow waits for signal 'approve' which runWorkflow was not given (no signals were given)",
    );
  });

  it('delivers activity errors to the workflow with their name, message and code, and retries per options', async () => {
    let attempts = 0;
    const ctxs: ActivityContext[] = [];
    const flaky = proxyActivities<{ flaky(n: number): Promise<number>; broken(): Promise<never> }>({
      retries: 2,
      backoff: { type: 'exponential', delay: 60_000 },
    });
    const w = hand<[], unknown>('t_retries', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, flaky.flaky(5));
      if (f.pc === 1) return suspend(f, 2, { got: value(r) }, flaky.broken());
      try {
        value(r);
        return { done: true, value: 'unreachable' };
      } catch (e) {
        const err = e as Error & { code?: string };
        return { done: true, value: { got: f.locals.got, caught: [err.name, err.message, err.code, err instanceof Error] } };
      }
    });
    const out = await runWorkflow(w, [], {
      activities: {
        flaky(n: number) {
          ctxs.push(activityContext());
          if (++attempts < 3) throw new Error(`try ${attempts}`);
          return n * 2;
        },
        async broken() {
          const e = new Error('disk on fire') as Error & { code: string };
          e.name = 'IOError';
          e.code = 'EFIRE';
          throw e;
        },
      },
    });
    // backoff on the virtual clock: flaky waits 1 + 2 minutes before its third try, broken the same before failing
    expect(out.virtualMs).toBe(360_000);
    expect(out.result).toEqual({ got: 10, caught: ['IOError', 'disk on fire', 'EFIRE', true] });
    expect(ctxs.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect(new Set(ctxs.map((c) => c.idempotencyKey)).size).toBe(1);
    expect(ctxs[0]).toMatchObject({ activity: 'flaky' });
    expect(ctxs[0]!.signal).toBeInstanceOf(AbortSignal);
  });

  it('fails a call to an unknown activity with UnknownActivityError naming it and the available ones', async () => {
    const acts = proxyActivities<{ nope(): Promise<void> }>();
    const w = hand<[], unknown>('t_unknown', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, acts.nope());
      return { done: true, value: value(r) };
    });
    const run = runWorkflow(w, [], { activities, roundTrip: false });
    await expect(run).rejects.toThrow(UnknownActivityError);
    await expect(runWorkflow(w, [], { activities })).rejects.toThrow("unknown activity 'nope'; available activities: encodeVideo, createPlaylist");
  });

  it('refuses activityContext() outside an activity', () => {
    expect(() => activityContext()).toThrow(/activityContext\(\) called outside an activity/);
  });

  it('times out an activity attempt and aborts its signal', async () => {
    let aborted = false;
    const slow = proxyActivities<{ slow(): Promise<void> }>({ timeout: 20 });
    const w = hand<[], unknown>('t_timeout', (f, r) => {
      if (f.pc === 0) return suspend(f, 1, {}, slow.slow());
      return { done: true, value: value(r) };
    });
    const acts = {
      slow: () =>
        new Promise<void>((resolve) => {
          const { signal: s } = activityContext();
          s.addEventListener('abort', () => ((aborted = true), resolve()));
        }),
    };
    await expect(runWorkflow(w, [], { activities: acts })).rejects.toThrow("activity 'slow' timed out after 20 ms (attempt 1)");
    expect(aborted).toBe(true);
  });

  it('rejects with a StateEncodeError when a live local cannot be saved', async () => {
    const w = hand<[], unknown>('t_badlocal', (f) => {
      if (f.pc === 0) return suspend(f, 3, { handler: () => 1 }, sleep(1));
      return { done: true, value: 1 };
    });
    const err = await runWorkflow(w, [], { activities: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateEncodeError);
    expect((err as Error).message).toMatch(/^cannot suspend workflow 't_badlocal' at test\/t_badlocal\.ts:13:3: local 'handler' holds a function/);
    // without round-trips nothing is encoded, so it runs
    await expect(runWorkflow(w, [], { activities: {}, roundTrip: false })).resolves.toMatchObject({ result: 1 });
  });

  it('keeps shared references between locals across round-trips', async () => {
    const w = hand<[], unknown>('t_shared', (f, r) => {
      if (f.pc === 0) {
        const box = { n: 1 };
        return suspend(f, 1, { a: box, b: [box] }, sleep(1));
      }
      value(r);
      const { a, b } = f.locals as { a: { n: number }; b: { n: number }[] };
      a.n = 42;
      return { done: true, value: b[0]!.n };
    });
    expect((await runWorkflow(w, [], { activities: {} })).result).toBe(42);
  });

  it('runs child workflows in memory, and rejects with the workflow’s own error', async () => {
    const child = hand<[number], number>('t_child', (f, r) => {
      if (f.pc === 0) {
        const [n] = value(r) as [number];
        if (n < 0) throw new RangeError(`negative: ${n}`);
        return suspend(f, 1, { n }, sleep('1m'));
      }
      return { done: true, value: (f.locals.n as number) * 3 };
    });
    const parent = hand<[number], unknown>('t_parent', (f, r) => {
      if (f.pc === 0) {
        const [n] = value(r) as [number];
        return suspend(f, 1, {}, group('allSettled', [startChild(child, [n]), startChild(child, [-n])]));
      }
      const res = value(r) as PromiseSettledResult<number>[];
      if (res[0]!.status === 'fulfilled' && res[0]!.value > 10) throw new TypeError('too big');
      return { done: true, value: res.map((x) => (x.status === 'fulfilled' ? x.value : `${(x.reason as Error).name}: ${(x.reason as Error).message}`)) };
    });
    expect((await runWorkflow(parent, [2], { activities: {} })).result).toEqual([6, 'RangeError: negative: -2']);
    const e = await runWorkflow(parent, [5], { activities: {} }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toBe('too big');
  });

  it('stops a runaway workflow at maxSuspensions', async () => {
    const w = hand<[], unknown>('t_forever', (f) => suspend(f, 1, {}, sleep(1)));
    await expect(runWorkflow(w, [], { activities: {}, maxSuspensions: 50 })).rejects.toThrow(/suspended more than maxSuspensions = 50 times/);
  });
});

describe('runNative', () => {
  it('runs the uncompiled function with the same activities, signals, sleeps and children', async () => {
    const calls: string[] = [];
    const acts = proxyActivities<{ twice(n: number): Promise<number> }>({ retries: 1 });
    let failures = 0;
    async function child(n: number) {
      await sleep('1d');
      return acts.twice(n);
    }
    async function main(n: number) {
      const s = await signal<number>('bonus');
      const t = await signal('missing', { timeout: '1s' });
      const [a, b] = await Promise.all([acts.twice(n), startChild('child', [n + 1] as never) as Promise<number>]);
      try {
        await acts.twice(-1);
      } catch (e) {
        return { a, b, s, t, err: (e as Error).message };
      }
      return null;
    }
    const out = await runNative(main, [1], {
      activities: {
        twice(n: number) {
          if (n < 0) throw new RangeError(`attempt ${++failures}`);
          return n * 2;
        },
      },
      signals: { bonus: 7 },
      workflows: { child },
      onCall: (name, args) => calls.push(`${name}:${String(args[0])}`),
    });
    expect(out.result).toEqual({ a: 2, b: 4, s: 7, t: undefined, err: 'attempt 2' });
    expect(calls).toEqual(['twice:1', 'twice:2', 'twice:-1', 'twice:-1']);
    await expect(runNative(async () => signal('x'), [], { activities: {} })).rejects.toThrow(/signal 'x' which runNative was not given/);
  });
});
