/**
 * Counts the SQLite statements this process runs (every prepared statement's
 * run/get/all/iterate, BEGIN and COMMIT included; pragmas and exec() not):
 * a deterministic measure of a change to the store, where timings on a
 * shared VM swing 2x. Import before opening a database.
 */
import Database from 'better-sqlite3';

const proto = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1'));
/** `n` statements run; `by` counts them by SQL text when STATEMENTS=1 (print with `report()`). */
export const counter = { n: 0, by: process.env.STATEMENTS === '1' ? new Map() : undefined };
for (const name of ['run', 'get', 'all', 'iterate']) {
  const original = proto[name];
  proto[name] = function (...args) {
    counter.n++;
    counter.by?.set(this.source, (counter.by.get(this.source) ?? 0) + 1);
    return original.apply(this, args);
  };
}

/** The statements counted by SQL text, most run first, per `steps` (STATEMENTS=1). */
export function report(steps) {
  if (!counter.by) return;
  for (const [sql, k] of [...counter.by].sort((a, b) => b[1] - a[1])) console.log(`${(k / steps).toFixed(2).padStart(7)}  ${sql.replace(/\s+/g, ' ').slice(0, 150)}`);
}
