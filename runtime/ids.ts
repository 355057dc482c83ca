/**
 * Execution ids: the namespace rule. Ids starting with '~' are reawait's own
 * (a child execution a workflow did not name is `~c:<parent>:<op>`, see
 * machine.ts childId), so no id a user gives can ever equal one of them: a
 * user execution can never be taken for somebody's child, nor the reverse.
 */
export const RESERVED_ID_PREFIX = '~';

/** Longest id accepted: ids go into store keys and job ids. */
export const MAX_ID_LENGTH = 512;

export class InvalidExecutionIdError extends TypeError {
  override name = 'InvalidExecutionIdError';
}

/** Throws InvalidExecutionIdError unless `id` is one a user may choose; `where` names the caller ("start", "startChild"). */
export function checkUserId(id: unknown, where: string): asserts id is string {
  if (typeof id !== 'string') throw new InvalidExecutionIdError(`${where}: the execution id must be a string, got ${id === null ? 'null' : typeof id}`);
  if (id === '') throw new InvalidExecutionIdError(`${where}: the execution id must not be empty`);
  if (id.startsWith(RESERVED_ID_PREFIX))
    throw new InvalidExecutionIdError(`${where}: execution id '${id}' starts with '${RESERVED_ID_PREFIX}', which reawait reserves for its own ids (children are '~c:<parent>:<op>'); choose an id that does not start with '${RESERVED_ID_PREFIX}'`);
  if (id.length > MAX_ID_LENGTH) throw new InvalidExecutionIdError(`${where}: the execution id is ${id.length} characters long; at most ${MAX_ID_LENGTH} are allowed`);
}
