/**
 * Groups are plain data: the commands a suspended workflow waits for and the
 * mode that says when they are settled. settleGroup is a pure function of the
 * group and its settlements in completion order, so every store (in-memory,
 * embedded, Redis) settles a group exactly the same way.
 */
import type { FrameCall, Group, GroupItem, GroupMode, ResumeInput, Settlement } from './contract.js';
import { isCommand, isThenable } from './workflow.js';

export type AwaitClass =
  | { kind: 'frame'; call: FrameCall }
  | { kind: 'group'; group: Group }
  | { kind: 'memory'; promise: PromiseLike<unknown> }
  | { kind: 'value'; value: unknown };

/** A command or value slot as plain data (commands lose their brand and `then`, which are non-enumerable). */
function plainItem(item: GroupItem): GroupItem {
  return { ...item };
}

/**
 * What an awaited value means to the driver: a workflow call (push a frame),
 * a durable group (suspend), a foreign thenable (await it in memory, not
 * persisted) or a plain value (continue at once).
 */
export function classifyAwait(value: unknown): AwaitClass {
  if (isCommand(value)) {
    switch (value.kind) {
      case 'frame':
        return { kind: 'frame', call: { kind: 'frame', fn: value.fn, args: value.args } };
      case 'group':
        return { kind: 'group', group: { mode: value.mode, items: value.items.map(plainItem) } };
      default:
        return { kind: 'group', group: { mode: 'single', items: [plainItem(value)] } };
    }
  }
  if (isThenable(value)) return { kind: 'memory', promise: value };
  return { kind: 'value', value };
}

/**
 * When a group is settled, by mode (the rule every store applies; a Lua
 * script can count `settled`, `fulfilled` and `rejected` and test these):
 * - single:     1 settlement
 * - all:        the first rejection, or every item fulfilled
 * - allSettled: every item settled
 * - race:       the first settlement
 * - any:        the first fulfilment, or every item rejected
 */
export const READY_RULES: Readonly<Record<GroupMode, string>> = {
  single: 'settled >= 1',
  all: 'rejected >= 1 or fulfilled == n',
  allSettled: 'settled == n',
  race: 'settled >= 1',
  any: 'fulfilled >= 1 or rejected == n',
};

/** The ready rule as a predicate over counts (n = number of items). */
export function readyRule(mode: GroupMode): (counts: { n: number; fulfilled: number; rejected: number }) => boolean {
  switch (mode) {
    case 'single':
    case 'race':
      return (c) => c.fulfilled + c.rejected >= 1;
    case 'all':
      return (c) => c.rejected >= 1 || c.fulfilled === c.n;
    case 'allSettled':
      return (c) => c.fulfilled + c.rejected === c.n;
    case 'any':
      return (c) => c.fulfilled >= 1 || c.rejected === c.n;
  }
}

/** Settlements of the slots that are plain values: already fulfilled before anything runs. */
export function initialSettlements(group: Group): Settlement[] {
  const out: Settlement[] = [];
  group.items.forEach((item, index) => {
    if (item.kind === 'value') out.push({ index, ok: true, value: item.value });
  });
  return out;
}

function outcome(s: Settlement): ResumeInput {
  return s.ok ? { ok: true, value: s.value } : { ok: false, error: s.error };
}

/**
 * The value the workflow resumes with, or undefined while the group is not
 * settled. `settlements` is in completion order; a slot settled twice (a
 * duplicate delivery) counts once, first one wins.
 */
export function settleGroup(group: Group, settlements: readonly Settlement[]): ResumeInput | undefined {
  const n = group.items.length;
  const byIndex = new Map<number, Settlement>();
  for (const s of settlements) {
    if (!Number.isInteger(s.index) || s.index < 0 || s.index >= n)
      throw new RangeError(`settlement for slot ${s.index} of a group of ${n} items`);
    if (!byIndex.has(s.index)) byIndex.set(s.index, s);
  }
  const ordered = [...byIndex.values()]; // completion order, duplicates dropped
  const all = byIndex.size === n;
  switch (group.mode) {
    case 'single':
    case 'race':
      return ordered[0] ? outcome(ordered[0]) : undefined;
    case 'all': {
      const rejected = ordered.find((s) => !s.ok);
      if (rejected) return outcome(rejected);
      return all ? { ok: true, value: group.items.map((_, i) => byIndex.get(i)!.value) } : undefined;
    }
    case 'allSettled':
      return all
        ? {
            ok: true,
            value: group.items.map((_, i) => {
              const s = byIndex.get(i)!;
              return s.ok ? { status: 'fulfilled', value: s.value } : { status: 'rejected', reason: s.error };
            }),
          }
        : undefined;
    case 'any': {
      const fulfilled = ordered.find((s) => s.ok);
      if (fulfilled) return outcome(fulfilled);
      return all
        ? { ok: false, error: new AggregateError(group.items.map((_, i) => byIndex.get(i)!.error), 'All promises were rejected') }
        : undefined;
    }
  }
}
