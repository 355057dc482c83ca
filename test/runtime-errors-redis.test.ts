/**
 * Corrupt state on Redis: a state field overwritten behind the runtime's back
 * fails the execution with CorruptStateError. (The embedded backend's case is
 * in local-store.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { Client } from '../runtime/index.js';
import { activities, SOURCE } from './support/error-workflows.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime();

async function setup(extra: { maxPayloadBytes?: number } = {}) {
  const mod = await workflowModule(SOURCE, 'errors');
  const prefix = h.prefix();
  await h.worker({ prefix, workflows: mod, activities, ...extra });
  const client = new Client({ redis: h.url, prefix, ...extra });
  return { mod, prefix, client };
}

describe('bad input on Redis', () => {
  it('corrupt state fails the execution with CorruptStateError', async () => {
    const { mod, prefix, client } = await setup();
    const handle = await client.start(mod.waitsOnce, []);
    await expect.poll(async () => (await handle.describe()).status, { timeout: 5000 }).toBe('waiting');
    await h.redis.set(`${prefix}:{${handle.id}}:v`, '{"v":1,"workflow":"waitsOnce"'); // the state's key
    await handle.signal('go');
    const err = (await handle.result({ timeoutMs: 5000 }).catch((e: unknown) => e)) as Error;
    expect(err.name).toBe('CorruptStateError');
    expect(err.message).toMatch(/corrupt workflow state: not JSON/);
    const ok = await client.start(mod.quick, [1]);
    expect(await ok.result({ timeoutMs: 5000 })).toBe(1);
    await client.close();
  });
});
