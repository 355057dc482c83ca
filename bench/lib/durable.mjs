/**
 * The durable bench workflows and a harness around Client + Worker in this
 * process: compile the workflows once, open a client and a worker on a
 * backend (Redis or embedded), and wait for executions to end without the
 * client's backing-off result() poll (its up-to-200 ms sleeps would be
 * measured as workflow time).
 */
import { importCompiled } from './compile-tmp.mjs';
import { distUrl } from './paths.mjs';
import { withActivities } from './sources.mjs';
import * as activities from './activities.mjs';

export const DURABLE_SOURCE = `
/** n sequential activity steps. */
export async function chain(n: number): Promise<number> {
  'use workflow';
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = await inc(acc);
  }
  return acc;
}

/** One Promise.all of n activities. */
export async function fanout(n: number): Promise<number> {
  'use workflow';
  const xs = await Promise.all(Array.from({ length: n }, (_, i) => step(i)));
  return xs.length;
}

/** n steps, then 'rounds' times: wait for signal 'go', then call stamp (its run time marks the resume). */
export async function resumeAfter(n: number, rounds: number): Promise<number> {
  'use workflow';
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc = await inc(acc);
  }
  for (let r = 0; r < rounds; r++) {
    await signal('go');
    await stamp(r);
  }
  return acc;
}

/** Three sequential steps: one fiber of row 9. */
async function fiberSteps(i: number): Promise<number> {
  'use workflow';
  let acc = await inc(i);
  acc = await inc(acc);
  return await inc(acc);
}

/** n fibers of three sequential steps each, awaited together. */
export async function fibers(n: number): Promise<number> {
  'use workflow';
  const xs = await Promise.all(Array.from({ length: n }, (_, i) => fiberSteps(i)));
  return xs.length;
}

/** The same 3n calls as flat groups: three Promise.all of n activities, one after the other. */
export async function flatGroups(n: number): Promise<number> {
  'use workflow';
  let xs = Array.from({ length: n }, (_, i) => i);
  for (let r = 0; r < 3; r++) xs = await Promise.all(xs.map((x) => inc(x)));
  return xs.length;
}

/** Waits for signal 'go' once: an idle waiting execution. */
export async function idle(tag: number): Promise<number> {
  'use workflow';
  const v = await signal('go');
  return tag + (v as number);
}
`;

let compiled;
/** The compiled DURABLE_SOURCE module (registered once per process). */
export async function durableWorkflows() {
  if (!compiled) {
    const src = withActivities(DURABLE_SOURCE, ['inc', 'step', 'stamp'], 'compiled').replace(
      /^import \{ proxyActivities \} from '([^']+)';/m,
      "import { proxyActivities, signal } from '$1';",
    );
    compiled = await importCompiled(src, 'durable');
  }
  return compiled;
}

/** Open a Client and a running Worker on `backendOptions` ({ redis } or { backend }). */
export async function openRuntime(backendOptions, { concurrency = 10 } = {}) {
  const { Client, Worker } = await import(distUrl('runtime/index.js'));
  const wf = await durableWorkflows();
  const client = new Client(backendOptions);
  const worker = new Worker({
    ...backendOptions,
    workflows: [wf],
    activities,
    concurrency,
    // The sweep only re-pushes what a crash dropped; keep it out of the timings.
    sweepIntervalMs: 0,
    onError: (e, where) => process.stderr.write(`bench worker: ${where}: ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await worker.run();
  return {
    client,
    worker,
    wf,
    async close() {
      await worker.close(2000).catch(() => {});
      await client.close().catch(() => {});
    },
  };
}

/**
 * Wait until every id in `ids` has ended, reading its status straight from
 * the Redis store hash (`<prefix>:{id}:x`) every `everyMs`, a few ids at a
 * time: the first ones still running hold the wait, so polling costs a few
 * commands per poll instead of one per running execution (with 1,000
 * executions running, polling them all every 5 ms would cost Redis and this
 * process more than the executions themselves, and the anchor pays nothing
 * like it). Returns the number of polling round trips it made (row 7
 * subtracts them).
 */
export async function waitEndedRedis(redis, ids, { prefix = 'reawait', everyMs = 5, timeoutMs = 300_000, window = 8 } = {}) {
  let left = [...ids];
  let polls = 0;
  const deadline = Date.now() + timeoutMs;
  while (left.length) {
    const batch = left.slice(0, window);
    const pipe = redis.pipeline();
    for (const id of batch) pipe.hget(`${prefix}:{${id}}:x`, 'status');
    const rows = await pipe.exec();
    polls++;
    const bad = [];
    const running = new Set(
      batch.filter((id, i) => {
        const s = rows[i][1];
        if (s === 'failed' || s === 'cancelled') bad.push(`${id}: ${s}`);
        return !(s === 'completed' || s === 'failed' || s === 'cancelled');
      }),
    );
    if (bad.length) throw new Error(`bench: executions ended badly: ${bad.slice(0, 3).join(', ')}`);
    left = [...batch.filter((id) => running.has(id)), ...left.slice(window)];
    if (!left.length) break;
    if (Date.now() > deadline) throw new Error(`bench: ${left.length} executions did not end within ${timeoutMs / 1000} s`);
    if (running.size) await new Promise((r) => setTimeout(r, everyMs));
  }
  return polls;
}

/**
 * Wait for ids to end through the public API (any backend), polling their
 * status (not their state) every `everyMs`, or every hundredth of the time
 * waited so far once that is longer (at most `maxMs`): the end is seen
 * within about 1% of the time measured, and the polls, which run in this
 * process beside the worker, cost next to nothing in a long run.
 */
export async function waitEndedClient(client, ids, { everyMs = 5, maxMs = 50, timeoutMs = 300_000 } = {}) {
  const handles = await Promise.all(ids.map((id) => client.get(id)));
  const t0 = Date.now();
  const deadline = t0 + timeoutMs;
  // result() polls with back-off; a short timeout turns it into a quick check.
  const pending = new Set(handles);
  while (pending.size) {
    for (const h of [...pending]) {
      try {
        await h.result({ timeoutMs: 0 });
        pending.delete(h);
      } catch (e) {
        if (e?.name !== 'ExecutionTimeoutError') throw e;
      }
    }
    if (!pending.size) break;
    if (Date.now() > deadline) throw new Error(`bench: ${pending.size} executions did not end within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, Math.min(maxMs, Math.max(everyMs, (Date.now() - t0) / 100))));
  }
}
