/**
 * Probe (not a bench row): one embedded chain of N sequential steps (row 8a's
 * workflow), after a warm-up of 300; prints wall and process CPU per step
 * and SQLite statements per step (./statements.mjs).
 * Run after `npm run build`: `node bench/probe/chain.mjs 2000`; with
 * `node --cpu-prof` for a profile; `SYNC=NORMAL` for the CPU alone (no
 * step waits for a sync); `STATEMENTS=time` for each statement's µs a step. The machine's disk latency swings within
 * minutes: compare two builds by alternating runs and taking medians.
 */
import { embeddedOptions } from '../lib/deps.mjs';
import { openRuntime, waitEndedClient } from '../lib/durable.mjs';
import { scratchDir } from '../lib/paths.mjs';
import { counter, report, resetBy } from './statements.mjs';

const n = Number(process.argv[2] ?? 3000);
const options = await embeddedOptions(scratchDir('probe-chain'));
const rt = await openRuntime(process.env.SYNC ? { ...options, synchronous: process.env.SYNC } : options, { concurrency: 10 });
const run = async (k) => {
  const h = await rt.client.start(rt.wf.chain, [k]);
  await waitEndedClient(rt.client, [h.id], { everyMs: 2 });
};
await run(300);
const t0 = performance.now();
const c0 = process.cpuUsage();
const s0 = counter.n;
resetBy();
await run(n);
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
console.log(`${n} steps ${ms.toFixed(0)} ms = ${((ms * 1000) / n).toFixed(0)} µs/step; cpu ${((c.user + c.system) / n).toFixed(0)} µs/step (user ${(c.user / n).toFixed(0)} sys ${(c.system / n).toFixed(0)}); ${((counter.n - s0) / n).toFixed(2)} statements/step`);
report(n);
await rt.close();
