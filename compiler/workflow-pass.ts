/**
 * The whole pass over one module: find the workflows, check them (collecting
 * every error of the file), prepare their scopes, lower each into a step
 * function, and replace it in the module. Throws CompileError with all errors.
 */
import type { NodePath } from '@babel/core';
// Straight from @babel/types: through @babel/core every t.x is a chain of getters.
import * as t from '@babel/types';
import type { WorkflowMeta } from '../runtime/contract.js';
import { buildStep } from './build-step.js';
import { checkWorkflow } from './check.js';
import { Emitter, Label } from './emitter.js';
import { CompileError, ErrorSink } from './errors.js';
import { UnsupportedAwait } from './explode-await.js';
import { findWorkflows, type WorkflowFunction, type WorkflowSite } from './find-workflows.js';
import { addHelperImport, registerModuleClasses, replaceWorkflow, type HelperNames } from './emit-module.js';
import { computeLiveness } from './liveness.js';
import { Lowerer } from './lower-statements.js';
import { metaNode, workflowMeta } from './meta.js';
import { NeedsBabel, pathOf } from './needs-babel.js';
import { scopeNeedsNoChange } from './scope-noop.js';
import { patternNames } from './refs.js';
import { collectFileNames, keepTemporalDeadZone, NameGen, renameShadowed, rewritePromiseGroups, stripTypes, unstableLocals } from './scope.js';

export interface PassOptions {
  /** File name for metadata and error messages. */
  file: string;
  /** The source text (for code frames). */
  source: string;
  /** Module the helpers are imported from (default 'reawait/workflow'). */
  importSource?: string;
  /** Re-crawl the program's scope afterwards (default true; see ReawaitPluginOptions.rescanScope). */
  rescanScope?: boolean;
  /** On a bare AST (no Babel scopes): whether the module may bind `Promise` (then rewriting Promise.all needs the scopes). */
  promiseMayBeBound?: boolean;
  /**
   * On a bare AST: Babel scopes for the program, crawled when first asked
   * for. Renaming shadowed bindings then uses them instead of failing with
   * NeedsBabel (it only asks whether a binding is inside the workflow or not,
   * which the type declarations already stripped cannot change).
   */
  scopesOnDemand?: () => NodePath<t.Program>;
  /** No TypeScript syntax is left anywhere (compile()'s fast route has checked): stripTypes would find nothing. */
  typesStripped?: boolean;
}

/** `programPath` is null on a bare AST: the steps that need Babel's scopes then throw NeedsBabel. */
export function compileWorkflows(program: t.Program, programPath: NodePath<t.Program> | null, opts: PassOptions): WorkflowMeta[] {
  const errors = new ErrorSink(opts.file, opts.source);
  const sites = findWorkflows(program, programPath, errors);
  if (sites.length === 0 && errors.items.length === 0) return [];
  const taken = collectFileNames(program);
  const names = new NameGen(taken);
  const helper = (base: string): string => (taken.has(base) ? names.fresh(base) : (taken.add(base), base));
  const helpers: HelperNames = { define: helper('_rw_define'), call: helper('_rw_call'), group: helper('_rw_group') };
  const prefix = names.internalPrefix();
  const promiseBound = (site: WorkflowSite): boolean => {
    if (programPath) return !!pathOf(site.path, 'Promise.all').scope.getBinding('Promise');
    if (opts.promiseMayBeBound !== false) throw new NeedsBabel('Promise.all');
    return false;
  };

  const metas: WorkflowMeta[] = [];
  const done: { site: WorkflowSite; meta: WorkflowMeta; step: t.FunctionExpression }[] = [];
  for (const site of sites) {
    if (!checkWorkflow(site, errors)) continue;
    if (!opts.typesStripped) stripTypes(site.fn);
    rewritePromiseGroups(site, helpers.group, () => promiseBound(site));
    if (!scopeNeedsNoChange(site.fn)) {
      const onDemand = !site.path && site.at !== undefined && opts.scopesOnDemand ? () => opts.scopesOnDemand!().get(site.at!) as NodePath<WorkflowFunction> : null;
      const fn = pathOf(site.path ?? onDemand, 'renaming shadowed bindings');
      renameShadowed(fn, names);
      keepTemporalDeadZone(fn, names.origin);
    }
    try {
      const e = new Emitter({
        internal: { frame: `${prefix}f`, input: `${prefix}r`, pc: `${prefix}pc`, loop: `${prefix}loop`, err: `${prefix}x`, prefix },
        unstable: unstableLocals(site.fn),
      });
      lowerFunction(e, site);
      computeLiveness(e);
      const step = buildStep(e, site.name);
      const meta = workflowMeta({ name: site.name, file: opts.file, fn: site.fn, step, e, origin: names.origin });
      done.push({ site, meta, step });
      metas.push(meta);
    } catch (err) {
      if (err instanceof UnsupportedAwait) errors.at(err.node, err.message);
      else throw err;
    }
  }
  if (errors.items.length) throw new CompileError(errors.items);
  for (const { site, meta, step } of done) replaceWorkflow(program, site, helpers, metaNode(meta), step);
  if (done.length) {
    const name = helper('_rw_serializable');
    if (registerModuleClasses(program, name, opts.file)) helpers.serializable = name;
  }
  if (done.length) addHelperImport(program, helpers, opts.importSource);
  if (opts.rescanScope !== false) programPath?.scope.crawl();
  return metas;
}

function lowerFunction(e: Emitter, site: WorkflowSite): void {
  const fn = site.fn;
  e.mark(new Label());
  const params = fn.params as (t.Identifier | t.Pattern | t.RestElement)[];
  for (const p of params) for (const n of patternNames(p)) e.declare(n);
  if (params.length) {
    // Parameters bind from the argument array exactly as a call would (defaults, patterns, rest).
    const bind = t.expressionStatement(t.assignmentExpression('=', t.arrayPattern(params), t.memberExpression(t.identifier(e.n.input), t.identifier('value'))));
    bind.loc = fn.loc ?? null;
    e.emit(bind, { defs: params.flatMap((p) => patternNames(p)) });
  }
  const lowerer = new Lowerer(e);
  lowerer.statements((fn.body as t.BlockStatement).body);
  const end = e.leaps.ret(t.identifier('undefined'));
  e.emit(end.nodes, { fall: false, defs: [] });
  const close = fn.body.loc ? { start: fn.body.loc.end, end: fn.body.loc.end, filename: fn.body.loc.filename, identifierName: undefined } : null;
  e.emitExit(close as t.SourceLocation | null);
}
