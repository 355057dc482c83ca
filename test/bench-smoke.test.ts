/**
 * `npm run bench -- --smoke` keeps working: every row runs at tiny sizes and
 * prints a figure. Only the shape is checked here (no timings: speed belongs
 * in bench/, and smoke figures mean nothing).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, ROOT } from './support/global-setup.js';

/** Every line the table must have, in order. */
const LINES = ['1a', '1b', '1c', '1d', '2', '3a', '3b', '3c', '3d', '4a', '4b', '5a', '5b', '5c', '6a', '6b', '7a', '7b', '7c', '8a', '8b', '8c', '8d', '8e', '9a', '9b', '9c', '10a'];

interface Figure {
  value: number;
  unit: string;
  name?: string;
}
interface Line {
  row: number;
  id: string;
  what: string;
  reawait?: Figure;
  anchor?: Figure;
  ratio?: number;
  ok?: boolean | null;
  verdict: string;
  missing?: string[];
  error?: string;
}
interface Results {
  date: string;
  smoke: boolean;
  seconds: number;
  machine: { node: string; cores: number };
  rows: Line[];
}

let dir: string;
let run: { code: number | null; stdout: string; stderr: string };
let results: Results;

beforeAll(async () => {
  await ensureDist();
  dir = mkdtempSync(path.join(tmpdir(), 'reawait-bench-smoke-'));
  const out = path.join(dir, 'results.json');
  run = await new Promise((resolve) => {
    execFile(process.execPath, ['bench/run.mjs', '--smoke', '--no-build', '--out', out], { cwd: ROOT, timeout: 150_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  results = JSON.parse(readFileSync(out, 'utf8')) as Results;
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('npm run bench -- --smoke', () => {
  it('exits 0 with no row in error', () => {
    const errors = results.rows.filter((l) => l.error).map((l) => `${l.id}: ${l.error}`);
    expect(errors).toEqual([]);
    expect(run.code, run.stderr).toBe(0);
  });

  it('writes well-formed results JSON with every line, in order', () => {
    expect(results.smoke).toBe(true);
    expect(Number.isNaN(Date.parse(results.date))).toBe(false);
    expect(results.seconds).toBeGreaterThan(0);
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.rows.map((l) => l.id)).toEqual(LINES);
    for (const l of results.rows) {
      expect(l.row).toBe(parseInt(l.id, 10));
      expect(l.what.length).toBeGreaterThan(0);
    }
  });

  it('gives every line a numeric figure (an anchor and ratio where it has one) and a verdict', async () => {
    for (const l of results.rows) {
      expect(l.missing, `${l.id} ran (every part it needs is in the repo)`).toBeUndefined();
      expect(Number.isFinite(l.reawait?.value), `${l.id} reawait figure`).toBe(true);
      expect(l.reawait!.unit.length).toBeGreaterThan(0);
      if (l.anchor) {
        expect(Number.isFinite(l.anchor.value), `${l.id} anchor figure`).toBe(true);
        expect(Number.isFinite(l.ratio), `${l.id} ratio`).toBe(true);
      }
      expect(['OK', 'MISS', 'info']).toContain(l.verdict);
      expect(l.verdict === 'info' ? l.ok == null : typeof l.ok === 'boolean', l.id).toBe(true);
    }
    // Rows 5 and 7 always have their anchors (raw bee-queue) in the same run.
    for (const id of ['5a', '5b', '5c', '7a', '7b']) expect(results.rows.find((l) => l.id === id)?.anchor?.name, id).toBe(id.startsWith('5') ? 'bee-queue' : 'bee-queue job');
  });

  it('prints the table with one row per line and says which lines miss their target', () => {
    const tableRows = run.stdout.split('\n').filter((s) => /^\| \S+ +\|/.test(s) && !s.startsWith('| row'));
    expect(tableRows.map((s) => s.split('|')[1]!.trim())).toEqual(LINES);
    for (const l of results.rows) {
      const printed = tableRows.find((s) => s.split('|')[1]!.trim() === l.id)!;
      expect(printed).toContain(l.verdict);
      expect(printed.split('|')[3], l.id).toMatch(/\d/);
    }
    for (const l of results.rows.filter((x) => x.ok === false)) expect(run.stdout).toMatch(new RegExp(`^- ${l.id} MISSES target`, 'm'));
  });
});
