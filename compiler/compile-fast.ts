/**
 * compile()'s fast route, without @babel/core: parse, strip the types
 * (ts-strip.ts), run the pass on the bare AST, generate. @babel/core's route
 * costs a scope crawl of the whole module and a path traversal of every node
 * before the pass even starts; the pass itself is the same on both routes.
 * Returns null whenever the result could differ from that route in any byte
 * (a construct the stripping does not reproduce, any error: the core route
 * reports it).
 */
import { parse, type ParserOptions } from '@babel/parser';
import * as t from '@babel/types';
import path from 'node:path';
import type { WorkflowMeta } from '../runtime/contract.js';
import { mayHoldDirectives } from './find-workflows.js';
import { generate } from './generate.js';
import { rewriteImportExtensionsIn } from './import-extensions.js';
import { stripTypeScript } from './ts-strip.js';
import { compileWorkflows } from './workflow-pass.js';

export interface FastInput {
  source: string;
  filename: string;
  sourceMaps: boolean;
  importSource: string | undefined;
  /** Relative `.ts`/`.mts` specifiers become `.js` (what compileDir emits). */
  rewriteImportExtensions?: boolean;
}

export function compileFast(input: FastInput): { code: string; map: object | null; workflows: WorkflowMeta[] } | null {
  const { source, filename } = input;
  // .tsx parses differently; an input source map is a core-route feature.
  if (!/\.(c|m)?ts$/.test(filename) || source.includes('sourceMappingURL')) return null;
  try {
    // What @babel/core hands the parser once plugin-transform-typescript has added its syntax plugins.
    const parserOpts = { sourceType: 'module', sourceFileName: path.resolve(filename), plugins: ['typescript', 'objectRestSpread', 'classProperties', ['typescript', {}]] };
    const file = parse(source, parserOpts as ParserOptions) as t.File;
    const stripped = stripTypeScript(file);
    if (!stripped) return null;
    // Before the pass, as in the core route (its traversal rewrites them before reawait's Program exit).
    if (input.rewriteImportExtensions) rewriteImportExtensionsIn(file.program, /\bimport\s*\(/.test(source), path.resolve(filename));
    let workflows: WorkflowMeta[] = [];
    if (mayHoldDirectives(source))
      workflows = compileWorkflows(file.program, {
        file: filename,
        source,
        typesStripped: true,
        ...(input.importSource ? { importSource: input.importSource } : {}),
      });
    if (stripped.needsExportMarker) file.program.body.push(t.exportNamedDeclaration());
    // The options @babel/core passes the generator for compile()'s settings.
    const out = generate(
      file,
      { filename: path.resolve(filename), retainLines: false, comments: true, compact: false, sourceMaps: input.sourceMaps, sourceFileName: filename },
      source,
    );
    return { code: out.code, map: (out.map as object | null | undefined) ?? null, workflows };
  } catch {
    return null; // a CompileError or a syntax error: the core route reports it with Babel's wording
  }
}
