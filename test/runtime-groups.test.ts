/**
 * Promise.all/allSettled/race/any groups: the same JS semantics on both
 * backends. The 10,000-call fan-out has a file per backend (it asserts each
 * store's own costs): runtime-groups-redis.test.ts, local-runtime.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { activities, SOURCE } from './support/group-workflows.js';
import { BACKENDS, useRuntime, workflowModule } from './support/runtime-harness.js';

for (const kind of BACKENDS) {
  describe(`groups (${kind})`, () => {
    const h = useRuntime(kind);

    it('runs Promise.all, allSettled, race and any with JS semantics', async () => {
      const mod = await workflowModule(SOURCE, 'groups');
      const prefix = h.prefix();
      await h.worker({ prefix, workflows: mod, activities, concurrency: 20 });
      const client = h.client(prefix);
      const handle = await client.start(mod.modes, []);
      const r = (await handle.result({ timeoutMs: 15_000 })) as Record<string, unknown>;
      expect(r.settled).toEqual([
        { status: 'fulfilled', value: 2 },
        { status: 'rejected', reason: expect.objectContaining({ message: 'boom' }) },
        { status: 'fulfilled', value: 7 },
      ]);
      expect(r.first).toBe('fast');
      expect(r.any).toBe('ok');
      expect(r.allErr).toBe('all-fails');
      expect(r.anyErr).toBe('AggregateError:x,y');
      const d = await handle.describe();
      expect(d.status).toBe('completed');
      const types = d.history.map((e) => e.type);
      expect(types[0]).toBe('started');
      expect(types).toContain('suspended');
      expect(types).toContain('dispatched');
      expect(types).toContain('call completed');
      expect(types).toContain('call failed');
      expect(types).toContain('resumed');
      // A race's losers keep running after the end (they were started): their late settlements may follow.
      expect(types.filter((t) => !t.startsWith('call ')).at(-1)).toBe('completed');
    });
  });
}
