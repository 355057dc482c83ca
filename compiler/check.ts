/**
 * Refused constructs inside a workflow. Every one found is reported (the
 * caller collects them across the file); a workflow with errors is not lowered.
 */
import type * as t from '@babel/types';
import type { ErrorSink } from './errors.js';
import type { WorkflowSite } from './find-workflows.js';
import { hasAwait } from './refs.js';
import { eachChild, isFunctionNode } from './walk.js';

const THIS = `'this' is not supported inside a workflow: pass what you need as a parameter`;
const SUPER = `'super' is not supported inside a workflow`;
const NEW_TARGET = `'new.target' is not supported inside a workflow: a workflow is never called with 'new'`;
const ARGUMENTS = `'arguments' is not supported inside a workflow: use a rest parameter ('...args') instead`;
const EVAL = `'eval(…)' is not supported inside a workflow: its code could not be compiled into the state machine`;
const YIELD = `'yield' is not supported inside a workflow: workflows are async functions, use 'await'`;
const FOR_AWAIT = `'for await' is not supported inside a workflow: collect the items with activities and loop over an array with 'for … of' and 'await'`;
const WITH = `'with' is not supported inside a workflow`;
const AWAIT_IN_PARAMS = `'await' in a parameter default is not supported: give the parameter a plain default and await inside the body`;
const CLASS_HERITAGE = `'await' in a class's 'extends' clause is not supported inside a workflow: await the base class into a const first`;
const CLASS_KEY = `'await' in a computed class member name is not supported inside a workflow: await the key into a const before the class`;

/** Returns true when the workflow is clean. */
export function checkWorkflow(site: WorkflowSite, errors: ErrorSink): boolean {
  const { fn, name } = site;
  const before = errors.items.length;
  if (fn.generator) errors.at(fn, `workflow '${name}' is a generator; a workflow must be a plain 'async function' (no '*')`);
  if (!fn.async) errors.at(fn, `workflow '${name}' must be an async function: write 'async function ${name}(…)'`);
  for (const [node, message] of refused(fn)) errors.at(node, message);
  return errors.items.length === before;
}

/** Whose `this` and `arguments` a point of the workflow sees. */
type Owner =
  /** The workflow's own (refused). */
  | 'workflow'
  /** A nested sync function's: native in its site's code, unless seen through an arrow (a site of its own). */
  | 'sync'
  /** A nested async function's: `this` is kept in its frame; `arguments` is refused. */
  | 'async'
  /** A class member's: class bodies stay native code. */
  | 'class';

interface Where {
  owner: Owner;
  /** An arrow stands between the point and the owner. */
  viaArrow: boolean;
  /** No function at all between the point and the workflow. */
  ownFn: boolean;
  inParams: boolean;
}

/**
 * One walk over the function, in source order, knowing for each point
 * whose `this` it sees (`arguments` and `eval` cannot be bindings in a
 * module).
 */
export function refused(fn: t.Function): [t.Node, string][] {
  const found: [t.Node, string][] = [];
  const implicit = (n: t.Node, w: Where, what: 'this' | 'arguments' | 'new.target' | 'super'): void => {
    if (w.owner === 'class') return;
    if (w.owner === 'workflow') {
      found.push([n, what === 'this' ? THIS : what === 'arguments' ? ARGUMENTS : what === 'super' ? SUPER : NEW_TARGET]);
      return;
    }
    if (what === 'super') found.push([n, SUPER]);
    else if (w.viaArrow) found.push([n, `'${what}' inside an arrow function nested in a function of a workflow is not supported: every function of a workflow is made apart from the one around it; use a method or pass the value in`]);
    else if (w.owner === 'async' && what !== 'this') found.push([n, `'${what}' inside an async function of a workflow is not supported${what === 'arguments' ? `: use a rest parameter ('...args') instead` : ''}`]);
  };
  const walk = (n: t.Node, parent: t.Node, key: string, w: Where): void => {
    switch (n.type) {
      case 'Identifier':
        if (n.name === 'arguments' && isReference(parent, key)) implicit(n, w, 'arguments');
        break;
      case 'CallExpression':
        if (n.callee.type === 'Identifier' && n.callee.name === 'eval') found.push([n, EVAL]);
        break;
      case 'ThisExpression':
        implicit(n, w, 'this');
        break;
      case 'Super':
        implicit(n, w, 'super');
        break;
      case 'MetaProperty':
        if (n.meta.name === 'new') implicit(n, w, 'new.target');
        break;
      case 'YieldExpression':
        if (w.ownFn) found.push([n, YIELD]);
        break;
      case 'ForOfStatement':
        if (n.await) found.push([n, FOR_AWAIT]);
        break;
      case 'WithStatement':
        found.push([n, WITH]);
        break;
      case 'AwaitExpression':
        if (w.inParams) found.push([n, AWAIT_IN_PARAMS]);
        break;
      case 'ClassDeclaration':
      case 'ClassExpression':
        // The heritage and computed keys are evaluated by the function around the class, which the lowering does not reach into.
        if (w.ownFn && hasAwait(n.superClass)) found.push([n.superClass!, CLASS_HERITAGE]);
        for (const m of n.body.body) if (w.ownFn && 'computed' in m && m.computed && 'key' in m && hasAwait(m.key)) found.push([m.key, CLASS_KEY]);
        break;
    }
    if (n.type === 'ClassBody') {
      eachChild(n, (c, k) => walk(c, n, k, { ...w, owner: 'class', viaArrow: false, ownFn: false }));
    } else if (isFunctionNode(n)) {
      const arrow = n.type === 'ArrowFunctionExpression';
      const inner: Where = arrow ? { ...w, viaArrow: w.owner !== 'workflow' && w.owner !== 'class' ? true : w.viaArrow, ownFn: false } : { owner: w.owner === 'class' ? 'class' : n.async ? 'async' : 'sync', viaArrow: false, ownFn: false, inParams: w.inParams };
      eachChild(n, (c, k) => (k === 'key' ? walk(c, n, k, w) : walk(c, n, k, inner)));
    } else eachChild(n, (c, k) => walk(c, n, k, w));
  };
  eachChild(fn, (c, key) => walk(c, fn, key, { owner: 'workflow', viaArrow: false, ownFn: true, inParams: key === 'params' }));
  return found;
}

/** False for the child fields that hold names but never references: property keys, member names, labels. */
function isReference(parent: t.Node, key: string): boolean {
  if (key === 'label' || parent.type === 'MetaProperty') return false;
  if (key === 'key') return (parent as { computed?: boolean }).computed === true;
  if (key === 'property') return !((parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && !parent.computed);
  return true;
}
