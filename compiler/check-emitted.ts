/**
 * Every module the compiler emits must load: the code it generated for a
 * workflow is compiled by V8 (parsed with every early error checked, never
 * run) before it is emitted. A failure is a bug of the compiler, reported
 * as a compile error at the workflow, not left for the runtime's import to
 * stumble on without a file or line.
 */
import { Script } from 'node:vm';
import type { ErrorSink } from './errors.js';
import type { WorkflowSite } from './find-workflows.js';

/** `code`: the generated step function (a function expression), as meta.ts hashes it. */
export function checkParses(code: string, site: WorkflowSite, errors: ErrorSink): void {
  try {
    // Strict, as in a module; wrapped in parentheses: an expression, compiled and not evaluated.
    new Script(`'use strict';(${code});`, { filename: `reawait-check:${site.name}` });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    errors.at(site.fn, `reawait compiler bug: the code compiled for workflow '${site.name}' does not parse (${why}); please report it with this workflow`);
  }
}
