/**
 * Issue 15 items 1 and 12: reawait's own ids live in a namespace user ids
 * cannot produce ('~…'), and every key component is escaped, so no id or
 * signal name a user picks can reach another execution's keys.
 */
import { describe, expect, it } from 'vitest';
import { InvalidExecutionIdError } from '../runtime/index.js';
import { startChild } from '../runtime/workflow.js';
import { executionBase, keyPart, signalBufferKey } from '../runtime/redis/keys.js';
import { activities, SOURCE } from './support/durable-workflows.js';
import { useRedisRuntime, workflowModule } from './support/runtime-harness.js';

const h = useRedisRuntime();

describe('ids reawait reserves', () => {
  it('Client.start refuses an id starting with "~" and says why', async () => {
    const client = h.client(h.prefix());
    for (const id of ['~c:order:1', '~', '~anything']) {
      const e = await client.start('approval', [], { id }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidExecutionIdError);
      expect((e as Error).message).toContain(`execution id '${id}' starts with '~'`);
      expect(await client.get(id)).toBeUndefined();
    }
    await expect(client.start('approval', [], { id: '' })).rejects.toThrow(/must not be empty/);
  });

  it('startChild refuses a "~" id at the call', () => {
    expect(() => startChild('child', [], { id: '~c:p:1' })).toThrow(/startChild of workflow 'child': execution id '~c:p:1' starts with '~'/);
  });

  it('a parent gets its own children, whatever user executions exist under child-like ids', async () => {
    const mod = await workflowModule(SOURCE, 'durable');
    const prefix = h.prefix();
    await h.worker({ prefix, workflows: mod, activities });
    const client = h.client(prefix);
    // User executions named as children were once named (`<parent>:<rev>:<slot>`), and as they are now but without '~': all waiting forever.
    const decoys = ['order:1:0', 'order:1:1', 'order:0:0', 'c:order:1', 'c:order:2', 'order:1', 'order:2'];
    for (const id of decoys) await client.start('approval', [], { id });
    const handle = await client.start(mod.parent, [[1, 2]], { id: 'order' });
    expect(await handle.result({ timeoutMs: 15_000 })).toEqual({ results: [2, 4], failed: 'RangeError: too big: 2000' });
    for (const id of decoys) {
      const d = await (await client.get(id))!.describe();
      expect(d.status).toBe('waiting');
      expect(d.parent).toBeUndefined();
    }
  });
});

describe('keys built from user strings', () => {
  it('escapes every separator, so distinct ids and names never share a key', () => {
    const ids = ['victim', 'victim}:q:X', 'victim}', '{victim}', 'a:b', 'a%3Ab', 'a%b', 'v}:q:n', '~c:a:1', 'a}:h'];
    const names = ['X}:h', 'n}:x', 'h', 'q:h', 'a{b}', '%7D', ''];
    const keys = new Map<string, string>();
    for (const id of ids) {
      for (const s of ['x', 's', 'v', 'h', 'b', 'w']) keys.set(`${executionBase('p', id)}:${s}`, `${id} ${s}`);
      for (const n of names) {
        const k = signalBufferKey('p', id, n);
        expect(keys.get(k), `signal ${n} of ${id}`).toBeUndefined();
        keys.set(k, `${id} q ${n}`);
      }
    }
    expect(keys.size).toBe(ids.length * (6 + names.length));
    for (const id of ids) expect(executionBase('p', id)).toBe(`p:{${keyPart(id)}}`);
    expect(keyPart('victim}:q:X')).not.toMatch(/[{}:]/);
  });

  it("signal 'X}:h' to 'victim' leaves the history of execution 'victim}:q:X' alone", async () => {
    const prefix = h.prefix();
    const mod = await workflowModule(SOURCE, 'durable');
    await h.worker({ prefix, workflows: mod, activities });
    const client = h.client(prefix);
    const victim = await client.start('approval', [], { id: 'victim' });
    const other = await client.start('approval', [], { id: 'victim}:q:X' });
    await expect.poll(async () => (await other.describe()).status, { timeout: 10_000 }).toBe('waiting');
    const before = (await other.describe()).history;
    await victim.signal('X}:h', 'injected');
    const after = (await other.describe()).history;
    expect(after).toEqual(before);
    for (const e of after) expect(typeof e.type).toBe('string');
    // Both still work: each gets its own signal.
    await other.signal('approve', 'o');
    await victim.signal('approve', 'v');
    expect(await other.result({ timeoutMs: 10_000 })).toEqual({ first: 'o', second: undefined });
    expect(await victim.result({ timeoutMs: 10_000 })).toEqual({ first: 'v', second: undefined });
  });

  it("a signal name that spells another execution's record key is buffered, not a WRONGTYPE", async () => {
    const prefix = h.prefix();
    const client = h.client(prefix);
    await client.start('approval', [], { id: 'v' });
    const other = await client.start('approval', [], { id: 'v}:q:n' });
    await (await client.get('v'))!.signal('n}:x', 1);
    expect((await other.describe()).status).toBe('ready');
    const d = await (await client.get('v'))!.describe();
    expect(d.history.map((e) => e.type)).toContain('signal buffered');
  });
});
