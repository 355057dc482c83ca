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
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import type { SiteMeta, WorkflowMeta } from '../runtime/contract.js';
import { generate } from './generate.js';
import { eachChild } from './walk.js';

export const VERSIONS_DIR = path.join('.reawait', 'versions');

/** What a kept build's `.json` holds. */
export interface KeptBuild {
  /** The module's path in the output folder (without `.js`, `/`-separated). */
  module: string;
  workflows: WorkflowMeta[];
  /** Its closure sites (with versions; async ones with fingerprints): `reawait versions` judges closure fibers and held closures by them. */
  sites?: SiteMeta[];
}

/** The helpers a kept build calls instead of the current build's. */
const EARLIER: Record<string, string> = { defineWorkflow: 'defineEarlierWorkflow', defineSite: 'defineEarlierSite', serializable: 'serializableEarlier', step: 'stepEarlier' };

/** The kept form of a build written to `output`, stored at `keptFile`; `sites` gets its closure sites' metadata. */
export function keptSource(code: string, output: string, keptFile: string, helpersFrom: string, sites: SiteMeta[] = []): string {
  const ast = parse(code, { sourceType: 'module' });
  const repoint = (lit: t.StringLiteral | null | undefined): void => {
    if (!lit || !/^\.\.?\//.test(lit.value)) return;
    const target = path.resolve(path.dirname(output), lit.value);
    let rel = path.relative(path.dirname(keptFile), target).split(path.sep).join('/');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    lit.value = rel;
  };
  const local: Record<string, string> = {};
  for (const s of ast.program.body) {
    if (s.type === 'ImportDeclaration' && s.source.value === helpersFrom) {
      for (const sp of s.specifiers) {
        if (sp.type !== 'ImportSpecifier' || sp.imported.type !== 'Identifier') continue;
        local[sp.imported.name] = sp.local.name;
        const earlier = EARLIER[sp.imported.name];
        if (earlier) sp.imported.name = earlier;
      }
    }
    if (s.type === 'ImportDeclaration' || s.type === 'ExportNamedDeclaration' || s.type === 'ExportAllDeclaration') repoint(s.source);
  }
  sites.push(...versionClosures(ast.program, local.defineSite, local.closure));
  return `${generate(ast.program, { comments: false }).code}\n`;
}

/**
 * The kept build's code makes its own closures: `closure('wf/3', …)` becomes
 * `closure('wf/3@<version>', …)`, the version its `defineSite` registration
 * gives (runtime/closures.ts), so old code never runs the current sites'.
 */
function versionClosures(program: t.Program, defineSite: string | undefined, closure: string | undefined): SiteMeta[] {
  if (!defineSite || !closure) return [];
  const metas: SiteMeta[] = [];
  const versions = new Map<string, string>();
  const calls: t.StringLiteral[] = [];
  const called = (n: t.Node, name: string): n is t.CallExpression => n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === name;
  const visit = (n: t.Node): void => {
    const first = (n as t.CallExpression).arguments?.[0];
    if (called(n, defineSite) && first?.type === 'ObjectExpression') {
      const field = (k: string) => first.properties.find((p): p is t.ObjectProperty => p.type === 'ObjectProperty' && p.key.type === 'Identifier' && p.key.name === k && p.value.type === 'StringLiteral');
      const id = field('id');
      const version = field('version');
      if (id && version) {
        versions.set((id.value as t.StringLiteral).value, (version.value as t.StringLiteral).value);
        metas.push(literal(first) as unknown as SiteMeta);
      }
    }
    if (called(n, closure) && first?.type === 'StringLiteral') calls.push(first);
    eachChild(n, visit);
  };
  visit(program);
  for (const lit of calls) {
    const v = versions.get(lit.value);
    if (v !== undefined) lit.value = `${lit.value}@${v}`;
  }
  return metas;
}

/** The value of a literal the compiler wrote with valueToNode (a site's metadata): data only, never evaluated as code. */
function literal(n: t.Node): unknown {
  switch (n.type) {
    case 'StringLiteral':
    case 'NumericLiteral':
    case 'BooleanLiteral':
      return n.value;
    case 'NullLiteral':
      return null;
    case 'UnaryExpression':
      return n.operator === '-' ? -(literal(n.argument) as number) : undefined;
    case 'ArrayExpression':
      return n.elements.map((e) => (e ? literal(e) : undefined));
    case 'ObjectExpression': {
      const o: Record<string, unknown> = {};
      for (const p of n.properties) {
        if (p.type !== 'ObjectProperty') continue;
        const k = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined;
        if (k !== undefined) o[k] = literal(p.value);
      }
      return o;
    }
    default:
      return undefined;
  }
}

/** A module's name in the output folder: its path there without `.js`, `/`-separated. */
export function moduleName(outDir: string, output: string): string {
  return path.relative(outDir, output).replace(/\.js$/, '').split(path.sep).join('/');
}

/** Keep the build of one module (only modules that define workflows); returns the kept `.js`. */
export async function keepBuild(opts: { outDir: string; output: string; code: string; workflows: WorkflowMeta[]; importSource?: string }): Promise<string | undefined> {
  const { outDir, output, code, workflows } = opts;
  if (workflows.length === 0) return undefined;
  const module = moduleName(outDir, output);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const dir = path.join(outDir, VERSIONS_DIR, ...module.split('/'));
  const file = path.join(dir, `${hash}.js`);
  await mkdir(dir, { recursive: true });
  const sites: SiteMeta[] = [];
  await writeFile(file, keptSource(code, output, file, opts.importSource ?? 'reawait/workflow', sites));
  const kept: KeptBuild = { module, workflows, ...(sites.length ? { sites } : {}) };
  await writeFile(path.join(dir, `${hash}.json`), `${JSON.stringify(kept)}\n`);
  await writeFile(path.join(dir, 'current.json'), `${JSON.stringify({ hash })}\n`);
  return file;
}

/** Every kept build under `outDir` (none when nothing is kept), and whether it is its module's current one. */
export async function keptBuilds(outDir: string): Promise<(KeptBuild & { hash: string; current: boolean })[]> {
  const out: (KeptBuild & { hash: string; current: boolean })[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const cur = entries.some((e) => e.name === 'current.json') ? (JSON.parse(await readFile(path.join(dir, 'current.json'), 'utf8')) as { hash: string }).hash : undefined;
    for (const e of entries) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else if (e.name.endsWith('.json') && e.name !== 'current.json') {
        const hash = e.name.slice(0, -'.json'.length);
        out.push({ ...(JSON.parse(await readFile(path.join(dir, e.name), 'utf8')) as KeptBuild), hash, current: hash === cur });
      }
    }
  };
  await walk(path.join(outDir, VERSIONS_DIR));
  return out;
}
