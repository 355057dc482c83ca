/** Workflow metadata (see runtime/contract.ts WorkflowMeta) and the version hash. */
import { createHash } from 'node:crypto';
import * as t from '@babel/types';
import type { EnvLayout, SuspensionMeta, WorkflowMeta } from '../runtime/contract.js';
import type { Emitter } from './emitter.js';
import { generate } from './generate.js';

/** Display form of a parameter: its name, `...rest`, or the pattern's source. */
export function paramName(p: t.Node): string {
  if (p.type === 'Identifier') return p.name;
  if (p.type === 'AssignmentPattern') return paramName(p.left);
  if (p.type === 'RestElement') return `...${paramName(p.argument)}`;
  return generate(p as t.Node, { compact: true }).code;
}

/** The step function's code as hashed for the version (compact, without comments). */
export function stepCode(step: t.FunctionExpression): string {
  return generate(step, { compact: true, comments: false }).code;
}

export function workflowMeta(opts: {
  name: string;
  file: string;
  fn: t.Function;
  /** The step function's code (stepCode). */
  code: string;
  e: Emitter;
  /** Renamed shadowed bindings → their source names. */
  origin: ReadonlyMap<string, string>;
  envLayout?: EnvLayout;
}): WorkflowMeta {
  const { name, file, fn, e, origin, envLayout } = opts;
  const line = fn.loc?.start.line ?? 0;
  const column = fn.loc?.start.column ?? 0;
  // Index = id (the runtime looks suspensions up by pc): pc 0 is the entry, at the function itself.
  const suspensions: SuspensionMeta[] = [{ id: 0, line, column, live: [] }];
  for (const s of e.suspensions) {
    if (s.id !== suspensions.length) throw new Error(`reawait compiler: suspension ids must be dense, got ${s.id} after ${suspensions.length - 1}`);
    suspensions.push({ id: s.id, line: s.line, column: s.column, live: s.live });
  }
  const params = fn.params.map(paramName);
  // The version names the code that interprets a state: the step function (which embeds every pc and local name).
  const code = opts.code;
  const version = createHash('sha256').update(name).update('\0').update(code).digest('hex').slice(0, 16);
  const display: Record<string, string> = {};
  for (const v of new Set(suspensions.flatMap((s) => s.live))) {
    const shown = e.tempInfo.get(v) ?? (e.temps.has(v) ? 'an intermediate value of the compiled code' : origin.get(v));
    if (shown !== undefined) display[v] = shown;
  }
  const layout = envLayout && Object.keys(envLayout).length ? { envLayout } : {};
  return { name, version, file, params, line, column, suspensions, ...(Object.keys(display).length ? { display } : {}), ...layout };
}

export function metaNode(meta: WorkflowMeta): t.Expression {
  return t.valueToNode(meta);
}
