/**
 * Durable timers, signals, cancel and child workflows: the same behaviour on
 * both backends (Redis + bee-queue, and the embedded one). What only one
 * backend can show (Redis keys, bee-queue jobs, a folder reopened) is in
 * runtime-durable-redis.test.ts and local-runtime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError } from '../runtime/index.js';
import { activities, lineOf, recorded, SOURCE } from './support/durable-workflows.js';
import { BACKENDS, useRuntime, workflowModule } from './support/runtime-harness.js';

for (const kind of BACKENDS) {
  describe(`durable timers, signals, cancel and children (${kind})`, () => {
    const h = useRuntime(kind);
    async function setup() {
      const mod = await workflowModule(SOURCE, 'durable');
      const prefix = h.prefix();
      const worker = await h.worker({ prefix, workflows: mod, activities, concurrency: 10 });
      return { mod, prefix, worker, client: h.client(prefix) };
    }

    it('runs several sequential workflows at once, each on its own state', async () => {
      const { mod, client } = await setup();
      const xs = [1, 3, 5, 7, 9, 11];
      const handles = await Promise.all(xs.map((x) => client.start(mod.doubling, [x, 6])));
      expect(await Promise.all(handles.map((hd) => hd.result({ timeoutMs: 20_000 })))).toEqual(xs.map((x) => x * 64));
    });

    it('buffers a signal sent before the wait, and resolves a timed-out signal to undefined', async () => {
      const { mod, client } = await setup();
      const handle = await client.start(mod.approval, [], { id: 'approval-1' });
      await handle.signal('approve', 'early'); // may arrive before the workflow waits: buffered
      expect(await handle.result({ timeoutMs: 10_000 })).toEqual({ first: 'early', second: undefined });
      const types = (await handle.describe()).history.map((e) => e.type);
      expect(types).toContain('signal timed out');
    });

    it('delivers several signals of one name in order, buffered while the workflow is busy', async () => {
      const { mod, client } = await setup();
      const handle = await client.start(mod.twoSignals, []);
      await handle.signal('n', 1);
      await handle.signal('n', 2);
      await handle.signal('n', 3);
      expect(await handle.result({ timeoutMs: 10_000 })).toEqual([1, 2, 3]);
      await expect(handle.signal('n', 4)).rejects.toThrow(/already ended/);
    });

    it('cancels: the workflow sees CancelledError at its await and compensates with activities', async () => {
      const { mod, client } = await setup();
      const c1 = `c1-${h.kind}`;
      const handle = await client.start(mod.compensating, [c1]);
      await expect.poll(async () => (await handle.describe()).waitingAt?.line, { timeout: 5000 }).toBe(lineOf("await signal('never')"));
      await handle.cancel('user asked');
      const err = await handle.result({ timeoutMs: 10_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CancelledError);
      expect((err as Error).message).toBe('user asked');
      expect(recorded.filter((r) => r.startsWith(`${c1}:`))).toEqual([`${c1}:step1`, `${c1}:undo`, `${c1}:finally:step1|caught CancelledError|finally`]);
      const d = await handle.describe();
      expect(d.status).toBe('cancelled');
      expect(d.history.map((e) => e.type)).toContain('cancel requested');
    });

    it('drops queued calls of a cancelled execution', async () => {
      const mod = await workflowModule(SOURCE, 'durable');
      const prefix = h.prefix();
      const client = h.client(prefix);
      let release!: () => void;
      const blocked = new Promise<void>((r) => (release = r));
      const ran: string[] = [];
      // one activity at a time: double() blocks, so both slow() calls stay queued
      await h.worker({
        prefix,
        workflows: mod,
        concurrency: 1,
        activities: { double: async (x: number) => (await blocked, x * 2), slow: async (_ms: number, v: string) => (ran.push(v), v) },
      });
      const handle = await client.start(mod.inspectMe, [1]);
      await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
      await handle.cancel();
      await expect(handle.result({ timeoutMs: 10_000 })).rejects.toBeInstanceOf(CancelledError);
      release();
      await new Promise((r) => setTimeout(r, 300));
      expect(ran).toEqual([]);
      expect((await handle.describe()).status).toBe('cancelled');
    });

    it('aborts the AbortSignal of a running activity when its execution is cancelled', async () => {
      const mod = await workflowModule(SOURCE, 'durable');
      const prefix = h.prefix();
      let started = false;
      let aborted: unknown;
      const { activityContext } = await import('../runtime/index.js');
      await h.worker({
        prefix,
        workflows: mod,
        liveCheckMs: 50,
        activities: {
          ...activities,
          slow: async () => {
            started = true;
            const { signal } = activityContext();
            await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
            aborted = signal.reason;
          },
        },
      });
      const client = h.client(prefix);
      const handle = await client.start(mod.inspectMe, [1]);
      await expect.poll(() => started, { timeout: 5000 }).toBe(true);
      await handle.cancel();
      await expect(handle.result({ timeoutMs: 5000 })).rejects.toBeInstanceOf(CancelledError);
      await expect.poll(() => aborted, { timeout: 5000 }).toBeInstanceOf(CancelledError);
    });

    it('close() is graceful: a running call finishes and is settled, not run again', async () => {
      const mod = await workflowModule(SOURCE, 'durable');
      const prefix = h.prefix();
      let runs = 0;
      const slowDouble = async (x: number) => (runs++, await new Promise((r) => setTimeout(r, 300)), x * 2);
      const w = await h.worker({ prefix, workflows: mod, activities: { double: slowDouble } });
      const client = h.client(prefix);
      const handle = await client.start(mod.child, [4]);
      await expect.poll(() => runs, { timeout: 5000, interval: 10 }).toBe(1);
      await w.close(5000);
      expect((await handle.describe()).status).toBe('ready'); // settled before close returned; the resume waits for a worker
      await h.worker({ prefix, workflows: mod, activities: { double: slowDouble } });
      expect(await handle.result({ timeoutMs: 5000 })).toBe(8);
      expect(runs).toBe(1);
    });

    it('runs child workflows as separate executions and awaits their results and errors', async () => {
      const { mod, client } = await setup();
      const handle = await client.start(mod.parent, [[1, 2, 3]], { id: 'parent-1' });
      expect(await handle.result({ timeoutMs: 10_000 })).toEqual({ results: [2, 4, 6], failed: 'RangeError: too big: 2000' });
      const children = (await client.list({ workflow: 'child' })).items.map((i) => i.id).sort();
      // A child's id is reserved ('~c:' + parent + op id): user ids cannot collide with it.
      expect(children).toEqual(['~c:parent-1:1', '~c:parent-1:2', '~c:parent-1:3', '~c:parent-1:5']);
      const d = await (await client.get('~c:parent-1:1'))!.describe();
      expect(d.parent).toEqual({ id: 'parent-1', op: 1 });
      expect(d.result).toBe(2);
    });

    it('cancelling a parent cancels the child it waits for', async () => {
      const { mod, client } = await setup();
      const handle = await client.start(mod.sleepyParent, [], { id: 'cp' });
      await expect.poll(async () => (await client.get('~c:cp:1'))?.describe().then((d) => d.status), { timeout: 5000 }).toBe('waiting');
      await handle.cancel('stop all');
      await expect(handle.result({ timeoutMs: 5000 })).rejects.toBeInstanceOf(CancelledError);
      const child = (await client.get('~c:cp:1'))!;
      await expect(child.result({ timeoutMs: 5000 })).rejects.toThrow('stop all');
      expect(recorded).toContain('child:compensated');
    });

    it('starts idempotently by id', async () => {
      const { mod, client } = await setup();
      const a = await client.start(mod.child, [5], { id: 'same-id' });
      const b = await client.start(mod.child, [6], { id: 'same-id' });
      expect(b.id).toBe(a.id);
      expect(await b.result({ timeoutMs: 10_000 })).toBe(10);
      expect((await client.list({ workflow: 'child' })).items.filter((i) => i.id === 'same-id')).toHaveLength(1);
    });

    it('describes a waiting execution: source line, live locals, calls done of total', async () => {
      const { mod, client } = await setup();
      const handle = await client.start(mod.inspectMe, [4]);
      await expect.poll(async () => (await handle.describe()).calls?.done, { timeout: 5000 }).toBe(1);
      const d = await handle.describe();
      expect(d.status).toBe('waiting');
      expect(d.workflow).toBe('inspectMe');
      expect(d.version).toMatch(/\w+/);
      expect(d.waitingAt).toMatchObject({ fn: 'inspectMe', file: 'test/runtime/durable.ts', line: lineOf('const got = await') });
      expect(d.fibers![0]!.locals).toMatchObject({ label: 'batch-4' });
      expect(d.fibers![0]!.line).toBe(lineOf('const got = await'));
      expect(d.calls).toEqual({ total: 3, done: 1 });
      expect(await handle.result({ timeoutMs: 10_000 })).toEqual({ label: 'batch-4', got: [8, 'x', 'y'] });
    });
  });
}
