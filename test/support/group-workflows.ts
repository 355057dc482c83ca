/** The workflows and activities of the group suites (both backends, and the Redis-only 10,000-call test). */
export const SOURCE = `
import { proxyActivities } from 'reawait/workflow';
const acts = proxyActivities<Record<string, (...a: any[]) => Promise<any>>>({});

export async function sumOfDoubles(n: number) {
  'use workflow';
  const xs: number[] = [];
  for (let i = 0; i < n; i++) xs.push(i);
  const doubled = await Promise.all(xs.map((x) => acts.double(x)));
  let sum = 0;
  for (const d of doubled) sum += d;
  return sum;
}

export async function modes() {
  'use workflow';
  const settled = await Promise.allSettled([acts.double(1), acts.fail('boom'), 7]);
  const first = await Promise.race([acts.slow(300, 'slow'), acts.slow(10, 'fast')]);
  const any = await Promise.any([acts.fail('a'), acts.slow(20, 'ok')]);
  let allErr = '';
  try {
    await Promise.all([acts.double(2), acts.fail('all-fails')]);
  } catch (e) {
    allErr = (e as Error).message;
  }
  let anyErr = '';
  try {
    await Promise.any([acts.fail('x'), acts.fail('y')]);
  } catch (e) {
    anyErr = (e as Error).name + ':' + (e as AggregateError).errors.map((x: Error) => x.message).join(',');
  }
  return { settled, first, any, allErr, anyErr };
}
`;

export const activities = {
  async double(x: number) {
    return x * 2;
  },
  async fail(msg: string) {
    throw new Error(msg);
  },
  async slow(ms: number, v: string) {
    await new Promise((r) => setTimeout(r, ms));
    return v;
  },
};
