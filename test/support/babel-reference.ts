/**
 * The reference compile() is checked against: @babel/core running
 * reawait's Babel plugin (what a user's own Babel setup runs) with
 * @babel/plugin-transform-typescript and a plugin form of the import
 * specifier rewrite, in one transformSync. Test-only: compile() itself runs
 * the same pass on a bare AST (compiler/compile.ts).
 */
import { transformSync, type PluginObj, type PluginPass, type TransformOptions } from '@babel/core';
import type * as t from '@babel/types';
import { createRequire } from 'node:module';
import path from 'node:path';
import reawaitBabelPlugin, { type ReawaitFileMetadata } from '../../compiler/babel-plugin.js';
import type { CompileOptions, CompileResult } from '../../compiler/index.js';
import { compiledSpecifier } from '../../compiler/import-extensions.js';

const tsModule = createRequire(import.meta.url)('@babel/plugin-transform-typescript') as { default?: unknown };
const tsPlugin = tsModule.default ?? tsModule;

function rewriteSpecifiers(): PluginObj {
  const rewrite = (lit: t.StringLiteral | null | undefined, state: PluginPass): void => {
    if (lit) lit.value = compiledSpecifier(lit.value, state.filename ? path.resolve(state.filename) : undefined);
  };
  return {
    name: 'reference-import-extensions',
    visitor: {
      ImportDeclaration: (p, s) => rewrite(p.node.source, s),
      ExportNamedDeclaration: (p, s) => rewrite(p.node.source, s),
      ExportAllDeclaration: (p, s) => rewrite(p.node.source, s),
      CallExpression(p, s) {
        const arg = p.node.arguments[0];
        if (p.node.callee.type === 'Import' && arg?.type === 'StringLiteral') rewrite(arg, s);
      },
    },
  };
}

/** What @babel/core makes of `source`; throws what it throws. */
export function compileWithBabel(source: string, options: CompileOptions): CompileResult {
  const isTs = /\.(c|m)?tsx?$/.test(options.filename);
  const plugins: TransformOptions['plugins'] = [[reawaitBabelPlugin, { rescanScope: false, ...(options.importSource ? { importSource: options.importSource } : {}) }]];
  if (isTs) plugins.push([tsPlugin, { allowDeclareFields: true }]);
  if (options.rewriteImportExtensions) plugins.push(rewriteSpecifiers);
  const result = transformSync(source, {
    filename: options.filename,
    sourceFileName: options.filename,
    babelrc: false,
    configFile: false,
    sourceType: 'module',
    parserOpts: { plugins: isTs ? ['typescript'] : [] },
    plugins,
    sourceMaps: options.sourceMaps ?? true,
    retainLines: false,
    compact: false,
  });
  if (!result || result.code == null) throw new Error('reference: no output');
  const meta = (result.metadata as unknown as { reawait?: ReawaitFileMetadata }).reawait;
  return { code: result.code, map: (result.map as object | null | undefined) ?? null, workflows: meta?.workflows ?? [] };
}
