/** Babel plugin: relative import specifiers ending in `.ts`/`.mts` point at the compiled `.js`. */
import type { NodePath, PluginObj } from '@babel/core';
import type { types as t } from '@babel/core';

function rewrite(lit: t.StringLiteral | null | undefined): void {
  if (!lit || !/^\.\.?\//.test(lit.value)) return;
  lit.value = lit.value.replace(/\.m?ts$/, '.js');
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
        const arg = p.node.arguments[0];
        if (p.node.callee.type === 'Import' && arg?.type === 'StringLiteral') rewrite(arg);
      },
    },
  };
}
