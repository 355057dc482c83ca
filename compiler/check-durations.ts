/**
 * Literal durations are checked when the module compiles: a `sleep('1
 * fortnight')`, `signal(name, { timeout: 'soon' })` or `proxyActivities({
 * timeout: '5 mins!' })` written with a literal that the runtime would
 * refuse is a compile error at its line, not a failure days into a run. The
 * grammar is the runtime's own parser (runtime/duration.ts, a leaf module
 * shared with the compiler), so what compiles is what runs. Only calls of
 * the functions imported from reawait/workflow are checked; a duration
 * computed at run time is checked when it runs.
 */
import type * as t from '@babel/types';
import { durationProblem } from '../runtime/duration.js';
import type { ErrorSink } from './errors.js';
import { eachChild, TYPE_WRAPPERS } from './walk.js';

type Checked = 'sleep' | 'signal' | 'proxyActivities';
const CHECKED: ReadonlySet<string> = new Set<Checked>(['sleep', 'signal', 'proxyActivities']);

/** The local names (and namespaces) under which this module imports the checked functions. */
function importedNames(program: t.Program, sources: ReadonlySet<string>): { direct: Map<string, Checked>; namespaces: Set<string> } {
  const direct = new Map<string, Checked>();
  const namespaces = new Set<string>();
  for (const s of program.body) {
    if (s.type !== 'ImportDeclaration' || !sources.has(s.source.value) || s.importKind === 'type') continue;
    for (const spec of s.specifiers) {
      if (spec.type === 'ImportNamespaceSpecifier') namespaces.add(spec.local.name);
      else if (spec.type === 'ImportSpecifier' && spec.importKind !== 'type') {
        const name = spec.imported.type === 'Identifier' ? spec.imported.name : spec.imported.value;
        if (CHECKED.has(name)) direct.set(spec.local.name, name as Checked);
      }
    }
  }
  return { direct, namespaces };
}

function unwrap(n: t.Node): t.Node {
  while (TYPE_WRAPPERS.has(n.type) || n.type === 'ParenthesizedExpression') n = (n as t.TSAsExpression).expression;
  return n;
}

/** The value of a literal duration, or undefined when it is not a literal (then it is checked at run time). */
function literal(n: t.Node): { value: unknown } | undefined {
  n = unwrap(n);
  if (n.type === 'StringLiteral' || n.type === 'NumericLiteral') return { value: n.value };
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return { value: n.quasis[0]!.value.cooked };
  if (n.type === 'UnaryExpression' && n.operator === '-' && unwrap(n.argument).type === 'NumericLiteral') return { value: -(unwrap(n.argument) as t.NumericLiteral).value };
  return undefined;
}

function property(obj: t.Node | undefined, key: string): t.Node | undefined {
  if (!obj) return undefined;
  const o = unwrap(obj);
  if (o.type !== 'ObjectExpression') return undefined;
  for (const p of o.properties) {
    if (p.type !== 'ObjectProperty' || p.computed) continue;
    const name = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined;
    if (name === key) return p.value;
  }
  return undefined;
}

export function checkLiteralDurations(program: t.Program, errors: ErrorSink, importSource = 'reawait/workflow'): void {
  const { direct, namespaces } = importedNames(program, new Set(['reawait/workflow', importSource]));
  if (direct.size === 0 && namespaces.size === 0) return;
  const check = (where: string, n: t.Node | undefined): void => {
    const lit = n && literal(n);
    if (!lit) return;
    const problem = durationProblem(lit.value);
    if (problem) errors.at(n, `${where}: ${problem}`);
  };
  const calledAs = (callee: t.Node): Checked | undefined => {
    callee = unwrap(callee);
    if (callee.type === 'Identifier') return direct.get(callee.name);
    if (callee.type === 'MemberExpression' && !callee.computed && callee.object.type === 'Identifier' && namespaces.has(callee.object.name) && callee.property.type === 'Identifier' && CHECKED.has(callee.property.name))
      return callee.property.name as Checked;
    return undefined;
  };
  const visit = (n: t.Node): void => {
    if (n.type === 'CallExpression') {
      const args = n.arguments as t.Node[];
      switch (calledAs(n.callee)) {
        case 'sleep':
          check('sleep(…)', args[0]);
          break;
        case 'signal':
          check('signal(…) timeout', property(args[1], 'timeout'));
          break;
        case 'proxyActivities':
          check('proxyActivities timeout', property(args[0], 'timeout'));
          check('proxyActivities backoff.delay', property(property(args[0], 'backoff'), 'delay'));
          break;
      }
    }
    eachChild(n, visit);
  };
  visit(program);
}
