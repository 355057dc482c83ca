/**
 * Row 6 — resume cost against history. Three executions run 10, 1,000 and
 * 10,000 activity steps, then wait for signal 'go'. Each round signals one of
 * them and times until the activity after the signal starts (signal commit,
 * resume job, resume step: load state, run, commit, push the call; then the
 * call's pickup). Rounds are interleaved across the three, median per
 * execution. A replay engine re-runs the history here, so its figure grows
 * with the step count; reawait loads only the live state.
 */
import { openRuntime } from '../lib/durable.mjs';
import { median } from '../lib/measure.mjs';
import { startRedis } from '../lib/redis.mjs';
import { stampLog } from '../lib/activities.mjs';


/** Wait until execution `id` waits (status 'waiting') at revision ≥ rev. */
async function waitingAt(redis, id, rev, timeoutMs = 300_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [status, r] = await redis.hmget(`reawait:{${id}}:x`, 'status', 'rev');
    if (status === 'failed') throw new Error(`bench: execution ${id} failed`);
    if (status === 'waiting' && Number(r) >= rev) return Number(r);
    if (Date.now() > deadline) throw new Error(`bench: execution ${id} did not reach rev ${rev} (at ${r}, ${status})`);
    await new Promise((res) => setTimeout(res, 2));
  }
}

export default {
  row: 6,
  title: 'resume cost against history',
  needs: ['redis runtime', 'redis-server'],
  lines: [
    { id: '6a', what: 'Redis: one resume after 1,000 steps vs after 10 steps' },
    { id: '6b', what: 'Redis: one resume after 10,000 steps vs after 10 steps' },
  ],
  async run({ smoke }) {
    const counts = smoke ? [10, 100, 300] : [10, 1000, 10_000];
    const rounds = smoke ? 3 : 15;
    const server = await startRedis();
    const rt = await openRuntime({ redis: server.url });
    const redis = server.redis;
    try {
      // +1 warm-up round each, +1 so that each still waits after the last measured round.
      const handles = await Promise.all(counts.map((n) => rt.client.start(rt.wf.resumeAfter, [n, rounds + 2])));
      // After n steps the execution has committed n + 1 suspensions (n calls, then the signal).
      const revs = await Promise.all(handles.map((h, i) => waitingAt(redis, h.id, counts[i] + 1)));
      const samples = counts.map(() => []);
      for (let r = 0; r <= rounds; r++) {
        for (let i = 0; i < counts.length; i++) {
          const started = new Promise((res) => (stampLog.onStamp = () => res(performance.now())));
          const t0 = performance.now();
          await handles[i].signal('go');
          const t1 = await started;
          if (r > 0) samples[i].push(t1 - t0);
          // resume → suspended at stamp (rev+1) → stamp settles → resume → suspended at the signal again (rev+2)
          revs[i] = await waitingAt(redis, handles[i].id, revs[i] + 2);
        }
      }
      stampLog.onStamp = null;
      const stateBytes = await Promise.all(handles.map((h) => redis.strlen(`reawait:{${h.id}}:v`)));
      const historyLen = await Promise.all(handles.map((h) => redis.llen(`reawait:{${h.id}}:h`)));
      const med = samples.map(median);
      const ms = (v) => ({ value: v, unit: 'ms' });
      const detail = counts.map((n, i) => `${n.toLocaleString('en-US')} steps: ${med[i].toFixed(2)} ms (state ${stateBytes[i]} B, history list ${historyLen[i]} events)`).join('; ');
      return [
        {
          id: '6a',
          reawait: ms(med[1]),
          anchor: { name: `after ${counts[0]}`, ...ms(med[0]) },
          ratio: med[1] / med[0],
          target: null,
          ok: null,
          note: `median of ${rounds} signal→next-activity round trips, interleaved; ${detail}.`,
          samples,
        },
        {
          id: '6b',
          reawait: ms(med[2]),
          anchor: { name: `after ${counts[0]}`, ...ms(med[0]) },
          ratio: med[2] / med[0],
          target: '≤ 1.2× (flat)',
          ok: med[2] / med[0] <= 1.2,
          note: `after ${counts[2].toLocaleString('en-US')} steps vs ${counts[0]}; a replay engine's resume re-runs all ${counts[2].toLocaleString('en-US')} steps of history here.`,
        },
      ];
    } finally {
      await rt.close();
      await server.stop();
    }
  },
};
