/**
 * Relative import specifiers point at what the compiled folder holds: a
 * `.ts`/`.mts` specifier becomes `.js`, and an extensionless one (`./video`)
 * or a folder (`./lib`) — as TypeScript and bundlers accept and Node's ESM
 * does not — becomes the `.js` file or `/index.js` found next to the
 * importing source. Only the literals' values change.
 */
import type * as t from '@babel/types';
import { statSync } from 'node:fs';
import path from 'node:path';
import { eachChild } from './walk.js';

/** Sources that compile to `.js` (compile-dir.ts), in the order TypeScript prefers them. */
const COMPILED = ['.ts', '.mts', '.js'];
const KEPT = /\.(m?js|cjs|json|node|wasm)$/;

const isFile = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;

/**
 * What a relative specifier of `fromFile` becomes in compiled output: `.ts`
 * → `.js`; extensionless or a folder → the compiled file found on disk; any
 * other (a bare package, `.js`, `.json`, nothing found) unchanged.
 */
export function compiledSpecifier(spec: string, fromFile: string | undefined): string {
  if (!/^\.\.?(\/|$)/.test(spec)) return spec;
  if (/\.m?ts$/.test(spec)) return spec.replace(/\.m?ts$/, '.js');
  if (KEPT.test(spec) || !fromFile) return spec;
  const base = path.resolve(path.dirname(fromFile), spec);
  if (!spec.endsWith('/') && COMPILED.some((ext) => isFile(base + ext))) return `${spec}.js`;
  if (COMPILED.some((ext) => isFile(path.join(base, `index${ext}`)))) return `${spec.replace(/\/$/, '')}/index.js`;
  return spec;
}

function rewrite(lit: t.StringLiteral | null | undefined, fromFile: string | undefined): void {
  if (lit) lit.value = compiledSpecifier(lit.value, fromFile);
}

function dynamicImportSource(call: t.CallExpression): t.StringLiteral | undefined {
  const arg = call.arguments[0];
  return call.callee.type === 'Import' && arg?.type === 'StringLiteral' ? arg : undefined;
}

/** Rewrite the module's static import and export sources; `dynamic`: also `import(…)` calls (a whole walk). */
export function rewriteImportExtensionsIn(program: t.Program, dynamic: boolean, fromFile: string): void {
  for (const s of program.body) {
    if (s.type === 'ImportDeclaration' || s.type === 'ExportNamedDeclaration' || s.type === 'ExportAllDeclaration') rewrite(s.source, fromFile);
  }
  if (!dynamic) return;
  const walk = (n: t.Node): void => {
    if (n.type === 'CallExpression') rewrite(dynamicImportSource(n), fromFile);
    eachChild(n, walk);
  };
  walk(program);
}
