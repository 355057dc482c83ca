/**
 * `reawait compile` checks upgrade() calls against the new build and the
 * kept ones (compiler/check-upgrades.ts): an unknown workflow, an old version
 * no build of which is kept, an old line with no await in it, a target line
 * with no await in the new build and a local not kept at the target are
 * errors naming file:line:col with a code frame; nothing of the file is
 * written. A correct upgrade() compiles.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../bin/commands.js';
import { compileDir } from '../compiler/compile-dir.js';
import { formatCompileError } from '../compiler/errors.js';
import { runCli } from '../runtime/cli/dispatch.js';
import { DEPLOY_V1, DEPLOY_V2 } from './support/deploy-workflows.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** v1 compiled into out/ (kept), then the source replaced by v2 + `extra`; returns v1's version of `locals`. */
async function project(): Promise<{ dir: string; src: string; out: string; v1Locals: string; write(extra: string): void }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reawait-upgrade-compile-'));
  dirs.push(dir);
  const src = path.join(dir, 'src');
  const out = path.join(dir, 'out');
  mkdirSync(src);
  writeFileSync(path.join(src, 'wf.ts'), DEPLOY_V1);
  expect((await compileDir(src, out)).errors).toEqual([]);
  const kept = path.join(out, '.reawait/versions/wf');
  const json = readdirSync(kept).find((f) => f.endsWith('.json') && f !== 'current.json')!;
  const v1Locals = (JSON.parse(readFileSync(path.join(kept, json), 'utf8')) as { workflows: { name: string; version: string }[] }).workflows.find((w) => w.name === 'locals')!.version;
  // The import on line 1 keeps every line of v2 where it was (awaits of `locals` on lines 18 and 19).
  const write = (extra: string) => writeFileSync(path.join(src, 'wf.ts'), `${DEPLOY_V2.replace("signal } from 'reawait/workflow';", "signal } from 'reawait/workflow'; import { upgrade } from 'reawait';")}${extra}`);
  return { dir, src, out, v1Locals, write };
}

const LAST = DEPLOY_V2.split('\n').length; // the line the extra code starts on

describe('reawait compile checks upgrade() against the metadata', () => {
  it('a correct upgrade() compiles', async () => {
    const p = await project();
    p.write(`upgrade(locals, { version: '${p.v1Locals}', line: 19 }, (old: Record<string, unknown>) => ({ line: 19, locals: { n: String(old.a).length } }));\n`);
    expect((await compileDir(p.src, p.out)).errors).toEqual([]);
    expect(readFileSync(path.join(p.out, 'wf.js'), 'utf8')).toContain('upgrade(locals');
  });

  it('each mistake is an error naming file:line:col with a code frame, and the file is not written', async () => {
    const p = await project();
    const before = readFileSync(path.join(p.out, 'wf.js'), 'utf8');
    p.write(
      [
        `upgrade('nope', { version: '${p.v1Locals}', line: 19 }, () => ({ line: 19, locals: {} }));`,
        `upgrade(locals, { version: 'deadbeefdeadbeef', line: 19 }, () => ({ line: 19, locals: {} }));`,
        `upgrade(locals, { version: '${p.v1Locals}', line: 17 }, () => ({ line: 19, locals: {} }));`,
        `upgrade(locals, { version: '${p.v1Locals}', line: 19 }, () => ({ line: 20, locals: {} }));`,
        `upgrade(locals, { version: '${p.v1Locals}', line: 19 }, (old: Record<string, unknown>) => {`,
        `  return { line: 19, locals: { count: old.a } };`,
        `});`,
        '',
      ].join('\n'),
    );
    const { errors } = await compileDir(p.src, p.out);
    const file = path.relative(process.cwd(), path.join(p.src, 'wf.ts')).split(path.sep).join('/');
    expect(errors.map((e) => `${e.file}:${e.line}:${e.column}: ${e.message}`)).toEqual([
      `${file}:${LAST}:9: upgrade() of workflow 'nope': no workflow of that name is compiled here (workflows: after, before, locals)`,
      `${file}:${LAST + 1}:28: upgrade() of workflow 'locals' from version deadbeefdeadbeef: no build of that version is kept in ${path.relative(process.cwd(), path.join(p.out, '.reawait/versions'))} (earlier versions kept: ${p.v1Locals}; 'npx reawait versions <out>' lists them)`,
      `${file}:${LAST + 2}:54: upgrade() of workflow 'locals' from version ${p.v1Locals} line 17: that build has no await on line 17; its awaits are on lines 18, 19`,
      `${file}:${LAST + 3}:75: upgrade() of workflow 'locals' returns line 20, which has no await in the current build (${file}); its awaits are on lines 18, 19`,
      `${file}:${LAST + 5}:32: upgrade() of workflow 'locals' returns local 'count', which is not kept at line 19 of the current build (${file}); the locals kept there are: n`,
    ]);
    for (const e of errors) expect(e.codeFrame).toMatch(/> \d+ \| upgrade\(|> \d+ \|\s+return/);
    expect(formatCompileError(errors[4]!)).toContain('  return { line: 19, locals: { count: old.a } };');
    // Nothing of the refused build is written: the output and the kept builds are v1's.
    expect(readFileSync(path.join(p.out, 'wf.js'), 'utf8')).toBe(before);
    expect(readdirSync(path.join(p.out, '.reawait/versions/wf')).filter((f) => f.endsWith('.js'))).toHaveLength(1);
  });

  it('an upgrade() in another module is checked against the new build of the workflow (compiled first)', async () => {
    const p = await project();
    p.write('');
    // 'a-' sorts before 'wf': were it checked first, it would see v1's build of locals, which keeps 'a', not 'n'.
    const other = (local: string) =>
      `import { upgrade } from 'reawait';\nimport { locals } from './wf.js';\nupgrade(locals, { version: '${p.v1Locals}', line: 19 }, (old: Record<string, unknown>) => ({ line: 19, locals: { ${local}: String(old.a).length } }));\n`;
    writeFileSync(path.join(p.src, 'a-upgrades.ts'), other('n'));
    expect((await compileDir(p.src, p.out)).errors).toEqual([]);
    writeFileSync(path.join(p.src, 'a-upgrades.ts'), other('a'));
    expect((await compileDir(p.src, p.out)).errors.map((e) => e.message)).toEqual([
      `upgrade() of workflow 'locals' returns local 'a', which is not kept at line 19 of the current build (${path.relative(process.cwd(), path.join(p.src, 'wf.ts')).split(path.sep).join('/')}); the locals kept there are: n`,
    ]);
  });

  it('reawait compile prints the error and exits 1', async () => {
    const p = await project();
    p.write(`upgrade(locals, { version: '${p.v1Locals}', line: 19 }, () => ({ line: 19, locals: { nn: 1 } }));\n`);
    let err = '';
    const io = { out: () => {}, err: (s: string) => void (err += s) };
    expect(await runCli(commands, ['compile', p.src, '--out', p.out], io)).toBe(1);
    expect(err).toMatch(new RegExp(`wf\\.ts:${LAST}:\\d+: upgrade\\(\\) of workflow 'locals' returns local 'nn', which is not kept at line 19`));
    expect(err).toContain(`> ${LAST} | upgrade(locals`);
    expect(existsSync(path.join(p.out, 'wf.js'))).toBe(true);
  });
});
