/**
 * Keeping builds (issue 13): `reawait compile` keeps every compiled build of
 * a workflow module in the output folder, so that a worker can load the
 * earlier ones next to the current one and resume a state on the exact code
 * that wrote it (runtime/upgrade.ts: pinned):
 *
 *   <out>/.reawait/versions/<module>/<hash>.js    the build, defining its workflows by version only
 *   <out>/.reawait/versions/<module>/<hash>.json  { module, workflows: WorkflowMeta[] }
 *   <out>/.reawait/versions/<module>/current.json { hash }: the build now at <out>/<module>.js
 *
 * <module> is the module's path in <out> without `.js`; <hash> names the
 * compiled code, so compiling the same code again writes the same files.
 * Invariant: loading a kept build changes no current definition. Its
 * defineWorkflow becomes defineEarlierWorkflow, its closure sites, 'use
 * step' functions and class registrations give way to the current build's,
 * and its relative imports point from the kept file to the same modules the
 * build imported.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import type { WorkflowMeta } from '../runtime/contract.js';
import { generate } from './generate.js';

export const VERSIONS_DIR = path.join('.reawait', 'versions');

/** What a kept build's `.json` holds. */
export interface KeptBuild {
  /** The module's path in the output folder (without `.js`, `/`-separated). */
  module: string;
  workflows: WorkflowMeta[];
}

/** The helpers a kept build calls instead of the current build's. */
const EARLIER: Record<string, string> = { defineWorkflow: 'defineEarlierWorkflow', defineSite: 'defineEarlierSite', serializable: 'serializableEarlier', step: 'stepEarlier' };

/** The kept form of a build written to `output`, stored at `keptFile`. */
export function keptSource(code: string, output: string, keptFile: string, helpersFrom: string): string {
  const ast = parse(code, { sourceType: 'module' });
  const repoint = (lit: t.StringLiteral | null | undefined): void => {
    if (!lit || !/^\.\.?\//.test(lit.value)) return;
    const target = path.resolve(path.dirname(output), lit.value);
    let rel = path.relative(path.dirname(keptFile), target).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    lit.value = rel;
  };
  for (const s of ast.program.body) {
    if (s.type === 'ImportDeclaration' && s.source.value === helpersFrom) {
      for (const sp of s.specifiers) {
        if (sp.type !== 'ImportSpecifier' || sp.imported.type !== 'Identifier') continue;
        const earlier = EARLIER[sp.imported.name];
        if (earlier) sp.imported.name = earlier;
      }
    }
    if (s.type === 'ImportDeclaration' || s.type === 'ExportNamedDeclaration' || s.type === 'ExportAllDeclaration') repoint(s.source);
  }
  return `${generate(ast.program, { comments: false }).code}\n`;
}

/** Keep the build of one module (only modules that define workflows); returns the kept `.js`. */
export async function keepBuild(opts: { outDir: string; output: string; code: string; workflows: WorkflowMeta[]; importSource?: string }): Promise<string | undefined> {
  const { outDir, output, code, workflows } = opts;
  if (workflows.length === 0) return undefined;
  const module = path.relative(outDir, output).replace(/\.js$/, '').split(path.sep).join('/');
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = path.join(outDir, VERSIONS_DIR, ...module.split('/'));
  const file = path.join(dir, `${hash}.js`);
  await mkdir(dir, { recursive: true });
  await writeFile(file, keptSource(code, output, file, opts.importSource ?? 'reawait/workflow'));
  const kept: KeptBuild = { module, workflows };
  await writeFile(path.join(dir, `${hash}.json`), `${JSON.stringify(kept)}\n`);
  await writeFile(path.join(dir, 'current.json'), `${JSON.stringify({ hash })}\n`);
  return file;
}
