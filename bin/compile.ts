/**
 * `reawait compile <src-dir> --out <out-dir>`: compile a folder, print every
 * error of every file, exit non-zero if there was any. The CLI glue of the
 * compiler (which itself imports nothing of the runtime). Options and help:
 * bin/commands.ts.
 */
import { stat } from 'node:fs/promises';
import type { ParsedArgs } from '../runtime/cli/args.js';
import { UsageError } from '../runtime/cli/args.js';
import type { CliIO } from '../runtime/cli/command.js';
import { compileDir } from '../compiler/compile-dir.js';
import { formatCompileError } from '../compiler/errors.js';

export async function main(args: ParsedArgs, io: CliIO): Promise<number> {
  const src = args.positionals[0]!;
  const out = args.values.get('out')!;
  const info = await stat(src).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`source folder '${src}' does not exist or is not a folder`);

  const { files, errors } = await compileDir(src, out);
  for (const e of errors) io.err(`${formatCompileError(e)}\n\n`);
  if (errors.length) {
    const nFiles = new Set(errors.map((e) => e.file)).size;
    io.err(`reawait compile: ${errors.length} error${errors.length === 1 ? '' : 's'} in ${nFiles} file${nFiles === 1 ? '' : 's'}\n`);
    return 1;
  }
  io.out(`reawait compile: ${files.length} file${files.length === 1 ? '' : 's'} written to ${out}\n`);
  return 0;
}
