/** The progress view of `reawait run`: a bar redrawn in place on a terminal, plain lines otherwise. */
import { describe, expect, it } from 'vitest';
import { progressView } from '../runtime/cli/progress.js';
import { resumeCommand } from '../runtime/cli/run.js';
import type { Description } from '../runtime/engine/client-engine.js';

const waiting = (done: number): Description => ({
  id: 'x',
  status: 'waiting',
  workflow: 'videoPipeline',
  version: 'v',
  createdAt: 0,
  updatedAt: 0,
  waitingAt: { fn: 'videoPipeline', file: 'video.ts', line: 13, column: 2 },
  calls: { total: 4, done },
  history: [],
});

describe('progress view', () => {
  it('bar: redraws one line in place (calls done of total, source line), only on change', () => {
    let out = '';
    const v = progressView('bar', (s) => (out += s), () => 80);
    v.update(waiting(1));
    v.update(waiting(1));
    v.update(waiting(4));
    v.end();
    expect(out).toBe(`\r\x1b[2K  ${'█'.repeat(6)}${'░'.repeat(18)} 1/4 calls  video.ts:13\r\x1b[2K  ${'█'.repeat(24)} 4/4 calls  video.ts:13\n`);
  });

  it('lines: one plain line per change', () => {
    let out = '';
    const v = progressView('lines', (s) => (out += s));
    v.update(waiting(1));
    v.update(waiting(1));
    v.update({ ...waiting(4), status: 'completed', calls: undefined, waitingAt: undefined } as unknown as Description);
    expect(out).toBe('  waiting at video.ts:13, 1/4 calls\n  completed\n');
  });

  it('both modes say what it waits for: calls by activity, signals (and when they time out), timers (and when due), children', () => {
    const due = Date.UTC(2026, 6, 1, 8, 0, 0);
    const d: Description = {
      ...waiting(3),
      waitingFor: { calls: { encode: 2, upload: 1 }, signals: ['approve', 'cancel'], signalTimeouts: { approve: due + 3_600_000 }, timers: 1, timersDue: [due], children: [] },
    };
    let out = '';
    const v = progressView('bar', (s) => (out += s), () => 200);
    v.update(d);
    v.end();
    expect(out).toBe(
      `\r\x1b[2K  ${'█'.repeat(18)}${'░'.repeat(6)} 3/4 calls  video.ts:13  for encode ×2, upload, signal 'approve' (times out 2026-07-01T09:00:00Z), signal 'cancel', a timer due 2026-07-01T08:00:00Z\n`,
    );
    let lines = '';
    progressView('lines', (s) => (lines += s)).update({ ...d, waitingFor: { calls: {}, signals: [], signalTimeouts: {}, timers: 2, timersDue: [due, due + 1000], children: ['order-1/child-1'] } });
    expect(lines).toBe('  waiting at video.ts:13, 3/4 calls, for 2 timers, next due 2026-07-01T08:00:00Z, child order-1/child-1\n');
    // a state saved before due times were kept: the timers without them
    lines = '';
    progressView('lines', (s) => (lines += s)).update({ ...d, waitingFor: { calls: {}, signals: [], signalTimeouts: {}, timers: 1, timersDue: [], children: [] } });
    expect(lines).toBe('  waiting at video.ts:13, 3/4 calls, for a timer\n');
  });

  it('the resume hint repeats the command with --id, shell-quoted, as a command that works in a project (npx)', () => {
    expect(resumeCommand(['wf', '--args', '[["a b"]]', '--id', 'old', '--dir', 'd'], 'new')).toBe(`npx reawait run wf --args '[["a b"]]' --dir d --id new`);
  });
});
