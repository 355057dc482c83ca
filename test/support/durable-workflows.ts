/**
 * The workflows and activities of the durable-runtime suites (shared by
 * runtime-durable.test.ts, which runs on both backends, and the Redis-only
 * and embedded-only files).
 */
export const SOURCE = `
import { proxyActivities, sleep, signal, startChild } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

/** n sequential calls, each on the last one's result: its state is its own all along. */
export async function doubling(x: number, n: number) {
  'use workflow';
  let v = x;
  for (let i = 0; i < n; i++) v = await acts.double(v);
  return v;
}

export async function napper(ms: number) {
  'use workflow';
  const before = Date.now();
  await sleep(ms);
  return Date.now() - before;
}

export async function approval() {
  'use workflow';
  const first = await signal<string>('approve');
  const second = await signal<string>('approve', { timeout: 300 });
  return { first, second };
}

export async function twoSignals() {
  'use workflow';
  const a = await signal<number>('n');
  const b = await signal<number>('n');
  const c = await signal<number>('n');
  return [a, b, c];
}

export async function compensating(label: string) {
  'use workflow';
  const log: string[] = [];
  try {
    await acts.record(label, 'step1');
    log.push('step1');
    await signal('never');
    log.push('unreachable');
  } catch (e) {
    log.push('caught ' + (e as Error).name);
    await acts.record(label, 'undo');
    throw e;
  } finally {
    log.push('finally');
    await acts.record(label, 'finally:' + log.join('|'));
  }
}

export async function child(x: number) {
  'use workflow';
  const y = await acts.double(x);
  if (y > 100) throw new RangeError('too big: ' + y);
  return y;
}

export async function parent(xs: number[]) {
  'use workflow';
  const results = await Promise.all(xs.map((x) => startChild(child, [x])));
  let failed = '';
  try {
    await startChild(child, [1000]);
  } catch (e) {
    failed = (e as Error).name + ': ' + (e as Error).message;
  }
  return { results, failed };
}

export async function sleepyChild() {
  'use workflow';
  try {
    await signal('never');
  } finally {
    await acts.record('child', 'compensated');
  }
}

export async function sleepyParent() {
  'use workflow';
  return await startChild(sleepyChild, []);
}

export async function inspectMe(n: number) {
  'use workflow';
  const label = 'batch-' + n;
  const items = [n, n + 1, n + 2];
  const got = await Promise.all([acts.double(items[0]), acts.slow(400, 'x'), acts.slow(400, 'y')]);
  return { label, got };
}
`;

/** 1-based line of the first source line containing `text`. */
export const lineOf = (text: string): number => SOURCE.split('\n').findIndex((l) => l.includes(text)) + 1;

export const recorded: string[] = [];
export const activities = {
  async double(x: number) {
    return x * 2;
  },
  async slow(ms: number, v: string) {
    await new Promise((r) => setTimeout(r, ms));
    return v;
  },
  async record(label: string, what: string) {
    recorded.push(`${label}:${what}`);
  },
};
