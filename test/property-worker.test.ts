/**
 * The property test's random programs (support/gen-program.ts) on a real
 * Worker and Client (support/fixture-worker.ts), on the embedded backend
 * and on Redis (a private redis-server), compared with their native run:
 * what runWorkflow shows in memory must hold where every step is committed
 * to SQLite or by the Lua scripts, every call dispatched through the queue
 * (ours or bee-queue), and every resume read back from the store. The
 * activities are the fixtures' (support/fiber-compare.ts): `add` and `fail`
 * finish after a few event-loop turns that depend on their arguments, so
 * concurrent calls complete out of order.
 * Runs: REAWAIT_PROP_WORKER_RUNS per backend (default 24: half plain, half with fibers).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { programArbitrary, renderProgram, type GeneratedProgram } from './support/gen-program.js';
import { COMPILED_DIR, writeSource } from './support/compile-fixture.js';
import { compareOnWorker } from './support/fixture-worker.js';
import { useRedisRuntime } from './support/runtime-harness.js';
import type { BackendOptions } from '../runtime/index.js';
import path from 'node:path';

const RUNS = Number(process.env.REAWAIT_PROP_WORKER_RUNS ?? 24);
const DIR = path.join(COMPILED_DIR, 'prop-worker');

// With AOF on: the worker would otherwise warn (onError) that the server keeps nothing on disk.
const redis = useRedisRuntime({ appendonly: true });
/** Each backend: undefined is a fresh embedded folder per program; Redis gets a key prefix per program. */
const BACKEND_OF: Record<string, (stem: string) => BackendOptions | undefined> = {
  embedded: () => undefined,
  redis: (stem) => ({ redis: redis.url, prefix: stem }),
};

let counter = 0;

async function agreeOnWorker(p: GeneratedProgram, backend: string): Promise<string> {
  const stem = `rand${process.pid}x${counter++}`;
  writeSource(renderProgram(p, stem), `prop-worker/${stem}.ts`);
  const on = BACKEND_OF[backend]!(stem);
  const { diff } = await compareOnWorker({ dir: DIR, stem }, { timeoutMs: 20_000, ...(on ? { backend: on } : {}) });
  return diff;
}

describe.each(Object.keys(BACKEND_OF))('random programs on a Worker (%s) vs natively', (backend) => {
  it.each([
    ['plain', {}],
    ['fiber', { fibers: true }],
  ] as const)(`agree on ${Math.ceil(RUNS / 2)} random %s programs`, async (_, options) => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(options), async (p) => {
        const diff = await agreeOnWorker(p, backend);
        expect(diff, `program:\n${renderProgram(p, 'shown')}`).toBe('');
      }),
      { numRuns: Math.ceil(RUNS / 2), endOnFailure: true },
    );
  }, Math.max(120_000, RUNS * 5_000));
});
