/**
 * Loading the earlier builds `reawait compile` keeps (compiler/keep-versions.ts)
 * into a worker: every kept `.js` under the given folders is imported, and
 * defines its workflows by version only (definitions.ts), so a state can
 * resume on the build that wrote it. By default a worker looks next to each
 * workflow module it loads by path: `<out>/.reawait/versions/<module>/` for
 * the first folder `<out>` above the module that has one.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { importModule } from './registry.js';

const VERSIONS = path.join('.reawait', 'versions');

/** The kept-builds folders of the workflow modules at `modulePaths`. */
export function keptFoldersOf(modulePaths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const m of modulePaths) {
    const file = path.resolve(m.startsWith('file:') ? new URL(m).pathname : m);
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const kept = path.join(dir, VERSIONS, path.relative(dir, file).replace(/\.m?js$/, ''));
      if (existsSync(kept)) {
        out.add(kept);
        break;
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return [...out];
}

async function keptFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await keptFiles(full)));
    else if (e.name.endsWith('.js')) out.push(full);
  }
  return out.sort();
}

/** Import every kept build under `folders`; returns the files loaded. */
export async function loadKeptBuilds(folders: readonly string[]): Promise<string[]> {
  const files = (await Promise.all(folders.map(keptFiles))).flat();
  for (const f of files) await importModule(f);
  return files;
}
