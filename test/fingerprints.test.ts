/**
 * Per-suspension-point fingerprints (compiler/fingerprint.ts): for each edit
 * from a v1 to a v2 of one module, the verdict for each suspension point of
 * v1 — 'same' when v2 has a point with an equal fingerprint (a state saved
 * there may resume on v2), 'changed' when none (it must stay on v1 or be
 * migrated). A point is 'same' exactly when the code that can run after it,
 * its live locals and the workflows that code calls are the same.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../compiler/index.js';
import { keptSource } from '../compiler/keep-versions.js';
import type { PointFingerprint, SiteMeta, WorkflowMeta } from '../runtime/contract.js';

const HEAD = `import { proxyActivities, sleep } from 'reawait/workflow';
const { a, b, c } = proxyActivities<{ a(n: number): Promise<number>; b(n: number): Promise<number>; c(n: number): Promise<number> }>();
function log(s: string): void { void s; }
`;

function meta(body: string, name = 'wf'): WorkflowMeta {
  const m = compile(HEAD + body, { filename: 'wf.ts', sourceMaps: false }).workflows.find((w) => w.name === name);
  if (!m) throw new Error(`no workflow ${name}`);
  return m;
}

/** Verdicts for v1's suspension points (pc >= 1) against v2. */
function verdicts(v1: string, v2: string): string {
  const old = meta(v1).fingerprints!;
  const now = new Set(meta(v2).fingerprints!.map((p) => p.fp));
  return old
    .filter((p) => p.pc > 0)
    .map((p) => (now.has(p.fp) ? 'same' : 'changed'))
    .join(' ');
}

const wf = (body: string, extra = ''): string => `${extra}
export async function wf(x: number) {
  'use workflow';
${body}
}`;

// Two points: p1 (nothing live but what follows reads y), p2 (y live).
const BASE = `  const y = await a(x);
  log('mid');
  const z = await b(y);
  return y + z;`;
const LOOP = `  let s = 0;
  for (let i = 0; i < 3; i++) {
    log('body');
    s += await a(i);
  }
  const t = await b(s);
  return [t];`;
const FINALLY = `  let r = 0;
  try {
    r = await a(x);
  } finally {
    await sleep(1);
    log('finally');
  }
  return [r];`;
const INNER = `export async function inner(n: number) {
  'use workflow';
  return (await c(n)) + 1;
}
`;
const INNER_V2 = `export async function inner(n: number) {
  'use workflow';
  return (await c(n)) + 2;
}
`;

