/**
 * Fibers from workflow-function calls and durable promises as values, run
 * natively and compiled (runWorkflow with a JSON round trip at every
 * suspension): same outcome, same multiset of activity calls.
 */
import { describe, expect, it } from 'vitest';
import * as activityModule from '../../fixtures/activities.js';
import { compileAndImport } from '../support/compile-fixture.js';
import { outcomeOf } from '../support/fixture-compare.js';
import { Recorder, type ActivityFns } from '../support/fixture-recorder.js';
import { runNative, runWorkflow } from '../../runtime/testing.js';

const activities = activityModule as unknown as ActivityFns;
const HEAD = `import { proxyActivities, sleep } from 'reawait/workflow';\nconst { add, mul, record, fail, echo, delayed } = proxyActivities<any>();\n`;

async function compare(name: string, body: string, args: unknown[] = []) {
  const source = HEAD + body;
  const compiled = await compileAndImport(source, `test/.compiled/fibers/${name}.ts`);
  const native = (await import(/* @vite-ignore */ compiled.jsPath.replace(/\.js$/, '.ts'))) as Record<string, unknown>;
  const nrec = new Recorder();
  // runNative: the same virtual clock as runWorkflow, so sleeps and real-time activities race alike.
  const expected = await outcomeOf(async () => (await runNative(native[name] as () => Promise<unknown>, structuredClone(args) as never, { activities: nrec.wrap(activities) })).result);
  const crec = new Recorder();
  let stats = { suspensions: 0, maxStateBytes: 0 };
  const actual = await outcomeOf(async () => {
    const r = await runWorkflow(compiled.module[name] as () => Promise<unknown>, structuredClone(args) as never, { activities: crec.wrap(activities) });
    stats = r;
    return r.result;
  });
  expect(actual).toEqual(expected);
  expect([...crec.calls()].sort()).toEqual([...nrec.calls()].sort());
  return { outcome: actual, stats };
}

describe('fibers of workflow functions and durable promises', () => {
  it('a call kept in a local runs at once and is awaited later, twice', async () => {
    const r = await compare(
      'keptCall',
      `export async function keptCall() {
        'use workflow';
        const p = add(1, 2);
        await record('first');
        const a = await p;
        const b = await p;
        return [a, b];
      }`,
    );
    expect(r.outcome).toEqual({ ok: true, value: '[3, 3]' });
  });

  it('fire-and-forget: an un-awaited call still runs, even when the workflow returns first', async () => {
    await compare(
      'fireAndForget',
      `export async function fireAndForget() {
        'use workflow';
        record('notify');
        return await add(2, 3);
      }`,
    );
    await compare(
      'endsFirst',
      `export async function endsFirst() {
        'use workflow';
        record('late');
        return 1;
      }`,
    );
  });

  it('workflow functions called without await are fibers; Promise.all over fibers, calls, nested combinators and values', async () => {
    const r = await compare(
      'fanOut',
      `async function child(x: number) {
        'use workflow';
        const a = await add(x, 1);
        const b = await mul(a, 2);
        return b;
      }
      export async function fanOut() {
        'use workflow';
        const p = child(1);
        const all = await Promise.all([p, child(2), add(10, 20), 7, Promise.all([mul(2, 3), child(5)])]);
        const again = await p;
        return [all, again];
      }`,
    );
    expect(r.outcome).toEqual({ ok: true, value: '[[4, 6, 30, 7, [6, 12]], 4]' });
  });

  it('a workflow function recursing through Promise.all', async () => {
    const r = await compare(
      'treeSum',
      `async function tree(depth: number): Promise<number> {
        'use workflow';
        if (depth === 0) return await add(1, 0);
        const [l, r] = await Promise.all([tree(depth - 1), tree(depth - 1)]);
        return l + r;
      }
      export async function treeSum() {
        'use workflow';
        return await tree(4);
      }`,
    );
    expect(r.outcome).toEqual({ ok: true, value: '16' });
  });

  it('race and any between fibers and timers; a losing branch keeps running', async () => {
    await compare(
      'racing',
      `async function slow() {
        'use workflow';
        await sleep(1000);
        await record('slow done');
        return 'slow';
      }
      export async function racing() {
        'use workflow';
        const first = await Promise.race([slow(), delayed(5, 'fast')]);
        const r7 = await Promise.race([7, record('raced')]);
        const any = await Promise.any([fail('E', 'no'), add(1, 1)]);
        return [first, r7, any];
      }`,
    );
  });

  it('a fiber that throws rejects its promise; allSettled and catch see it', async () => {
    const r = await compare(
      'throwing',
      `async function bad(x: number) {
        'use workflow';
        await add(x, 0);
        throw new RangeError('bad ' + x);
      }
      export async function throwing() {
        'use workflow';
        const s = await Promise.allSettled([bad(1), add(1, 1)]);
        let caught = '';
        try { await bad(2); } catch (e) { caught = (e as Error).message; }
        return [s.map((x) => x.status), caught];
      }`,
    );
    expect(r.outcome).toEqual({ ok: true, value: '[["rejected", "fulfilled"], "bad 2"]' });
  });

  it('an unhandled rejection does not change the result', async () => {
    await compare(
      'resolved',
      `export async function resolved() {
        'use workflow';
        const a = await add(2, 2);
        const b = 5;
        fail('E', 'ignored');
        await record('after');
        return a + b;
      }`,
    );
  });

  it('a deadlock is a clear error, not a hang', async () => {
    const compiled = await compileAndImport(
      HEAD +
        `async function waitsOn(p: Promise<unknown>) { 'use workflow'; await add(1, 1); return await p; }
        export async function deadlock() {
          'use workflow';
          return await Promise.race([]);
        }`,
      'test/.compiled/fibers/deadlock.ts',
    );
    await expect(runWorkflow(compiled.module.deadlock as () => Promise<unknown>, [], { activities })).rejects.toThrow(/can never finish: it waits at .*deadlock\.ts:\d+/);
  });
});
