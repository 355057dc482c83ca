/**
 * Replaces a workflow function in its module by the calling stub and its
 * definition:
 *
 *   export function wf(...args) { return _rw_call(wf, args); }
 *   _rw_define(wf, { name, version, … }, function wf$step(f, r) { … });
 *
 * and adds the one import of the helpers.
 */
import * as t from '@babel/types';
import type { WorkflowSite } from './find-workflows.js';

export interface HelperNames {
  define: string;
  call: string;
  group: string;
}

/**
 * Nodes are swapped in their containers directly, not through path.replaceWith:
 * the pass runs on Program exit, and requeueing the emitted state machines
 * would make every plugin of the traversal walk them again (most of the time
 * of a compile, measured).
 */
export function replaceWorkflow(program: t.Program, site: WorkflowSite, helpers: HelperNames, meta: t.Expression, step: t.FunctionExpression): void {
  const { name, fn } = site;
  const args = t.identifier('args');
  const stubBody = t.blockStatement([t.returnStatement(t.callExpression(t.identifier(helpers.call), [t.identifier(name), t.cloneNode(args)]))]);
  const define = t.expressionStatement(t.callExpression(t.identifier(helpers.define), [t.identifier(name), meta, step]));
  define.loc = fn.loc ?? null;
  const stub = fn.type === 'FunctionDeclaration'
    ? t.functionDeclaration(t.identifier(name), [t.restElement(args)], stubBody)
    : t.functionExpression(t.identifier(name), [t.restElement(args)], stubBody);
  stub.loc = fn.loc ?? null;
  // Found by identity: earlier insertions have shifted the statements' indexes.
  const at = program.body.indexOf(site.statement);
  if (!site.holder) program.body[at] = stub as t.Statement;
  else (site.holder.node as unknown as Record<string, t.Node>)[site.holder.key] = stub; // `export function`, `const x = …`
  program.body.splice(at + 1, 0, define);
}

export function addHelperImport(program: t.Program, helpers: HelperNames, source = 'reawait/workflow'): void {
  const spec = (imported: string, local: string): t.ImportSpecifier => t.importSpecifier(t.identifier(local), t.identifier(imported));
  program.body.unshift(t.importDeclaration([spec('defineWorkflow', helpers.define), spec('call', helpers.call), spec('group', helpers.group)], t.stringLiteral(source)));
}
