/**
 * The fixture corpora: every `fixtures/programs/*.ts` (and, for fibers and
 * durable promises, `fixtures/fibers/*.ts`), its exports, and the workflow
 * under test (the export named after the file: `for-of-map.ts` →
 * `forOfMap`; workflow names must be unique across the corpus because the
 * runtime registers workflows by name).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PROGRAMS_DIR = path.join(ROOT, 'fixtures', 'programs');
export const FIBERS_DIR = path.join(ROOT, 'fixtures', 'fibers');
export const ACTIVITIES_FILE = path.join(ROOT, 'fixtures', 'activities.ts');

export interface FixtureModule {
  args?: unknown[];
  signals?: Record<string, unknown>;
  /** Set when the program is meant to throw out: the error's name (or `typeof` for non-Errors). */
  throws?: string;
  /** An upper bound the compiled run's largest encoded state must respect. */
  maxStateBytes?: number;
  /** fibers/ programs: an upper bound on the compiled run's largest encoded state. */
  maxFiberStateBytes?: number;
  [name: string]: unknown;
}

export function programStems(dir: string = PROGRAMS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export function workflowExportName(stem: string): string {
  return stem.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function entryOf(mod: FixtureModule, stem: string): (...args: never[]) => Promise<unknown> {
  const name = workflowExportName(stem);
  const fn = mod[name];
  if (typeof fn !== 'function') throw new Error(`fixture ${stem}.ts must export its workflow as '${name}'`);
  return fn as (...args: never[]) => Promise<unknown>;
}
