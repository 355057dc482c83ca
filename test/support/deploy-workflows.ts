/**
 * The two builds the deploy tests (upgrade.test.ts, deploys.test.ts) deploy
 * one after the other: three workflows that wait on signal 'go' after one
 * activity call, edited in v2 (a) before the wait only, (b) after it, (c) in
 * the locals kept across it. The waits are on lines 7, 13 and 19 in both.
 */
export const DEPLOY_HEAD = `import { proxyActivities, signal } from 'reawait/workflow';
const { note } = proxyActivities<{ note(s: string): Promise<string> }>();
`;

export const DEPLOY_V1 = `${DEPLOY_HEAD}
export async function before(x: number) {
  'use workflow';
  const a = await note('before-v1:' + x);
  const s = await signal<string>('go');
  return a + '|' + s + '|after';
}
export async function after(x: number) {
  'use workflow';
  const a = await note('a' + x);
  const s = await signal<string>('go');
  return a + '|' + s + '|after-v1';
}
export async function locals(x: number) {
  'use workflow';
  const a = await note('abc' + x);
  const s = await signal<string>('go');
  return a + '|' + s + '|v1';
}
`;

export const DEPLOY_V2 = `${DEPLOY_HEAD}
export async function before(x: number) {
  'use workflow';
  const a = await note('before-v2:' + (x + 1));
  const s = await signal<string>('go');
  return a + '|' + s + '|after';
}
export async function after(x: number) {
  'use workflow';
  const a = await note('a' + x);
  const s = await signal<string>('go');
  return a + '|' + s + '|after-v2';
}
export async function locals(x: number) {
  'use workflow';
  const n = (await note('abc' + x)).length;
  const s = await signal<string>('go');
  return n + '|' + s + '|v2';
}
`;

/** What each workflow returns for x = 7 and signal 'go' once v2 has resumed it (with the upgrade of `locals`). */
export const DEPLOY_RESULTS = { before: 'before-v1:7|go|after', after: 'a7|go|after-v1', locals: '4|go|v2' } as const;
