/**
 * Probe (not a bench row): the SQLite store's own transactions of one
 * sequential step (beginSettled, then a commit carrying the settlement and
 * queueing the next call), N times in a loop with no engine: what the store
 * alone costs a step, and the statements it runs (./statements.mjs). INLINE=1 syncs on the event loop as a worker running
 * one job does. Run after `npm run build`: `INLINE=1 node bench/probe/store-loop.mjs 2000`.
 */
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { distUrl } from '../lib/paths.mjs';
import { counter, report, resetBy } from './statements.mjs';
const { openDatabase } = await import(distUrl('runtime/sqlite/database.js'));
const { SqliteStore } = await import(distUrl('runtime/sqlite/sqlite-store.js'));
const { SqliteQueue } = await import(distUrl('runtime/sqlite/sqlite-queue.js'));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reawait-probe-store-'));
const d = openDatabase({ file: path.join(dir, 'reawait.db') });
const queue = new SqliteQueue(d, { pollMs: 60_000 });
const store = new SqliteStore(d, { queue }); if (process.env.INLINE) d.idle = () => true;
const id = 'exec-' + Math.random().toString(36).slice(2);
await store.create({ id, workflow: 'chain', version: 'v1', args: '[1000]' });
const AT = { fn: 'chain', version: 'v1', pc: 1, file: 'bench/durable.ts', line: 9, column: 2, depth: 1 };
const state = (i) => JSON.stringify({ v: 2, workflow: 'chain', version: 'v1', fibers: [{ pc: 3 }], data: [[i, 1000, i], { pad: 'x'.repeat(200) }] });
const job = (op) => ({ executionId: id, op, activity: 'inc', args: `[${op}]`, options: {} });
const susp = (i, consumed) => ({ workflow: 'chain', state: state(i), version: 'v1', at: AT, started: [{ op: i + 1 }], consumed, dropped: [], outbox: '', watches: { tokens: [[i + 1, '*']], set: [], unset: [], empty: false }, cancelDelivered: false, jobs: { activities: [job(i + 1)], timers: [] } });
const ev = (type, x = {}) => ({ t: Date.now(), type, ...x });
await store.commitSuspension(id, 0, susp(0, []), [ev('suspended')]);
const n = Number(process.argv[2] ?? 2000);
const t0 = performance.now();
const s0 = counter.n;
resetBy();
for (let i = 1; i <= n; i++) {
  await store.beginSettled(id, i, true, `[${i}]`, () => true);
  const s = { ...susp(i, [i]), settles: { op: i, ok: true, payload: `[${i}]`, event: ev('call completed', { op: i, activity: 'inc' }) } };
  const out = await store.commitSuspension(id, i, s, [ev('resumed', { rev: i, settlements: 1 }), ev('suspended', { fn: 'chain', file: 'bench/durable.ts', line: 9 }), ev('dispatched', { calls: 1, timers: 0, children: 0 })]);
  if (out !== 'waiting') throw new Error(out);
}
console.log(`${n} store steps: ${((performance.now() - t0) * 1000 / n).toFixed(0)} µs/step, ${((counter.n - s0) / n).toFixed(2)} statements/step`);
report(n);
await store.close();
fs.rmSync(dir, { recursive: true, force: true });
