/**
 * The anchor of the durable-throughput rows: raw bee-queue on the same Redis,
 * with the settings reawait's own queue uses (no events, no stored jobs,
 * removed on success, deterministic job ids) and the same concurrency. The
 * handlers call the same in-memory activities, so the difference between a
 * row and its anchor is what reawait adds: the store's transitions and the
 * resume hop.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './paths.mjs';
import * as activities from './activities.mjs';

const require = createRequire(path.join(ROOT, 'package.json'));
const BeeQueue = require('bee-queue');

let n = 0;

/** A fresh bee-queue queue on `port` serving `handler` with `concurrency`. */
async function openQueue(port, concurrency, handler) {
  const q = new BeeQueue(`raw-${process.pid}-${++n}`, {
    prefix: 'bench:bq',
    redis: { host: '127.0.0.1', port },
    isWorker: true,
    getEvents: false,
    sendEvents: false,
    storeJobs: false,
    removeOnSuccess: true,
    removeOnFailure: true,
    activateDelayedJobs: false,
  });
  q.on('error', (e) => process.stderr.write(`bench bee-queue: ${e.message}\n`));
  q.process(concurrency, handler);
  await q.ready();
  return q;
}

async function saveAll(q, jobs) {
  for (let i = 0; i < jobs.length; i += 2000) {
    const errors = await q.saveAll(jobs.slice(i, i + 2000));
    const first = errors.values().next();
    if (!first.done) throw first.value;
  }
}

/**
 * `chains` chains of `length` sequential jobs, each job's handler pushing the
 * next one (what a sequential workflow is, minus reawait). Resolves to the ms
 * from the first push to the last job's end.
 */
export async function rawChains(port, { chains, length, concurrency }) {
  let ended = 0;
  let finish;
  const done = new Promise((r) => (finish = r));
  const q = await openQueue(port, concurrency, async (job) => {
    const { c, i } = job.data;
    await activities.inc(i);
    if (i + 1 < length) await q.createJob({ c, i: i + 1 }).setId(`${c}:${i + 1}`).save();
    else if (++ended === chains) finish(performance.now());
  });
  const start = performance.now();
  await saveAll(
    q,
    Array.from({ length: chains }, (_, c) => q.createJob({ c, i: 0 }).setId(`${c}:0`)),
  );
  const end = await done;
  await q.close(2000).catch(() => {});
  return end - start;
}

/** `count` independent jobs pushed at once (what one Promise.all is, minus reawait); ms until all ended. */
export async function rawFanout(port, { count, concurrency }) {
  let ended = 0;
  let finish;
  const done = new Promise((r) => (finish = r));
  const q = await openQueue(port, concurrency, async (job) => {
    await activities.step(job.data.i);
    if (++ended === count) finish(performance.now());
  });
  const start = performance.now();
  await saveAll(
    q,
    Array.from({ length: count }, (_, i) => q.createJob({ i }).setId(`f:${i}`)),
  );
  const end = await done;
  await q.close(2000).catch(() => {});
  return end - start;
}
