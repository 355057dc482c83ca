/**
 * Row 9 — fibers (issue 11): one workflow running F fibers of three
 * sequential activity calls each (F = 10, 100, 1,000), against the same 3F
 * calls as three flat Promise.all groups, on Redis, in the same run. The
 * figure is wall time per completed call; the target: flat as F grows, and
 * within 2× of the flat groups. The largest state is measured on the same
 * workflow through runWorkflow (every suspension encoded).
 */
import { distUrl } from '../lib/paths.mjs';
import { openRuntime, waitEndedRedis } from '../lib/durable.mjs';
import { median } from '../lib/measure.mjs';
import { startRedis } from '../lib/redis.mjs';
import * as activities from '../lib/activities.mjs';
import { CONCURRENCY, timeExecutions } from './5-redis-throughput.mjs';

const FULL = [10, 100, 1000];
const SMOKE = [5, 10, 20];

export default {
  row: 9,
  title: 'fibers',
  needs: ['redis runtime', 'redis-server', 'runWorkflow'],
  lines: FULL.map((f, i) => ({ id: `9${'abc'[i]}`, what: `Redis: ${f.toLocaleString('en-US')} fibers × 3 sequential calls vs 3 flat groups of ${f.toLocaleString('en-US')}` })),
  async run({ smoke }) {
    const sizes = smoke ? SMOKE : FULL;
    const reps = smoke ? 1 : 3;
    const server = await startRedis();
    const rt = await openRuntime({ redis: server.url }, { concurrency: CONCURRENCY });
    const { runWorkflow } = await import(distUrl('runtime/testing.js'));
    try {
      const wait = (ids) => waitEndedRedis(server.redis, ids, { everyMs: 2 });
      const { fibers, flatGroups } = rt.wf;
      await timeExecutions(rt, fibers, [[20]], wait); // warm-up
      await timeExecutions(rt, flatGroups, [[20]], wait);
      const lines = [];
      for (const [i, f] of sizes.entries()) {
        const mine = [];
        const theirs = [];
        for (let r = 0; r < reps; r++) {
          mine.push((await timeExecutions(rt, fibers, [[f]], wait)).ms);
          theirs.push((await timeExecutions(rt, flatGroups, [[f]], wait)).ms);
        }
        const calls = 3 * f;
        const per = (ms) => (ms * 1000) / calls;
        const { maxStateBytes, suspensions } = await runWorkflow(fibers, [f], { activities });
        const m = per(median(mine));
        const a = per(median(theirs));
        lines.push({
          id: `9${'abc'[i]}`,
          reawait: { value: m, unit: 'µs/call' },
          anchor: { name: 'flat groups', value: a, unit: 'µs/call' },
          ratio: m / a,
          target: '≤ 2×',
          ok: m / a <= 2,
          note: `${f} fibers × 3 calls: median of ${reps} runs ${mine.map((x) => x.toFixed(0)).join('/')} ms; 3 flat groups of ${f}: ${theirs.map((x) => x.toFixed(0)).join('/')} ms; largest state ${maxStateBytes.toLocaleString('en-US')} B over ${suspensions} suspensions (runWorkflow)`,
        });
      }
      return lines;
    } finally {
      await rt.close();
      await server.stop();
    }
  },
};
