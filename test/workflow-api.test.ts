import { describe, expect, it } from 'vitest';
import { start } from '../runtime/machine.js';
import { isDurablePromise, type DurablePromise } from '../runtime/promises.js';
import { defineSignal, group, isCommand, parseDuration, proxyActivities, signal, sleep, setNativeHost, workflowRecord } from '../runtime/workflow.js';
import { hand, suspend, value } from './support/hand-workflow.js';

describe('reawait/workflow authoring API', () => {
  it('parses durations', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('10s')).toBe(10_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(() => parseDuration('soon' as never)).toThrow(/invalid duration 'soon'/);
    expect(() => parseDuration(-1)).toThrow(/invalid duration -1/);
  });

  it('defineSignal names a signal once (its payload type is for the type checker); signal(def) waits for that name', () => {
    const approve = defineSignal<boolean>('approve');
    expect(approve).toEqual({ name: 'approve' });
    expect(Object.isFrozen(approve)).toBe(true);
    expect(() => defineSignal('')).toThrow('defineSignal: name must be a non-empty string');
    const cmd: unknown = signal(approve, { timeout: '1s' });
    expect(isCommand(cmd) && { ...cmd }).toEqual({ kind: 'signal', name: 'approve', timeoutMs: 1000 });
    expect(() => signal({ name: '' })).toThrow('signal: name must be a non-empty string or a defineSignal() definition');
  });

  it('builds plain command data from activity stubs', () => {
    const acts = proxyActivities<{ add(a: number, b: number): Promise<number> }>({ retries: 2 });
    const cmd = acts.add(1, 2);
    expect(isCommand(cmd)).toBe(true);
    expect(JSON.parse(JSON.stringify(cmd))).toEqual({ kind: 'call', activity: 'add', args: [1, 2], options: { retries: 2 } });
    expect(() => proxyActivities({ retries: -1 })).toThrow(/retries must be a non-negative integer/);
  });

  it('inside a running workflow, calls and combinators are durable promises; a workflow function called outside one is an error', async () => {
    const acts = proxyActivities<{ f(x: number): Promise<number> }>();
    let made: unknown[] = [];
    const w = hand('api_group', (f, r) => {
      if (f.pc === 0) {
        const call = acts.f(1);
        const g = group('all', [call, 7, sleep('1s'), signal('go', { timeout: '2s' })]);
        made = [call, g];
        return suspend(f, 1, {}, g);
      }
      return { done: true, value: value(r) };
    });
    const s = await start(workflowRecord(w), []);
    expect(made.every(isDurablePromise)).toBe(true);
    expect(made.map((p) => (p as DurablePromise).kind)).toEqual(['op', 'all']);
    expect(s.effects.started.map((x) => x.cmd)).toEqual([
      { kind: 'call', activity: 'f', args: [1], options: {} },
      { kind: 'sleep', ms: 1000 },
      { kind: 'signal', name: 'go', timeoutMs: 2000 },
    ]);
    expect(() => w()).toThrow(/workflow 'api_group' was called outside a running workflow; start it with client.start/);
  });

  it('falls back to an in-memory Promise method when an item is a real promise', async () => {
    const g = group('all', [Promise.resolve(1), 2]);
    expect(isCommand(g)).toBe(false);
    await expect(g).resolves.toEqual([1, 2]);
  });

  it('rejects a command awaited outside a compiled workflow, with a clear error', async () => {
    const acts = proxyActivities<{ f(): Promise<number> }>();
    await expect(acts.f()).rejects.toThrow(/activity 'f' was awaited outside a compiled workflow/);
  });

  it('serves commands natively under a NativeHost', async () => {
    const acts = proxyActivities<{ f(x: number): Promise<number> }>();
    setNativeHost({
      call: async (_name, args) => (args[0] as number) * 10,
      sleep: async () => undefined,
      signal: async () => 'payload',
      child: async () => null,
    });
    try {
      expect(await Promise.all([acts.f(1), acts.f(2)])).toEqual([10, 20]);
      expect(await signal('x')).toBe('payload');
    } finally {
      setNativeHost(null);
    }
  });
});
