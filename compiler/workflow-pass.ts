/**
 * The whole pass over one module, on its bare AST (the same under compile()
 * and inside a Babel traversal): find the workflows, check them (collecting
 * every error of the file), analyse their scopes, make their bindings behave
 * as in JS once flattened, lower each into a step function, and replace it in
 * the module. Throws CompileError with all errors.
 */
import * as t from '@babel/types';
import type { EnvLayout, WorkflowMeta } from '../runtime/contract.js';
import { morph, prepareBindings, type BindingsPlan } from './bindings.js';
import { buildStep } from './build-step.js';
import { checkWorkflow } from './check.js';
import { Emitter, Label } from './emitter.js';
import { CompileError, ErrorSink } from './errors.js';
import { UnsupportedAwait } from './explode-await.js';
import { fingerprints } from './fingerprint.js';
import { findWorkflows, type WorkflowSite } from './find-workflows.js';
import { Helpers } from './helpers.js';
import { addHelperImport, registerModuleClasses, replaceWorkflow } from './emit-module.js';
import { computeLiveness } from './liveness.js';
import { Lowerer } from './lower-statements.js';
import { metaNode, paramName, stepCode, workflowMeta } from './meta.js';
import { certainWrites, patternNames } from './refs.js';
import { blockBodies, capturedBindings, siteFunctions } from './environments.js';
import { convertSites, type ConvertedSites } from './sites.js';
import { bindHelperParams, moduleHelpers, rootParamsMovable } from './helper-sites.js';
import { collectFileNames, NameGen, rewritePromiseCalls, stripTypes, unstableLocals } from './scope.js';
import { analyse, moduleNames } from './scopes.js';
import { checkParses } from './check-emitted.js';
import { checkLiteralDurations } from './check-durations.js';
import { findSteps, replaceSteps } from './steps.js';

export interface PassOptions {
  /** File name for metadata and error messages. */
  file: string;
  /** The source text (for code frames). */
  source: string;
  /** Module the helpers are imported from (default 'reawait/workflow'). */
  importSource?: string;
  /** No TypeScript syntax is left anywhere (compile() stripped the module first): stripTypes would find nothing. */
  typesStripped?: boolean;
}

