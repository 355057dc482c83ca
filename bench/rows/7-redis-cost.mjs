/**
 * Row 7 — what reawait costs Redis.
 * (a, b) Commands and round trips per activity step, from INFO commandstats /
 *   INFO stats deltas: a sequential workflow of N2 steps minus one of N1
 *   steps, divided by N2 − N1 (so starting and ending cancel out), against a
 *   raw bee-queue chain measured the same way. Commands inside Lua scripts
 *   count (Redis counts them); round trips are the server's socket reads.
 * (c) Redis memory per idle waiting execution (waiting on a signal): INFO
 *   used_memory delta over 100,000 executions, extrapolated to 1,000,000.
 *   They are created through the store's own transitions (create + commit
 *   of the first suspension, exactly what start + the first step write),
 *   1,000 at a time, with the state the compiled workflow really suspends
 *   with; 1,000 more go through Client + Worker to check the shortcut
 *   stores the same thing.
 */
import { randomUUID } from 'node:crypto';
import { rawChains } from '../lib/beequeue-anchor.mjs';
import { openRuntime, waitEndedRedis } from '../lib/durable.mjs';
import { distUrl } from '../lib/paths.mjs';
import { commandCalls, info, startRedis } from '../lib/redis.mjs';

async function snapshot(redis) {
  const calls = await commandCalls(redis);
  const stats = await info(redis, 'stats');
  return { calls, reads: stats.total_reads_processed };
}

function delta(a, b) {
  const calls = {};
  for (const [k, v] of Object.entries(b.calls)) {
    const d = v - (a.calls[k] ?? 0);
    if (d) calls[k] = d;
  }
  return { calls, reads: b.reads - a.reads };
}

/** Per-unit difference of two deltas measured at sizes n1 < n2, minus the bench's own polling. */
function perUnit(d1, d2, n1, n2) {
  const calls = {};
  for (const k of new Set([...Object.keys(d1.calls), ...Object.keys(d2.calls)])) calls[k] = ((d2.calls[k] ?? 0) - (d1.calls[k] ?? 0)) / (n2 - n1);
  delete calls.info; // our own snapshots
  const total = Object.values(calls).reduce((s, x) => s + x, 0);
  return { calls, total, reads: (d2.reads - d1.reads) / (n2 - n1) };
}

const top = (calls, k = 8) =>
  Object.entries(calls)
    .filter(([, v]) => v > 0.05)
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([c, v]) => `${c} ${v.toFixed(1)}`)
    .join(', ');

async function reawaitStepCost(server, rt, n1, n2) {
  const measure = async (n) => {
    const before = await snapshot(server.redis);
    const h = await rt.client.start(rt.wf.chain, [n]);
    // One HGET per poll: subtracted below.
    const polls = await waitEndedRedis(server.redis, [h.id], { everyMs: 5 });
    const d = delta(before, await snapshot(server.redis));
    d.calls.hget -= polls;
    d.reads -= polls;
    return d;
  };
  await measure(5); // warm-up
  return perUnit(await measure(n1), await measure(n2), n1, n2);
}

async function anchorStepCost(server, n1, n2) {
  const measure = async (n) => {
    const before = await snapshot(server.redis);
    await rawChains(server.port, { chains: 1, length: n, concurrency: 10 });
    return delta(before, await snapshot(server.redis));
  };
  await measure(5);
  return perUnit(await measure(n1), await measure(n2), n1, n2);
}

/** The state and suspension an `idle` execution commits at its first step (computed by the real machine). */
async function idleSuspension(rt, tag) {
  const { advance, initialState } = await import(distUrl('runtime/machine.js'));
  const { encodeState } = await import(distUrl('runtime/state-codec.js'));
  const { workflowRecord } = await import(distUrl('runtime/workflow.js'));
  const record = workflowRecord(rt.wf.idle);
  const step = await advance(initialState(record), { start: [tag] });
  if (step.kind !== 'suspended') throw new Error(`bench: idle workflow did not suspend (${step.kind})`);
  return {
    meta: record.meta,
    suspension: {
      workflow: record.meta.name,
      state: encodeState(step.state),
      version: record.meta.version,
      at: step.at,
      started: step.effects.started.map(({ op, cmd }) => (cmd.kind === 'signal' ? { op, signal: cmd.name } : { op })),
      consumed: [],
      dropped: [],
      outbox: '',
      watches: step.watches,
      cancelDelivered: false,
    },
  };
}

async function usedMemory(redis) {
  return (await info(redis, 'memory')).used_memory;
}

async function waitingCount(redis, ids) {
  const pipe = redis.pipeline();
  for (const id of ids) pipe.hget(`reawait:{${id}}:x`, 'status');
  return (await pipe.exec()).filter(([, s]) => s === 'waiting').length;
}

