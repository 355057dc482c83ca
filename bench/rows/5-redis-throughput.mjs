/**
 * Row 5 — durable throughput on Redis, against raw bee-queue on the same
 * private redis-server, same concurrency, in the same run (interleaved):
 *   (a) one workflow of N sequential activity steps   vs one chain of N jobs
 *   (b) one Promise.all of M activities               vs M jobs pushed at once
 *   (c) W concurrent workflows of 10 steps each       vs W chains of 10 jobs
 * Client, worker and anchor run in this process; the worker and the anchor
 * both serve `CONCURRENCY` jobs at once.
 */
import { rawChains, rawFanout } from '../lib/beequeue-anchor.mjs';
import { openRuntime, waitEndedRedis } from '../lib/durable.mjs';
import { median } from '../lib/measure.mjs';
import { info, startRedis } from '../lib/redis.mjs';

export const CONCURRENCY = 10;

export function sizes(smoke) {
  return smoke ? { steps: 30, fan: 200, flows: 20, flowSteps: 10, reps: 1 } : { steps: 1000, fan: 10_000, flows: 1000, flowSteps: 10, reps: 3 };
}

/** Time (ms) to start `args.length` executions of `wf` and see them all end. */
export async function timeExecutions(rt, wf, args, waitEnded) {
  const t0 = performance.now();
  const handles = await Promise.all(args.map((a) => rt.client.start(wf, a)));
  await waitEnded(handles.map((h) => h.id));
  const ms = performance.now() - t0;
  return { ms, handles };
}

/**
 * CPU spent by this process and by redis-server (when `redis` is given)
 * while `fn` runs: where the time of a row goes, without a profiler.
 */
export async function withCpu(redis, fn) {
  const redisCpu = async () => {
    if (!redis) return 0;
    const c = await info(redis, 'cpu');
    return (c.used_cpu_user + c.used_cpu_sys) * 1000;
  };
  const r0 = await redisCpu();
  const c0 = process.cpuUsage();
  const value = await fn();
  const c = process.cpuUsage(c0);
  return { value, nodeMs: (c.user + c.system) / 1000, redisMs: (await redisCpu()) - r0 };
}

const emptyCase = () => ({ reawait: [], anchor: [], cpu: { reawait: { nodeMs: 0, redisMs: 0, ms: 0 }, anchor: { nodeMs: 0, redisMs: 0, ms: 0 } } });

/** The three cases against their anchors, interleaved `reps` times; { case: { reawait: [ms], anchor: [ms], cpu } }. */
export async function measureThroughput(rt, waitEnded, anchorPort, s, redis, cases = ['a', 'b', 'c']) {
  const { chain, fanout } = rt.wf;
  const out = Object.fromEntries(cases.map((k) => [k, emptyCase()]));
  const record = (k, who, r, ms) => {
    const c = out[k].cpu[who];
    c.nodeMs += r.nodeMs;
    c.redisMs += r.redisMs;
    c.ms += ms;
    out[k][who].push(ms);
  };
  const mine = async (k, wf, args, want) => {
    if (!out[k]) return;
    const r = await withCpu(redis, () => timeExecutions(rt, wf, args, waitEnded));
    await check(r.value.handles, want);
    record(k, 'reawait', r, r.value.ms);
  };
  const theirs = async (k, fn) => {
    if (!anchorPort || !out[k]) return;
    const r = await withCpu(redis, fn);
    record(k, 'anchor', r, r.value);
  };
  const check = async (handles, want) => {
    for (const h of handles) {
      const v = await h.result();
      if (v !== want) throw new Error(`bench: execution ${h.id} returned ${v}, expected ${want}`);
    }
  };
  // Warm-up (JIT, script caches, connections): a fifth of each case, not measured.
  const warm = (n) => Math.max(10, Math.round(n / 5));
  await timeExecutions(rt, chain, [[warm(s.steps)]], waitEnded);
  await timeExecutions(rt, fanout, [[warm(s.fan)]], waitEnded);
  await timeExecutions(rt, chain, Array.from({ length: warm(s.flows) }, () => [s.flowSteps]), waitEnded);
  if (anchorPort) {
    await rawChains(anchorPort, { chains: 1, length: warm(s.steps), concurrency: CONCURRENCY });
    await rawFanout(anchorPort, { count: warm(s.fan), concurrency: CONCURRENCY });
    await rawChains(anchorPort, { chains: warm(s.flows), length: s.flowSteps, concurrency: CONCURRENCY });
  }
  for (let r = 0; r < s.reps; r++) {
    await mine('a', chain, [[s.steps]], s.steps);
    await theirs('a', () => rawChains(anchorPort, { chains: 1, length: s.steps, concurrency: CONCURRENCY }));
    await mine('b', fanout, [[s.fan]], s.fan);
    await theirs('b', () => rawFanout(anchorPort, { count: s.fan, concurrency: CONCURRENCY }));
    await mine('c', chain, Array.from({ length: s.flows }, () => [s.flowSteps]), s.flowSteps);
    await theirs('c', () => rawChains(anchorPort, { chains: s.flows, length: s.flowSteps, concurrency: CONCURRENCY }));
  }
  return out;
}