const cases: { edit: string; v1: string; v2: string; expect: string }[] = [
  { edit: 'no change', v1: wf(BASE), v2: wf(BASE), expect: 'same same' },
  { edit: 'a comment before the first point', v1: wf(BASE), v2: wf(`  // fetch y\n${BASE}`), expect: 'same same' },
  { edit: 'a comment after the last point', v1: wf(BASE), v2: wf(BASE.replace('return', '// done\n  return')), expect: 'same same' },
  { edit: 'reformatted (blank lines, spacing)', v1: wf(BASE), v2: wf(BASE.replace(/\n/g, '\n\n').replace('y + z', 'y+z')), expect: 'same same' },
  { edit: 'a statement added before the first point', v1: wf(BASE), v2: wf(`  log('start');\n${BASE}`), expect: 'same same' },
  { edit: 'a string changed before the first point', v1: wf(`  log('s1');\n${BASE}`), v2: wf(`  log('s2');\n${BASE}`), expect: 'same same' },
  { edit: 'a string changed between the points', v1: wf(BASE), v2: wf(BASE.replace("'mid'", "'middle'")), expect: 'changed same' },
  { edit: 'a string changed after the last point', v1: wf(`${BASE.replace('return', "log('end');\n  return")}`), v2: wf(`${BASE.replace('return', "log('END');\n  return")}`), expect: 'changed changed' },
  { edit: 'the returned expression changed', v1: wf(BASE), v2: wf(BASE.replace('y + z', 'y * z')), expect: 'changed changed' },
  { edit: 'the first call\'s argument changed', v1: wf(BASE), v2: wf(BASE.replace('a(x)', 'a(x + 1)')), expect: 'same same' },
  { edit: 'the second call\'s argument changed', v1: wf(BASE), v2: wf(BASE.replace('b(y)', 'b(y + 1)')), expect: 'changed same' },
  { edit: 'the second call\'s activity changed', v1: wf(BASE), v2: wf(BASE.replace('b(y)', 'c(y)')), expect: 'changed same' },
  { edit: 'a suspension point added before the first', v1: wf(BASE), v2: wf(`  await sleep(5);\n${BASE}`), expect: 'same same' },
  { edit: 'two suspension points added before the first', v1: wf(BASE), v2: wf(`  await sleep(5);\n  const w = await c(1);\n  log(String(w));\n${BASE}`), expect: 'same same' },
  { edit: 'a suspension point added between the points', v1: wf(BASE), v2: wf(BASE.replace("log('mid');", "log('mid');\n  await sleep(1);")), expect: 'changed same' },
  { edit: 'a suspension point added after the last', v1: wf(BASE), v2: wf(BASE.replace('return', 'await sleep(1);\n  return')), expect: 'changed changed' },
  { edit: 'a branch with a suspension added before the first point', v1: wf(BASE), v2: wf(`  if (x > 10) await sleep(1);\n${BASE}`), expect: 'same same' },
  { edit: 'the parameter renamed (dead after the first call)', v1: wf(BASE), v2: wf(BASE.replace('a(x)', 'a(n)')).replace('wf(x: number)', 'wf(n: number)'), expect: 'same same' },
  { edit: 'a local live at the second point renamed', v1: wf(BASE), v2: wf(BASE.replace(/\by\b/g, 'yy')), expect: 'changed changed' },
  { edit: 'a local assigned after the last point renamed', v1: wf(BASE), v2: wf(BASE.replace(/\bz\b/g, 'zz')), expect: 'changed changed' },
  { edit: 'a local used only before the first point renamed', v1: wf(`  const k = x * 2;\n${BASE.replace('a(x)', 'a(k)')}`), v2: wf(`  const kk = x * 2;\n${BASE.replace('a(x)', 'a(kk)')}`), expect: 'same same' },
  { edit: 'a new local kept across both points', v1: wf(BASE), v2: wf(`  const t0 = x * 2;\n${BASE.replace('y + z', 'y + z + t0')}`), expect: 'changed changed' },
  { edit: 'two independent statements reordered before the first point', v1: wf(`  log('1');\n  log('2');\n${BASE}`), v2: wf(`  log('2');\n  log('1');\n${BASE}`), expect: 'same same' },
  { edit: 'two statements reordered between the points', v1: wf(BASE.replace("log('mid');", "log('m1');\n  log('m2');")), v2: wf(BASE.replace("log('mid');", "log('m2');\n  log('m1');")), expect: 'changed same' },
  { edit: 'the second point wrapped in try/catch', v1: wf(BASE), v2: wf(BASE.replace('const z = await b(y);', 'let z = 0;\n  try { z = await b(y); } catch { z = -1; }')), expect: 'changed changed' },
  { edit: 'loop: code before the loop changed', v1: wf(LOOP), v2: wf(`  log('pre');\n${LOOP}`), expect: 'same same' },
  { edit: 'loop: the body before its await changed (the loop comes back to it)', v1: wf(LOOP), v2: wf(LOOP.replace("'body'", "'BODY'")), expect: 'changed same' },
  { edit: 'loop: code after the loop changed', v1: wf(LOOP), v2: wf(LOOP.replace('return [t];', 'return [t + 1];')), expect: 'changed changed' },
  { edit: 'loop: the point after it renamed its result', v1: wf(LOOP), v2: wf(LOOP.replace(/\bt\b/g, 'u')), expect: 'changed changed' },
  { edit: 'finally: a string before the try changed', v1: wf(`  log('a');\n${FINALLY}`), v2: wf(`  log('b');\n${FINALLY}`), expect: 'same same' },
  { edit: 'finally: states added before the try (a pending completion holds state numbers)', v1: wf(FINALLY), v2: wf(`  if (x > 1) await sleep(2);\n${FINALLY}`), expect: 'same changed' },
  { edit: 'finally: the finally block after its await changed', v1: wf(FINALLY), v2: wf(FINALLY.replace("'finally'", "'FINALLY'")), expect: 'changed changed' },
  { edit: 'a called workflow changed (called after the points)', v1: wf(BASE.replace('return y + z;', 'return inner(y + z);'), INNER), v2: wf(BASE.replace('return y + z;', 'return inner(y + z);'), INNER_V2), expect: 'changed changed same' }, // the third: the exit, awaiting the returned promise
  { edit: 'a called workflow changed (called between the points)', v1: wf(BASE.replace("log('mid');", 'await inner(y);'), INNER), v2: wf(BASE.replace("log('mid');", 'await inner(y);'), INNER_V2), expect: 'changed same same' },
  { edit: 'a called workflow changed (called before the first point)', v1: wf(`  await inner(x);\n${BASE}`, INNER), v2: wf(`  await inner(x);\n${BASE}`, INNER_V2), expect: 'same same same' },
  { edit: 'another workflow of the module changed (not called)', v1: wf(BASE, INNER), v2: wf(BASE, INNER_V2), expect: 'same same' },
  { edit: 'a workflow added to the module', v1: wf(BASE), v2: wf(BASE, INNER), expect: 'same same' },
  { edit: 'a closure made after the points changed', v1: wf(BASE.replace('return y + z;', 'const f = (k: number) => k + y;\n  return f(z);')), v2: wf(BASE.replace('return y + z;', 'const f = (k: number) => k * y;\n  return f(z);')), expect: 'changed changed same' }, // the third: the exit, awaiting the returned value
  { edit: 'a closure kept across the points changed', v1: wf(BASE.replace('const y = await a(x);', 'const y = await a(x);\n  const f = (k: number) => k + y;').replace('return y + z;', 'return [f(z)];')), v2: wf(BASE.replace('const y = await a(x);', 'const y = await a(x);\n  const f = (k: number) => k - y;').replace('return y + z;', 'return [f(z)];')), expect: 'changed changed' },
  // p1 restores nothing; p2 restores y, and a restored local may hold a closure (made from its site's code): conservative.
  { edit: 'a closure used only before the first point changed', v1: wf(`  const g = (k: number) => k + 1;\n  log(String(g(x)));\n${BASE}`), v2: wf(`  const g = (k: number) => k + 2;\n  log(String(g(x)));\n${BASE}`), expect: 'same changed' },
  { edit: 'Promise.all at the second point changed to allSettled', v1: wf(BASE.replace('const z = await b(y);', 'const [z] = await Promise.all([b(y), c(y)]);')), v2: wf(BASE.replace('const z = await b(y);', 'const [z] = (await Promise.allSettled([b(y), c(y)])).map((r) => (r.status === "fulfilled" ? r.value : 0));')), expect: 'changed changed' },
];

