/**
 * The compiler's own semantic checks (beside the fixture corpus): each
 * program runs natively and compiled through runWorkflow (state encoded and
 * decoded at every suspension); results and activity call sequences match.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNative, runWorkflow } from '../runtime/testing.js';
import { compileAndImport, COMPILED_DIR } from './support/compile-fixture.js';

const activities = {
  add: async (a: number, b: number) => a + b,
  echo: async (x: unknown) => x,
  fail: async (message: string) => {
    throw new TypeError(message);
  },
};

const HEAD = `import { proxyActivities, sleep } from 'reawait/workflow';
const { add, echo, fail } = proxyActivities<{
  add(a: number, b: number): Promise<number>;
  echo<T>(x: T): Promise<T>;
  fail(message: string): Promise<never>;
}>();
`;

type Wf = (...args: never[]) => Promise<unknown>;

async function both(name: string, body: string, entry: string, runs: unknown[][]): Promise<unknown[]> {
  const source = HEAD + body;
  const rel = `compiler-semantics/${name}.ts`;
  const compiled = await compileAndImport(source, rel);
  const native = (await import(/* @vite-ignore */ path.join(COMPILED_DIR, rel))) as Record<string, Wf>;
  const results: unknown[] = [];
  for (const args of runs) {
    const nativeCalls: string[] = [];
    const compiledCalls: string[] = [];
    const settle = async (p: Promise<{ result: unknown }>) => p.then((r) => ({ ok: true, value: r.result }), (e: Error) => ({ ok: false, error: `${e.name}: ${e.message}` }));
    const n = await settle(runNative(native[entry]!, args as never, { activities, onCall: (a, xs) => nativeCalls.push(`${a}(${JSON.stringify(xs)})`) }));
    const c = await settle(
      runWorkflow(compiled.module[entry] as Wf, args as never, { activities, onCall: (a, xs) => compiledCalls.push(`${a}(${JSON.stringify(xs)})`) }),
    );
    expect(c, `${name}(${JSON.stringify(args)}) result`).toEqual(n);
    expect(compiledCalls, `${name}(${JSON.stringify(args)}) calls`).toEqual(nativeCalls);
    results.push(n);
  }
  return results;
}

