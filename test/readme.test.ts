/**
 * The README's code runs as written: every ts and js block is one a test
 * here (or fresh-app.test.ts, for babel.config.js) extracts, and a new block
 * without one fails. Its workflows compile with compileDir and run (the unit
 * test, the timeline, billing, 'use step', promises as values, the saga,
 * queries with no worker, the embedded and the Redis Client snippets), and
 * every typed snippet type-checks under strict. Only the snippets' `vitest`
 * import, their `./build/` paths and their console.log lines are rewired.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileDir } from '../compiler/compile-dir.js';
import { encodeValue, roundTripValue } from '../runtime/codec.js';
import { runWorkflow } from '../runtime/testing.js';
import { COMPILED_DIR } from './support/compile-fixture.js';
import { ROOT } from './support/fixture-corpus.js';
import { setupCommands } from './support/readme.js';
import { ensureDist } from './support/global-setup.js';

const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const blocks = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const block = (test: (b: string) => boolean, what: string): string => {
  const found = blocks.find(test);
  if (!found) throw new Error(`README.md has no ts code block with ${what}`);
  return found;
};

const HERE = path.join(COMPILED_DIR, 'readme');

/** Collects the `it(...)` calls of a README test snippet, to run them here. */
type Case = { name: string; body: () => Promise<void> };
const g = globalThis as { __readmeCases?: Case[] };

async function importSnippet(code: string, rel: string): Promise<Case[]> {
  g.__readmeCases = [];
  const file = path.join(HERE, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  const rewired = code.replace(
    /import \{ expect, it \} from 'vitest';/,
    `import { expect } from 'vitest';\nconst it = (name: string, body: () => Promise<void>) => (globalThis as { __readmeCases?: unknown[] }).__readmeCases!.push({ name, body });`,
  );
  expect(rewired, 'the snippet imports expect and it from vitest').not.toBe(code);
  writeFileSync(file, rewired);
  await import(/* @vite-ignore */ file);
  return g.__readmeCases;
}

/** Compile `files` (name → source) in HERE/<name>/src with compileDir, without errors, and import build/<entry>.js. */
async function compileSnippet<M>(name: string, files: Record<string, string>, entry: string): Promise<M> {
  const dir = path.join(HERE, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, 'src', file), text);
  const { errors } = await compileDir(path.join(dir, 'src'), path.join(dir, 'build'));
  expect(errors).toEqual([]);
  return (await import(/* @vite-ignore */ path.join(dir, 'build', `${entry}.js`))) as M;
}

