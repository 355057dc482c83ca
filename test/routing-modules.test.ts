/**
 * Routing (issue 13), what a worker registers: a workflow function its module
 * does not export — a helper called inline, or a compensation started as a
 * child — is found through the module that uses it (not refused as
 * unknown), also when another loaded module has a helper of the same name;
 * and names are unique among what one worker registers, those included,
 * with an error naming both modules when the worker starts (importing both
 * is fine).
 */
import { describe, expect, it } from 'vitest';
import { compileAndImport } from './support/compile-fixture.js';
import { BACKENDS, useRuntime } from './support/runtime-harness.js';

/** App `tag`: an exported order workflow, a helper it calls inline and a refund it starts as a child; neither is exported. */
const app = (tag: string) => `import { proxyActivities, startChild } from 'reawait/workflow';
const { charge } = proxyActivities<{ charge(x: number): Promise<number> }>();

async function helper(x: number) {
  'use workflow';
  return '${tag}:' + (await charge(x));
}

async function refund(x: number) {
  'use workflow';
  return '${tag}-refund:' + (await charge(-x));
}

export async function order${tag}(x: number) {
  'use workflow';
  const a = await helper(x);
  try {
    if (x > 1) throw new Error('out of stock');
    return a;
  } catch {
    return a + ',' + (await startChild(refund, [x]));
  }
}
`;

describe.each(BACKENDS)('workflows a module does not export (%s)', (kind) => {
  const h = useRuntime(kind);

  it('an inline helper and a child compensation run through the module that uses them, not the same-named ones of another module', { timeout: 120_000 }, async () => {
    const a = await compileAndImport(app('A'), `test/runtime/routing-mod-a-${kind}.ts`);
    await compileAndImport(app('B'), `test/runtime/routing-mod-b-${kind}.ts`); // loaded in this process, not given to the worker
    expect(Object.keys(a.module)).toEqual(['orderA']);
    const prefix = h.prefix();
    const errors: string[] = [];
    await h.worker({ prefix, workflows: a.module, activities: { charge: async (x: number) => x * 10 }, onError: (e) => errors.push(String(e)) });
    const client = h.client(prefix);
    const [ok, compensated] = await Promise.all([client.start('orderA', [1]), client.start('orderA', [2])]);
    expect(await ok.result({ timeoutMs: 60_000 })).toBe('A:10');
    expect(await compensated.result({ timeoutMs: 60_000 })).toBe('A:20,A-refund:-20');
    // The refund ran as an execution of its own, of workflow 'refund' (A's), named by name alone.
    const done = (await compensated.describe()).history.find((e) => e.type === 'child completed') as { child: string } | undefined;
    const refund = await (await client.get(done!.child))!.describe();
    expect([refund.workflow, refund.status, refund.result]).toEqual(['refund', 'completed', 'A-refund:-20']);
    expect(errors.filter((e) => /workflow|helper|refund/.test(e))).toEqual([]);
  });

  it('one worker given both modules refuses to start, naming the two modules of the clashing helper', async () => {
    const a = await compileAndImport(app('A'), `test/runtime/routing-dup-a-${kind}.ts`);
    const b = await compileAndImport(app('B'), `test/runtime/routing-dup-b-${kind}.ts`);
    const err = await h.worker({ prefix: h.prefix(), workflows: [a.module, b.module], activities: { charge: async (x: number) => x }, onError: () => {} }).catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('DuplicateWorkflowError');
    expect((err as Error).message).toMatch(new RegExp(`'(helper|refund)' \\(test/runtime/routing-dup-a-${kind}.ts:\\d+ and test/runtime/routing-dup-b-${kind}.ts:\\d+\\)`));
  });
});
