// Timing helpers. Ratios in one run are what we compare, so every pair of
// contenders is measured interleaved (A B A B …) and summarised by the median.
import { performance } from 'node:perf_hooks';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function timeOnce(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * Run every contender `warmup` times, then `reps` rounds of all of them in
 * turn; return { name: { median, samples } } in ms. With `gc` (default) and
 * --expose-gc, a full collection runs before each sample.
 */
export async function interleaved(contenders, { reps, warmup = 1, gc = true }) {
  const names = Object.keys(contenders);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let w = 0; w < warmup; w++) for (const n of names) await contenders[n]();
  for (let r = 0; r < reps; r++) {
    for (const n of names) {
      if (gc && global.gc) global.gc();
      samples[n].push((await timeOnce(contenders[n])).ms);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { median: median(samples[n]), samples: samples[n] }]));
}

export const round = (x, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : x);