describe('README', () => {
  it('sets up in exactly two commands: one runs the demo, one runs the tests', () => {
    const cmds = setupCommands(README);
    expect(cmds).toHaveLength(2);
    expect(cmds[0]).toMatch(/npm run demo/);
    expect(cmds[1]).toMatch(/^npm test$/);
  });

  it('the workflow and activities compile, and the runWorkflow unit test passes', async () => {
    rmSync(HERE, { recursive: true, force: true });
    mkdirSync(path.join(HERE, 'src'), { recursive: true });
    writeFileSync(path.join(HERE, 'src/activities.ts'), block((b) => b.startsWith('// activities.ts'), '// activities.ts'));
    writeFileSync(path.join(HERE, 'src/workflow.ts'), block((b) => b.startsWith('// workflow.ts'), '// workflow.ts'));
    const { errors, files } = await compileDir(path.join(HERE, 'src'), path.join(HERE, 'build'));
    expect(errors).toEqual([]);
    expect(files.length).toBe(2);
    const cases = await importSnippet(block((b) => b.includes('runWorkflow(') && b.includes("from 'vitest'"), 'a runWorkflow test'), 'test/unit.ts');
    expect(cases.map((c) => c.name)).toEqual(['encodes in parallel and builds a playlist']);
    for (const c of cases) await c.body();
  });

  it('the embedded Client/Worker snippet runs the workflow to the result it shows', async () => {
    const snippet = block((b) => b.includes("store: 'local'") && !b.startsWith('// src/'), 'the embedded backend snippet');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reawait-readme-'));
    const rewired = snippet
      .replaceAll("'./build/", `'${path.join(HERE, 'build')}/`)
      .replace("dir: '.reawait'", `dir: ${JSON.stringify(dir)}`)
      .replace('console.log(await handle.result());', 'export const result = await handle.result();');
    expect(rewired).toContain('export const result');
    const file = path.join(HERE, 'embedded-snippet.ts');
    writeFileSync(file, rewired);
    try {
      const m = (await import(/* @vite-ignore */ file)) as { result: unknown };
      // what the snippet's comment shows is what it returns
      expect(snippet).toContain(String.raw`// { playlist: '#EXTM3U\na.720p.mp4\nb.720p.mp4', count: 2 }`);
      expect(m.result).toEqual({ playlist: '#EXTM3U\na.720p.mp4\nb.720p.mp4', count: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the upgrade() snippet registers an explicit upgrade that maps the old locals as its comment says', async () => {
    const snippet = block((b) => b.includes('upgrade(videoPipeline'), 'the upgrade() snippet');
    const file = path.join(HERE, 'upgrade-snippet.ts');
    writeFileSync(file, snippet.replaceAll("'./build/", `'${path.join(HERE, 'build')}/`));
    await import(/* @vite-ignore */ file);
    const { registeredUpgrades } = await import('../runtime/upgrade.js');
    const u = registeredUpgrades().find((x) => x.workflow === 'videoPipeline');
    expect(u).toMatchObject({ version: '3f9a0c1d2e4b5a69', line: 14 });
    expect(u!.fn({ encoded: ['a.720p.mp4', 'b.720p.mp4'] })).toEqual({ line: 15, locals: { encoded: ['a.720p.mp4', 'b.720p.mp4'], count: 2 } });
  });

  it('the saga snippet keeps its compensations across awaits and runs them in reverse when a step fails', async () => {
    const { placeOrder } = await compileSnippet<{ placeOrder: (id: string, items: string[]) => Promise<string> }>(
      'saga',
      { 'saga.ts': block((b) => b.startsWith('// saga.ts'), '// saga.ts') },
      'saga',
    );
    const run = async (courier: boolean) => {
      const calls: string[] = [];
      const activities = {
        charge: (id: string) => (calls.push(`charge ${id}`), `pay-${id}`),
        refund: (p: string) => void calls.push(`refund ${p}`),
        reserve: (items: string[]) => (calls.push(`reserve ${items.join('+')}`), `hold-${items.length}`),
        release: (h: string) => void calls.push(`release ${h}`),
        ship: (id: string) => {
          calls.push(`ship ${id}`);
          if (!courier) throw new Error('no courier');
          return `parcel-${id}`;
        },
      };
      // roundTrip: the state, closures in it, goes through its encoded form at every await
      const outcome = await runWorkflow(placeOrder, ['o1', ['a', 'b']], { activities, roundTrip: true }).then((r) => r.result, (e: Error) => e.message);
      return { outcome, calls };
    };
    expect(await run(true)).toEqual({ outcome: 'parcel-o1', calls: ['charge o1', 'reserve a+b', 'ship o1'] });
    expect(await run(false)).toEqual({ outcome: 'no courier', calls: ['charge o1', 'reserve a+b', 'ship o1', 'release hold-2', 'refund pay-o1'] });
  });

  it('the serializable() snippet registers a class whose instances come back as themselves', async () => {
    const snippet = block((b) => b.startsWith('// money.ts'), '// money.ts');
    const file = path.join(HERE, 'money-snippet.ts');
    mkdirSync(HERE, { recursive: true });
    writeFileSync(file, snippet);
    const { Money } = (await import(/* @vite-ignore */ file)) as { Money: new (cents: number, currency: string) => { cents: number; plus(o: unknown): { cents: number } } };
    const back = roundTripValue(new Money(150, 'EUR'));
    expect(back).toBeInstanceOf(Money);
    expect(back.plus(new Money(50, 'EUR')).cents).toBe(200);
    expect(encodeValue(new Money(1, 'EUR'))).toContain('"billing.Money"');
  });

  it("the 'use step' snippet compiles its step into a registered activity", async () => {
    const { compile } = await import('../compiler/index.js');
    const out = compile(block((b) => b.startsWith('// steps.ts'), '// steps.ts'), { filename: 'src/steps.ts' });
    expect(out.code).toContain('_rw_step("src/steps.ts#fetchPrice", async function fetchPrice(sku)');
    expect(out.workflows.map((w) => w.name)).toEqual(['quote']);
  });

  it('the runWorkflow timeline snippet runs: the signal at 2h approves, and the workflow ends before the cancel at 3 days', async () => {
    const snippet = block((b) => b.includes('timeline: ['), 'the runWorkflow timeline snippet');
    const file = path.join(HERE, 'timeline-snippet.ts');
    writeFileSync(
      file,
      `import { runWorkflow } from 'reawait/testing';\nimport { videoPipeline } from './build/workflow.js';\nimport * as activities from './build/activities.js';\n${snippet}\nexport { out };\n`,
    );
    const { out } = (await import(/* @vite-ignore */ file)) as { out: { result: unknown; virtualMs: number } };
    expect(out.result).toEqual({ playlist: '#EXTM3U\na.720p.mp4', count: 1 });
    expect(out.virtualMs).toBe(2 * 3600_000 + 1000); // the signal at 2h, then the sleep of 1s
  });

  it('the workflowInfo() / nonRetryable snippet runs: its id and start time, a listed error not retried', async () => {
    const m = await compileSnippet<{ checkout: (cents: number) => Promise<unknown>; CardDeclined: new (message: string) => Error }>(
      'billing',
      {
        'billing.ts': block((b) => b.startsWith('// billing.ts'), '// billing.ts'),
        'payments.ts': 'export async function charge(order: string, cents: number): Promise<boolean> {\n  return cents > 0;\n}\n',
      },
      'billing',
    );
    const startTime = Date.UTC(2026, 0, 1);
    const charged: string[] = [];
    const charge = (fail?: () => Error) => async (order: string, cents: number) => {
      charged.push(`${order} ${cents}`);
      if (fail) throw fail();
      return true;
    };
    const paid = await runWorkflow(m.checkout, [500], { activities: { charge: charge() }, executionId: 'order-7', startTime });
    expect(paid.result).toEqual({ paid: true, startedAt: '2026-01-01T00:00:00.000Z' });
    expect(charged).toEqual(['order-7 500']);
    charged.length = 0;
    const declined = await runWorkflow(m.checkout, [500], { activities: { charge: charge(() => new m.CardDeclined('insufficient funds')) }, executionId: 'order-8', startTime });
    expect(declined.result).toEqual({ paid: false, reason: 'insufficient funds' });
    expect(charged).toEqual(['order-8 500']); // listed by class: not retried despite retries: 5
    charged.length = 0;
    const invalid = Object.assign(new Error('bad amount'), { name: 'ValidationError' });
    await expect(runWorkflow(m.checkout, [500], { activities: { charge: charge(() => invalid) }, executionId: 'order-9', startTime })).rejects.toThrow('bad amount');
    expect(charged).toEqual(['order-9 500']); // listed by name
  });

  it("the 'use step' snippet runs: fetchPrice is a durable call with its retries", async () => {
    const { quote } = await compileSnippet<{ quote: (skus: string[]) => Promise<number> }>('steps', { 'steps.ts': block((b) => b.startsWith('// steps.ts'), '// steps.ts') }, 'steps');
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (url: string) => {
      fetched.push(url);
      if (url.endsWith('/b') && fetched.filter((u) => u === url).length === 1) throw new Error('connection reset'); // once: the step retries
      return new Response(url.endsWith('/a') ? '3' : '4');
    }) as typeof fetch;
    try {
      const r = await runWorkflow(quote, [['a', 'b']], { activities: {} });
      expect(r.result).toBe(7);
      expect(fetched.sort()).toEqual(['https://prices.example/a', 'https://prices.example/b', 'https://prices.example/b']);
      expect(r.virtualMs).toBe(1000); // the backoff of '1s' before the retry, on the virtual clock
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('the "promises as values" snippet runs inside a workflow: a kept promise awaited twice, a fire-and-forget call', async () => {
    const fragment = block((b) => b.startsWith('const receipt = charge(order);'), 'the promises-as-values snippet');
    const { order } = await compileSnippet<{ order: (o: { id: string; customer: string }) => Promise<unknown> }>(
      'values',
      {
        'values.ts': `import { proxyActivities } from 'reawait/workflow';
type Order = { id: string; customer: string };
const { charge, reserve, notify, checkStock } = proxyActivities<{
  charge(o: Order): Promise<string>;
  reserve(o: Order): Promise<void>;
  notify(customer: string): Promise<void>;
  checkStock(o: Order): Promise<number>;
}>();
export async function order(order: Order) {
  'use workflow';
${fragment}
  return { paid, stock, again };
}
`,
      },
      'values',
    );
    const calls: string[] = [];
    const activities = {
      charge: async (o: { id: string }) => (calls.push('charge'), `paid-${o.id}`),
      reserve: async () => void calls.push('reserve'),
      notify: async (c: string) => void calls.push(`notify ${c}`),
      checkStock: async () => (calls.push('checkStock'), 5),
    };
    const r = await runWorkflow(order, [{ id: 'o1', customer: 'ann' }], { activities });
    expect(r.result).toEqual({ paid: 'paid-o1', stock: 5, again: 'paid-o1' });
    expect(calls.sort()).toEqual(['charge', 'checkStock', 'notify ann', 'reserve']); // each once: awaiting twice does not call again
  });

  it('the queries snippet answers from the saved state what its comment shows, with no worker running', async () => {
    const snippet = block((b) => b.startsWith('// batch.ts'), '// batch.ts');
    const mod = await compileSnippet<{ batch: (total: number) => Promise<number> }>('batch', { 'batch.ts': snippet }, 'batch');
    const data = mkdtempSync(path.join(os.tmpdir(), 'reawait-readme-batch-'));
    const { Client, Worker } = await import('../runtime/index.js');
    // two calls return, the third never does on this worker: it is stopped and the saved state queried
    let n = 0;
    const worker = new Worker({ store: 'local', dir: data, workflows: mod, activities: { work: () => (++n <= 2 ? Promise.resolve() : new Promise<void>(() => {})) } });
    const client = new Client({ store: 'local', dir: data });
    try {
      await worker.run();
      const handle = await client.start(mod.batch, [3], { id: 'batch-1' });
      await expect.poll(async () => (await handle.describe()).calls?.done, { timeout: 20_000 }).toBe(2);
      await worker.close(100);
      // what the snippet's comment shows is what the query returns
      expect(snippet).toContain("await (await client.get('batch-1'))!.query('progress') → { done: 2, total: 3 }");
      expect(await (await client.get('batch-1'))!.query('progress')).toEqual({ done: 2, total: 3 });
    } finally {
      await client.close();
      await worker.close(100);
      rmSync(data, { recursive: true, force: true });
    }
  }, 60_000);

  it('the Redis Client snippet runs against a Redis with a worker: describe, signal, result, and a cancel', async () => {
    const snippet = block((b) => b.includes('new Client({ redis'), 'the Redis snippet');
    const { startRedis } = await import('./support/redis-server.js');
    const { Worker } = await import('../runtime/index.js');
    const server = await startRedis();
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = server.url;
    const activities = await import(/* @vite-ignore */ path.join(HERE, 'build/activities.js'));
    const workflows = await import(/* @vite-ignore */ path.join(HERE, 'build/workflow.js'));
    const worker = new Worker({ redis: server.url, workflows, activities });
    try {
      await worker.run();
      const rewired = snippet
        .replace("'./build/video-encoding/workflow.js'", `'${path.join(HERE, 'build/workflow.js')}'`)
        .replace('console.log(await handle.result());', 'export const result = await handle.result();')
        .replace('await client.close();', "export const cancelled = await other.result().catch((e: Error) => e.name);\nexport const ended = await handle.describe();\nawait client.close();");
      expect(rewired).toContain('export const result');
      const file = path.join(HERE, 'redis-snippet.ts');
      writeFileSync(file, rewired);
      const m = (await import(/* @vite-ignore */ file)) as { result: unknown; cancelled: unknown; ended: { status: string } };
      expect(m.result).toEqual({ playlist: '#EXTM3U\na.720p.mp4\nb.720p.mp4', count: 2 });
      expect(m.ended.status).toBe('completed');
      expect(m.cancelled).toBe('CancelledError');
    } finally {
      await worker.close(1000);
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
      await server.stop();
    }
  }, 60_000);

  it('every ts and js block of the README is one that a test here extracts (a new snippet needs a test)', () => {
    const tested = [
      (b: string) => b.startsWith('// src/'), // 'a new app in five minutes'
      (b: string) => /^\/\/ (activities|workflow|billing|batch|steps|saga|money)\.ts\n/.test(b),
      (b: string) => b.startsWith('const receipt = charge(order);'),
      (b: string) => b.includes("from 'reawait/compiler'"),
      (b: string) => b.includes('runWorkflow(') && (b.includes("from 'vitest'") || b.includes('timeline: [')),
      (b: string) => b.includes("store: 'local'"),
      (b: string) => b.includes('new Client({ redis'),
      (b: string) => b.includes('upgrade(videoPipeline'),
    ];
    const js = [...README.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(js.map((b) => b.split('\n')[0])).toEqual(['// babel.config.js']); // run by fresh-app.test.ts
    const untested = blocks.filter((b) => !tested.some((t) => t(b)));
    expect(untested.map((b) => b.split('\n')[0])).toEqual([]);
  });

  it('the compile() snippet returns code, a source map and the workflow metadata it lists', async () => {
    const snippet = block((b) => b.includes("from 'reawait/compiler'"), 'the compile() snippet');
    const source = block((b) => b.startsWith('// workflow.ts'), '// workflow.ts');
    const file = path.join(HERE, 'compile-snippet.ts');
    mkdirSync(HERE, { recursive: true });
    writeFileSync(file, `const source = ${JSON.stringify(source)};\n${snippet}\nexport { code, map, workflows };\n`);
    const m = (await import(/* @vite-ignore */ file)) as { code: string; map: { mappings: string }; workflows: Record<string, unknown>[] };
    expect(m.code).toContain('videoPipeline');
    expect(m.map.mappings.length).toBeGreaterThan(0);
    // `// workflows[0]: { name, version, …, suspensions: [{ id, … }] }`: the top-level keys it lists
    const listed = /workflows\[0\]: \{ ([^[]*)\[/.exec(snippet)![1]!.split(',').map((k) => k.split(':')[0]!.trim());
    expect(Object.keys(m.workflows[0]!)).toEqual(expect.arrayContaining(listed));
  });
});

describe('README: typed snippets', () => {
  it('every TypeScript snippet type-checks under strict (imports of ./build/ typed through the .d.ts that compile writes)', async () => {
    await ensureDist(); // 'reawait' and its subpaths resolve to the built package's declarations
    const dir = path.join(COMPILED_DIR, 'readme-typed');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(path.join(dir, 'src'), { recursive: true });
    mkdirSync(path.join(dir, 'test'), { recursive: true });
    const files: Record<string, string> = {
      'src/activities.ts': block((b) => b.startsWith('// activities.ts'), '// activities.ts'),
      'src/workflow.ts': block((b) => b.startsWith('// workflow.ts'), '// workflow.ts'),
      'test/unit.ts': block((b) => b.includes('runWorkflow(') && b.includes("from 'vitest'"), 'a runWorkflow test'),
      'embedded.ts': block((b) => b.includes("store: 'local'") && !b.startsWith('// src/'), 'the embedded backend snippet'),
      'redis.ts': block((b) => b.includes('new Client({ redis'), 'the Redis snippet').replace('./build/video-encoding/workflow.js', './build/workflow.js'),
      'steps.ts': block((b) => b.startsWith('// steps.ts'), '// steps.ts'),
      'saga.ts': block((b) => b.startsWith('// saga.ts'), '// saga.ts'),
      'batch.ts': block((b) => b.startsWith('// batch.ts'), '// batch.ts'),
      'money.ts': block((b) => b.startsWith('// money.ts'), '// money.ts'),
      'billing.ts': block((b) => b.startsWith('// billing.ts'), '// billing.ts'),
      // what billing.ts imports the type of (not in the README)
      'payments.ts': 'export async function charge(order: string, cents: number): Promise<boolean> {\n  return order.length > 0 && cents > 0;\n}\n',
      'upgrade.ts': block((b) => b.includes('upgrade(videoPipeline'), 'the upgrade() snippet'),
      'timeline.ts': `import { runWorkflow } from 'reawait/testing';\nimport { videoPipeline } from './build/workflow.js';\nimport * as activities from './build/activities.js';\n${block((b) => b.includes('timeline: ['), 'the timeline snippet')}\nexport { out };\n`,
      'compile-snippet.ts': `declare const source: string;\n${block((b) => b.includes("from 'reawait/compiler'"), 'the compile() snippet')}\nexport { code, map, workflows };\n`,
    };
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    const { errors } = await compileDir(path.join(dir, 'src'), path.join(dir, 'build'));
    expect(errors).toEqual([]);
    const compilerOptions = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: ['node'] };
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: Object.keys(files) }));
    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
  }, 120_000);
});

describe('README: a new app in five minutes', () => {
  const section = README.slice(README.indexOf('## A new app in five minutes'), README.indexOf('## Contents'));
  const fenced = (lang: string) => [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
  const APP = path.join(COMPILED_DIR, 'quickstart');

  it('its files type-check under its strict tsconfig, and its run command prints what app.ts says', async () => {
    await ensureDist(); // 'reawait', 'reawait/workflow' and 'reawait/register' resolve to the built package
    rmSync(APP, { recursive: true, force: true });
    mkdirSync(path.join(APP, 'src'), { recursive: true });
    const files = fenced('ts');
    expect(files.map((f) => /^\/\/ (\S+):/.exec(f)?.[1])).toEqual(['src/activities.ts', 'src/greeting.ts', 'src/app.ts']);
    for (const f of files) writeFileSync(path.join(APP, /^\/\/ (\S+):/.exec(f)![1]!), f);
    const [tsconfig] = fenced('json');
    writeFileSync(path.join(APP, 'tsconfig.json'), tsconfig!);

    const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', APP], { cwd: APP, encoding: 'utf8' });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);

    const [, run] = fenced('sh');
    const command = run!.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).find((l) => l.startsWith('node '))!;
    expect(command).toBe('node --import reawait/register src/app.ts');
    const r = spawnSync(process.execPath, command.split(' ').slice(1), { cwd: APP, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    const printed = /console\.log\(.*\); \/\/ (.*)$/m.exec(files[2]!)![1]!;
    expect(r.stdout).toBe(`${printed}\n`);
  }, 120_000);
});
