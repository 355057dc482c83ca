/**
 * `reawait compile <src> --out <out-dir> [--watch]`: compile a folder (or
 * one file), print every error of every file, exit 1 if there was any; with
 * --watch, keep compiling each file as it changes until Ctrl+C. The CLI
 * glue of the compiler (which itself imports nothing of the runtime).
 * Options and help: bin/commands.ts.
 */
import { existsSync, readFileSync, watch } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, type ParsedArgs } from '../runtime/cli/args.js';
import type { CliIO } from '../runtime/cli/command.js';
import { compileDir, compileFile, isSourceFile, outputFor } from '../compiler/compile-dir.js';
import { formatCompileError, type CompileErrorItem } from '../compiler/errors.js';

const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

function report(io: CliIO, errors: readonly CompileErrorItem[]): void {
  for (const e of errors) io.err(`${formatCompileError(e)}\n\n`);
  if (errors.length) io.err(`reawait compile: ${plural(errors.length, 'error')} in ${plural(new Set(errors.map((e) => e.file)).size, 'file')}\n`);
}

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const src = args.positionals[0]!;
  const out = args.values.get('out')!;
  const info = await stat(src).catch(() => null);
  if (!info) throw new UsageError(`source '${src}' does not exist`);
  if (info.isFile() && !isSourceFile(src)) throw new UsageError(`'${src}' is not a .ts, .mts or .js source file`);
  const single = info.isFile();

  const { files, errors } = single ? await compileFile(src, outputFor(src, path.dirname(src), out)).then((r) => ({ files: r.output ? [r.output] : [], errors: r.errors })) : await compileDir(src, out);
  report(io, errors);
  if (!errors.length) io.out(`reawait compile: ${plural(files.length, 'file')} written to ${out}\n`);
  const notEsm = commonJsScope(out);
  if (notEsm) io.err(`reawait compile: note: the output is ES modules, but ${notEsm}, so node would load it as CommonJS ('Cannot use import statement outside a module'); make the app ESM: npm pkg set type=module\n`);
  if (!args.booleans.has('watch')) return errors.length ? 1 : 0;
  return watchSources(src, single, out, io);
}

/** Why node would read `.js` files in `dir` as CommonJS (the nearest package.json is not `"type": "module"`), or undefined. */
function commonJsScope(dir: string): string | undefined {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const file = path.join(d, 'package.json');
    if (existsSync(file)) {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown }).type === 'module' ? undefined : `${path.relative(process.cwd(), file) || 'package.json'} has no "type": "module"`;
      } catch {
        return undefined; // not ours to judge
      }
    }
    if (path.dirname(d) === d) return 'no package.json says "type": "module"';
  }
}

/** Recompile each source as it changes (a deleted one loses its outputs) until SIGINT/SIGTERM. */
async function watchSources(src: string, single: boolean, out: string, io: CliIO): Promise<number> {
  const root = single ? path.dirname(src) : src;
  const pending = new Map<string, NodeJS.Timeout>();
  const recompile = async (file: string): Promise<void> => {
    const output = outputFor(file, root, out);
    if (!(await stat(file).catch(() => null))?.isFile()) {
      await Promise.all([output, `${output}.map`, output.replace(/\.js$/, '.d.ts')].map((f) => rm(f, { force: true })));
      io.out(`reawait compile: ${path.relative(process.cwd(), file)} removed\n`);
      return;
    }
    const r = await compileFile(file, output, {}, out);
    report(io, r.errors);
    if (r.output) io.out(`reawait compile: ${path.relative(process.cwd(), file)} → ${path.relative(process.cwd(), r.output)}\n`);
  };
  // Editors write a file in several steps: compile once it has been quiet for a moment.
  const watcher = watch(single ? src : root, { recursive: !single }, (_event, name) => {
    const file = single ? src : name ? path.join(root, name.toString()) : undefined;
    if (!file || !isSourceFile(file) || file.split(path.sep).includes('node_modules')) return;
    clearTimeout(pending.get(file));
    pending.set(file, setTimeout(() => (pending.delete(file), void recompile(file)), 50));
  });
  io.err(`reawait compile: watching ${src} for changes (Ctrl+C to stop)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  watcher.close();
  for (const t of pending.values()) clearTimeout(t);
  return 0;
}