describe('compiled workflows behave like the same JS', () => {
  it('optional chains short-circuit before the awaits to their right', async () => {
    const [withArr, without] = await both(
      'optional',
      `export async function semOptional(flag: boolean) {
  'use workflow';
  const arr: number[] | null = flag ? [1] : null;
  const n = arr?.push(await echo(5));
  const m = arr?.[await add(0, 0)];
  const o = flag ? { inner: { list: [] as number[] } } : null;
  o?.inner.list.push(await add(1, 1));
  const f = flag ? null : undefined;
  const g = (f as { m?: (x: number) => number } | null | undefined)?.m?.(await add(9, 9));
  return { n, m, arr, o, g };
}`,
      'semOptional',
      [[true], [false]],
    );
    expect(withArr).toEqual({ ok: true, value: { n: 2, m: 1, arr: [1, 5], o: { inner: { list: [2] } }, g: undefined } });
    expect(without).toEqual({ ok: true, value: { n: undefined, m: undefined, arr: null, o: null, g: undefined } });
  });

  it('closures share their variables with the workflow across awaits; TDZ and const hold through environments', async () => {
    const [r] = await both(
      'closure-env',
      `export async function semClosureEnv() {
  'use workflow';
  const early = () => late;
  let tdz = 'none';
  try { early(); } catch (e) { tdz = String(e); }
  const late = 1;
  let n = 0;
  const bump = () => ++n;
  const setLate = (v: number) => { (late as number) = v; };
  const byLoop: (() => number)[] = [];
  for (let i = 0; i < 3; i++) byLoop.push(() => i * (late + n));
  await sleep('1s');
  bump();
  n += await add(10, 0);
  const counters = { bump, get n() { return n; } };
  await sleep('1s');
  let constError = 'none';
  try { setLate(2); } catch (e) { constError = String(e); }
  const async1 = async (k: number) => { const v = await add(k, n); n = v; return bump(); };
  const viaFiber = await Promise.all([async1(1), async1(2)]);
  return { tdz, n, viaClosure: counters.bump(), viaGetter: counters.n, constError, late, byLoop: byLoop.map((f) => f()), viaFiber, names: [bump.name, setLate.length, async1.name] };
}`,
      'semClosureEnv',
      [[]],
    );
    expect(r).toEqual({
      ok: true,
      value: {
        tdz: "ReferenceError: Cannot access 'late' before initialization",
        // both fibers run to their first await before either resumes: add(1, 11) and add(2, 11)
        n: 14,
        viaClosure: 15,
        viaGetter: 15,
        constError: 'TypeError: Assignment to constant variable.',
        late: 1,
        byLoop: [0, 16, 32],
        viaFiber: [13, 14],
        names: ['bump', 1, 'async1'],
      },
    });
  });

  it('a const bound to one of several closures (conditional, ||, ??) is kept across awaits like any closure (issue 12)', async () => {
    const results = await both(
      'closure-choice',
      `export async function semClosureChoice(flag: boolean) {
  'use workflow';
  const pick = flag ? (x: number) => x + 1 : (x: number) => x - 1;
  const fallback = (flag && ((x: number) => x * 10)) || ((x: number) => x * 100);
  const dflt = (flag ? null : undefined) ?? function named(x: number) { return -x; };
  await sleep('1s');
  return [pick(await add(1, 0)), fallback(2), dflt(3), dflt.name];
}`,
      'semClosureChoice',
      [[true], [false]],
    );
    expect(results).toEqual([
      { ok: true, value: [2, 20, -3, 'named'] },
      { ok: true, value: [0, 200, -3, 'named'] },
    ]);
  });

  it("closures a module-level helper returns are kept like the workflow's own; outside a workflow the helper is plain JS", async () => {
    const body = `export const early = makeTimes(2); // a helper called before its declaration (hoisted)
export function makeScale(k: number, unused?: string) {
  return async (x: number) => (await add(x, 0)) * k;
}
export function makeTimes(k: number) {
  return async (v: number) => (await Promise.resolve(v)) * k;
}
export const makeCounter = function (this: unknown, start: number) {
  let n = start;
  return { next: () => ++n, get value() { return n; } };
};
export async function semHelpers() {
  'use workflow';
  const triple = makeScale(3);
  const counter = makeCounter(10);
  counter.next();
  await sleep('1s');
  const [a, b] = await Promise.all([triple(2), makeScale(5)(1)]);
  counter.next();
  await sleep('1s');
  return { a, b, n: counter.value };
}`;
    const [r] = await both('helpers', body, 'semHelpers', [[]]);
    expect(r).toEqual({ ok: true, value: { a: 6, b: 5, n: 12 } });
    const { module } = await compileAndImport(HEAD + body, 'compiler-semantics/helpers-outside.ts');
    const m = module as unknown as { early: (v: number) => Promise<number>; makeScale: (k: number) => unknown; makeTimes: (k: number) => (v: number) => Promise<number>; makeCounter: (s: number) => { next(): number; value: number } };
    expect([m.makeScale.length, m.makeScale.name]).toEqual([2, 'makeScale']);
    // outside a workflow an async closure of a helper runs as native code (it starts no fiber)
    const times = m.makeTimes(3);
    expect(times.length).toBe(1);
    await expect(times(4)).resolves.toBe(12);
    await expect(m.early(4)).resolves.toBe(8);
    const c = m.makeCounter(1);
    expect([c.next(), c.next(), c.value]).toEqual([2, 3, 3]);
  });

  it('labels, break/continue through finally, switch fall-through', async () => {
    await both(
      'control',
      `export async function semControl(n: number) {
  'use workflow';
  const log: string[] = [];
  outer: for (let i = 0; i < n; i++) {
    try {
      for (const j of [0, 1, 2]) {
        try {
          if (j === 1) continue outer;
          log.push(\`i\${i}j\${j}:\${await add(i, j)}\`);
          if (i === 2) break outer;
        } finally {
          log.push(\`inner-finally \${await echo(j)}\`);
        }
      }
    } finally {
      log.push('outer-finally');
    }
  }
  let k = 0;
  do {
    k++;
    if (k === 2) continue;
    log.push('do ' + (await add(k, 0)));
  } while (k < 3);
  switch (await echo(n)) {
    case 1:
      log.push('one');
    case await add(1, 2):
      log.push('three, or fell from one');
    case 4:
      log.push('four ' + (await add(4, 0)));
      break;
    default:
      log.push('default');
  }
  return log;
}`,
      'semControl',
      [[1], [3], [4], [7]],
    );
  });

  it('try/catch/finally: overriding finally, errors from activities and frames, rethrow', async () => {
    await both(
      'finally',
      `async function semInner(x: number) {
  'use workflow';
  try {
    if (x > 0) throw new RangeError('boom ' + x);
    return 'no throw';
  } finally {
    if (x === 2) return 'finally wins ' + (await add(x, 0));
    await echo('cleanup ' + x);
  }
}
export async function semFinally() {
  'use workflow';
  const out: string[] = [];
  for (const x of [0, 1, 2]) {
    try {
      out.push(await semInner(x));
    } catch (e) {
      out.push((e as Error).name + ':' + (e as Error).message);
    }
  }
  try {
    await fail('activity boom');
  } catch (e) {
    out.push((e as Error).name + ':' + (e as Error).message);
  } finally {
    out.push('after fail');
  }
  try {
    try {
      await fail('inner');
    } finally {
      out.push(await echo('finally runs before the outer catch'));
    }
  } catch ({ message }) {
    out.push('outer caught ' + message);
  }
  return out;
}`,
      'semFinally',
      [[]],
    );
  });

  it('closures and inner functions between awaits, recreated on resume; Promise.all over a map', async () => {
    await both(
      'closures',
      `export async function semClosures(xs: number[]) {
  'use workflow';
  let factor = 2;
  const scale = (v: number) => v * factor;
  function total(list: number[]) {
    return list.map(scale).reduce((a, b) => a + b, 0);
  }
  const first = total(xs);
  factor = await add(factor, 1);
  const second = total(xs);
  const sorted = [...xs].sort((a, b) => b - a);
  const doubled = await Promise.all(sorted.map((v) => add(v, v)));
  const settled = await Promise.allSettled([add(1, 1), fail('no')]);
  return { first, second, doubled, big: doubled.filter((d) => d > factor * 2), settled: settled.map((s) => s.status) };
}`,
      'semClosures',
      [[[3, 1, 2]]],
    );
  });

  it('evaluation order: compound, logical and member assignment, templates, spreads, new, receivers', async () => {
    await both(
      'order',
      `export async function semOrder() {
  'use workflow';
  const obj: Record<string, number> = {};
  const trace: string[] = [];
  obj[await echo('a')] = await add(1, 2);
  let total = 10;
  total += await add(total, 1);
  let n = 0;
  n ||= await add(0, 5);
  n &&= await add(n, 1);
  let z: number | null = null;
  z ??= await echo(7);
  z ??= await echo(8);
  const tpl = \`\${await echo('x')}-\${total}-\${await echo('y')}\`;
  const arr = [total, ...(await echo([1, 2])), await add(0, 3)];
  const o2 = { [await echo('k')]: await add(2, 2), ...(await echo({ s: 1 })), t: total };
  const d = new Date(await add(1000, 0));
  const cond = (await echo(true)) ? await echo('yes') : await echo('no');
  const seq = (trace.push('s1'), await echo('s2'));
  trace.push(String(Math.max(await add(1, 1), 3)));
  let i = 0;
  const pair = [i++, await add(i, 0), i++];
  return { obj, total, n, z, tpl, arr, o2, d: d.getTime(), cond, seq, trace, pair, i };
}`,
      'semOrder',
      [[]],
    );
  });

  it('recursion through frames, shadowing across awaits, parameters with patterns, defaults and rest', async () => {
    await both(
      'frames',
      `export async function semFib(n: number): Promise<number> {
  'use workflow';
  if (n < 2) return await echo(n);
  return (await semFib(n - 1)) + (await semFib(n - 2));
}
export async function semShadow(x: number) {
  'use workflow';
  const out: number[] = [];
  {
    const x = await add(100, 0);
    out.push(x);
    for (let x = 0; x < 2; x++) out.push(await add(x, 1000));
    out.push(x);
  }
  out.push(x, await semFib(6));
  return out;
}
export async function semParams({ a, b = 2 }: { a: number; b?: number }, [c, ...d]: number[] = [9], ...rest: number[]) {
  'use workflow';
  const { p, q = await add(a, b), ...others } = await echo({ p: 1, r: 3, s: 4 } as { p: number; q?: number; r: number; s: number });
  return { a, b, c, d, rest, p, q, others };
}`,
      'semShadow',
      [[7]],
    );
    const mod = await import(/* @vite-ignore */ path.join(COMPILED_DIR, 'compiler-semantics/frames.js'));
    const r = await runWorkflow(mod.semParams as Wf, [{ a: 1 }] as never, { activities });
    expect(r.result).toEqual({ a: 1, b: 2, c: 9, d: [], rest: [], p: 1, q: 3, others: { r: 3, s: 4 } });
    const r2 = await runWorkflow(mod.semParams as Wf, [{ a: 1, b: 5 }, [1, 2, 3], 4, 5] as never, { activities });
    expect(r2.result).toEqual({ a: 1, b: 5, c: 1, d: [2, 3], rest: [4, 5], p: 1, q: 6, others: { r: 3, s: 4 } });
  });

  it('leaps out of await-free statements: native try/finally, loops and labelled blocks inside lowered ones', async () => {
    await both(
      'leaps',
      `export async function semLeaps(limit: number) {
  'use workflow';
  const log: string[] = [];
  let i = 0;
  while ((await add(i, 0)) < limit) {
    i++;
    try {
      for (let j = 0; j < 5; j++) {
        if (j === 1) continue;
        if (j === 3) break;
        try {
          if (i === 2 && j === 2) throw new Error('native');
        } finally {
          log.push('native finally ' + i + j);
        }
      }
      if (i === 3) continue;
      block: {
        if (i === 1) break block;
        log.push('block ' + (await echo(i)));
      }
    } catch (e) {
      log.push('caught ' + (e as Error).message + ' ' + (await echo(i)));
    } finally {
      log.push('lowered finally ' + i);
    }
    if (i === 4) {
      try {
        return log.concat(['returned inside native try']);
      } finally {
        log.push('runs before the return completes');
      }
    }
  }
  for (const k in { p: 1, q: 2 }) log.push(k + (await echo('!')));
  return log;
}`,
      'semLeaps',
      [[3], [6]],
    );
  });

  it('a local that cannot be saved fails the suspension with its name and the await location', async () => {
    const { module } = await compileAndImport(
      // A function from outside the workflow: it has no site, so it cannot be saved.
      `${HEAD}const named = function named() {};
export async function semBadLocal() {
  'use workflow';
  let handler = named;
  await sleep('1s');
  return typeof handler;
}`,
      'compiler-semantics/bad-local.ts',
    );
    await expect(runWorkflow(module.semBadLocal as Wf, [] as never, { activities })).rejects.toThrow(/semBadLocal.*local 'handler' holds a function/);
  });

  it('a variable shared with closures that cannot be saved is named by its source name', async () => {
    const { module } = await compileAndImport(
      `${HEAD}const outside = () => 1;
export async function semBadShared() {
  'use workflow';
  let h: unknown = 1;
  const get = () => h;
  get();
  h = outside;
  await sleep('1s');
  return typeof h;
}`,
      'compiler-semantics/bad-shared.ts',
    );
    await expect(runWorkflow(module.semBadShared as Wf, [] as never, { activities })).rejects.toThrow(
      /semBadShared.*bad-shared\.ts:\d+:\d+: the variables closures share \(h\) \(kept as '\$e1'\) \(at \.h\) holds a function/,
    );
  });

  it('names a renamed local by its source name and a loop\'s items by the loop they belong to', async () => {
    const { module } = await compileAndImport(
      // A class expression: top-level class declarations of a workflow module are registered (saveable), this is not.
      `${HEAD}const Conn = class Conn { constructor(readonly port: number) {} };
export async function semShadowed(port: number) {
  'use workflow';
  const conn = 1;
  {
    const conn = new Conn(port);
    await sleep('1s');
    return conn.port;
  }
}
export async function semLoopItems(ports: number[]) {
  'use workflow';
  let total = 0;
  for (const { port } of ports.map((p) => new Conn(p))) {
    total += await add(total, port);
  }
  return total + conn;
}
const conn = 0;
`,
      'compiler-semantics/display-names.ts',
    );
    await expect(runWorkflow(module.semShadowed as Wf, [1] as never, { activities })).rejects.toThrow(
      /^cannot suspend workflow 'semShadowed' at compiler-semantics\/display-names\.ts:13:5: local 'conn' holds a Conn instance/,
    );
    await expect(runWorkflow(module.semLoopItems as Wf, [[1]] as never, { activities })).rejects.toThrow(
      /semLoopItems' at .*display-names\.ts:21:14: the iterator of the for…of loop at line 20 \(kept as '\$+t\d+'\) \(at \.a\[0\]\) holds a Conn instance/,
    );
  });
});
