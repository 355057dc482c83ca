/**
 * `'use step'`: a function in a workflow's module whose body starts with
 * `'use step'` is an activity defined in place. Called from a workflow it is
 * a durable call (served by runWorkflow and by a Worker that loaded the
 * module, with retries via withOptions); called elsewhere it runs directly.
 * A directive on a function that cannot be a step is a compile error at its
 * line, never a silent in-memory call.
 */
import { describe, expect, it } from 'vitest';
import { compile, CompileError } from '../compiler/index.js';
import { runWorkflow } from '../runtime/testing.js';
import { compileAndImport } from './support/compile-fixture.js';
import { withLocalWorker } from './support/local-worker.js';

const FILE = 'test/steps/pipeline.ts';
const SOURCE = `import { withOptions } from 'reawait/workflow';

export const attempts = { flaky: 0 };

export async function encode(file: string): Promise<string> {
  'use step';
  return file.replace(/\\.mov$/, '.mp4');
}

export const flaky = async (n: number): Promise<number> => {
  'use step';
  if (++attempts.flaky % 3 !== 0) throw new Error('not yet');
  return n * 2;
};
const flakyWithRetries = withOptions(flaky, { retries: 3 });

export async function pipeline(files: string[]) {
  'use workflow';
  const encoded = await Promise.all(files.map((f) => encode(f)));
  const doubled = await flakyWithRetries(21);
  return { encoded, doubled };
}
`;

type Mod = {
  pipeline: (files: string[]) => Promise<{ encoded: string[]; doubled: number }>;
  encode: (file: string) => Promise<string>;
  attempts: { flaky: number };
};

describe("'use step'", () => {
  it('becomes a registered step: a durable call from the workflow (with retries), a direct call elsewhere', async () => {
    const { module, code } = await compileAndImport(SOURCE, FILE);
    const m = module as unknown as Mod;
    expect(code).toContain(`_rw_step("${FILE}#encode", async function encode(file)`);
    expect(code).toContain(`_rw_step("${FILE}#flaky", async n =>`);
    const calls: string[] = [];
    m.attempts.flaky = 0;
    const r = await runWorkflow(m.pipeline, [['a.mov', 'b.mov']], { activities: {}, onCall: (name, args) => calls.push(`${name}(${JSON.stringify(args)})`) });
    expect(r.result).toEqual({ encoded: ['a.mp4', 'b.mp4'], doubled: 42 });
    expect(r.suspensions).toBe(2); // each await of a step call is a durable suspension
    expect(calls).toEqual([`${FILE}#encode(["a.mov"])`, `${FILE}#encode(["b.mov"])`, `${FILE}#flaky([21])`, `${FILE}#flaky([21])`, `${FILE}#flaky([21])`]);
    // outside a workflow, the function itself
    expect(await m.encode('c.mov')).toBe('c.mp4');
  }, 120_000);

  it('a Worker that loaded the module runs its steps (no activities given)', async () => {
    const { module } = await compileAndImport(SOURCE, FILE);
    const m = module as unknown as Mod;
    m.attempts.flaky = 0;
    await withLocalWorker(module, {}, async (client) => {
      const handle = await client.start(m.pipeline, [['x.mov']]);
      expect(await handle.result({ timeoutMs: 20_000 })).toEqual({ encoded: ['x.mp4'], doubled: 42 });
      expect(m.attempts.flaky).toBe(3);
    });
  }, 120_000);

  it('a directive on a function that cannot be a step is a compile error at its line', () => {
    const source = `export async function outer() {
  const inner = async () => {
    'use step';
    return 1;
  };
  return inner();
}
export function notAsync(): number {
  'use step';
  return 1;
}
export let rebound = async () => {
  'use step';
};
export class K {
  async m() {
    'use step';
  }
}
export async function both() {
  'use step';
  'use workflow';
}
`;
    let errors: string[] = [];
    try {
      compile(source, { filename: 'src/bad.ts' });
    } catch (e) {
      expect(e).toBeInstanceOf(CompileError);
      errors = (e as CompileError).errors.map((x) => `${x.line}: ${x.message.slice(0, 60)}`);
    }
    expect(errors).toEqual([
      "8: 'use step' function 'notAsync' must be async: calling it fro",
      "12: a 'use step' function must be bound with 'const name = …': i",
      "20: 'both' has both 'use step' and 'use workflow': a function is",
      "2: this 'use step' function cannot be a step: it runs on a work",
      "16: this 'use step' function cannot be a step: it runs on a work",
    ]);
  }, 120_000);
});
