/**
 * compile() through @babel/core: the reawait plugin and
 * plugin-transform-typescript in one transformSync. Every input can take
 * this route; compile-fast.ts must match it byte for byte.
 */
import { transformSync, type TransformOptions } from '@babel/core';
import type { ReawaitFileMetadata } from './babel-plugin.js';
import { codeFrame, CompileError } from './errors.js';
import { mayHoldDirectives } from './find-workflows.js';
import type { CompileOptions, CompileResult } from './index.js';
import { pluginList } from './plugin-list.js';

// @types/babel__core omits `false`, which Babel accepts (normalize-file: `inputSourceMap !== false`).
type Options = Omit<TransformOptions, 'inputSourceMap'> & { inputSourceMap?: TransformOptions['inputSourceMap'] | false };

export function compileWithBabel(source: string, options: CompileOptions): CompileResult {
  const { filename } = options;
  const isTs = /\.(c|m)?tsx?$/.test(filename);
  const plugins = pluginList({
    // A directive's value is its raw text: without these words in the source there is no workflow to compile.
    workflows: mayHoldDirectives(source),
    typescript: isTs,
    rewriteImportExtensions: options.rewriteImportExtensions === true,
    importSource: options.importSource,
  });
  let result;
  try {
    const opts: Options = {
      filename,
      sourceFileName: filename,
      babelrc: false,
      configFile: false,
      sourceType: 'module',
      parserOpts: { plugins: isTs ? ['typescript'] : [] },
      plugins,
      // Looking for an input source map walks every comment of the AST twice; it needs a sourceMappingURL comment.
      inputSourceMap: source.includes('sourceMappingURL') ? undefined : false,
      sourceMaps: options.sourceMaps ?? true,
      retainLines: false,
      compact: false,
    };
    result = transformSync(source, opts as TransformOptions);
  } catch (err) {
    if (err instanceof CompileError) throw new CompileError(err.errors);
    throw syntaxError(err, source, filename) ?? err;
  }
  if (!result || result.code == null) throw new Error(`reawait: compiling ${filename} produced no output`);
  const meta = (result.metadata as unknown as { reawait?: ReawaitFileMetadata }).reawait;
  return { code: result.code, map: (result.map as object | null | undefined) ?? null, workflows: meta?.workflows ?? [] };
}

/** A Babel parse error (it carries `loc`) as a CompileError, so that it reads like every other error. */
function syntaxError(err: unknown, source: string, file: string): CompileError | null {
  const loc = (err as { loc?: { line: number; column: number } }).loc;
  if (!(err instanceof Error) || !loc) return null;
  const firstLine = err.message.split('\n')[0]!;
  const message = firstLine.replace(/^[^:]*: /, '').replace(/ \(\d+:\d+\)$/, '');
  return new CompileError([{ file, line: loc.line, column: loc.column + 1, message, codeFrame: codeFrame(source, loc.line, loc.column) }]);
}
