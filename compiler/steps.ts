/**
 * `'use step'` functions: a top-level async function of a module whose body
 * starts with `'use step'` is an activity defined in place. It is replaced
 * by `step("<file>#<name>", <the function>)`, which registers the function
 * under that name (a worker that loads the module can run it) and returns
 * a stub: called from a running workflow it is a durable call, like a
 * `proxyActivities` stub; called anywhere else it runs the function. A
 * `'use step'` function that cannot be one (nested, a method, not async, a
 * generator, also a workflow) is a compile error, never a silent in-memory
 * call.
 */
import * as t from '@babel/types';
import type { ErrorSink } from './errors.js';
import { DIRECTIVE, STEP_DIRECTIVE } from './directives.js';
import type { Helpers } from './helpers.js';
import { eachChild, isFunctionNode } from './walk.js';

export { STEP_DIRECTIVE };

type StepFunction = t.FunctionDeclaration | t.FunctionExpression | t.ArrowFunctionExpression;

export interface StepSite {
  name: string;
  fn: StepFunction;
  /** The top-level statement to replace (the declaration, or its `export`). */
  statement: t.Statement;
}

const hasDirective = (fn: t.Function, d: string): boolean => fn.body.type === 'BlockStatement' && fn.body.directives.some((x) => x.value.value === d);

const WHY = `it runs on a worker, found by its name, so it must be a top-level 'async function name(…)' or 'const name = async (…) => …' (a nested function or a method would need values of its caller)`;

/** The step functions of the module, each checked; an error for every directive that cannot be a step. */
export function findSteps(program: t.Program, errors: ErrorSink): StepSite[] {
  const sites: StepSite[] = [];
  const placed = new Set<t.Node>();
  for (const statement of program.body) {
    const decl = statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration' ? statement.declaration : statement;
    if (!decl) continue;
    if (decl.type === 'FunctionDeclaration' && hasDirective(decl, STEP_DIRECTIVE)) {
      placed.add(decl);
      if (!decl.id) errors.at(decl, `a 'use step' function needs a name (its activity is registered under it)`);
      else if (check(decl, decl.id.name, errors)) sites.push({ name: decl.id.name, fn: decl, statement });
    } else if (decl.type === 'VariableDeclaration') {
      for (const d of decl.declarations) {
        const init = d.init;
        if (!init || (init.type !== 'FunctionExpression' && init.type !== 'ArrowFunctionExpression') || !hasDirective(init, STEP_DIRECTIVE)) continue;
        placed.add(init);
        if (decl.kind !== 'const' || d.id.type !== 'Identifier') errors.at(init, `a 'use step' function must be bound with 'const name = …': ${WHY}`);
        else if (check(init, d.id.name, errors)) sites.push({ name: d.id.name, fn: init, statement });
      }
    }
  }
  // Any other function with the directive is misplaced.
  const visit = (n: t.Node): void => {
    if (isFunctionNode(n) && hasDirective(n, STEP_DIRECTIVE) && !placed.has(n)) errors.at(n, `this 'use step' function cannot be a step: ${WHY}`);
    eachChild(n, visit);
  };
  visit(program);
  return sites;
}

function check(fn: StepFunction, name: string, errors: ErrorSink): boolean {
  if (hasDirective(fn, DIRECTIVE)) errors.at(fn, `'${name}' has both 'use step' and 'use workflow': a function is either a step (it runs on a worker) or a workflow`);
  else if (fn.generator) errors.at(fn, `'use step' function '${name}' is a generator; a step must be a plain async function`);
  else if (!fn.async) errors.at(fn, `'use step' function '${name}' must be async: calling it from a workflow is a durable call, which returns a promise`);
  else return true;
  return false;
}

/** Replace each step with `const name = step("<file>#<name>", <function>)`, keeping its export. */
export function replaceSteps(program: t.Program, sites: readonly StepSite[], helpers: Helpers, file: string): void {
  for (const site of sites) {
    const index = program.body.indexOf(site.statement);
    const wrap = (fn: t.Expression): t.CallExpression => helpers.call('step', [t.stringLiteral(`${file}#${site.name}`), fn]);
    if (site.fn.type === 'FunctionDeclaration') {
      const { params, body, async } = site.fn;
      const expr = t.functionExpression(t.identifier(site.name), params, body, false, async);
      const decl = t.variableDeclaration('const', [t.variableDeclarator(t.identifier(site.name), wrap(expr))]);
      t.inheritsComments(decl, site.statement);
      const replacement: t.Statement[] =
        site.statement.type === 'ExportNamedDeclaration'
          ? [t.exportNamedDeclaration(decl, [])]
          : site.statement.type === 'ExportDefaultDeclaration'
            ? [decl, t.exportDefaultDeclaration(t.identifier(site.name))]
            : [decl];
      program.body.splice(index, 1, ...replacement);
    } else {
      const holder = (site.statement.type === 'ExportNamedDeclaration' ? site.statement.declaration : site.statement) as t.VariableDeclaration;
      for (const d of holder.declarations) if (d.init === site.fn) d.init = wrap(site.fn);
    }
  }
}
