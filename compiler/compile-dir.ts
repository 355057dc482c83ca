/**
 * Compile a source folder into an output folder: every `.ts`/`.mts`/`.js`
 * (not `.d.ts`) becomes `.js` + `.js.map` at the same relative path, and a
 * TypeScript source also gets a `.d.ts` that re-exports its source's types
 * (so an app importing the compiled module is typed exactly as the source,
 * with no declaration emit and no type checker here). File
 * names in metadata and errors are relative to the working directory, so
 * errors read `src/video.ts:12:3`. All errors of all files are collected.
 * Every build of a workflow module is also kept under
 * `<out>/.reawait/versions` (keep-versions.ts) for workers to load.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compile } from './index.js';
import type { WorkflowMeta } from '../runtime/contract.js';
import { CompileError, type CompileErrorItem } from './errors.js';
import { checkUpgradeCalls } from './check-upgrades.js';
import { keepBuild, keptBuilds, moduleName, VERSIONS_DIR } from './keep-versions.js';

export interface CompileDirOptions {
  /** Called after each file, with its source and output paths and any errors. */
  onFile?: (info: { source: string; output: string | null; errors: CompileErrorItem[] }) => void;
  /** Where compiled workflows import their helpers from (default 'reawait/workflow'). */
  importSource?: string;
  /** Keep every build of each workflow module in `<out>/.reawait/versions` (default true; keep-versions.ts). */
  keepVersions?: boolean;
}

export interface CompileDirResult {
  /** Output `.js` files written. */
  files: string[];
  errors: CompileErrorItem[];
}

const SOURCE = /\.(m?ts|js)$/;

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && !entry.name.startsWith('.')) out.push(...(await sources(full)));
    } else if (isSourceFile(entry.name)) out.push(full);
  }
  return out.sort();
}

export async function compileDir(srcDir: string, outDir: string, options: CompileDirOptions = {}): Promise<CompileDirResult> {
  const files: string[] = [];
  const errors: CompileErrorItem[] = [];
  const all = await sources(srcDir);
  // upgrade() calls are checked against the new build of every module (check-upgrades.ts): when there are any, the workflows are known first.
  let fresh: Map<string, WorkflowMeta[]> | undefined;
  const texts = await Promise.all(all.map((f) => readFile(f, 'utf8')));
  if (texts.some((x) => /\bupgrade\b/.test(x))) {
    fresh = new Map();
    for (const [i, f] of all.entries()) {
      const filename = path.relative(process.cwd(), f).split(path.sep).join('/');
      try {
        fresh.set(moduleName(outDir, outputFor(f, srcDir, outDir)), compile(texts[i]!, { filename, rewriteImportExtensions: true, ...(options.importSource ? { importSource: options.importSource } : {}) }).workflows);
      } catch {
        // its errors are reported when it is compiled below
      }
    }
  }
  for (const source of all) {
    const r = await compileFile(source, outputFor(source, srcDir, outDir), options, outDir, fresh);
    if (r.output) files.push(r.output);
    errors.push(...r.errors);
  }
  return { files, errors };
}

/** True for a file compileDir compiles (`.ts`/`.mts`/`.js`, not `.d.ts`). */
export function isSourceFile(file: string): boolean {
  return SOURCE.test(file) && !/\.d\.m?ts$/.test(file);
}

/** Where compileDir writes `source` (a file under `srcDir`). */
export function outputFor(source: string, srcDir: string, outDir: string): string {
  return path.join(outDir, path.relative(srcDir, source).replace(SOURCE, '.js'));
}

/**
 * Compile one source file to `output` (`.js`, `.js.map` and, for TypeScript,
 * `.d.ts`); its errors instead when it has any. A workflow module's build is
 * also kept under `<outDir>/.reawait/versions` (keep-versions.ts).
 */
