/**
 * Puts the table of bench/results.json (the last full `npm run bench`) into
 * the README's Performance section, between its bench-table markers:
 *   node bench/readme-table.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderTable } from './lib/table.mjs';
import { ROOT } from './lib/paths.mjs';

const results = JSON.parse(readFileSync(path.join(ROOT, 'bench', 'results.json'), 'utf8'));
if (results.smoke) throw new Error('bench/results.json holds a smoke run: run the full `npm run bench` first');
const m = results.machine;
const block = [
  '<!-- bench-table:start -->',
  `Last full run: ${results.date.slice(0, 10)}, commit ${m.commit}${m.dirty ? ' (with uncommitted changes)' : ''}, ${m.cores} × ${m.cpu}, Node ${m.node}, ${m.redis?.split(' sha=')[0] ?? 'no redis-server'}, ${results.seconds} s.`,
  '',
  renderTable(results.rows),
  '<!-- bench-table:end -->',
].join('\n');
const readmePath = path.join(ROOT, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const re = /<!-- bench-table:start -->[\s\S]*?<!-- bench-table:end -->/;
if (!re.test(readme)) throw new Error('README.md has no <!-- bench-table:start --> … <!-- bench-table:end --> block');
writeFileSync(readmePath, readme.replace(re, block));
console.log('README.md: Performance table updated from bench/results.json');
