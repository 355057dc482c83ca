/**
 * The errors the runtime throws. Each names what went wrong and where, so a
 * failure read in a log is enough to find the cause.
 */
import { serializable } from './serializable.js';

export { CancelledError, NonRetryableError } from './workflow.js';

/** Where an await sits, for messages: `file:line:col` with a 1-based column. */
export interface AwaitSite {
  /** The workflow function the frame belongs to. */
  fn: string;
  file: string;
  /** 1-based line. */
  line: number;
  /** 0-based column (contract convention); messages print it 1-based. */
  column: number;
  /** Source names of the frame's renamed locals and descriptions of its temporaries (WorkflowMeta.display). */
  display?: Record<string, string>;
}

export function formatSite(site: Pick<AwaitSite, 'file' | 'line' | 'column'>): string {
  return `${site.file}:${site.line}:${site.column + 1}`;
}

/** `a Socket instance`, `an Error`. */
export function article(word: string): string {
  return /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`;
}

/**
 * A local that is live across an await holds something the codec cannot
 * save exactly (a function that is not a closure of the workflow, an
 * instance of an unregistered class, a unique symbol, a promise, …). The
 * suspension fails instead of silently changing it.
 */
export class StateEncodeError extends Error {
  override name = 'StateEncodeError';
  constructor(
    /** The workflow function whose frame holds the value. */
    readonly workflow: string,
    /** The local's name as the compiler wrote it into the frame. */
    readonly variable: string,
    /** What was found: `function`, `symbol`, `Promise`, `Socket instance`, … */
    readonly found: string,
    /** Path inside the local (`.conn`, `[0].x`), '' for the local itself. */
    readonly path: string,
    /** The await the frame was suspending at, when known. */
    readonly site: AwaitSite | undefined,
    /** Why it cannot be saved, or how to make it saveable. */
    readonly hint = 'only data survives a suspension',
  ) {
    const where = site ? ` at ${formatSite(site)}` : '';
    const at = path ? ` (at ${path})` : '';
    const shown = site?.display?.[variable];
    const what = shown === undefined ? `local '${variable}'` : /\s/.test(shown) ? `${shown} (kept as '${variable}')` : `local '${shown}'`;
    super(`cannot suspend workflow '${workflow}'${where}: ${what}${at} holds ${article(found)}, which cannot be saved across an await (${hint})`);
  }
}

/** A payload (activity arguments, a result, an error, signal data) the codec cannot encode. */
export class ValueEncodeError extends Error {
  override name = 'ValueEncodeError';
  constructor(
    /** What was being encoded, e.g. `the arguments of activity 'encode'`. */
    readonly what: string,
    readonly found: string,
    readonly path: string,
    /** Why it cannot be encoded, or how to make it encodable. */
    readonly hint = 'only data can be encoded',
  ) {
    const at = path ? ` (at ${path})` : '';
    super(`cannot encode ${what}: it${at} holds ${article(found)}, which cannot be serialised (${hint})`);
  }
}

/** A stored state document that cannot be read back. */
export class CorruptStateError extends Error {
  override name = 'CorruptStateError';
  constructor(readonly reason: string) {
    super(`corrupt workflow state: ${reason}`);
  }
}

export class UnknownWorkflowError extends Error {
  override name = 'UnknownWorkflowError';
  constructor(
    readonly workflow: string,
    readonly known: string[] = [],
  ) {
    super(
      `unknown workflow '${workflow}': no compiled workflow of that name is registered in this process` +
        (known.length ? ` (registered: ${known.join(', ')})` : '') +
        `; import the compiled module that defines it`,
    );
  }
}

export class UnknownActivityError extends Error {
  override name = 'UnknownActivityError';
  constructor(
    readonly activity: string,
    readonly available: string[],
  ) {
    super(
      `unknown activity '${activity}'` +
        (available.length ? `; available activities: ${available.join(', ')}` : '; no activities were given'),
    );
  }
}

export class PayloadTooLargeError extends Error {
  override name = 'PayloadTooLargeError';
  constructor(
    readonly what: string,
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`${what} is ${bytes} bytes encoded, over the limit of ${limit} bytes`);
  }
}

/** A suspended state was written by different code than the one asked to resume it. */
export class VersionMismatchError extends Error {
  override name = 'VersionMismatchError';
  constructor(
    readonly workflow: string,
    readonly stateVersion: string,
    readonly codeVersion: string,
  ) {
    super(
      `workflow '${workflow}' was suspended by version ${stateVersion} but this process has version ${codeVersion}; ` +
        `a suspended execution can only resume on the code that suspended it`,
    );
  }
}

/** One attempt of an activity ran longer than its `timeout` option. */
export class ActivityTimeoutError extends Error {
  override name = 'ActivityTimeoutError';
  constructor(
    readonly activity: string,
    readonly timeoutMs: number,
    readonly attempt: number,
  ) {
    super(`activity '${activity}' timed out after ${timeoutMs} ms (attempt ${attempt})`);
  }
}

// The runtime's own errors cross process boundaries (activity and workflow
// failures) and come back as themselves.
for (const E of [StateEncodeError, ValueEncodeError, CorruptStateError, UnknownWorkflowError, UnknownActivityError, PayloadTooLargeError, VersionMismatchError, ActivityTimeoutError])
  serializable(E, `reawait.${E.name}`);
