/**
 * The property test's random programs (support/gen-program.ts) on a real
 * Worker and Client on the embedded backend (support/fixture-worker.ts),
 * compared with their native run: what runWorkflow shows in memory must
 * hold where every step is committed to SQLite, every call dispatched
 * through the queue, and every resume read back from the database. The
 * activities are the fixtures' (support/fiber-compare.ts): `add` and `fail`
 * finish after a few event-loop turns that depend on their arguments, so
 * concurrent calls complete out of order.
 * Runs: REAWAIT_PROP_WORKER_RUNS (default 24: half plain, half with fibers).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { programArbitrary, renderProgram, type GeneratedProgram } from './support/gen-program.js';
import { COMPILED_DIR, writeSource } from './support/compile-fixture.js';
import { compareOnWorker } from './support/fixture-worker.js';
import path from 'node:path';

const RUNS = Number(process.env.REAWAIT_PROP_WORKER_RUNS ?? 24);
const DIR = path.join(COMPILED_DIR, 'prop-worker');

let counter = 0;

async function agreeOnWorker(p: GeneratedProgram): Promise<string> {
  const stem = `rand${process.pid}x${counter++}`;
  writeSource(renderProgram(p, stem), `prop-worker/${stem}.ts`);
  const { diff } = await compareOnWorker({ dir: DIR, stem }, { timeoutMs: 20_000 });
  return diff;
}

describe('random programs on a Worker (embedded backend) vs natively', () => {
  it.each([
    ['plain', {}],
    ['fiber', { fibers: true }],
  ] as const)(`agree on ${Math.ceil(RUNS / 2)} random %s programs`, async (_, options) => {
    await fc.assert(
      fc.asyncProperty(programArbitrary(options), async (p) => {
        const diff = await agreeOnWorker(p);
        expect(diff, `program:\n${renderProgram(p, 'shown')}`).toBe('');
      }),
      { numRuns: Math.ceil(RUNS / 2), endOnFailure: true },
    );
  }, Math.max(120_000, RUNS * 5_000));
});
