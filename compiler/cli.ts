/**
 * `reawait compile <src-dir> --out <out-dir>`: compile a folder, print every
 * error of every file, exit non-zero if there was any.
 */
import { stat } from 'node:fs/promises';
import { compileDir } from './compile-dir.js';
import { formatCompileError } from './errors.js';

const USAGE = 'usage: reawait compile <src-dir> --out <out-dir>';

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIO: CliIO = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  let src: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out' || a === '-o') {
      out = argv[++i];
      if (!out) return usage(io, `'${a}' needs a folder`);
    } else if (a.startsWith('--out=')) out = a.slice('--out='.length);
    else if (a === '--help' || a === '-h') {
      io.out(`${USAGE}\n`);
      return 0;
    } else if (a.startsWith('-')) return usage(io, `unknown option '${a}'`);
    else if (src === undefined) src = a;
    else return usage(io, `unexpected argument '${a}'`);
  }
  if (!src) return usage(io, 'missing <src-dir>');
  if (!out) return usage(io, 'missing --out <out-dir>');
  const info = await stat(src).catch(() => null);
  if (!info?.isDirectory()) return usage(io, `source folder '${src}' does not exist or is not a folder`);

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

function usage(io: CliIO, problem: string): number {
  io.err(`reawait compile: ${problem}\n${USAGE}\n`);
  return 2;
}
