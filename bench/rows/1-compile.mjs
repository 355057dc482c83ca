/**
 * Row 1 — compile speed: reawait compile vs Babel's async-to-generator +
 * regenerator, and vs the floor of any Babel pass: bare @babel/parser parse +
 * @babel/generator generate (with a source map), no plugin, no traversal.
 * reawait and regenerator also strip types (plugin-transform-typescript), so
 * line 1d shows what that alone costs over the floor.
 */
import { transformSync } from '@babel/core';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { generateWorkflowModule } from '../gen-workflow-module.mjs';
import { interleaved } from '../lib/measure.mjs';
import { ROOT, distUrl } from '../lib/paths.mjs';
import { plugin } from '../lib/compile-tmp.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));

function corpus(smoke) {
  const dir = path.join(ROOT, 'fixtures', 'programs');
  let files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort().map((f) => path.join(dir, f));
  files.push(path.join(ROOT, 'fixtures', 'activities.ts'));
  if (smoke) files = files.slice(0, 5);
  const inputs = files.map((f) => ({ filename: path.relative(ROOT, f), source: readFileSync(f, 'utf8') }));
  inputs.push({ filename: 'bench/generated-workflows.ts', source: generateWorkflowModule(smoke ? 400 : 10_000) });
  return inputs;
}

const lineCount = (inputs) => inputs.reduce((n, i) => n + i.source.split('\n').length, 0);

export default {
  row: 1,
  title: 'compile speed',
  needs: ['compiler', 'regenerator'],
  lines: [
    { id: '1a', what: 'compile corpus: reawait vs async-to-generator+regenerator' },
    { id: '1b', what: 'compile corpus: reawait vs Babel floor (bare parse+generate)' },
    { id: '1c', what: 'compile corpus: regenerator vs Babel floor (the 13× claim)' },
    { id: '1d', what: 'compile corpus: TS strip alone (@babel/core) vs Babel floor' },
  ],
  async run({ smoke }) {
    const { compile } = await import(distUrl('compiler/index.js'));
    const { parse } = require('@babel/parser');
    const generate = plugin('@babel/generator');
    const ts = plugin('@babel/plugin-transform-typescript');
    const asyncToGen = plugin('@babel/plugin-transform-async-to-generator');
    const regenerator = plugin('@babel/plugin-transform-regenerator');
    const babel = (plugins) => (i) =>
      transformSync(i.source, { filename: i.filename, sourceFileName: i.filename, babelrc: false, configFile: false, sourceType: 'module', sourceMaps: true, plugins });

    const pipelines = {
      reawait: (i) => compile(i.source, { filename: i.filename }),
      regenerator: babel([ts, asyncToGen, regenerator]),
      tsStrip: babel([ts]),
      floor: (i) => {
        const ast = parse(i.source, { sourceType: 'module', plugins: ['typescript'], sourceFilename: i.filename });
        return generate(ast, { sourceMaps: true, sourceFileName: i.filename }, i.source);
      },
    };

    const all = corpus(smoke);
    // Babel's regenerator cannot lower for-of, destructuring, template
    // literals, spread or optional chaining by itself (it needs preset-env's
    // other plugins in front); the comparison with it uses the inputs it accepts.
    const regenOk = all.filter((i) => {
      try {
        pipelines.regenerator(i);
        return true;
      } catch {
        return false;
      }
    });
    const pass = (name, inputs) => () => {
      for (const i of inputs) pipelines[name](i);
    };
    const reps = smoke ? 1 : 5;
    // No full GC between samples here: it shrinks V8's young generation, and
    // regrowing it is charged to the next sample, most heavily to the
    // shortest contender, the floor (with it, 1c read ~7× and 1b ~2.8×;
    // without, 1c reads ~13×, the figure the issue quotes, and 1b ~3.6–4×).
    const full = await interleaved({ reawait: pass('reawait', all), tsStrip: pass('tsStrip', all), floor: pass('floor', all) }, { reps, warmup: 1, gc: false });
    const sub = await interleaved({ reawait: pass('reawait', regenOk), regenerator: pass('regenerator', regenOk), floor: pass('floor', regenOk) }, { reps, warmup: 1, gc: false });

    const ms = (v) => ({ value: v, unit: 'ms' });
    const allDesc = `${all.length} files, ${lineCount(all).toLocaleString('en-US')} lines (fixtures/ + generated ${lineCount(all.slice(-1)).toLocaleString('en-US')}-line module)`;
    const subDesc = `${regenOk.length} of ${all.length} inputs, ${lineCount(regenOk).toLocaleString('en-US')} lines: the ones regenerator accepts without preset-env`;
    const r = (a, b) => a / b;
    return [
      {
        id: '1a',
        reawait: ms(sub.reawait.median),
        anchor: { name: 'regenerator', ...ms(sub.regenerator.median) },
        ratio: r(sub.reawait.median, sub.regenerator.median),
        target: null,
        ok: null,
        note: `${subDesc}; median of ${reps}.`,
        samples: sub,
      },
      {
        id: '1b',
        reawait: ms(full.reawait.median),
        anchor: { name: 'floor', ...ms(full.floor.median) },
        ratio: r(full.reawait.median, full.floor.median),
        target: '≤ 2×',
        ok: full.reawait.median <= 2 * full.floor.median,
        note: `${allDesc}; floor = @babel/parser parse + @babel/generator generate with a source map, no plugin, no traversal; median of ${reps}.`,
        samples: full,
      },
      {
        id: '1c',
        reawait: ms(sub.regenerator.median),
        anchor: { name: 'floor', ...ms(sub.floor.median) },
        ratio: r(sub.regenerator.median, sub.floor.median),
        target: null,
        ok: null,
        note: `reawait column = async-to-generator + regenerator (+ TS strip) here, on the ${regenOk.length} inputs it accepts. The issue quotes ~13× for regenerator over the floor.`,
      },
      {
        id: '1d',
        reawait: ms(full.tsStrip.median),
        anchor: { name: 'floor', ...ms(full.floor.median) },
        ratio: r(full.tsStrip.median, full.floor.median),
        target: null,
        ok: null,
        note: `reawait column = @babel/core transformSync with only plugin-transform-typescript (parse, one traversal, generate + source map): the least any Babel pass from TypeScript costs; reawait's own work is 1b ÷ 1d = ${(full.reawait.median / full.tsStrip.median).toFixed(2)}× of it.`,
      },
    ];
  },
};