describe('fingerprints: verdict per suspension point for each edit', () => {
  it('has at least 30 edits', () => expect(cases.length).toBeGreaterThanOrEqual(30));
  for (const c of cases)
    it(c.edit, () => {
      expect(verdicts(c.v1, c.v2)).toBe(c.expect);
    });
});

describe('fingerprints: shape', () => {
  it('one per point, in pc order, with its line; the entry included', () => {
    const m = meta(wf(BASE));
    const fps = m.fingerprints as PointFingerprint[];
    expect(fps.map((p) => p.pc)).toEqual(m.suspensions.map((s) => s.id));
    expect(fps.map((p) => p.line)).toEqual([0, 7, 9]);
    expect(fps[2]!.locals).toEqual(['y']);
  });
  it('maps renumbered temporaries pairwise through locals', () => {
    const body = `  const y = (await a(x)) + (await b(x));\n  return y;`;
    const v1 = meta(wf(body)).fingerprints!;
    const v2 = meta(wf(`  await sleep(1);\n${body}`)).fingerprints!;
    const p1 = v1[2]!;
    const p2 = v2.find((p) => p.fp === p1.fp)!;
    expect(p2.pc).toBe(3);
    expect(p1.locals.length).toBe(1);
    expect(p1.locals[0]).not.toBe(p2.locals[0]); // the temporary holding a(x) got another number
  });
  it('does not change the whole-function version', () => {
    expect(meta(wf(BASE)).version).toMatch(/^[0-9a-f]{16}$/);
    expect(meta(wf(BASE)).version).not.toBe(meta(wf(BASE.replace("'mid'", "'m'"))).version);
  });
});

