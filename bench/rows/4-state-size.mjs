/**
 * Row 4 — state size: bytes of the encoded JSON state at every suspension of
 * the video example and of a workflow with 20 locals of which 3 are live
 * across its await, against the ~800 B interpreter snapshot the Python design
 * (durable-monty) reports. Drives the machine directly so that every
 * suspension's state is seen, not only the largest.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { importCompiled } from '../lib/compile-tmp.mjs';
import { ROOT, distUrl } from '../lib/paths.mjs';
import { rebase, withActivities } from '../lib/sources.mjs';
import * as activities from '../lib/activities.mjs';

const SNAPSHOT_BYTES = 800;

// The design's example, used if examples/video-encoding is not there.
const VIDEO_INLINE = `
import { proxyActivities } from 'reawait/workflow';
const { encodeVideo, createPlaylist } = proxyActivities({ retries: 3 });
export async function videoPipeline(files: string[]) {
  'use workflow';
  const encoded = await Promise.all(files.map((f) => encodeVideo(f)));
  return { playlist: await createPlaylist(encoded), count: encoded.length };
}
`;

const MANY_LOCALS = `
export async function manyLocals(seedValue: number) {
  'use workflow';
  const a1 = seedValue + 1, a2 = seedValue * 2, a3 = 'order-' + seedValue;
  const a4 = a1 * 3, a5 = a2 - 1, a6 = a3.length, a7 = [a1, a2], a8 = { a4, a5 };
  const a9 = a7.concat([a6]), a10 = JSON.stringify(a8), a11 = a10.length * 2, a12 = a9.join('-');
  const a13 = a12.toUpperCase(), a14 = a11 + a6, a15 = { deep: { a13, a14 } }, a16 = Object.keys(a15);
  const a17 = a16.length + a14, a18 = String(a17).repeat(3), a19 = [a18, a17], a20 = a19.length + a17;
  const r = await step(a20);
  return a1 + a2 + a3 + r;
}
`;

/** Run `record` to its end, serving the calls each resume starts with the in-memory activities; the encoded size of every suspension. */
async function sizesAtEverySuspension(record, args) {
  const { advance, initialState } = await import(distUrl('runtime/machine.js'));
  const { encodeState, decodeState } = await import(distUrl('runtime/state-codec.js'));
  const sizes = [];
  let step = await advance(initialState(record), { start: args });
  while (step.kind === 'suspended') {
    const text = encodeState(step.state);
    sizes.push({ at: `${step.at.file}:${step.at.line}`, bytes: Buffer.byteLength(text), text });
    const state = decodeState(text);
    const settlements = [];
    for (const { op, cmd } of step.effects.started) {
      if (cmd.kind !== 'call') throw new Error(`row 4: cannot serve a ${cmd.kind} at ${step.at.file}:${step.at.line}`);
      settlements.push({ op, ok: true, value: await activities[cmd.activity](...cmd.args) });
    }
    step = await advance(state, { settlements });
  }
  if (step.kind === 'failed') throw step.error;
  return sizes;
}

export default {
  row: 4,
  title: 'state size',
  needs: ['compiler', 'machine+codec'],
  lines: [
    { id: '4a', what: 'state bytes, video example (largest of every suspension)' },
    { id: '4b', what: 'state bytes, 20 locals / 3 live (largest)' },
  ],
  async run() {
    const videoFile = path.join(ROOT, 'examples', 'video-encoding', 'workflow.ts');
    const fromExample = existsSync(videoFile);
    const video = await importCompiled(rebase(fromExample ? readFileSync(videoFile, 'utf8') : VIDEO_INLINE), 'video');
    const many = await importCompiled(withActivities(MANY_LOCALS, ['step'], 'compiled'), 'many-locals');
    const { workflowRecord } = await import(distUrl('runtime/workflow.js'));
    const files = ['intro.mov', 'talk.mov', 'outro.mov'];
    const v = await sizesAtEverySuspension(workflowRecord(video.videoPipeline), [files]);
    const m = await sizesAtEverySuspension(workflowRecord(many.manyLocals), [7]);
    const max = (xs) => Math.max(...xs.map((x) => x.bytes));
    const list = (xs) => xs.map((x) => `${x.bytes} B`).join(', ');
    return [
      {
        id: '4a',
        reawait: { value: max(v), unit: 'B' },
        anchor: { name: 'monty snapshot', value: SNAPSHOT_BYTES, unit: 'B' },
        ratio: max(v) / SNAPSHOT_BYTES,
        target: '< 300 B',
        ok: max(v) < 300,
        note: `${fromExample ? 'examples/video-encoding/workflow.ts' : "the design's example (inline)"} with ${files.length} files; every suspension: ${list(v)}. Largest state: ${v.find((x) => x.bytes === max(v)).text}`,
        states: v,
      },
      {
        id: '4b',
        reawait: { value: max(m), unit: 'B' },
        anchor: { name: 'monty snapshot', value: SNAPSHOT_BYTES, unit: 'B' },
        ratio: max(m) / SNAPSHOT_BYTES,
        target: null,
        ok: null,
        note: `every suspension: ${list(m)}; state: ${m[0].text}`,
        states: m,
      },
    ];
  },
};
