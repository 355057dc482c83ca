/**
 * How `reawait run` shows an execution's progress on stderr: a bar redrawn in
 * place on a terminal, one plain line per change otherwise (logs, CI, pipes).
 */
import type { Description } from '../engine/client-engine.js';

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface ProgressView {
  update(d: Description): void;
  /** Leave the bar's line (before printing anything else). */
  end(): void;
}

/** 'waiting at video.ts:13, 4/12 calls' — the same facts in both modes. */
export function describeProgress(d: Description): string {
  const where = d.waitingAt ? ` at ${d.waitingAt.file}:${d.waitingAt.line}` : '';
  const calls = d.calls ? `, ${d.calls.done}/${d.calls.total} ${d.calls.total === 1 ? 'call' : 'calls'}` : '';
  const problem = d.problem ? ` (${d.problem})` : '';
  return `${d.status}${where}${calls}${problem}`;
}

function bar(done: number, total: number, width = 24): string {
  const full = total === 0 ? width : Math.round((done / total) * width);
  return `${'█'.repeat(full)}${'░'.repeat(width - full)}`;
}

export function progressView(mode: ProgressMode, write: (text: string) => void, columns = (): number => process.stderr.columns ?? (Number(process.env.COLUMNS) || 100)): ProgressView {
  let last = '';
  if (mode === 'none') return { update() {}, end() {} };
  if (mode === 'lines')
    return {
      update(d) {
        const line = describeProgress(d);
        if (line !== last) write(`  ${line}\n`);
        last = line;
      },
      end() {},
    };
  let drawn = false;
  return {
    update(d) {
      const where = d.waitingAt ? `${d.waitingAt.file}:${d.waitingAt.line}` : d.status;
      const calls = d.calls ? `${bar(d.calls.done, d.calls.total)} ${d.calls.done}/${d.calls.total} calls` : bar(0, 1);
      let line = `  ${calls}  ${where}${d.problem ? `  (${d.problem})` : ''}`;
      const max = Math.max(20, columns() - 1);
      if ([...line].length > max) line = [...line].slice(0, max - 1).join('') + '…';
      if (line === last) return;
      last = line;
      drawn = true;
      write(`\r\x1b[2K${line}`);
    },
    end() {
      if (drawn) write('\n');
      drawn = false;
      last = '';
    },
  };
}
