/**
 * The machine driver: runs a compiled workflow from a state to its next
 * durable suspension (or to its end). Frames are an explicit stack, so deep
 * workflow recursion never grows the JS stack. The driver knows nothing of
 * stores or queues; the caller persists what advance() returns.
 */
import type { CompiledWorkflowRecord, Frame, FrameCall, Group, MachineState, ResumeInput, StepResult } from './contract.js';
import { UnknownWorkflowError, VersionMismatchError } from './errors.js';
import { classifyAwait, initialSettlements, settleGroup } from './group.js';
import { registeredWorkflow } from './workflow.js';

export type Resolve = (name: string) => CompiledWorkflowRecord;

export interface AdvanceOptions {
  /** Find a workflow record by name; default: the process registry (UnknownWorkflowError if missing). */
  resolve?: Resolve;
  /** Refuse to resume a state written by other code (default true). */
  checkVersion?: boolean;
}

/** Where a suspended execution waits: what `describe()` shows. */
export interface SuspendedAt {
  /** The workflow function of the top frame. */
  fn: string;
  /** Its version (the code that will resume it). */
  version: string;
  pc: number;
  file: string;
  line: number;
  column: number;
  /** Number of frames on the stack (1 = the root is waiting). */
  depth: number;
}

export type Advance =
  | { kind: 'suspended'; state: MachineState & { group: Group }; at: SuspendedAt }
  | { kind: 'completed'; value: unknown }
  | { kind: 'failed'; error: unknown };

export const defaultResolve: Resolve = (name) => {
  const rec = registeredWorkflow(name);
  if (!rec) throw new UnknownWorkflowError(name);
  return rec;
};

/**
 * A fresh state for `record`. Its root frame sits at pc 0 and must be fed
 * START_INPUT(args): the args are the input of the entry, not part of the
 * state (a store keeps them beside it until the first advance).
 */
export function initialState(record: CompiledWorkflowRecord): MachineState {
  return { workflow: record.meta.name, version: record.meta.version, frames: [{ fn: record.meta.name, pc: 0, locals: {} }] };
}

/** The input that starts a frame at pc 0: the argument array. */
export function START_INPUT(args: readonly unknown[]): ResumeInput {
  return { ok: true, value: [...args] };
}

/** Start a workflow: advance a fresh state with its arguments. */
export function start(record: CompiledWorkflowRecord, args: readonly unknown[], options: AdvanceOptions = {}): Promise<Advance> {
  return advance(initialState(record), START_INPUT(args), options);
}

function stepOnce(record: CompiledWorkflowRecord, frame: Frame, input: ResumeInput): StepResult {
  const r = record.step(frame, input);
  if (typeof r !== 'object' || r === null || typeof r.done !== 'boolean')
    throw new TypeError(`reawait: step function of workflow '${record.meta.name}' returned ${String(r)} at pc ${frame.pc}; expected { done, value | await }`);
  return r;
}

/**
 * Run the state's top frame with `input` (the settled value of what it
 * awaited; for a fresh state START_INPUT(args)) until the stack waits on a
 * durable group, or the root frame returns or throws.
 *
 * - a frame returning pops it and feeds its value to the caller frame;
 * - a frame throwing pops it and feeds `{ ok: false, error }` to the caller
 *   (the root throwing is `failed`);
 * - awaiting a workflow call pushes a frame fed with the call's arguments;
 *   awaiting a foreign thenable awaits it in memory (not persisted);
 *   awaiting a plain value continues at once; awaiting a durable command or
 *   group suspends (a group made only of plain values settles at once).
 *
 * advance() takes ownership of `state`: its frames are updated in place.
 * Infrastructure errors (an unknown workflow, a version mismatch) are thrown,
 * not fed to the workflow.
 */
export async function advance(state: MachineState, input: ResumeInput, options: AdvanceOptions = {}): Promise<Advance> {
  const resolve = options.resolve ?? defaultResolve;
  const frames = state.frames;
  if (frames.length === 0) throw new TypeError(`reawait: state of workflow '${state.workflow}' has no frames`);
  if (options.checkVersion !== false) {
    const root = resolve(state.workflow);
    if (root.meta.version !== state.version) throw new VersionMismatchError(state.workflow, state.version, root.meta.version);
  }
  delete state.group;
  for (;;) {
    const frame = frames[frames.length - 1]!;
    const record = resolve(frame.fn);
    let result: StepResult;
    try {
      result = stepOnce(record, frame, input);
    } catch (error) {
      frames.pop();
      if (frames.length === 0) return { kind: 'failed', error };
      input = { ok: false, error };
      continue;
    }
    if (result.done) {
      frames.pop();
      if (frames.length === 0) return { kind: 'completed', value: result.value };
      input = { ok: true, value: result.value };
      continue;
    }
    const awaited = classifyAwait(result.await);
    switch (awaited.kind) {
      case 'value':
        input = { ok: true, value: awaited.value };
        continue;
      case 'memory':
        try {
          input = { ok: true, value: await awaited.promise };
        } catch (error) {
          input = { ok: false, error };
        }
        continue;
      case 'frame':
        input = pushFrame(frames, awaited.call, resolve);
        continue;
      case 'group': {
        const group = awaited.group;
        const settled = settleGroup(group, initialSettlements(group));
        if (settled) {
          input = settled;
          continue;
        }
        state.group = group;
        const s = record.meta.suspensions[frame.pc];
        return {
          kind: 'suspended',
          state: state as MachineState & { group: Group },
          at: {
            fn: frame.fn,
            version: record.meta.version,
            pc: frame.pc,
            file: record.meta.file,
            line: s?.line ?? record.meta.line,
            column: s?.column ?? record.meta.column,
            depth: frames.length,
          },
        };
      }
    }
  }
}

function pushFrame(frames: Frame[], call: FrameCall, resolve: Resolve): ResumeInput {
  const record = resolve(call.fn);
  frames.push({ fn: record.meta.name, pc: 0, locals: {} });
  return START_INPUT(call.args);
}
