/**
 * Probes for the pieces a row needs. A row whose dependency is missing prints
 * `n/a (missing: …)` instead of failing; the smoke test uses the same probes
 * to check that an n/a row really lacks its dependency.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { DIST, ROOT, distUrl, scratchDir } from './paths.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));

async function exportsOf(rel, names) {
  if (!existsSync(path.join(DIST, rel))) return false;
  try {
    const m = await import(distUrl(rel));
    return names.every((n) => typeof m[n] === 'function');
  } catch {
    return false;
  }
}

const resolvable = (spec) => {
  try {
    require.resolve(spec);
    return true;
  } catch {
    return false;
  }
};

/** Whether the Client accepts the embedded backend (see embeddedOptions). */
async function hasEmbedded() {
  return (await embeddedOptions(scratchDir('probe'))) !== undefined;
}

const PROBES = {
  compiler: () => exportsOf('compiler/index.js', ['compile']),
  'runWorkflow': () => exportsOf('runtime/testing.js', ['runWorkflow']),
  'machine+codec': async () => (await exportsOf('runtime/machine.js', ['advance', 'initialState'])) && (await exportsOf('runtime/state-codec.js', ['encodeState'])),
  'redis runtime': async () => (await exportsOf('runtime/index.js', ['Client', 'Worker'])) && (await exportsOf('runtime/redis/redis-store.js', ['RedisStore'])),
  'redis-server': async () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0,
  regenerator: async () => resolvable('@babel/plugin-transform-regenerator') && resolvable('@babel/plugin-transform-async-to-generator'),
  'embedded backend': hasEmbedded,
};

/** The names among `needs` whose probe fails. */
export async function missing(needs) {
  const out = [];
  for (const n of needs) {
    const probe = PROBES[n];
    if (!probe) throw new Error(`bench: unknown dependency '${n}'`);
    if (!(await probe())) out.push(n);
  }
  return out;
}

// The option shapes the embedded backend may take (the brief names the first).
const EMBEDDED_SHAPES = [(dir) => ({ store: 'local', dir }), (dir) => ({ local: { dir } }), (dir) => ({ local: dir })];

/** Client/Worker options for the embedded backend with its state in `dir`: the first shape a Client accepts; undefined if none does. */
export async function embeddedOptions(dir) {
  if (!(await exportsOf('runtime/index.js', ['Client']))) return undefined;
  const { Client } = await import(distUrl('runtime/index.js'));
  for (const shape of EMBEDDED_SHAPES) {
    let client;
    try {
      client = new Client(shape(dir));
      await client.list({ limit: 1 });
      return shape(dir);
    } catch {
      // not this shape
    } finally {
      await client?.close().catch(() => {});
    }
  }
  return undefined;
}
