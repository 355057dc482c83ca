/**
 * Where a relative import of a TypeScript app points on disk when it is not
 * the literal path: `./video.js` written for `./video.ts` (TypeScript's own
 * convention), `./video` with no extension, `./lib` for `./lib/index.ts`.
 * Node's ESM resolver finds none of these; the loader (loader-hooks.ts)
 * asks here after it fails. compile's rewriting (import-extensions.ts)
 * makes the same choices for compiled output.
 */
import { statSync } from 'node:fs';
import path from 'node:path';

const SOURCES = ['.ts', '.mts', '.tsx', '.js', '.mjs'];
const isFile = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

/** The file a relative specifier means, from the importing file's folder; undefined when none fits. */
export function findSource(spec: string, fromDir: string): string | undefined {
  const base = path.resolve(fromDir, spec);
  if (isFile(base)) return base;
  const js = /\.(m?)js$/.exec(base);
  if (js) {
    const ts = base.replace(/\.(m?)js$/, '.$1ts');
    if (isFile(ts)) return ts;
    if (js[1] === '' && isFile(base.replace(/\.js$/, '.tsx'))) return base.replace(/\.js$/, '.tsx');
  }
  if (!spec.endsWith('/')) for (const ext of SOURCES) if (isFile(base + ext)) return base + ext;
  for (const ext of SOURCES) if (isFile(path.join(base, `index${ext}`))) return path.join(base, `index${ext}`);
  return undefined;
}
