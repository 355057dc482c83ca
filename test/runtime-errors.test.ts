/**
 * Bad input and activity options: the same behaviour on both backends. The
 * corrupt-state case edits storage directly, so it has a file per backend
 * (runtime-errors-redis.test.ts, local-store.test.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import { Client, PayloadTooLargeError, ValueEncodeError } from '../runtime/index.js';
import { aborted, activities, attempts, Receipt, SOURCE, THROWN } from './support/error-workflows.js';
import { exactDifference } from './support/exact-equal.js';
import { BACKENDS, useRuntime, workflowModule, type SourceWorkflow } from './support/runtime-harness.js';

for (const kind of BACKENDS) {
  describe(`errors and activity options (${kind})`, () => {
    const h = useRuntime(kind);

    async function setup(extra: { maxPayloadBytes?: number } = {}) {
      const mod = await workflowModule(SOURCE, 'errors');
      const prefix = h.prefix();
      await h.worker({ prefix, workflows: mod, activities, ...extra });
      const client = new Client({ ...h.backend(prefix), ...extra });
      return { mod, prefix, client };
    }

    describe('bad input fails one execution or call with a clear error; the worker keeps serving', () => {
      it('unknown workflow, unknown activity, non-data args', async () => {
        const { mod, client } = await setup();
        // A workflow no worker here has is left for one that has it (issue 13), never failed.
        const unknown = await client.start('noSuchWorkflow', [1]);
        await expect.poll(async () => (await unknown.describe()).problem, { timeout: 5000 }).toMatch(/unknown workflow 'noSuchWorkflow'.*registered: .*quick/);
        expect((await unknown.describe()).status).toBe('ready');

        // A call to an activity no worker here has is handed back, never failed: it waits with the problem noted.
        const missing = await client.start(mod.callsMissing, []);
        await expect.poll(async () => (await missing.describe()).problem, { timeout: 30_000, interval: 100 }).toMatch(/no worker has activity 'noSuchActivity'/);
        expect((await missing.describe()).status).toBe('waiting');

        await expect(client.start(mod.quick, [() => 1])).rejects.toBeInstanceOf(ValueEncodeError);
        const fn = await client.start(mod.passesFunction, []);
        const e3 = (await fn.result({ timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
        expect(e3.message).toMatch(/cannot encode the arguments of activity 'echo'.*holds a function/);
        const cl = await client.start(mod.passesClosure, [2]);
        const e4 = (await cl.result({ timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
        expect(e4.name).toBe('ValueEncodeError');
        expect(e4.message).toMatch(/cannot encode the arguments of activity 'echo'.*\[0\]\.add\) holds a function \(add\).*runs only inside the workflow/);

        // the same worker still serves
        const ok = await client.start(mod.quick, [42]);
        expect(await ok.result({ timeoutMs: 5000 })).toBe(42);
        await client.close();
      });

      it('oversize payloads: args refused at start, a result fails its call (configurable limit)', async () => {
        const { mod, client } = await setup({ maxPayloadBytes: 2000 });
        await expect(client.start(mod.quick, ['y'.repeat(5000)])).rejects.toBeInstanceOf(PayloadTooLargeError);
        const h1 = await client.start(mod.big, [5000]);
        expect(await h1.result({ timeoutMs: 5000 })).toMatch(/^caught PayloadTooLargeError: the result of activity 'bigResult' is \d+ bytes encoded, over the limit of 2000 bytes/);
        const h2 = await client.start(mod.big, [100]);
        expect(await h2.result({ timeoutMs: 5000 })).toBe('x'.repeat(100));
        await client.close();
      });

      it('the default limit is 1 MiB', async () => {
        const { mod, client } = await setup();
        const h1 = await client.start(mod.big, [1024 * 1024 + 10]);
        expect(await h1.result({ timeoutMs: 5000 })).toMatch(/over the limit of 1048576 bytes/);
        await client.close();
      });

    });

    describe('thrown values arrive as they were thrown', () => {
      it('an activity that throws a string, number, object, undefined, null or a registered instance: the workflow catches exactly that', async () => {
        const { mod, client } = await setup();
        for (const kind of Object.keys(THROWN)) {
          const handle = await client.start(mod.catchesThrown, [kind]);
          const { caught } = (await handle.result({ timeoutMs: 5000 })) as { caught: unknown };
          expect(exactDifference(caught, THROWN[kind]!()), kind).toBeUndefined();
        }
        const handle = await client.start(mod.catchesThrown, ['registered']);
        expect(((await handle.result({ timeoutMs: 5000 })) as { caught: unknown }).caught).toBeInstanceOf(Receipt);
        await client.close();
      });

      it("after retries the last attempt's value fails the workflow, and result() rejects with it as thrown (undefined too)", async () => {
        const { mod, client } = await setup();
        for (const kind of ['undefined', 'object']) {
          const handle = await client.start(mod.letsThrownEscape, [kind]);
          const outcome = await handle.result({ timeoutMs: 5000 }).then(
            () => 'resolved',
            (e: unknown) => ({ rejected: e }),
          );
          expect(outcome).toEqual({ rejected: THROWN[kind]!() });
          const d = await handle.describe();
          expect(d.status).toBe('failed');
          expect(d.history.filter((e) => e.type === 'call retried')).toHaveLength(3);
          expect(d.history.find((e) => e.type === 'failed')!.error).toBe(kind === 'undefined' ? 'undefined' : "{ code: 'E1', list: [ 1, 2 ] }");
        }
        await client.close();
      });

      it('an instance of an unregistered class arrives as an error naming the class and how to register it', async () => {
        const { mod, client } = await setup();
        const handle = await client.start(mod.catchesThrown, ['unregistered']);
        const { caught } = (await handle.result({ timeoutMs: 5000 })) as { caught: Error };
        expect(caught).toBeInstanceOf(ValueEncodeError);
        expect(caught.message).toMatch(/^cannot encode the error thrown by activity 'throwsValue': it holds an Unregistered instance, .*serializable\(Unregistered\)/);
        await client.close();
      });
    });

    describe('activity options', () => {
      it('retries with backoff; the idempotency key is stable across attempts', async () => {
        const { mod, client } = await setup();
        const handle = await client.start(mod.retrying, [`r1-${h.kind}`]);
        expect(await handle.result({ timeoutMs: 5000 })).toBe('ok after 3');
        const seen = attempts.get(`r1-${h.kind}`)!;
        expect(seen.map((a) => a.attempt)).toEqual([1, 2, 3]);
        expect(new Set(seen.map((a) => a.key)).size).toBe(1);
        expect(seen[0]!.key).toBe(`${handle.id}:1`); // execution id and op id
        const types = (await handle.describe()).history.map((e) => e.type);
        expect(types.filter((t) => t === 'call retried')).toHaveLength(2);
        await client.close();
      });

      it('a timeout fails the call with ActivityTimeoutError and aborts the activity', async () => {
        const { mod, client } = await setup();
        const handle = await client.start(mod.timesOut, []);
        expect(await handle.result({ timeoutMs: 5000 })).toBe("ActivityTimeoutError: activity 'hang' timed out after 100 ms (attempt 1)");
        expect((aborted.by as Error).name).toBe('ActivityTimeoutError');
        await client.close();
      });
    });

    describe('code version', () => {
      const src = (k: number) => `
    import { signal } from 'reawait/workflow';
    export async function versioned() {
      'use workflow';
      const got = await signal<number>('go');
      return got * ${k};
    }
    `;
      /** Two builds of the same workflow (same name and file), as two deployments would have. */
      async function build(k: number): Promise<Record<string, SourceWorkflow>> {
        const out = compile(src(k), { filename: 'test/runtime/versioned.ts' });
        const dir = path.join(process.cwd(), 'test/.compiled/test/runtime');
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, `versioned-v${k}.js`);
        writeFileSync(file, out.code);
        return (await import(/* @vite-ignore */ file)) as Record<string, SourceWorkflow>;
      }

      it('a worker with a newer build resumes a state whose code after its point changed on the build that wrote it (pinned, same process)', async () => {
        const v1 = await build(1);
        const v2 = await build(2);
        const prefix = h.prefix();
        const w1 = await h.worker({ prefix, workflows: v1, activities: {} });
        const client = h.client(prefix);
        const handle = await client.start(v1.versioned, []);
        await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
        await w1.close(1000);
        await h.worker({ prefix, workflows: v2, activities: {} });
        await handle.signal('go', 21);
        expect(await handle.result({ timeoutMs: 5000 })).toBe(21); // v1's code: 21 * 1
        expect((await handle.describe()).problem).toBeUndefined();
      });
    });
  });
}
