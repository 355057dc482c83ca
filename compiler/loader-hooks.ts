/**
 * Node module hooks (registered by `reawait/register`): TypeScript and
 * workflow modules are compiled as they load — types stripped, `'use
 * workflow'` functions compiled, an inline source map so that stack traces
 * point at the source — and relative imports written for TypeScript
 * (`./video.js` for `./video.ts`, extensionless, a folder's index) resolve.
 * Everything else goes to Node unchanged.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mayHoldDirectives } from './directives.js';
import { compile } from './index.js';
import { findSource } from './resolve-source.js';

interface ResolveContext {
  parentURL?: string;
  conditions: string[];
}
interface ResolveResult {
  url: string;
  format?: string | null;
  shortCircuit?: boolean;
}
interface LoadContext {
  format?: string | null;
  conditions: string[];
}
interface LoadResult {
  format: string;
  source?: string | ArrayBuffer | Uint8Array;
  shortCircuit?: boolean;
}

const TS = /\.(m?ts|tsx)$/;

export async function resolve(specifier: string, context: ResolveContext, nextResolve: (s: string, c: ResolveContext) => Promise<ResolveResult>): Promise<ResolveResult> {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const parent = context.parentURL;
    if (!/^\.\.?(\/|$)/.test(specifier) || !parent?.startsWith('file:')) throw err;
    const found = findSource(specifier, path.dirname(fileURLToPath(parent)));
    if (!found) throw err;
    return { url: pathToFileURL(found).href, shortCircuit: true, ...(TS.test(found) ? { format: 'module' } : {}) };
  }
}

export async function load(url: string, context: LoadContext, nextLoad: (u: string, c: LoadContext) => Promise<LoadResult>): Promise<LoadResult> {
  if (!url.startsWith('file:') || url.includes('/node_modules/') || url.startsWith(OWN)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const isTs = TS.test(file);
  if (!isTs && !/\.m?js$/.test(file)) return nextLoad(url, context);
  const source = await readFile(file, 'utf8');
  if (!isTs && !mayHoldDirectives(source)) return nextLoad(url, context);
  return { format: 'module', source: await compiled(file, source), shortCircuit: true };
}

/**
 * The compiled module, from node_modules/.cache/reawait when this source was
 * compiled before by this very compiler (the key hashes the compiler's
 * build, the path and the source), so that a second start loads no Babel.
 * REAWAIT_NO_CACHE=1 turns the cache off; a cache that cannot be written is
 * only slower.
 */
async function compiled(file: string, source: string): Promise<string> {
  const useCache = !process.env.REAWAIT_NO_CACHE;
  const cached = useCache ? path.join(CACHE_DIR, `${createHash('sha256').update(`${await compilerStamp}\0${file}\0`).update(source).digest('hex')}.js`) : '';
  if (useCache) {
    const hit = await readFile(cached, 'utf8').catch(() => undefined);
    if (hit !== undefined) return hit;
  }
  const out = compile(source, { filename: file, sourceMaps: true });
  const code = out.code + (out.map ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(out.map)).toString('base64')}\n` : '');
  if (useCache) {
    const tmp = `${cached}.${process.pid}.tmp`;
    await mkdir(CACHE_DIR, { recursive: true })
      .then(() => writeFile(tmp, code))
      .then(() => rename(tmp, cached))
      .catch(() => {});
  }
  return code;
}

const CACHE_DIR = path.join(process.cwd(), 'node_modules', '.cache', 'reawait');
/** reawait's own built files (outside node_modules when an app links it): never compiled again. */
const OWN = new URL('../', import.meta.url).href;
/** Which build of the compiler this is: a rebuilt or upgraded reawait misses the cache. */
const compilerStamp: Promise<string> = stat(fileURLToPath(new URL('./index.js', import.meta.url))).then(
  (s) => `${s.size}:${s.mtimeMs}`,
  () => 'unknown',
);
