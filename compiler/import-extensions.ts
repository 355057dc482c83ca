/**
 * Relative import specifiers ending in `.ts`/`.mts` point at the compiled
 * `.js`: as a Babel plugin (compile()'s @babel/core route) and as a plain
 * walk (its fast route). Both only change the literals' values, in place.
 */
import type { NodePath, PluginObj } from '@babel/core';
import type * as t from '@babel/types';
import { eachChild } from './walk.js';

function rewrite(lit: t.StringLiteral | null | undefined): void {
  if (!lit || !/^\.\.?\//.test(lit.value)) return;
  lit.value = lit.value.replace(/\.m?ts$/, '.js');
}

function dynamicImportSource(call: t.CallExpression): t.StringLiteral | undefined {
  const arg = call.arguments[0];
  return call.callee.type === 'Import' && arg?.type === 'StringLiteral' ? arg : undefined;
}

export function rewriteImportExtensions(): PluginObj {
  return {
    name: 'reawait-import-extensions',
    visitor: {
      ImportDeclaration(p) {
        rewrite(p.node.source);
      },
      ExportNamedDeclaration(p) {
        rewrite(p.node.source);
      },
      ExportAllDeclaration(p) {
        rewrite(p.node.source);
      },
      CallExpression(p: NodePath<t.CallExpression>) {
        rewrite(dynamicImportSource(p.node));
      },
    },
  };
}

/** The same rewrite on a bare AST; `dynamic`: also look for `import(…)` calls (a whole walk). */
export function rewriteImportExtensionsIn(program: t.Program, dynamic: boolean): void {
  for (const s of program.body) {
    if (s.type === 'ImportDeclaration' || s.type === 'ExportNamedDeclaration' || s.type === 'ExportAllDeclaration') rewrite(s.source);
  }
  if (!dynamic) return;
  const walk = (n: t.Node): void => {
    if (n.type === 'CallExpression') rewrite(dynamicImportSource(n));
    eachChild(n, walk);
  };
  walk(program);
}
