/**
 * Row 8 — the embedded backend (SQLite, `synchronous = FULL`):
 *   (a) one workflow of N sequential activity steps vs a raw better-sqlite3
 *       loop of N transactions with the same settings (WAL, FULL), each an
 *       upsert of a 300-byte state and one history insert: what one durable
 *       step costs at least. Interleaved in this process.
 *   (b) the same steps vs the folder backend this one replaced, measured on
 *       this machine before its removal (a recorded figure, not this run's).
 *   (c) Promise.all of N activities vs the folder backend's recorded figure.
 *   (d) `list` of one page (100) out of 100,000 executions, the newest page
 *       and a page deep in the list, median over the pages read.
 *   (e) the steps of (a) vs a raw loop of transactions that write the pages
 *       a step's commit writes (../lib/step-pages.mjs): what the engine and the
 *       store's statements cost above the disk work of the schema's layout.
 */
import Database from 'better-sqlite3';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { embeddedOptions } from '../lib/deps.mjs';
import { openRuntime, waitEndedClient } from '../lib/durable.mjs';
import { median } from '../lib/measure.mjs';
import { distUrl, scratchDir } from '../lib/paths.mjs';
import { sizes, timeExecutions } from './5-redis-throughput.mjs';
import { stepPagesLoop } from '../lib/step-pages.mjs';

/**
 * The folder backend (runtime/local/, removed with issue 16), row 8 of
 * `node bench/run.mjs --only 8` at commit d8433b2 on this machine,
 * 2026-11-30 15:12 UTC, under the load of other work (load average ~8 on 2
 * cores; the figure on a quieter machine was 450–765 steps/s).
 */
const FOLDER = { steps: 140, acts: 2901, when: 'd8433b2, 2026-11-30' };

/** N transactions of a 300-byte state upsert and a history insert, WAL + synchronous FULL. */
function rawLoop(file, n) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS states (id TEXT PRIMARY KEY, state TEXT) WITHOUT ROWID; CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, exec TEXT, event TEXT);');
  const put = db.prepare('INSERT INTO states (id, state) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state');
  const add = db.prepare('INSERT INTO history (exec, event) VALUES (?, ?)');
  const step = db.transaction((i) => {
    put.run('x', `{"v":2,"i":${i},"pad":"${'x'.repeat(280)}"}`);
    add.run('x', `{"t":${Date.now()},"type":"suspended"}`);
  });
  const t0 = performance.now();
  for (let i = 0; i < n; i++) step(i);
  const ms = performance.now() - t0;
  db.close();
  return ms;
}

/**
 * A database of `total` executions: one created through the store (so the
 * schema is the store's own), the rest written straight into its tables in
 * one transaction (set-up, not measured), a third each completed, waiting
 * and failed, half of them of each of two workflows. Returns a store on it.
 */
async function manyExecutions(dir, total) {
  const { openDatabase } = await import(distUrl('runtime/sqlite/database.js'));
  const { SqliteStore } = await import(distUrl('runtime/sqlite/sqlite-store.js'));
  const file = path.join(dir, 'reawait.db');
  const store = new SqliteStore(openDatabase({ file }));
  await store.create({ id: 'e0', workflow: 'fanout', version: 'v', args: '[]' });
  const db = new Database(file);
  db.exec(`BEGIN;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${total - 1})
    INSERT INTO executions (id, workflow, version, status, phase, rev, created_at, updated_at, history)
      SELECT 'e' || i, CASE i % 2 WHEN 0 THEN 'fanout' ELSE 'chain' END, 'v', s, CASE s WHEN 'waiting' THEN 'live' ELSE s END, 1, 1700000000000 + i, 1700000000000 + i, 1
      FROM (SELECT i, CASE i % 3 WHEN 0 THEN 'completed' WHEN 1 THEN 'waiting' ELSE 'failed' END AS s FROM n);
    INSERT INTO states (seq, args) SELECT seq, '[]' FROM executions WHERE id <> 'e0';
    INSERT INTO history (k, event) SELECT (seq << 32) | 1, '{"t":1700000000000,"type":"started"}' FROM executions WHERE id <> 'e0';
    COMMIT;`);
  db.close();
  return store;
}

