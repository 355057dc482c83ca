/**
 * How `reawait run` shows an execution's progress on stderr: a bar redrawn in
 * place on a terminal, one plain line per change otherwise (logs, CI, pipes).
 */
import type { Description, WaitingFor } from '../engine/client-engine.js';

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface ProgressView {
  update(d: Description): void;
  /** Leave the bar's line (before printing anything else). */
  end(): void;
}

/** "encode ×2, signal 'approve' (times out 2026-07-01T09:00:00Z), a timer due 2026-07-01T08:00:00Z": the operations it waits for. */
export function describeWaitingFor(w: WaitingFor | undefined): string {
  if (!w) return '';
  const signalDue = (name: string): string => (w.signalTimeouts[name] !== undefined ? ` (times out ${instant(w.signalTimeouts[name])})` : '');
  const next = w.timersDue[0];
  const timers = w.timers === 1 ? `a timer${next !== undefined ? ` due ${instant(next)}` : ''}` : `${w.timers} timers${next !== undefined ? `, next due ${instant(next)}` : ''}`;
  const parts = [
    ...Object.entries(w.calls).map(([name, n]) => (n === 1 ? name : `${name} ×${n}`)),
    ...w.signals.map((s) => `signal '${s}'${signalDue(s)}`),
    ...(w.timers ? [timers] : []),
    ...w.children.map((c) => `child ${c}`),
  ];
  return parts.join(', ');
}

/** A due time as UTC to the second (2026-07-01T08:00:00Z): the same in every time zone, and it never ticks by itself. */
export function instant(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "waiting at video.ts:13, 4/12 calls, for encode ×2" — the same facts in both modes. */
export function describeProgress(d: Description): string {
  const where = d.waitingAt ? ` at ${d.waitingAt.file}:${d.waitingAt.line}` : '';
  const calls = d.calls ? `, ${d.calls.done}/${d.calls.total} ${d.calls.total === 1 ? 'call' : 'calls'}` : '';
  const waits = describeWaitingFor(d.waitingFor);
  const problem = d.problem ? ` (${d.problem})` : '';
  return `${d.status}${where}${calls}${waits ? `, for ${waits}` : ''}${problem}`;
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
      const waits = describeWaitingFor(d.waitingFor);
      let line = `  ${calls}  ${where}${waits ? `  for ${waits}` : ''}${d.problem ? `  (${d.problem})` : ''}`;
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
