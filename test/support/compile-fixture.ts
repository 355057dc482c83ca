/**
 * Compile a workflow source file with `reawait/compiler` and import the
 * result. The output goes to `test/.compiled/<same relative path>.js` (with a
 * copy of the source and the source map beside it), and is imported through
 * vitest so that its `reawait/workflow` import resolves, via the config's
 * alias, to the very module instance the test and runWorkflow use.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './fixture-corpus.js';
import type { WorkflowMeta } from '../../runtime/contract.js';

export const COMPILED_DIR = path.join(ROOT, 'test', '.compiled');

interface CompilerModule {
  compile(source: string, options: { filename: string }): { code: string; map: unknown; workflows: WorkflowMeta[] };
}

let compilerPromise: Promise<CompilerModule> | undefined;

/** The compiler; a missing compiler makes the calling test fail, never skip. */
export function loadCompiler(): Promise<CompilerModule> {
  compilerPromise ??= import('reawait/compiler') as Promise<CompilerModule>;
  return compilerPromise;
}

export interface CompiledFixture {
  module: Record<string, unknown>;
  code: string;
  workflows: WorkflowMeta[];
  jsPath: string;
}

/** Write a copy of `source` at test/.compiled/<relFile> (importable natively through vitest); returns its path. */
export function writeSource(source: string, relFile: string): string {
  const file = path.join(COMPILED_DIR, relFile);
  mkdirSync(path.dirname(file), { recursive: true });
  if (!file.endsWith('.js')) writeFileSync(file, source);
  return file;
}

/** Compile `source` as if it lived at `relFile` (relative to the repo root) and import the output. */
export async function compileAndImport(source: string, relFile: string): Promise<CompiledFixture> {
  const { compile } = await loadCompiler();
  const out = compile(source, { filename: relFile });
  const srcCopy = writeSource(source, relFile);
  const jsPath = srcCopy.replace(/\.(m?ts|js)$/, '.js');
  let code = out.code;
  if (out.map) {
    writeFileSync(`${jsPath}.map`, JSON.stringify(out.map));
    if (!/\/\/# sourceMappingURL=/.test(code)) code += `\n//# sourceMappingURL=${path.basename(jsPath)}.map\n`;
  }
  writeFileSync(jsPath, code);
  const module = (await import(/* @vite-ignore */ jsPath)) as Record<string, unknown>;
  return { module, code, workflows: out.workflows, jsPath };
}
