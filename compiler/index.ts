/**
 * `reawait/compiler`: compile one module's source. Workflow functions become
 * state machines; everything else is only stripped of types.
 */
import type { WorkflowMeta } from '../runtime/contract.js';
import { compileWithBabel } from './compile-babel.js';
import { compileFast } from './compile-fast.js';

export { CompileError, formatCompileError, type CompileErrorItem } from './errors.js';

export interface CompileOptions {
  /** Used in metadata, error messages and the source map. */
  filename: string;
  /** Produce a source map (default true). */
  sourceMaps?: boolean;
  /** Rewrite relative `.ts`/`.mts` import specifiers to `.js` (what compileDir emits). */
  rewriteImportExtensions?: boolean;
  /** Where compiled workflows import their helpers from (default 'reawait/workflow'). */
  importSource?: string;
}

export interface CompileResult {
  code: string;
  map: object | null;
  workflows: WorkflowMeta[];
}

/** The fast route when it reproduces @babel/core's output exactly (compile-fast.ts), else the core route. */
export function compile(source: string, options: CompileOptions): CompileResult {
  const fast = compileFast({
    source,
    filename: options.filename,
    sourceMaps: options.sourceMaps ?? true,
    importSource: options.importSource,
    rewriteImportExtensions: options.rewriteImportExtensions === true,
  });
  return fast ?? compileWithBabel(source, options);
}
