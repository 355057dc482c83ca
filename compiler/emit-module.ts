/**
 * Replaces a workflow function in its module by the calling stub and its
 * definition:
 *
 *   export function wf(...args) { return _rw_call(wf, args); }
 *   _rw_define(wf, { name, version, … }, function wf$step(f, r) { … });
 *   _rw_site({ id: 'wf/1', … }, …);   (its closure sites: sites.ts)
 *
 * and adds the one import of the helpers.
 */
import * as t from '@babel/types';
import type { WorkflowSite } from './find-workflows.js';
import type { Helpers } from './helpers.js';

/**
 * Nodes are swapped in their containers directly, not through path.replaceWith:
 * the pass runs on Program exit, and requeueing the emitted state machines
 * would make every plugin of the traversal walk them again (most of the time
 * of a compile, measured).
 */
export function replaceWorkflow(program: t.Program, site: WorkflowSite, helpers: Helpers, meta: t.Expression, step: t.FunctionExpression, sites: t.Statement[] = []): void {
  const { name, fn } = site;
  const args = t.identifier('args');
  const stubBody = t.blockStatement([t.returnStatement(helpers.call('call', [t.identifier(name), t.cloneNode(args)]))]);
  const define = t.expressionStatement(helpers.call('defineWorkflow', [t.identifier(name), meta, step]));
  define.loc = fn.loc ?? null;
  const stub = fn.type === 'FunctionDeclaration'
    ? t.functionDeclaration(t.identifier(name), [t.restElement(args)], stubBody)
    : t.functionExpression(t.identifier(name), [t.restElement(args)], stubBody);
  stub.loc = fn.loc ?? null;
  // Found by identity: earlier insertions have shifted the statements' indexes.
  const at = program.body.indexOf(site.statement);
  if (!site.holder) program.body[at] = stub as t.Statement;
  else (site.holder.node as unknown as Record<string, t.Node>)[site.holder.key] = stub; // `export function`, `const x = …`
  program.body.splice(at + 1, 0, define, ...sites);
}

export function addHelperImport(program: t.Program, helpers: Helpers, source = 'reawait/workflow'): void {
  program.body.unshift(helpers.importDeclaration(source));
}

/**
 * Registers every class declared at the top level of a workflow's module
 * with the codec, right after its declaration, as `'<file>#<Name>'`:
 *
 *   class ValidationError extends Error { … }
 *   _rw_serializable(ValidationError, "src/order.ts#ValidationError");
 *
 * so that the module's own classes (Error subclasses above all) survive a
 * suspension as instances of themselves. The helper is imported only when
 * there is one.
 */
export function registerModuleClasses(program: t.Program, helpers: Helpers, file: string): void {
  for (let i = program.body.length - 1; i >= 0; i--) {
    const s = program.body[i]!;
    const d = s.type === 'ExportNamedDeclaration' || s.type === 'ExportDefaultDeclaration' ? s.declaration : s;
    if (d?.type !== 'ClassDeclaration' || !d.id || d.declare) continue;
    const register = t.expressionStatement(helpers.call('serializable', [t.identifier(d.id.name), t.stringLiteral(`${file}#${d.id.name}`)]));
    register.loc = d.loc ?? null;
    program.body.splice(i + 1, 0, register);
  }
}
