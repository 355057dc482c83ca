/**
 * Row 3 — await overhead in memory: N sequential awaits of an in-memory
 * activity. Compiled through runWorkflow (state round-trips off / on) vs
 * the same source as native async, and as Babel's regenerator output, both
 * calling the activity directly.
 */
import { importCompiled, importNative, importRegenerator } from '../lib/compile-tmp.mjs';
import { interleaved } from '../lib/measure.mjs';
import { distUrl } from '../lib/paths.mjs';
import { withActivities } from '../lib/sources.mjs';
import * as activities from '../lib/activities.mjs';

const BODY = `
export async function awaitLoop(n: number): Promise<number> {
  'use workflow';
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = await inc(acc);
  }
  return acc;
}
`;

export default {
  row: 3,
  title: 'await overhead in memory',
  needs: ['compiler', 'runWorkflow', 'regenerator'],
  lines: [
    { id: '3a', what: '100k sequential awaits: runWorkflow roundTrip off vs native async' },
    { id: '3b', what: '100k sequential awaits: runWorkflow roundTrip on vs native async' },
    { id: '3c', what: '100k sequential awaits: runWorkflow roundTrip off vs regenerator' },
    { id: '3d', what: '100k sequential awaits: regenerator vs native async' },
  ],
  async run({ smoke }) {
    const n = smoke ? 2_000 : 100_000;
    const compiled = await importCompiled(withActivities(BODY, ['inc'], 'compiled'), 'await-loop');
    const native = await importNative(withActivities(BODY, ['inc'], 'native'), 'await-loop');
    const regen = await importRegenerator(withActivities(BODY, ['inc'], 'native'), 'await-loop');
    const { runWorkflow } = await import(distUrl('runtime/testing.js'));
    const check = (what, v) => {
      if (v !== n) throw new Error(`row 3: ${what} returned ${v}, expected ${n}`);
    };
    let maxStateBytes = 0;
    const reps = smoke ? 1 : 5;
    const t = await interleaved(
      {
        off: async () => check('roundTrip off', (await runWorkflow(compiled.awaitLoop, [n], { activities, roundTrip: false, maxSuspensions: n + 1 })).result),
        on: async () => {
          const r = await runWorkflow(compiled.awaitLoop, [n], { activities, roundTrip: true, maxSuspensions: n + 1 });
          maxStateBytes = r.maxStateBytes;
          check('roundTrip on', r.result);
        },
        native: async () => check('native', await native.awaitLoop(n)),
        regenerator: async () => check('regenerator', await regen.awaitLoop(n)),
      },
      { reps, warmup: smoke ? 0 : 1 },
    );
    const ms = (v) => ({ value: v, unit: 'ms' });
    const per = (name) => `${((t[name].median * 1000) / n).toFixed(2)} µs/await`;
    const line = (id, a, b, note) => ({
      id,
      reawait: ms(t[a].median),
      anchor: { name: b, ...ms(t[b].median) },
      ratio: t[a].median / t[b].median,
      target: null,
      ok: null,
      note,
    });
    return [
      line('3a', 'off', 'native', `${n.toLocaleString('en-US')} awaits; ${per('off')} vs ${per('native')}; median of ${reps}.`),
      line('3b', 'on', 'native', `${per('on')}: every suspension encodes the state to JSON (max ${maxStateBytes} B) and decodes it back, and values pass the codec.`),
      line('3c', 'off', 'regenerator', `${per('off')} vs ${per('regenerator')}.`),
      { ...line('3d', 'regenerator', 'native', `reawait column = regenerator here.`), samples: t },
    ];
  },
};
