/**
 * The workflows and activities of the error-handling suites (runtime-errors
 * on both backends, and the Redis-only file).
 */
import { activityContext, serializable } from '../../runtime/index.js';

export const SOURCE = `
import { proxyActivities, signal } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});
const flaky = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({ retries: 3, backoff: { type: 'exponential', delay: 20 } });
const timed = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({ timeout: 100 });

export async function callsMissing() {
  'use workflow';
  return await acts.noSuchActivity(1);
}

export async function big(n: number) {
  'use workflow';
  try {
    return await acts.bigResult(n);
  } catch (e) {
    return 'caught ' + (e as Error).name + ': ' + (e as Error).message;
  }
}

export async function waitsOnce() {
  'use workflow';
  const x = { n: 1 };
  await signal('go');
  return x.n;
}

/** A function from outside any workflow: it has no closure site, so it is not data. */
const outsideFunction = (): number => 1;

export async function passesFunction() {
  'use workflow';
  return await acts.echo(outsideFunction);
}

/** A closure written in the workflow is data to the workflow, but not to an activity. */
export async function passesClosure(k: number) {
  'use workflow';
  const add = (x: number): number => x + k;
  return await acts.echo({ add });
}

export async function retrying(key: string) {
  'use workflow';
  return await flaky.failsTwice(key);
}

export async function timesOut() {
  'use workflow';
  try {
    await timed.hang();
    return 'no timeout';
  } catch (e) {
    return (e as Error).name + ': ' + (e as Error).message;
  }
}

export async function quick(x: number) {
  'use workflow';
  return await acts.echo(x);
}

export async function catchesThrown(kind: string) {
  'use workflow';
  try {
    await acts.throwsValue(kind);
    return 'no throw';
  } catch (e) {
    return { caught: e };
  }
}

export async function letsThrownEscape(kind: string) {
  'use workflow';
  return await flaky.throwsValue(kind);
}
`;

/** A class registered by name: activities may throw (and return) its instances. */
export class Receipt {
  constructor(readonly id: number) {}
}
serializable(Receipt, 'test.Receipt');
class Unregistered {
  id = 7;
}
/** What throwsValue(kind) throws. */
export const THROWN: Record<string, () => unknown> = {
  undefined: () => undefined,
  null: () => null,
  string: () => 'oops',
  number: () => 42,
  object: () => ({ code: 'E1', list: [1, 2] }),
  registered: () => new Receipt(3),
};

export const attempts = new Map<string, { attempt: number; key: string }[]>();
export const aborted: { by?: unknown } = {};
export const activities = {
  async echo(x: unknown) {
    return x;
  },
  async bigResult(n: number) {
    return 'x'.repeat(n);
  },
  async failsTwice(key: string) {
    const ctx = activityContext();
    const list = attempts.get(key) ?? [];
    list.push({ attempt: ctx.attempt, key: ctx.idempotencyKey });
    attempts.set(key, list);
    if (ctx.attempt < 3) throw new Error(`attempt ${ctx.attempt} failed`);
    return `ok after ${ctx.attempt}`;
  },
  async throwsValue(kind: string) {
    throw kind === 'unregistered' ? new Unregistered() : THROWN[kind]!();
  },
  async hang() {
    const { signal } = activityContext();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    aborted.by = signal.reason;
  },
};