export async function compileFile(
  source: string,
  output: string,
  options: CompileDirOptions = {},
  outDir = path.dirname(output),
  /** The new workflows of the modules compiled with this one, by module (compileDir); others are read from their kept current builds. */
  fresh?: ReadonlyMap<string, WorkflowMeta[]>,
): Promise<{ output: string | null; errors: CompileErrorItem[] }> {
  const filename = path.relative(process.cwd(), source).split(path.sep).join('/');
  try {
    const code = await readFile(source, 'utf8');
    const result = compile(code, {
      filename,
      rewriteImportExtensions: true,
      ...(options.importSource ? { importSource: options.importSource } : {}),
    });
    // upgrade() calls against this build and the kept ones (check-upgrades.ts), before anything is written.
    const upgradeErrors = await checkUpgrades(filename, code, result.workflows, output, outDir, options.keepVersions !== false, fresh);
    if (upgradeErrors.length) throw new CompileError(upgradeErrors);
    await mkdir(path.dirname(output), { recursive: true });
    const mapName = `${path.basename(output)}.map`;
    if (result.map) {
      // The map's `sources` entry must resolve from the output folder back to the source.
      const map = { ...(result.map as Record<string, unknown>), sources: [path.relative(path.dirname(output), source).split(path.sep).join('/')], file: path.basename(output) };
      await writeFile(`${output}.map`, JSON.stringify(map));
    }
    await writeFile(output, result.map ? `${result.code}\n//# sourceMappingURL=${mapName}\n` : `${result.code}\n`);
    const dts = declarationsFor(source, output, result.code);
    if (dts) await writeFile(dts.file, dts.text);
    if (options.keepVersions !== false) await keepBuild({ outDir, output, code: result.code, workflows: result.workflows, ...(options.importSource ? { importSource: options.importSource } : {}) });
    options.onFile?.({ source, output, errors: [] });
    return { output, errors: [] };
  } catch (err) {
    const items: CompileErrorItem[] =
      err instanceof CompileError
        ? err.errors
        : [{ file: filename, line: lineOf(err), column: columnOf(err), message: err instanceof Error ? err.message : String(err), codeFrame: '' }];
    options.onFile?.({ source, output: null, errors: items });
    return { output: null, errors: items };
  }
}

/** The file's upgrade() calls, against its own new workflows and the other modules' current kept builds. */
async function checkUpgrades(
  file: string,
  source: string,
  workflows: WorkflowMeta[],
  output: string,
  outDir: string,
  kept: boolean,
  fresh: ReadonlyMap<string, WorkflowMeta[]> = new Map(),
): Promise<CompileErrorItem[]> {
  if (!/\bupgrade\b/.test(source)) return [];
  const module = moduleName(outDir, output);
  const builds = kept ? await keptBuilds(outDir) : [];
  const others = [
    ...[...fresh].filter(([m]) => m !== module).flatMap(([, w]) => w),
    ...builds.filter((b) => b.current && b.module !== module && !fresh.has(b.module)).flatMap((b) => b.workflows),
  ];
  return checkUpgradeCalls({
    file,
    source,
    current: [...workflows, ...others],
    ...(kept ? { kept: builds.flatMap((b) => b.workflows), keptIn: path.relative(process.cwd(), path.join(outDir, VERSIONS_DIR)) || '.' } : {}),
  });
}

/**
 * `out/video.d.ts` for `src/video.ts`: `export * from '../src/video.js'` (TypeScript
 * resolves the `.js` specifier to the `.ts` source), plus the default export
 * when the module has one (`export *` leaves it out). None for JavaScript sources.
 */
export function declarationsFor(source: string, output: string, compiledCode: string): { file: string; text: string } | null {
  const m = /\.(m?)ts$/.exec(source);
  if (!m) return null;
  let spec = path.relative(path.dirname(output), source).split(path.sep).join('/').replace(/\.(m?)ts$/, '.$1js');
  if (!spec.startsWith('.')) spec = `./${spec}`;
  const hasDefault = /^export default /m.test(compiledCode) || /^export \{[^}]*\bas default\b/m.test(compiledCode);
  const lines = [`// The types of ${path.basename(source)}: its compiled module exports the same functions, typed as written.`, `export * from '${spec}';`];
  if (hasDefault) lines.push(`export { default } from '${spec}';`);
  return { file: output.replace(/\.js$/, '.d.ts'), text: lines.join('\n') + '\n' };
}

/** Babel syntax errors carry `loc`; report them like our own errors. */
function lineOf(err: unknown): number {
  return (err as { loc?: { line?: number } }).loc?.line ?? 1;
}
function columnOf(err: unknown): number {
  return ((err as { loc?: { column?: number } }).loc?.column ?? 0) + 1;
}
