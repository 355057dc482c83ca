/**
 * Probe (not a bench row): which pages a sequential step writes. Runs an
 * embedded chain, copies the database and its WAL before the worker closes,
 * and attributes each WAL frame (since the WAL last restarted) to its table
 * or index through SQLite's dbstat; prints frames per commit and the last
 * few commits' pages. Run after `npm run build`: `STEPS=150 node bench/probe/wal-frames.mjs`.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { embeddedOptions } from '../lib/deps.mjs';
import { openRuntime, waitEndedClient } from '../lib/durable.mjs';
import { scratchDir } from '../lib/paths.mjs';

const dir = scratchDir('probe-wal');
const copy = scratchDir('probe-wal-copy');
const rt = await openRuntime(await embeddedOptions(dir), { concurrency: 10 });
const run = async (k) => {
  const h = await rt.client.start(rt.wf.chain, [k]);
  await waitEndedClient(rt.client, [h.id], { everyMs: 2 });
};
await run(50);
await run(Number(process.env.STEPS ?? 150));
const db = path.join(copy, 'reawait.db');
fs.copyFileSync(path.join(dir, 'reawait.db-wal'), `${db}-wal`);
fs.copyFileSync(path.join(dir, 'reawait.db'), db);
const wal = fs.readFileSync(`${db}-wal`);
await rt.close();

const reader = new Database(db);
const owner = new Map(reader.prepare('SELECT name, pageno FROM dbstat').all().map((r) => [r.pageno, r.name]));
const pageSize = reader.pragma('page_size', { simple: true });
reader.close();
// WAL: a 32-byte header, then frames of a 24-byte header (page number, db size if a commit, salts) and a page
const salt = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
const commits = [];
let frames = [];
for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) {
  if (wal.readUInt32BE(off + 8) !== salt[0] || wal.readUInt32BE(off + 12) !== salt[1]) break; // frames of before the restart
  const page = wal.readUInt32BE(off);
  frames.push(owner.get(page) ?? `free page ${page}`);
  if (wal.readUInt32BE(off + 4) !== 0) {
    commits.push(frames);
    frames = [];
  }
}
const last = commits.slice(-40);
const sizes = new Map();
for (const c of last) sizes.set(c.length, (sizes.get(c.length) ?? 0) + 1);
console.log('frames per commit (count) over the last 40:', [...sizes].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' '));
for (const c of last.slice(-6)) {
  const by = new Map();
  for (const t of c) by.set(t, (by.get(t) ?? 0) + 1);
  console.log(c.length, [...by].map(([k, v]) => (v > 1 ? `${k}×${v}` : k)).join(', '));
}
