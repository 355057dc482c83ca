/**
 * Row 2 — CPU-bound workflow code: a loop of N iterations with no await
 * inside, between two awaits (so it sits inside the compiled state machine,
 * with its variables as step-function locals), compiled and run through
 * runWorkflow vs the same function run natively.
 */
import { importCompiled, importNative } from '../lib/compile-tmp.mjs';
import { interleaved } from '../lib/measure.mjs';
import { distUrl } from '../lib/paths.mjs';
import { withActivities } from '../lib/sources.mjs';
import * as activities from '../lib/activities.mjs';

const BODY = `
export async function cpuLoop(n: number): Promise<number> {
  'use workflow';
  let acc: number = await seed(n);
  for (let i = 0; i < n; i++) {
    acc = (acc * 31 + i) % 1000003;
    if ((acc & 1023) === 7) acc += 3;
  }
  return await report(acc);
}
`;

export default {
  row: 2,
  title: 'CPU-bound workflow code',
  needs: ['compiler', 'runWorkflow'],
  lines: [{ id: '2', what: 'await-free loop of 10M iterations: compiled vs native' }],
  async run({ smoke }) {
    const n = smoke ? 100_000 : 10_000_000;
    const compiled = await importCompiled(withActivities(BODY, ['seed', 'report'], 'compiled'), 'cpu-loop');
    const native = await importNative(withActivities(BODY, ['seed', 'report'], 'native'), 'cpu-loop');
    const { runWorkflow } = await import(distUrl('runtime/testing.js'));
    let a;
    let b;
    const t = await interleaved(
      {
        compiled: async () => (a = (await runWorkflow(compiled.cpuLoop, [n], { activities, roundTrip: true })).result),
        native: async () => (b = await native.cpuLoop(n)),
      },
      { reps: smoke ? 1 : 9, warmup: smoke ? 0 : 2 },
    );
    if (a !== b) throw new Error(`row 2: compiled result ${a} differs from native ${b}`);
    return [
      {
        id: '2',
        reawait: { value: t.compiled.median, unit: 'ms' },
        anchor: { name: 'native', value: t.native.median, unit: 'ms' },
        ratio: t.compiled.median / t.native.median,
        target: '≤ 1.1×',
        ok: t.compiled.median <= 1.1 * t.native.median,
        note: `${n.toLocaleString('en-US')} iterations; compiled time includes runWorkflow with state round-trips (2 suspensions); median of ${smoke ? 1 : 9}.`,
        samples: t,
      },
    ];
  },
};
