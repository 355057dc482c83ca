// Runs one row in its own process (isolated heap and JIT) and prints its
// lines as JSON after a marker. Used by run.mjs; run it directly to debug a row.
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { missing } from './lib/deps.mjs';

export const MARK = '@@bench-result ';
const rowsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'rows');

export function rowFiles() {
  return readdirSync(rowsDir)
    .filter((f) => /^\d+-.*\.mjs$/.test(f))
    .sort((a, b) => parseInt(a) - parseInt(b))
    .map((f) => path.join(rowsDir, f));
}

export async function loadRow(n) {
  const file = rowFiles().find((f) => parseInt(path.basename(f)) === n);
  if (!file) throw new Error(`bench: no row ${n} in ${rowsDir}`);
  return (await import(pathToFileURL(file).href)).default;
}

/** The row's lines, filled in; declared lines whose dependency is missing carry `missing`. */
export async function runRow(row, { smoke }) {
  const absent = await missing(row.needs);
  if (absent.length) return row.lines.map((l) => ({ ...l, missing: absent }));
  const results = await row.run({ smoke });
  return row.lines.map((l) => {
    const r = results.find((x) => x.id === l.id);
    return r ? { ...l, ...r } : { ...l, error: 'row produced no figure for this line' };
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2]);
  const smoke = process.argv.includes('--smoke');
  const row = await loadRow(n);
  let lines;
  try {
    lines = await runRow(row, { smoke });
  } catch (e) {
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    process.stderr.write(`bench row ${n} failed: ${msg}\n`);
    lines = row.lines.map((l) => ({ ...l, error: msg.split('\n')[0] }));
  }
  process.stdout.write(`\n${MARK}${JSON.stringify(lines)}\n`);
  // Redis connections and timers of the rows must not keep us alive.
  process.exit(0);
}
