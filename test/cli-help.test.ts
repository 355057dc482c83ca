/**
 * The CLI explains itself: every command answers --help with every option
 * it accepts (each with a sentence), its environment and exit codes;
 * --version prints the package's version; bad options and unknown commands
 * are usage errors (exit 2) that name the problem and print a command that
 * works (`npx reawait … --help`). Help and parser come from one spec, so
 * every option listed parses and nothing else does.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../bin/commands.js';
import { parseArgs } from '../runtime/cli/args.js';
import { ENVIRONMENT, type CliIO } from '../runtime/cli/command.js';
import { runCli } from '../runtime/cli/dispatch.js';
import { CLI, ensureDist, ROOT } from './support/global-setup.js';

const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (s) => void (out += s), err: (s) => void (err += s) };
  const code = await runCli(commands, argv, io);
  return { code, out, err };
}

describe('reawait --help', () => {
  it('lists every command with its summary, the environment and the exit codes', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const c of commands) expect(r.out).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(r.out).toMatch(/^ {2}REDIS_URL +Redis to use when --redis is not given/m);
    expect(r.out).toMatch(/^ {2}2 +bad usage/m);
    expect(r.out).toContain("Run 'npx reawait <command> --help'");
    // `help` and no arguments at all say the same (the latter on stderr, exit 2)
    expect((await cli(['help'])).out).toBe(r.out);
    const bare = await cli([]);
    expect(bare.code).toBe(2);
    expect(bare.err).toBe(r.out);
  });

  for (const c of commands) {
    it(`${c.name} --help lists every option with a sentence, the environment and the exit codes`, async () => {
      const r = await cli([c.name, '--help']);
      expect(r.code).toBe(0);
      expect(r.err).toBe('');
      expect(r.out).toContain(`usage: npx reawait ${c.name}`);
      for (const p of c.positionals) expect(r.out).toMatch(new RegExp(`^  <${p.name}> +.*${p.help.slice(0, 20).replace(/[()[\]$.*?]/g, '\\$&')}`, 'm'));
      for (const o of c.options) {
        expect(o.help, `--${o.name} has a sentence`).toMatch(/^\S.{10,}\.$/);
        const line = r.out.split('\n').findIndex((l) => l.includes(`--${o.name}`) && l.trimStart().startsWith(o.short ? `-${o.short}, --${o.name}` : `--${o.name}`));
        expect(line, `--${o.name} listed`).toBeGreaterThan(-1);
        expect(r.out).toContain(o.help);
        // what help lists, the parser accepts
        const parsed = parseArgs(o.kind === 'flag' ? [`--${o.name}`] : [`--${o.name}`, 'x'], c.options);
        expect(parsed.booleans.has(o.name) || parsed.values.has(o.name) || parsed.lists.has(o.name)).toBe(true);
      }
      expect(r.out).toMatch(/^ {2}-h, --help +show this help/m);
      for (const e of c.env ?? []) expect(r.out).toContain(`${e}  ${ENVIRONMENT[e]}`);
      expect(r.out).toMatch(/exit codes:\n {2}0 +\S[\s\S]* {2}2 +bad usage/);
      for (const ex of c.examples) expect(ex.startsWith(`npx reawait ${c.name} `)).toBe(true);
      // -h, `help <command>` and --help after other arguments give the same text
      expect((await cli([c.name, 'x', '--nope', '-h'])).out).toBe(r.out);
      expect((await cli(['help', c.name])).out).toBe(r.out);
    });
  }

  it('a connection command documents REDIS_URL and --redis/--prefix/--dir', async () => {
    const r = await cli(['status', '--help']);
    expect(r.out).toMatch(/^ {2}--redis <url> +Redis to connect to/m);
    expect(r.out).toMatch(/^ {2}--prefix <namespace> +the app's namespace on Redis, the prefix of every key and queue: apps with different namespaces share one Redis without seeing each other's executions/m);
    expect(r.out).toMatch(/^ {2}--dir <folder> +use the embedded backend/m);
    expect(r.out).toMatch(/^ {2}REDIS_URL +Redis to use/m);
  });
});

describe('bad usage', () => {
  it('an unknown option names it, suggests the nearest, prints the usage line and the --help command; exit 2', async () => {
    const r = await cli(['start', 'wf', '--wiat']);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toBe("reawait: unknown option --wiat (did you mean --wait?)\nusage: npx reawait start <workflow> [options]\nRun 'npx reawait start --help' for every option.\n");
  });

  it('a missing value, argument or required option is named', async () => {
    expect((await cli(['start', 'wf', '--id'])).err).toMatch(/^reawait: --id needs a value\n/);
    expect((await cli(['signal', 'id-1'])).err).toMatch(/^reawait: missing <name>\n/);
    expect((await cli(['status', 'a', 'b'])).err).toMatch(/^reawait: unexpected argument 'b'\n/);
    const w = await cli(['worker', '--activities', 'a.js']);
    expect(w.code).toBe(2);
    expect(w.err).toMatch(/^reawait: --workflows is required\nusage: npx reawait worker --workflows <module…> \[options\]\n/);
    expect((await cli(['start', 'wf', '--wait=yes'])).err).toMatch(/^reawait: --wait takes no value\n/);
  });

  it('a bad value is named with what it must be (checked before connecting anywhere)', async () => {
    const l = await cli(['list', '--status', 'done', '--dir', '/nonexistent-reawait-dir']);
    expect(l.code).toBe(2);
    expect(l.err).toMatch(/^reawait: --status must be one of ready, waiting, completed, failed, cancelled, got 'done'\n/);
    const s = await cli(['start', 'wf', '--args', '{']);
    expect(s.code).toBe(2);
    expect(s.err).toMatch(/^reawait: --args is not valid JSON/);
  });

  it('an unknown command suggests the nearest one', async () => {
    const r = await cli(['wroker']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("reawait: unknown command 'wroker' (did you mean 'worker'?)\nRun 'npx reawait --help' for the commands.\n");
    expect((await cli(['--verbose'])).err).toMatch(/^reawait: unknown option --verbose\n/);
  });
});

describe('the installed binary', () => {
  beforeAll(() => ensureDist(), 120_000);
  const bin = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', cwd: ROOT });

  it('--version and -v print the package version', () => {
    for (const flag of ['--version', '-v']) {
      const r = bin([flag]);
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${VERSION}\n`);
    }
  });

  it('worker --help answers with help, not "unknown option --help"', () => {
    const r = bin(['worker', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('usage: npx reawait worker --workflows <module…> [options]');
    expect(r.stdout).toContain('--stall-interval <duration>');
  });

  it('a bad option exits 2 with the message on stderr', () => {
    const r = bin(['cancel', 'x', '--resaon', 'y']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown option --resaon (did you mean --reason?)');
  });
});

describe('README', () => {
  it('documents every environment variable the package reads, and --help documents those of the CLI', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const documented = readme.slice(readme.indexOf('**Environment variables.**'), readme.indexOf('## Guarantees'));
    const read = new Set<string>();
    for (const dir of ['runtime', 'compiler', 'bin'])
      for (const file of readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }))
        if (file.endsWith('.ts'))
          for (const m of readFileSync(path.join(ROOT, dir, file), 'utf8').matchAll(/process\.env\.([A-Z_][A-Z0-9_]*)/g)) read.add(m[1]!);
    expect([...read].sort()).toEqual(['COLUMNS', 'REAWAIT_NO_CACHE', 'REDIS_URL']);
    for (const name of read) expect(documented, name).toContain(`\`${name}`);
    for (const name of ['COLUMNS', 'REDIS_URL']) expect(Object.keys(ENVIRONMENT)).toContain(name);
  });

  it('every message that names a command names one that works in a project (npx reawait …)', () => {
    const bare = /(?<!npx )\breawait (compile|run|worker|start|status|list|signal|cancel|query|prune|retry|versions)\b(?!:)/;
    const found: string[] = [];
    for (const dir of ['runtime', 'compiler', 'bin'])
      for (const file of readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }))
        if (file.endsWith('.ts'))
          readFileSync(path.join(ROOT, dir, file), 'utf8')
            .split('\n')
            .forEach((line, i) => {
              if (!/^\s*(\*|\/\/|\/\*)/.test(line) && bare.test(line.replace(/\/\/.*$/, ''))) found.push(`${dir}/${file}:${i + 1}: ${line.trim()}`);
            });
    expect(found).toEqual([]);
  });

  it("the CLI section's synopsis has every command and every option", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The CLI'));
    const synopsis = /```\n([\s\S]*?)```/.exec(section)![1]!;
    const entries = synopsis.split(/\n(?=npx reawait )/);
    for (const c of commands) {
      const entry = entries.find((e) => e.startsWith(`npx reawait ${c.name} `));
      expect(entry, `README synopsis of ${c.name}`).toBeDefined();
      for (const o of c.options) expect(entry, `README synopsis of ${c.name} --${o.name}`).toContain(`--${o.name}`);
    }
  });
});
