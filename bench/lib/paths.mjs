// Where things are: the repo root, the built package (dist/), and a per-run tmp dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DIST = path.join(ROOT, 'dist');

/** file: URL of a built module, e.g. dist('runtime/testing.js'). */
export const distUrl = (rel) => pathToFileURL(path.join(DIST, rel)).href;

/** A fresh tmp dir removed at process exit (compiled bench workflows live here). */
export function scratchDir(tag) {
  const dir = mkdtempSync(path.join(tmpdir(), `reawait-bench-${tag}-`));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
