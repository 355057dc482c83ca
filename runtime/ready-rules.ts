/**
 * When a multi-op watch fires (watches.ts): the ready rule of each mode over
 * counts, the one rule every store applies (the Lua scripts carry the same
 * rule in lib.lua group_ready; keep them together):
 * - single / race: 1 settlement
 * - all:           the first rejection, or every item fulfilled
 * - allSettled:    every item settled
 * - any:           the first fulfilment, or every item rejected
 */
import type { GroupMode } from './contract.js';

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
