/**
 * Row 8 — the embedded backend (no Redis: state in a local folder): the same
 * measurements as 5(a) and 5(b), against the same anchor, raw bee-queue on a
 * private redis-server (when there is one), interleaved in this process.
 */
import { embeddedOptions } from '../lib/deps.mjs';
import { openRuntime, waitEndedClient } from '../lib/durable.mjs';
import { scratchDir } from '../lib/paths.mjs';
import { startRedis } from '../lib/redis.mjs';
import { CONCURRENCY, measureThroughput, sizes, throughputLines } from './5-redis-throughput.mjs';
import { spawnSync } from 'node:child_process';

export default {
  row: 8,
  title: 'embedded backend',
  needs: ['embedded backend'],
  lines: [
    { id: '8a', what: 'embedded: 1 workflow × 1,000 sequential steps vs raw bee-queue chain' },
    { id: '8b', what: 'embedded: 1 Promise.all of 10,000 activities vs raw bee-queue' },
  ],
  async run({ smoke }) {
    const s = sizes(smoke);
    const haveRedis = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
    const server = haveRedis ? await startRedis() : undefined;
    const rt = await openRuntime(await embeddedOptions(scratchDir('embedded')), { concurrency: CONCURRENCY });
    try {
      const wait = (ids) => waitEndedClient(rt.client, ids, { everyMs: 2 });
      const m = await measureThroughput(rt, wait, server?.port, s, undefined, ['a', 'b']);
      const what = {
        a: `${s.steps} sequential steps, state in a local folder; anchor: ${s.steps} bee-queue jobs on Redis, each handler pushing the next`,
        b: `Promise.all of ${s.fan.toLocaleString('en-US')}, state in a local folder; anchor: ${s.fan.toLocaleString('en-US')} bee-queue jobs on Redis`,
      };
      return throughputLines('8', m, s, 'bee-queue', what).map((l) => (l.anchor ? { ...l, target: '≥ 50% (ratio ≥ 0.5)', ok: l.ratio >= 0.5 } : { ...l, target: null, ok: null }));
    } finally {
      await rt.close();
      await server?.stop();
    }
  },
};