export default {
  row: 8,
  title: 'embedded backend (SQLite)',
  needs: ['embedded backend'],
  lines: [
    { id: '8a', what: 'embedded: 1 workflow × 1,000 sequential steps vs raw better-sqlite3 transactions (WAL, FULL)' },
    { id: '8b', what: 'embedded: the same sequential steps vs the folder backend it replaced (recorded)' },
    { id: '8c', what: 'embedded: 1 Promise.all of 10,000 activities vs the folder backend (recorded)' },
    { id: '8d', what: 'embedded: list one page of 100 out of 100,000 executions' },
    { id: '8e', what: "embedded: the steps of 8a vs raw transactions writing a step's pages (7 rows, 1 KiB pages)" },
  ],
  async run({ smoke }) {
    const s = sizes(smoke);
    const reps = s.reps;
    const rawDir = scratchDir('embedded-raw');
    const rt = await openRuntime(await embeddedOptions(scratchDir('embedded')), { concurrency: 10 });
    const mine = { a: [], c: [] };
    const raw = [];
    const pagesLoop = [];
    try {
      const wait = (ids) => waitEndedClient(rt.client, ids, { everyMs: 2 });
      const { chain, fanout } = rt.wf;
      const check = async (handles, want) => {
        for (const h of handles) if ((await h.result()) !== want) throw new Error(`bench: execution ${h.id} did not return ${want}`);
      };
      // warm-up, not measured
      await timeExecutions(rt, chain, [[Math.max(10, s.steps / 5)]], wait);
      await timeExecutions(rt, fanout, [[Math.max(10, s.fan / 5)]], wait);
      rawLoop(path.join(rawDir, 'warm.db'), Math.max(10, s.steps / 5));
      stepPagesLoop(path.join(rawDir, 'warm-pages.db'), Math.max(10, s.steps / 5));
      for (let r = 0; r < reps; r++) {
        const a = await timeExecutions(rt, chain, [[s.steps]], wait);
        await check(a.handles, s.steps);
        mine.a.push(a.ms);
        raw.push(rawLoop(path.join(rawDir, `raw${r}.db`), s.steps));
        pagesLoop.push(stepPagesLoop(path.join(rawDir, `pages${r}.db`), s.steps));
        const c = await timeExecutions(rt, fanout, [[s.fan]], wait);
        await check(c.handles, s.fan);
        mine.c.push(c.ms);
      }
    } finally {
      await rt.close();
    }
    const total = smoke ? 2_000 : 100_000;
    const store = await manyExecutions(scratchDir('embedded-list'), total);
    const pages = [];
    try {
      // the newest page, the next one by cursor, a filtered page, and a page half way down
      for (let r = 0; r < 5; r++) {
        let t0 = performance.now();
        const first = await store.list({ limit: 100 });
        pages.push(performance.now() - t0);
        t0 = performance.now();
        await store.list({ limit: 100, cursor: first.cursor });
        pages.push(performance.now() - t0);
        t0 = performance.now();
        await store.list({ limit: 100, status: 'waiting', workflow: 'chain' });
        pages.push(performance.now() - t0);
        t0 = performance.now();
        const deep = await store.list({ limit: 100, cursor: String(Math.floor(total / 2)) });
        pages.push(performance.now() - t0);
        if (first.items.length !== 100 || deep.items.length !== 100) throw new Error('bench: list returned a short page');
      }
    } finally {
      await store.close();
    }
    const runs = (xs) => xs.map((x) => x.toFixed(0)).join('/');
    const stepsPerS = s.steps / (median(mine.a) / 1000);
    const rawPerS = s.steps / (median(raw) / 1000);
    const actsPerS = s.fan / (median(mine.c) / 1000);
    const pagesPerS = s.steps / (median(pagesLoop) / 1000);
    const pageMs = median(pages);
    const perStep = (ms) => `${((ms * 1000) / s.steps).toFixed(0)} µs`;
    return [
      {
        id: '8a',
        reawait: { value: stepsPerS, unit: 'steps/s' },
        anchor: { name: 'raw better-sqlite3', value: rawPerS, unit: 'steps/s' },
        ratio: stepsPerS / rawPerS,
        target: '≥ 0.7×',
        ok: stepsPerS / rawPerS >= 0.7,
        note: `${s.steps} sequential steps, synchronous FULL; anchor: ${s.steps} transactions (300-byte state upsert + history insert), WAL, FULL; median of ${reps}: reawait ${runs(mine.a)} ms (${perStep(median(mine.a))}/step), raw ${runs(raw)} ms (${perStep(median(raw))}/transaction)`,
      },
      {
        id: '8b',
        reawait: { value: stepsPerS, unit: 'steps/s' },
        anchor: { name: 'folder backend (recorded)', value: FOLDER.steps, unit: 'steps/s' },
        ratio: stepsPerS / FOLDER.steps,
        target: null,
        ok: null,
        note: `the folder backend's figure was recorded at ${FOLDER.when} on this machine under load, not in this run`,
      },
      {
        id: '8c',
        reawait: { value: actsPerS, unit: 'acts/s' },
        anchor: { name: 'folder backend (recorded)', value: FOLDER.acts, unit: 'acts/s' },
        ratio: actsPerS / FOLDER.acts,
        target: null,
        ok: null,
        note: `Promise.all of ${s.fan.toLocaleString('en-US')}, concurrency 10, group commit of settlements; median of ${reps}: ${runs(mine.c)} ms; the folder backend's figure recorded at ${FOLDER.when}`,
      },
      {
        id: '8d',
        reawait: { value: pageMs, unit: 'ms' },
        target: '< 50 ms',
        ok: pageMs < 50,
        note: `${total.toLocaleString('en-US')} executions in one database; pages of 100: newest, next by cursor, filtered by status and workflow, half way down; median of ${pages.length}, max ${Math.max(...pages).toFixed(2)} ms`,
      },
      {
        id: '8e',
        reawait: { value: stepsPerS, unit: 'steps/s' },
        anchor: { name: "raw, a step's 7 pages", value: pagesPerS, unit: 'steps/s' },
        ratio: stepsPerS / pagesPerS,
        target: null,
        ok: null,
        note: `the anchor writes in each transaction the 7 pages a step's commit writes (the execution row and its update-time index, state, history, op, job and its due-time index), 1 KiB pages, WAL, FULL, its WAL reserved as the store's is; its rate against 8a's anchor, ${(pagesPerS / rawPerS).toFixed(2)}×, is the most 8a's ratio could be with this layout; median of ${reps}: ${runs(pagesLoop)} ms (${perStep(median(pagesLoop))}/transaction)`,
      },
    ];
  },
};