async function memoryPerWaiting(server, rt, count, calibrate) {
  const { RedisStore } = await import(distUrl('runtime/redis/redis-store.js'));
  const { encodeValue } = await import(distUrl('runtime/codec.js'));
  const redis = server.redis;

  // Through Client + Worker: the reference.
  let m0 = await usedMemory(redis);
  const real = [];
  for (let i = 0; i < calibrate; i += 500) {
    const hs = await Promise.all(Array.from({ length: Math.min(500, calibrate - i) }, (_, j) => rt.client.start(rt.wf.idle, [i + j])));
    real.push(...hs.map((h) => h.id));
  }
  for (const deadline = Date.now() + 120_000; (await waitingCount(redis, real)) < real.length; ) {
    if (Date.now() > deadline) throw new Error('bench: the calibration executions did not all reach their signal wait');
    await new Promise((r) => setTimeout(r, 50));
  }
  const perReal = ((await usedMemory(redis)) - m0) / calibrate;

  // Through the store's transitions, pipelined.
  const store = new RedisStore(redis, { prefix: 'reawait', ownsClient: false });
  const { meta, suspension } = await idleSuspension(rt, 1);
  m0 = await usedMemory(redis);
  const t0 = performance.now();
  const BATCH = 1000;
  let sample;
  for (let i = 0; i < count; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - i) }, async (_, j) => {
        const id = randomUUID();
        sample ??= id;
        const now = Date.now();
        await store.create({ id, workflow: meta.name, version: meta.version, args: encodeValue([i + j]) });
        const outcome = await store.commitSuspension(id, 0, suspension, { t: now, type: 'suspended', fn: suspension.at.fn, file: suspension.at.file, line: suspension.at.line });
        if (outcome !== 'waiting') throw new Error(`bench: commitSuspension returned ${outcome}`);
      }),
    );
  }
  const seconds = (performance.now() - t0) / 1000;
  const perBulk = ((await usedMemory(redis)) - m0) / count;

  // What one waiting execution holds, key by key.
  const keys = ['x', 'v', 'h'].map((k) => `reawait:{${sample}}:${k}`);
  const usage = await Promise.all(keys.map((k) => redis.call('MEMORY', 'USAGE', k, 'SAMPLES', '0')));
  const fieldsReal = Object.keys(await redis.hgetall(`reawait:{${real[0]}}:x`)).sort().join(',');
  const fieldsBulk = Object.keys(await redis.hgetall(keys[0])).sort().join(',');
  if (fieldsReal !== fieldsBulk) throw new Error(`bench: bulk-created executions differ from real ones (fields ${fieldsBulk} vs ${fieldsReal})`);
  const stateBytes = await redis.strlen(keys[1]);
  const encoding = await redis.call('OBJECT', 'ENCODING', keys[0]);
  return { perReal, perBulk, seconds, usage, stateBytes, encoding, historyLen: await redis.llen(keys[2]) };
}

async function withRedis(extraArgs, body) {
  const server = await startRedis(extraArgs);
  const rt = await openRuntime({ redis: server.url });
  try {
    return await body(server, rt);
  } finally {
    await rt.close();
    await server.stop();
  }
}

export default {
  row: 7,
  title: 'Redis cost',
  needs: ['redis runtime', 'redis-server'],
  lines: [
    { id: '7a', what: 'Redis commands per activity step (incl. inside Lua) vs bee-queue job' },
    { id: '7b', what: 'Redis round trips per activity step vs bee-queue job' },
    { id: '7c', what: 'Redis memory per idle waiting execution (100k measured, → 1M)' },
  ],
  async run({ smoke }) {
    const [n1, n2] = smoke ? [10, 40] : [50, 550];
    const count = smoke ? 2_000 : 100_000;
    const calibrate = smoke ? 200 : 1_000;
    return withRedis([], async (server, rt) => {
      const rw = await reawaitStepCost(server, rt, n1, n2);
      const an = await anchorStepCost(server, n1, n2);
      const mem = await memoryPerWaiting(server, rt, count, calibrate);
      const mib1M = (mem.perBulk * 1_000_000) / 2 ** 20;
      return [
        {
          id: '7a',
          reawait: { value: rw.total, unit: 'cmds' },
          anchor: { name: 'bee-queue job', value: an.total, unit: 'cmds' },
          ratio: rw.total / an.total,
          target: null,
          ok: null,
          note: `per step, (${n2} − ${n1})-step difference: ${top(rw.calls)}; bee-queue per job: ${top(an.calls)}.`,
          calls: { reawait: rw.calls, anchor: an.calls },
        },
        {
          id: '7b',
          reawait: { value: rw.reads, unit: 'RTs' },
          anchor: { name: 'bee-queue job', value: an.reads, unit: 'RTs' },
          ratio: rw.reads / an.reads,
          target: null,
          ok: null,
          note: `round trips = INFO stats total_reads_processed delta per step (pipelined commands arrive in one read); EVALSHA per step: ${(rw.calls.evalsha ?? 0).toFixed(1)}.`,
        },
        {
          id: '7c',
          reawait: { value: mem.perBulk, unit: 'B' },
          target: '≤ 1 KiB',
          ok: mem.perBulk <= 1024,
          note:
            `${count.toLocaleString('en-US')} waiting executions created in ${mem.seconds.toFixed(1)} s; → ${mib1M.toFixed(0)} MiB for 1,000,000. ` +
            `${calibrate} started through Client + Worker: ${mem.perReal.toFixed(0)} B each. ` +
            `MEMORY USAGE of one: record hash ${mem.usage[0]} B (${mem.encoding}), state string ${mem.usage[1]} B (${mem.stateBytes} B of state), history list ${mem.usage[2]} B (${mem.historyLen} events); the other ${(mem.perBulk - mem.usage.reduce((a, b) => a + b, 0)).toFixed(0)} B are its entry in the 'all' index and the keyspace's per-key overhead.`,
          memory: mem,
        },
      ];
    });
  },
};
