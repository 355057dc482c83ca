/**
 * Typed end to end: an app imports a workflow (from its source, or from the
 * output of `reawait compile`, which writes a `.d.ts` next to each `.js`)
 * and `client.start(videoPipeline, [files])`, `handle.signal(…)` (a
 * defineSignal() shared with the workflow types its payload) and
 * `handle.result()` type-check under `strict` with no cast; wrong arguments,
 * a wrong payload and a wrong use of the result do not. The type checks run the project's
 * own `tsc` on a small app; the same app code then runs on the embedded
 * backend, and the uncompiled source is refused with a message saying how
 * to compile it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileDir } from '../compiler/compile-dir.js';
import { Client, Worker } from '../runtime/index.js';
import { ensureDist, ROOT } from './support/global-setup.js';

const APP = path.join(ROOT, 'test/.compiled/typed-app');

const ACTIVITIES = `export async function encodeVideo(path: string): Promise<string> {
  return path.replace(/\\.mov$/, '.mp4');
}
export async function createPlaylist(files: string[]): Promise<string> {
  return ['#EXTM3U', ...files].join('\\n');
}
`;

const SIGNALS = `import { defineSignal } from 'reawait/workflow';

/** The approval: what the workflow waits for and the app sends, typed once for both. */
export const approve = defineSignal<boolean>('approve');
`;

const WORKFLOW = `import { proxyActivities, signal } from 'reawait/workflow';
import type * as activities from './activities.js';
import { approve } from './signals.js';

const { encodeVideo, createPlaylist } = proxyActivities<typeof activities>({ retries: 2, timeout: '1 minute' });

export async function videoPipeline(files: string[]): Promise<{ playlist: string | null; count: number }> {
  'use workflow';
  const encoded = await Promise.all(files.map((f) => encodeVideo(f)));
  const approved: boolean | undefined = await signal(approve, { timeout: '1 day' });
  if (approved === false) return { playlist: null, count: 0 };
  return { playlist: await createPlaylist(encoded), count: encoded.length };
}

export default async function greet(name: string) {
  'use workflow';
  return \`hello \${name}\`;
}
`;

/** What the app writes, given where it imports the workflow from. */
const app = (from: string) => `import { Client } from 'reawait';
import greet, { videoPipeline } from '${from}';
import { approve } from '${from.replace('video.js', 'signals.js')}';

export async function main(client: Client): Promise<number> {
  const handle = await client.start(videoPipeline, [['a.mov', 'b.mov']], { id: 'typed-1' });
  await handle.signal(approve, true);
  const r = await handle.result();
  const count: number = r.count;
  const playlist: string | null = r.playlist;
  const hello: string = await (await client.start(greet, ['you'])).result();
  return count + (playlist?.length ?? 0) + hello.length;
}

export async function wrong(client: Client): Promise<void> {
  // @ts-expect-error the arguments are [files: string[]]
  await client.start(videoPipeline, [[1, 2]]);
  // @ts-expect-error one argument, not two
  await client.start(videoPipeline, [['a.mov'], 'extra']);
  const r = await (await client.start(videoPipeline, [[]])).result();
  // @ts-expect-error the result has no 'nope'
  void r.nope;
  const h = await client.start(videoPipeline, [[]]);
  // @ts-expect-error approve's payload is a boolean
  await h.signal(approve, 'yes');
  // @ts-expect-error approve needs its payload
  await h.signal(approve);
}
`;

function tsc(project: string): { code: number; out: string } {
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: APP, encoding: 'utf8', stdio: 'pipe' });
    return { code: 0, out: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: `${err.stdout}${err.stderr}` };
  }
}

function tsconfig(name: string, files: string[]): string {
  const file = path.join(APP, name);
  const compilerOptions = { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: true, types: [] };
  writeFileSync(file, JSON.stringify({ compilerOptions, files }, null, 2));
  return file;
}

describe('typed end to end', () => {
  beforeAll(async () => {
    await ensureDist(); // the app type-checks against the package's own declarations (dist/*.d.ts)
    rmSync(APP, { recursive: true, force: true });
    mkdirSync(path.join(APP, 'src'), { recursive: true });
    writeFileSync(path.join(APP, 'src/activities.ts'), ACTIVITIES);
    writeFileSync(path.join(APP, 'src/video.ts'), WORKFLOW);
    writeFileSync(path.join(APP, 'src/signals.ts'), SIGNALS);
    const { errors } = await compileDir(path.join(APP, 'src'), path.join(APP, 'build'));
    expect(errors).toEqual([]);
    writeFileSync(path.join(APP, 'app-compiled.ts'), app('./build/video.js'));
    writeFileSync(path.join(APP, 'app-source.ts'), app('./src/video.js'));
  }, 120_000);

  it('reawait compile writes a .d.ts next to each .js that re-exports the source types (default export too)', () => {
    expect(readFileSync(path.join(APP, 'build/video.d.ts'), 'utf8')).toBe(
      `// The types of video.ts: its compiled module exports the same functions, typed as written.\nexport * from '../src/video.js';\nexport { default } from '../src/video.js';\n`,
    );
    expect(readFileSync(path.join(APP, 'build/activities.d.ts'), 'utf8')).not.toContain('default');
  }, 180_000);

  it('an app importing the compiled output type-checks under strict with no cast; wrong uses are errors', () => {
    const r = tsc(tsconfig('tsconfig.compiled.json', ['app-compiled.ts']));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);

  it('an app importing the workflow from its source type-checks the same', () => {
    const r = tsc(tsconfig('tsconfig.source.json', ['app-source.ts']));
    expect(r.out).toBe('');
    expect(r.code).toBe(0);
  }, 180_000);

  it('without the .d.ts the compiled import is untyped (TS7016): the declarations are what types it', () => {
    const dts = path.join(APP, 'build/video.d.ts');
    const saved = readFileSync(dts, 'utf8');
    rmSync(dts);
    try {
      const r = tsc(tsconfig('tsconfig.compiled.json', ['app-compiled.ts']));
      expect(r.code).not.toBe(0);
      expect(r.out).toContain('TS7016');
    } finally {
      writeFileSync(dts, saved);
    }
    expect(existsSync(dts)).toBe(true);
  }, 180_000);

  it('the same app code runs on the compiled module; the uncompiled source is refused, saying how to compile', async () => {
    const dir = path.join(APP, '.reawait');
    rmSync(dir, { recursive: true, force: true });
    const compiled = (await import(/* @vite-ignore */ path.join(APP, 'build/video.js'))) as Record<string, unknown>;
    const acts = (await import(/* @vite-ignore */ path.join(APP, 'build/activities.js'))) as Record<string, unknown>;
    const worker = new Worker({ store: 'local', dir, workflows: compiled, activities: acts });
    await worker.run();
    const client = new Client({ store: 'local', dir });
    try {
      const { main } = (await import(/* @vite-ignore */ path.join(APP, 'app-compiled.ts'))) as { main: (c: Client) => Promise<number> };
      // count 2 + the playlist '#EXTM3U\na.mp4\nb.mp4' (19) + 'hello you' (9)
      expect(await main(client)).toBe(2 + 19 + 9);
      const source = (await import(/* @vite-ignore */ path.join(APP, 'src/video.ts'))) as { videoPipeline: (files: string[]) => Promise<unknown> };
      await expect(client.start(source.videoPipeline, [['x.mov']])).rejects.toThrow(
        "start: 'videoPipeline' was not compiled: import it from the output of 'npx reawait compile', or run the app with 'node --import reawait/register' or the 'reawait/vite' plugin",
      );
    } finally {
      await client.close();
      await worker.close();
    }
  }, 180_000);
});
