/**
 * The store's Lua scripts: one file per atomic transition in ./lua, each run
 * with lib.lua prepended. Called by EVALSHA with an EVAL fallback, so a
 * restarted Redis (empty script cache) keeps working.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Redis } from 'ioredis';

export const SCRIPT_NAMES = [
  'create',
  'begin_step',
  'commit_suspension',
  'commit_end',
  'settle',
  'is_live',
  'clear_dispatch',
  'signal',
  'cancel',
  'note_problem',
  'append_history',
  'retry',
  'prune',
  'prune_index',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

interface Script {
  lua: string;
  sha: string;
}

/** ./lua next to this module; when running the built dist/ inside the repo, the source folder. */
function luaDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'lua'), path.resolve(here, '../../../runtime/redis/lua')];
  const found = candidates.find((d) => existsSync(path.join(d, 'lib.lua')));
  if (!found) throw new Error(`reawait: the Redis store's Lua scripts are missing (looked in ${candidates.join(' and ')}); copy runtime/redis/lua/*.lua next to redis-store.js`);
  return found;
}

let cache: Map<ScriptName, Script> | undefined;

/**
 * One script's text. An empty file is refused, not cached: a script read while
 * a build was rewriting it (truncated, not yet written) would run as a no-op
 * returning nil, and is_live's nil drops every call the worker takes. The
 * call that read it fails and its retry reads the file again.
 */
export function readScript(dir: string, name: string): string {
  const file = path.join(dir, `${name}.lua`);
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') throw new Error(`reawait: the Redis store's Lua script ${file} is empty (being rewritten by a build, or a broken install)`);
  return text;
}

function scripts(): Map<ScriptName, Script> {
  if (cache) return cache;
  const dir = luaDir();
  const lib = readScript(dir, 'lib');
  cache = new Map(
    SCRIPT_NAMES.map((name) => {
      const lua = `${lib}\n${readScript(dir, name)}`;
      return [name, { lua, sha: createHash('sha1').update(lua).digest('hex') }];
    }),
  );
  return cache;
}

export async function runScript(redis: Redis, name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
  const s = scripts().get(name)!;
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (e) {
    if (e instanceof Error && e.message.includes('NOSCRIPT')) return redis.eval(s.lua, keys.length, ...keys, ...args);
    throw e;
  }
}
