/**
 * Node module hooks (registered by `reawait/register`): TypeScript and
 * workflow modules are compiled as they load — types stripped, `'use
 * workflow'` functions compiled, an inline source map so that stack traces
 * point at the source — and relative imports written for TypeScript
 * (`./video.js` for `./video.ts`, extensionless, a folder's index) resolve.
 * Everything else goes to Node unchanged.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { mayHoldDirectives } from './find-workflows.js';
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
  if (!url.startsWith('file:') || url.includes('/node_modules/')) return nextLoad(url, context);
  const file = fileURLToPath(url);
  const isTs = TS.test(file);
  if (!isTs && !/\.m?js$/.test(file)) return nextLoad(url, context);
  const source = await readFile(file, 'utf8');
  if (!isTs && !mayHoldDirectives(source)) return nextLoad(url, context);
  const out = compile(source, { filename: file, sourceMaps: true });
  const map = out.map ? `\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(out.map)).toString('base64')}\n` : '';
  return { format: 'module', source: out.code + map, shortCircuit: true };
}
