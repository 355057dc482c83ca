/**
 * Hand-written step functions that follow the contract (the compiler's output
 * shape: a switch on frame.pc), for tests of the machine and the in-memory
 * driver without the compiler.
 */
import type { Frame, ResumeInput, StepResult, WorkflowMeta } from '../../runtime/contract.js';
import { call, defineWorkflow } from '../../runtime/workflow.js';

export type Step = (f: Frame, r: ResumeInput) => StepResult;

/** A registered workflow named `name` whose step function is `step`; `suspensions` await sites at lines 10, 11, … */
export function hand<A extends unknown[] = unknown[], R = unknown>(name: string, step: Step, options: { suspensions?: number; version?: string } = {}): (...args: A) => Promise<R> {
  const fn = (...args: unknown[]) => call(fn as never, args);
  const meta: WorkflowMeta = {
    name,
    version: options.version ?? `v-${name}`,
    file: `test/${name}.ts`,
    params: [],
    line: 1,
    column: 0,
    suspensions: Array.from({ length: options.suspensions ?? 8 }, (_, id) => ({ id, line: 10 + id, column: 2, live: [] })),
  };
  defineWorkflow(fn as never, meta, step);
  return fn as unknown as (...args: A) => Promise<R>;
}

/** The resumed value, or the resumed error thrown (what `await` does). */
export const value = (r: ResumeInput): unknown => {
  if (!r.ok) throw r.error;
  return r.value;
};

/** Suspend at `pc` with `locals`, awaiting `awaited`. */
export const suspend = (f: Frame, pc: number, locals: Record<string, unknown>, awaited: unknown): StepResult => {
  f.pc = pc;
  f.locals = locals;
  return { done: false, await: awaited };
};