/** The async closure sites of a compiled module, as a kept build records them (keep-versions.ts). */
function siteMetas(body: string): SiteMeta[] {
  const sites: SiteMeta[] = [];
  keptSource(compile(HEAD + body, { filename: 'wf.ts', sourceMaps: false }).code, '/o/wf.js', '/o/.reawait/versions/wf/x.js', 'reawait/workflow', sites);
  return sites;
}

/** Verdicts for the points (pc >= 1) of v1's async closure `id` against v2's site of that id. */
function siteVerdicts(v1: string, v2: string, id = 'wf/1'): string {
  const old = siteMetas(v1).find((s) => s.id === id)!;
  const now = new Set(siteMetas(v2).find((s) => s.id === id)!.fingerprints!.map((p) => p.fp));
  return old
    .fingerprints!.filter((p) => p.pc > 0)
    .map((p) => (now.has(p.fp) ? 'same' : 'changed'))
    .join(' ');
}

// An async closure with two points: p1 (nothing live), p2 (p live).
const CLOSURE = `  const f = async (k: number) => {
    log('pre');
    const p = await a(k);
    log('mid');
    const q = await b(p);
    return p + q;
  };
  return await f(x);`;

const closureCases: { edit: string; v1: string; v2: string; expect: string }[] = [
  { edit: 'a string before its first point changed', v1: wf(CLOSURE), v2: wf(CLOSURE.replace("'pre'", "'PRE'")), expect: 'same same' },
  { edit: 'a string between its points changed', v1: wf(CLOSURE), v2: wf(CLOSURE.replace("'mid'", "'MID'")), expect: 'changed same' },
  { edit: 'its code after the last point changed', v1: wf(CLOSURE), v2: wf(CLOSURE.replace('p + q', 'p * q')), expect: 'changed changed' },
  { edit: 'a local live at its second point renamed', v1: wf(CLOSURE), v2: wf(CLOSURE.replace(/\bp\b/g, 'pp')), expect: 'changed changed' },
  { edit: 'a suspension point added before its first', v1: wf(CLOSURE), v2: wf(CLOSURE.replace("log('pre');", "log('pre');\n    await sleep(1);")), expect: 'same same' },
  { edit: 'the workflow after the call of the closure changed', v1: wf(CLOSURE), v2: wf(CLOSURE.replace('return await f(x);', 'return (await f(x)) + 1;')), expect: 'same same' },
  { edit: 'the workflow before the closure changed', v1: wf(CLOSURE), v2: wf(`  log('top');\n${CLOSURE}`), expect: 'same same' },
  // p2 restores p, and a restored local may hold a closure (made from its site's code): conservative, as for workflow points.
  { edit: 'another closure of the workflow changed', v1: wf(`  const g = (n: number) => n + 1;\n  log(String(g(x)));\n${CLOSURE}`), v2: wf(`  const g = (n: number) => n + 2;\n  log(String(g(x)));\n${CLOSURE}`), expect: 'same changed' },
];

describe('fingerprints of async closure points: verdict per point for each edit', () => {
  for (const c of closureCases)
    it(c.edit, () => {
      const id = c.v1.includes('const g =') ? 'wf/2' : 'wf/1';
      expect(siteVerdicts(c.v1, c.v2, id)).toBe(c.expect);
    });
  it('a site has a version (its code) and one fingerprint per point', () => {
    const [s] = siteMetas(wf(CLOSURE));
    expect(s!.version).toMatch(/^[0-9a-f]{16}$/);
    expect(s!.fingerprints!.map((p) => p.pc)).toEqual(s!.suspensions!.map((p) => p.id));
    expect(siteMetas(wf(CLOSURE.replace("'pre'", "'PRE'")))[0]!.version).not.toBe(s!.version);
  });
});
