/**
 * Compile errors: every refused construct in a file is collected (not just
 * the first) and reported as `file:line:col: message` plus a code frame.
 */
import type { NodePath } from '@babel/core';
import type * as t from '@babel/types';

export interface CompileErrorItem {
  file: string;
  /** 1-based line. */
  line: number;
  /** 1-based column (as editors show it; metadata columns are 0-based). */
  column: number;
  message: string;
  /** The offending source lines with a caret under the column. */
  codeFrame: string;
}

export class CompileError extends Error {
  override name = 'CompileError';
  readonly errors: CompileErrorItem[];
  constructor(errors: CompileErrorItem[]) {
    super(errors.map(formatCompileError).join('\n\n'));
    this.errors = errors;
  }
}

export function formatCompileError(e: CompileErrorItem): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}${e.codeFrame ? '\n' + e.codeFrame : ''}`;
}

/** Collects errors for one file; knows the source so it can draw code frames. */
export class ErrorSink {
  readonly items: CompileErrorItem[] = [];
  constructor(
    readonly file: string,
    private readonly source: string,
  ) {}

  at(node: t.Node | NodePath, message: string): void {
    const n = 'node' in node && 'parentPath' in node ? (node as NodePath).node : (node as t.Node);
    const loc = n.loc?.start ?? { line: 1, column: 0 };
    this.items.push({
      file: this.file,
      line: loc.line,
      column: loc.column + 1,
      message,
      codeFrame: codeFrame(this.source, loc.line, loc.column),
    });
  }
}

/** A small code frame: two lines of context above, the line, a caret. */
export function codeFrame(source: string, line: number, column: number): string {
  const lines = source.split(/\r?\n/);
  const first = Math.max(1, line - 2);
  const last = Math.min(lines.length, line + 1);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const gutter = `${n === line ? '>' : ' '} ${String(n).padStart(width)} |`;
    out.push(`${gutter} ${lines[n - 1] ?? ''}`.trimEnd());
    if (n === line) out.push(`  ${' '.repeat(width)} | ${lines[n - 1]!.slice(0, column).replace(/[^\t]/g, ' ')}^`);
  }
  return out.join('\n');
}