export function compileWorkflows(program: t.Program, opts: PassOptions): WorkflowMeta[] {
  const errors = new ErrorSink(opts.file, opts.source);
  const sites = findWorkflows(program, errors);
  const steps = findSteps(program, errors);
  checkLiteralDurations(program, errors, opts.importSource);
  if (sites.length === 0 && steps.length === 0 && errors.items.length === 0) return [];
  const taken = collectFileNames(program);
  const names = new NameGen(taken);
  const helpers = new Helpers(taken, names);
  const prefix = names.internalPrefix();
  const promiseIsGlobal = !moduleNames(program).has('Promise');

  const metas: WorkflowMeta[] = [];
  const done: {
    site: WorkflowSite;
    meta: WorkflowMeta;
    step: t.FunctionExpression;
    e: Emitter;
    envLayout: BindingsPlan['envLayout'];
    registrations: t.Statement[];
    sitesCode: string;
    converted: ConvertedSites;
    envVars: EnvLayout;
  }[] = [];
  /**
   * Closure conversion of `fn` (a workflow, or a module-level helper): its
   * nested functions become sites `<idBase>/<n>`, what they capture moves
   * into environments; `lower` makes a step function of an async function.
   */
  const convert = (fn: t.Function, idBase: string, check: WorkflowSite, o: { renameRoot: boolean; native: boolean; errors: ErrorSink }) => {
    const errors = o.errors;
    if (!opts.typesStripped) stripTypes(fn as WorkflowSite['fn']);
    if (!o.renameRoot) {
      // A helper is converted only if its parameter list can stay as it is (helper-sites.ts); else it is left untouched.
      const first = analyse(fn);
      if (!rootParamsMovable(fn, first, capturedBindings(first))) return null;
    }
    blockBodies(fn);
    const infos = siteFunctions(fn, idBase);
    // Parameters as written (closure conversion may move them into environments).
    const shown = new Map<t.Function, string[]>([fn, ...infos.map((i) => i.node)].map((f) => [f, f.params.map(paramName)]));
    const an = analyse(fn);
    if (promiseIsGlobal) rewritePromiseCalls(fn, new Set(an.free.filter((r) => r.id.name === 'Promise').map((r) => r.id)), helpers);
    const claimed = new Set(an.free.map((r) => r.id.name));
    // Outer functions first: a binding's references (in nested functions too) are rewritten by its own function's plan.
    const captured = capturedBindings(an);
    const common = { names, helpers, prefix, claimed, captured, counter: { env: 0, head: 0 } };
    const plan = prepareBindings(fn, an, { ...common, rename: o.renameRoot });
    const plans = new Map<t.Node, BindingsPlan>();
    for (const info of infos) plans.set(info.node, prepareBindings(info.node, an, { ...common, rename: info.async }));
    const envNames = [plan, ...plans.values()].flatMap((p) => Object.keys(p.envLayout));
    const envVars = Object.assign({}, ...[plan, ...plans.values()].map((p) => p.envLayout)) as BindingsPlan['envLayout'];
    const lower = (f: t.Function, p: BindingsPlan, entry: t.Statement[], name: string, more = ''): { step: t.FunctionExpression; meta: WorkflowMeta; e: Emitter } => {
      const e = new Emitter({
        internal: { frame: `${prefix}f`, input: `${prefix}r`, pc: `${prefix}pc`, loop: `${prefix}loop`, err: `${prefix}x`, prefix },
        unstable: unstableLocals(f),
        helpers,
      });
      lowerFunction(e, f, p, entry);
      // Error messages name an environment by the variables it holds.
      for (const env of envNames) if (e.vars.has(env)) e.tempInfo.set(env, `the variables closures share (${envVars[env]!.join(', ')})`);
      computeLiveness(e);
      const step = buildStep(e, name);
      const code = stepCode(step);
      checkParses(code, check, errors);
      // The version names all the code that interprets a state: the workflow's step and its sites' (`more`).
      const meta = workflowMeta({ name, file: opts.file, fn: f, code: more ? `${code}\n${more}` : code, e, origin: names.origin, envLayout: p.envLayout });
      return { step, e, meta: { ...meta, params: shown.get(f) ?? meta.params } };
    };
    const converted = convertSites(infos, {
      file: opts.file,
      prefix,
      helpers,
      an,
      errors,
      plans,
      envNames,
      native: o.native,
      lowerAsync: (f, p, entry, info) => lower(f, p, entry, info.id.replace(/[^\w$]/g, '$')),
    });
    return { plan, converted, lower, envVars };
  };

  // Module-level helpers that make closures a workflow may keep (helper-sites.ts); 'use step' functions are activities, not helpers.
  const helperSites: { registrations: t.Statement[]; code: string; converted: ConvertedSites; envVars: EnvLayout }[] = [];
  if (sites.length)
    for (const h of moduleHelpers(program, new Set<t.Node>([...sites, ...steps].map((x) => x.fn)))) {
      // Converted on a copy: a helper that cannot be converted (what a workflow may not do) stays exactly as written.
      const copy = t.cloneNode(h.fn, true);
      const quiet = new ErrorSink(opts.file, opts.source);
      let r: ReturnType<typeof convert> = null;
      try {
        r = convert(copy, `${opts.file}#${h.name}`, { name: h.name, fn: copy, statement: h.statement, holder: null }, { renameRoot: false, native: true, errors: quiet });
      } catch (err) {
        if (!(err instanceof UnsupportedAwait)) throw err;
      }
      if (!r || quiet.items.length) continue;
      bindHelperParams(copy, r.plan);
      morph(h.fn, copy);
      helperSites.push({ registrations: r.converted.registrations, code: r.converted.code, converted: r.converted, envVars: r.envVars });
    }
  // Any workflow of the module may hold a helper's closure: their code is part of every workflow's version.
  const helperCode = helperSites.map((h) => h.code).join('\n');

  for (const site of sites) {
    if (!checkWorkflow(site, errors)) continue;
    try {
      const { plan, converted, lower, envVars } = convert(site.fn, site.name, site, { renameRoot: true, native: false, errors })!;
      const sitesCode = [converted.code, helperCode].filter(Boolean).join('\n');
      const { step, meta, e } = lower(site.fn, plan, [], site.name, sitesCode);
      done.push({ site, meta, step, e, envLayout: plan.envLayout, registrations: converted.registrations, sitesCode, converted, envVars });
      metas.push(meta);
    } catch (err) {
      if (err instanceof UnsupportedAwait) errors.at(err.node, err.message);
      else throw err;
    }
  }
  if (errors.items.length) throw new CompileError(errors.items);
  // After every version is known: a point's fingerprint names the versions of the module's workflows its continuation calls.
  const versions = new Map(done.map((d) => [d.meta.name, d.meta.version]));
  for (const d of done) {
    const others = new Map([...versions].filter(([n]) => n !== d.meta.name));
    d.meta.fingerprints = fingerprints({ e: d.e, name: d.meta.name, ...(d.envLayout ? { envLayout: d.envLayout } : {}), workflowVersions: others, sitesCode: d.sitesCode });
    fingerprintSites(d.converted, d.envVars, versions, helperSites.map((h) => h.code));
  }
  for (const h of helperSites) fingerprintSites(h.converted, h.envVars, versions, helperSites.filter((o) => o !== h).map((o) => o.code));
  for (const { site, meta, step, registrations } of done) replaceWorkflow(program, site, helpers, metaNode(meta), step, registrations);
  // First in the module: a helper is hoisted, and may be called before its own statement runs.
  program.body.unshift(...helperSites.flatMap((h) => h.registrations));
  if (done.length) registerModuleClasses(program, helpers, opts.file);
  if (steps.length) replaceSteps(program, steps, helpers, opts.file);
  if (done.length || steps.length) addHelperImport(program, helpers, opts.importSource);
  return metas;
}

/**
 * An async site's fingerprints, like a workflow's: a closure fiber resumes on
 * the current site's code when its point's fingerprint is unchanged. The
 * code of the other sites it can reach (the workflow's, the module helpers')
 * is hashed as a workflow's sites are; its own code after the point is in
 * its items already.
 */
function fingerprintSites(converted: ConvertedSites, envVars: EnvLayout, versions: ReadonlyMap<string, string>, moreCode: readonly string[]): void {
  for (const s of converted.async) {
    const others = [...converted.codes].filter(([id]) => id !== s.meta.id).map(([, code]) => code);
    const sitesCode = [...others, ...moreCode].join('\n');
    const base = s.meta.id.slice(0, s.meta.id.lastIndexOf('/'));
    s.meta.fingerprints = fingerprints({ e: s.e, name: s.meta.id, sitesOf: base, envLayout: envVars, workflowVersions: versions, sitesCode });
    s.call.arguments[0] = t.valueToNode(s.meta);
  }
}

function lowerFunction(e: Emitter, fn: t.Function, plan: BindingsPlan, entry: t.Statement[]): void {
  e.mark(new Label());
  for (const name of plan.locals) e.declare(name);
  for (const s of entry) {
    for (const n of certainWrites(s)) e.declare(n);
    e.emit(s);
  }
  for (const s of plan.prologue) e.emit(s);
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
