/**
 * `upgrade()` calls checked at compile time (issue 13): for each call of
 * reawait's `upgrade(workflow, { version, line }, fn)` in a compiled file,
 * what can be known from the source is checked against the metadata:
 *
 *   - the workflow is one the compile knows (this build's workflows);
 *   - the old version is a kept build of it (`<out>/.reawait/versions`) and
 *     has an await on the old line;
 *   - each object `fn` returns names a line with an await in the new build,
 *     and its `locals` are locals kept at that line there.
 *
 * Values that are not literals (a computed line, spread locals) are left to
 * the worker, which checks again when it starts and when a state moves.
 */
import { parse, type ParserPlugin } from '@babel/parser';
import type * as t from '@babel/types';
import type { WorkflowMeta } from '../runtime/contract.js';
import { ErrorSink, type CompileErrorItem } from './errors.js';
import { eachChild } from './walk.js';

export interface UpgradeCheckInput {
  /** The file name errors name (as in the compile's other errors). */
  file: string;
  source: string;
  /** The new builds of every workflow the compile knows. */
  current: readonly WorkflowMeta[];
  /** Every kept build's workflows (undefined: builds are not kept, old versions are not checked). */
  kept?: readonly WorkflowMeta[];
  /** Where the kept builds are, for the messages. */
  keptIn?: string;
}

