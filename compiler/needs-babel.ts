/**
 * The pass can run on a bare AST (compile()'s fast route) or inside a Babel
 * traversal. The few steps that need Babel's paths and scopes throw
 * NeedsBabel on a bare AST; compile() then takes the @babel/core route.
 */
import type { NodePath } from '@babel/core';

export class NeedsBabel extends Error {
  constructor(step: string) {
    super(`reawait: ${step} needs Babel's scopes`);
  }
}

/** The path behind a lazily made one, or NeedsBabel when the pass runs without paths. */
export function pathOf<T>(path: (() => NodePath<T>) | null, step: string): NodePath<T> {
  if (!path) throw new NeedsBabel(step);
  return path();
}
