/** Workflow metadata (see runtime/contract.ts WorkflowMeta) and the version hash. */
import { createHash } from 'node:crypto';
import { types as t } from '@babel/core';
import _generate, { type GeneratorResult } from '@babel/generator';
import type { SuspensionMeta, WorkflowMeta } from '../runtime/contract.js';
import type { Emitter } from './emitter.js';

type Generate = (ast: t.Node, opts?: { compact?: boolean; comments?: boolean }) => GeneratorResult;
// @babel/generator is CommonJS: under ESM its function sits on `.default`.
const generate: Generate = (_generate as unknown as { default?: Generate }).default ?? (_generate as unknown as Generate);

/** Display form of a parameter: its name, `...rest`, or the pattern's source. */
function paramName(p: t.Node): string {
  if (p.type === 'Identifier') return p.name;
  if (p.type === 'AssignmentPattern') return paramName(p.left);
  if (p.type === 'RestElement') return `...${paramName(p.argument)}`;
  return generate(p as t.Node, { compact: true }).code;
}

export function workflowMeta(opts: {
  name: string;
  file: string;
  fn: t.Function;
  step: t.FunctionExpression;
  e: Emitter;
}): WorkflowMeta {
  const { name, file, fn, step, e } = opts;
  const suspensions: SuspensionMeta[] = e.suspensions.map((s) => ({ id: s.id, line: s.line, column: s.column, live: s.live }));
  const params = fn.params.map(paramName);
  // The version names the code that interprets a state: the step function (which embeds every pc and local name).
  const code = generate(step, { compact: true, comments: false }).code;
  const version = createHash('sha256').update(name).update('\0').update(code).digest('hex').slice(0, 16);
  return { name, version, file, params, line: fn.loc?.start.line ?? 0, column: fn.loc?.start.column ?? 0, suspensions };
}

export function metaNode(meta: WorkflowMeta): t.Expression {
  return t.valueToNode(meta);
}