export function checkUpgradeCalls(input: UpgradeCheckInput): CompileErrorItem[] {
  if (!/\bupgrade\b/.test(input.source)) return [];
  const plugins: ParserPlugin[] = /\.m?ts$/.test(input.file) ? ['typescript'] : [];
  let program: t.Program;
  try {
    program = parse(input.source, { sourceType: 'module', plugins }).program;
  } catch {
    return []; // the compile reports syntax errors
  }
  const errors = new ErrorSink(input.file, input.source);
  const upgradeNames = new Set<string>();
  const imported = new Map<string, string>();
  const declared = new Set<string>();
  for (const s of program.body) {
    if (s.type === 'ImportDeclaration')
      for (const sp of s.specifiers) {
        if (sp.type !== 'ImportSpecifier') continue;
        const name = sp.imported.type === 'Identifier' ? sp.imported.name : sp.imported.value;
        if (name === 'upgrade' && /^reawait(\/|$)/.test(s.source.value)) upgradeNames.add(sp.local.name);
        // Only the app's own modules are compiled here: a workflow from a package is left to the worker.
        else if (/^\.\.?\//.test(s.source.value)) imported.set(sp.local.name, name);
      }
    const d = s.type === 'ExportNamedDeclaration' ? s.declaration : s;
    if (d?.type === 'FunctionDeclaration' && d.id) declared.add(d.id.name);
  }
  if (upgradeNames.size === 0) return [];
  const visit = (n: t.Node): void => {
    if (n.type === 'CallExpression' && n.callee.type === 'Identifier' && upgradeNames.has(n.callee.name)) checkCall(n, input, errors, (id) => imported.get(id) ?? (declared.has(id) ? id : undefined));
    eachChild(n, visit);
  };
  visit(program);
  return errors.items;
}

const awaitLines = (m: WorkflowMeta): number[] => [...new Set(m.suspensions.filter((s) => s.id > 0).map((s) => s.line))];

function checkCall(call: t.CallExpression, input: UpgradeCheckInput, errors: ErrorSink, workflowOf: (id: string) => string | undefined): void {
  const [target, from, fn] = call.arguments;
  // A name in a string is checked when the compile sees every module's build (the kept ones).
  const name = target?.type === 'StringLiteral' ? (input.kept ? target.value : undefined) : target?.type === 'Identifier' ? workflowOf(target.name) : undefined;
  if (name === undefined || !target) return;
  const cur = input.current.find((m) => m.name === name);
  if (!cur) {
    const known = [...new Set(input.current.map((m) => m.name))].sort();
    errors.at(target, `upgrade() of workflow '${name}': no workflow of that name is compiled here (workflows: ${known.join(', ') || 'none'})`);
    return;
  }
  const version = from?.type === 'ObjectExpression' ? literalProp(from, 'version') : undefined;
  const line = from?.type === 'ObjectExpression' ? literalProp(from, 'line') : undefined;
  if (input.kept && version?.value.type === 'StringLiteral') {
    const v = version.value.value;
    const old = input.kept.find((m) => m.name === name && m.version === v);
    if (!old) {
      const versions = [...new Set(input.kept.filter((m) => m.name === name && m.version !== cur.version).map((m) => m.version))];
      errors.at(
        version.value,
        `upgrade() of workflow '${name}' from version ${v}: no build of that version is kept${input.keptIn ? ` in ${input.keptIn}` : ''} (earlier versions kept: ${versions.join(', ') || 'none'}; 'npx reawait versions <out>' lists them)`,
      );
    } else if (line?.value.type === 'NumericLiteral' && !awaitLines(old).includes(line.value.value))
      errors.at(line.value, `upgrade() of workflow '${name}' from version ${v} line ${line.value.value}: that build has no await on line ${line.value.value}; its awaits are on lines ${awaitLines(old).join(', ')}`);
  }
  if (fn?.type === 'ArrowFunctionExpression' || fn?.type === 'FunctionExpression') for (const r of returnedObjects(fn)) checkTarget(r, name, cur, errors);
}

/** The object literals `fn` returns (an arrow's body, or `return {…}` statements of its own body). */
function returnedObjects(fn: t.ArrowFunctionExpression | t.FunctionExpression): t.ObjectExpression[] {
  const unwrap = (e: t.Node | null | undefined): t.Node | null | undefined => (e?.type === 'TSAsExpression' || e?.type === 'TSSatisfiesExpression' || e?.type === 'ParenthesizedExpression' ? unwrap(e.expression) : e);
  const body = unwrap(fn.body);
  if (body?.type === 'ObjectExpression') return [body];
  const out: t.ObjectExpression[] = [];
  const visit = (n: t.Node): void => {
    if (n.type === 'ReturnStatement') {
      const v = unwrap(n.argument);
      if (v?.type === 'ObjectExpression') out.push(v);
    }
    // Returns of nested functions are theirs.
    if (n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression' || n.type === 'FunctionDeclaration' || n.type === 'ObjectMethod' || n.type === 'ClassMethod') return;
    eachChild(n, visit);
  };
  if (fn.body.type === 'BlockStatement') fn.body.body.forEach(visit);
  return out;
}

/** The returned `{ line, locals }` against the new build: an await on that line, locals kept there. */
function checkTarget(obj: t.ObjectExpression, name: string, cur: WorkflowMeta, errors: ErrorSink): void {
  const line = literalProp(obj, 'line');
  if (line?.value.type !== 'NumericLiteral') return;
  const at = line.value.value;
  const points = cur.suspensions.filter((s) => s.id > 0 && s.line === at);
  if (points.length === 0) {
    errors.at(line.value, `upgrade() of workflow '${name}' returns line ${at}, which has no await in the current build (${cur.file}); its awaits are on lines ${awaitLines(cur).join(', ')}`);
    return;
  }
  const locals = literalProp(obj, 'locals');
  if (locals?.value.type !== 'ObjectExpression') return;
  // The runtime resumes at the first point on the line: its live locals are the ones it restores.
  const live = points[0]!.live;
  const own = live.filter((v) => !/\s/.test(cur.display?.[v] ?? ''));
  for (const p of locals.value.properties) {
    if (p.type !== 'ObjectProperty' || p.computed) continue;
    const key = p.key.type === 'Identifier' ? p.key.name : p.key.type === 'StringLiteral' ? p.key.value : undefined;
    if (key === undefined || live.includes(key)) continue;
    errors.at(p.key, `upgrade() of workflow '${name}' returns local '${key}', which is not kept at line ${at} of the current build (${cur.file}); the locals kept there are: ${own.join(', ') || 'none'}`);
  }
}

function literalProp(obj: t.ObjectExpression, key: string): t.ObjectProperty | undefined {
  return obj.properties.find((p): p is t.ObjectProperty => p.type === 'ObjectProperty' && !p.computed && ((p.key.type === 'Identifier' && p.key.name === key) || (p.key.type === 'StringLiteral' && p.key.value === key)));
}
