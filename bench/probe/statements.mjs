/**
 * Counts the SQLite statements this process runs (every prepared statement's
 * run/get/all/iterate, BEGIN and COMMIT included; pragmas and exec() not):
 * a deterministic measure of a change to the store, where timings on a
 * shared VM swing 2x. Import before opening a database.
 * STATEMENTS=1: also count them by SQL text; STATEMENTS=time: and time each
 * (wall µs inside better-sqlite3, so a COMMIT includes its WAL writes and,
 * with synchronous FULL, nothing of the sync, which runs after it).
 */
import Database from 'better-sqlite3';

const proto = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1'));
const mode = process.env.STATEMENTS;
/** `n` statements run; `by` counts them by SQL text, `ns` their time (see above; print with `report()`). */
export const counter = { n: 0, by: mode === '1' || mode === 'time' ? new Map() : undefined, ns: mode === 'time' ? new Map() : undefined };
for (const name of ['run', 'get', 'all', 'iterate']) {
  const original = proto[name];
  proto[name] = function (...args) {
    counter.n++;
    counter.by?.set(this.source, (counter.by.get(this.source) ?? 0) + 1);
    if (!counter.ns) return original.apply(this, args);
    const t0 = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      counter.ns.set(this.source, (counter.ns.get(this.source) ?? 0n) + (process.hrtime.bigint() - t0));
    }
  };
}

/** Forget what was counted by SQL text (after a warm-up). */
export function resetBy() {
  counter.by?.clear();
  counter.ns?.clear();
}

/** The statements counted by SQL text, most run first, per `steps` (STATEMENTS=1), with µs per step (STATEMENTS=time). */
export function report(steps) {
  if (!counter.by) return;
  for (const [sql, k] of [...counter.by].sort((a, b) => b[1] - a[1])) {
    const ns = counter.ns?.get(sql);
    const us = ns === undefined ? '' : `${(Number(ns) / 1000 / steps).toFixed(1).padStart(7)} µs`;
    console.log(`${(k / steps).toFixed(2).padStart(7)}${us}  ${sql.replace(/\s+/g, ' ').slice(0, 150)}`);
  }
  if (counter.ns) console.log(`${''.padStart(7)}${(Number([...counter.ns.values()].reduce((a, b) => a + b, 0n)) / 1000 / steps).toFixed(1).padStart(7)} µs  all statements`);
}
