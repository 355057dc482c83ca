import { proxyActivities } from 'reawait/workflow';
import type * as activities from './activities.js';

const { add, multiply, sum } = proxyActivities<typeof activities>({ retries: 2 });

/** Fan out one add and one multiply per pair (all at once), then sum every result. */
export async function simpleParallel(pairs: [number, number][]) {
  'use workflow';
  const results = await Promise.all([...pairs.map(([a, b]) => add(a, b)), ...pairs.map(([a, b]) => multiply(a, b))]);
  const total = await sum(results);
  return { results, total };
}