/** Table lines for the cases measured in `m` (a, b, c): throughput = units / median time. */
export function throughputLines(prefix, m, s, anchorName, what) {
  const units = { a: s.steps, b: s.fan, c: s.flows * s.flowSteps };
  const unit = { a: 'steps/s', b: 'acts/s', c: 'steps/s' };
  return Object.keys(m).map((k) => {
    const rw = units[k] / (median(m[k].reawait) / 1000);
    const an = m[k].anchor.length ? units[k] / (median(m[k].anchor) / 1000) : undefined;
    const runs = (xs) => xs.map((x) => x.toFixed(0)).join('/');
    // µs per unit of wall time, of this process's CPU and of redis-server's CPU, summed over the runs.
    const per = (c, n) => `${((c.ms * 1000) / n).toFixed(0)} µs wall, ${((c.nodeMs * 1000) / n).toFixed(0)} µs node CPU, ${((c.redisMs * 1000) / n).toFixed(0)} µs redis CPU`;
    const cpu = m[k].cpu;
    const perUnit = cpu ? `; per ${unit[k].split('/')[0].replace(/s$/, '')}: reawait ${per(cpu.reawait, units[k] * m[k].reawait.length)}` + (an ? `, ${anchorName} ${per(cpu.anchor, units[k] * m[k].anchor.length)}` : '') : '';
    const line = {
      id: `${prefix}${k}`,
      reawait: { value: rw, unit: unit[k] },
      note: `${what[k]}; median of ${m[k].reawait.length} runs: reawait ${runs(m[k].reawait)} ms` + (an ? `, ${anchorName} ${runs(m[k].anchor)} ms` : '') + perUnit,
      samples: m[k],
    };
    if (an !== undefined) Object.assign(line, { anchor: { name: anchorName, value: an, unit: unit[k] }, ratio: rw / an });
    return line;
  });
}

export default {
  row: 5,
  title: 'durable throughput on Redis',
  needs: ['redis runtime', 'redis-server'],
  lines: [
    { id: '5a', what: 'Redis: 1 workflow × 1,000 sequential steps vs raw bee-queue chain' },
    { id: '5b', what: 'Redis: 1 Promise.all of 10,000 activities vs raw bee-queue' },
    { id: '5c', what: 'Redis: 1,000 concurrent workflows × 10 steps vs raw bee-queue' },
  ],
  async run({ smoke }) {
    const s = sizes(smoke);
    const server = await startRedis();
    const rt = await openRuntime({ redis: server.url }, { concurrency: CONCURRENCY });
    try {
      const wait = (ids) => waitEndedRedis(server.redis, ids, { everyMs: ids.length > 10 ? 20 : 2 });
      const m = await measureThroughput(rt, wait, server.port, s, server.redis);
      const what = {
        a: `${s.steps} sequential steps; anchor: ${s.steps} bee-queue jobs, each handler pushing the next`,
        b: `Promise.all of ${s.fan.toLocaleString('en-US')}; anchor: ${s.fan.toLocaleString('en-US')} jobs pushed in batches of 2,000`,
        c: `${s.flows} workflows × ${s.flowSteps} steps started at once; anchor: ${s.flows} chains of ${s.flowSteps} jobs`,
      };
      return throughputLines('5', m, s, 'bee-queue', what).map((l) => ({ ...l, target: '≥ 50% (ratio ≥ 0.5)', ok: l.ratio >= 0.5 }));
    } finally {
      await rt.close();
      await server.stop();
    }
  },
};
