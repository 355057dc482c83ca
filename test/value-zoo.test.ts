/**
 * Every kind of value a local can hold, kept across an await through
 * runWorkflow (the state encoded to JSON and decoded back): it comes back
 * indistinguishable — prototype, own property descriptors, extensibility,
 * internal data, shared references — or the suspension fails with a
 * StateEncodeError naming the local, the path inside it and what is there.
 */
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { StateEncodeError } from '../runtime/errors.js';
import { runWorkflow } from '../runtime/testing.js';
import { compileAndImport } from './support/compile-fixture.js';
import { exactDifference } from './support/exact-equal.js';
import { Money, REFUSED, ValidationError, ZOO, zooClosure } from './support/value-zoo.js';

const ZOO_MODULE = fileURLToPath(new URL('./support/value-zoo.ts', import.meta.url));

const SOURCE = `
import { proxyActivities, sleep } from 'reawait/workflow';
import { REFUSED, ZOO } from ${JSON.stringify(ZOO_MODULE)};
const { fail } = proxyActivities<{ fail(kind: string): Promise<void> }>();

export async function keepZooValue(kind: string, refused: boolean) {
  'use workflow';
  const value = refused ? REFUSED[kind].make() : ZOO[kind]();
  await sleep(1);
  return value;
}

export async function keepCaught(kind: string) {
  'use workflow';
  try {
    await fail(kind);
    return 'no error';
  } catch (e) {
    await sleep(1);
    return { e, isValidation: e instanceof Error && e.constructor.name === 'ValidationError' };
  }
}
`;

type Workflow = (...args: unknown[]) => Promise<unknown>;
let keepZooValue: Workflow;
let keepCaught: Workflow;

beforeAll(async () => {
  const { module } = await compileAndImport(SOURCE, 'test/value-zoo-workflow.ts');
  keepZooValue = module.keepZooValue as Workflow;
  keepCaught = module.keepCaught as Workflow;
});

const keep = async (kind: string): Promise<unknown> => {
  const out = await runWorkflow(keepZooValue, [kind, false], { activities: {} });
  expect(out.suspensions).toBe(1);
  expect(out.maxStateBytes).toBeGreaterThan(0);
  return out.result;
};

describe('the value zoo', () => {
  it('has at least 80 kinds of value and 20 kinds of refusal', () => {
    expect(Object.keys(ZOO).length).toBeGreaterThanOrEqual(80);
    expect(Object.keys(REFUSED).length).toBeGreaterThanOrEqual(20);
  });

  it.each(Object.keys(ZOO))('%s survives a suspension indistinguishable', async (kind) => {
    const back = await keep(kind);
    expect(exactDifference(back, ZOO[kind]!())).toBeUndefined();
  });

  it.each(Object.keys(REFUSED))('%s is refused at the suspension, naming the path', async (kind) => {
    const { path, found } = REFUSED[kind]!;
    const error = (await runWorkflow(keepZooValue, [kind, true], { activities: {} }).catch((e: unknown) => e)) as StateEncodeError;
    expect(error).toBeInstanceOf(StateEncodeError);
    expect(error.variable).toBe('value');
    expect(error.path).toBe(path);
    const at = path ? ` \\(at ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)` : '';
    expect(error.message).toMatch(new RegExp(`^cannot suspend workflow 'keepZooValue' at test/value-zoo-workflow\\.ts:\\d+:\\d+: local 'value'${at} holds ${found.source}`));
  });
});

describe('what the issue saw change silently now behaves as native', () => {
  it('a getter reads the state after the await', async () => {
    const o = (await keep('getter (a closure)')) as { n: number; twice: number };
    o.n = 5;
    expect(o.twice).toBe(10);
  });

  it("a global regex keeps its lastIndex, so an exec loop ends", async () => {
    const re = (await keep('regexp with lastIndex')) as RegExp;
    expect(re.lastIndex).toBe(2);
    const found: number[] = [];
    for (let m; (m = re.exec('foo')); ) found.push(m.index);
    expect(found).toEqual([2]);
  });

  it("a match() result keeps index, input and groups; Object.assign'd array properties stay", async () => {
    const m = (await keep('match() result (index, input, groups)')) as RegExpMatchArray;
    expect([m.index, m.input, m.groups?.word]).toEqual([4, 'say hello', 'hello']);
    expect((await keep('array with named properties')) as unknown as { label: string }).toMatchObject({ label: 'L' });
  });

  it('a frozen object stays frozen: writes throw', async () => {
    const o = (await keep('frozen object')) as { a: number };
    expect(Object.isFrozen(o)).toBe(true);
    expect(() => {
      'use strict';
      o.a = 2;
    }).toThrow(TypeError);
  });

  it('a registered class keeps its prototype: methods and accessors work, the constructor did not run again', async () => {
    const m = (await keep('registered class instance')) as Money;
    expect(m).toBeInstanceOf(Money);
    expect(m.doubled).toBe(10);
  });

  it('closures keep their environment shared', async () => {
    const [count, add] = (await keep('two closures sharing an environment')) as [() => number, (x: number) => number];
    expect(count()).toBe(1);
    expect(add(10)).toBe(13);
    const self = (await keep('closure inside its own environment')) as () => unknown;
    expect(typeof self).toBe('function');
  });

  it('an Error subclass an activity threw is still an instance of it after the await that follows the catch', async () => {
    const out = await runWorkflow(keepCaught, ['validation'], {
      activities: {
        fail: async () => {
          throw new ValidationError('bad email', 'email');
        },
      },
    });
    const { e, isValidation } = out.result as { e: ValidationError; isValidation: boolean };
    expect(isValidation).toBe(true);
    expect(e).toBeInstanceOf(ValidationError);
    expect(e).toMatchObject({ name: 'ValidationError', message: 'bad email', field: 'email' });
  });

  it('activities throw non-Errors as they were thrown: string, number, plain object, undefined, null, registered instance', async () => {
    const thrown: Record<string, unknown> = { string: 'oops', number: 42, object: { code: 'E1', list: [1] }, undefined, null: null, instance: new Money(3, 'EUR') };
    for (const [kind, value] of Object.entries(thrown)) {
      const out = await runWorkflow(keepCaught, [kind], {
        activities: {
          fail: async (k: string) => {
            throw thrown[k];
          },
        },
      });
      const { e } = out.result as { e: unknown };
      expect(exactDifference(e, value), kind).toBeUndefined();
    }
  });

  it('an activity that throws an instance of an unregistered class gives the workflow a clear error naming the class and how to register it', async () => {
    class Receipt {
      id = 1;
    }
    const out = await runWorkflow(keepCaught, ['receipt'], {
      activities: {
        fail: async () => {
          throw new Receipt();
        },
      },
    });
    const { e } = out.result as { e: Error };
    expect(e.name).toBe('ValueEncodeError');
    expect(e.message).toMatch(/cannot encode the error thrown by activity 'fail': it holds a Receipt instance, .*serializable\(Receipt\)/);
  });
});

describe("a workflow module's own classes are registered by the compiler", () => {
  const source = `
import { proxyActivities, sleep } from 'reawait/workflow';
const { check } = proxyActivities<{ check(order: unknown): Promise<void> }>();

export class ValidationError extends Error {
  constructor(message: string, readonly field: string) {
    super(message);
    this.name = 'ValidationError';
  }
}
class Order {
  lines: { sku: string; qty: number }[] = [];
  add(sku: string, qty: number) {
    this.lines.push({ sku, qty });
    return this;
  }
  get count() {
    return this.lines.reduce((n, l) => n + l.qty, 0);
  }
}

export async function placeOrder(fail: boolean) {
  'use workflow';
  const order = new Order().add('pen', 2);
  try {
    if (fail) throw new ValidationError('no stock', 'sku');
    await check(order);
  } catch (e) {
    await sleep(1); // the caught error is live across this await
    if (e instanceof ValidationError) return { branch: 'validation', field: e.field, name: e.name };
    return { branch: 'other' };
  }
  order.add('ink', 1);
  await sleep(1);
  return { branch: 'ok', count: order.count, isOrder: order instanceof Order };
}
`;

  it('an instance of a class declared in the module keeps its class across awaits, and so does a caught Error subclass', async () => {
    const { module } = await compileAndImport(source, 'test/zoo-classes-workflow.ts');
    const placeOrder = module.placeOrder as Workflow;
    const ok = await runWorkflow(placeOrder, [false], { activities: { check: async () => undefined } });
    expect(ok.result).toEqual({ branch: 'ok', count: 3, isOrder: true });
    const failed = await runWorkflow(placeOrder, [true], { activities: { check: async () => undefined } });
    expect(failed.result).toEqual({ branch: 'validation', field: 'sku', name: 'ValidationError' });
    // the activity received the instance as an Order too (a payload crosses the codec the same way)
    let received: unknown;
    await runWorkflow(placeOrder, [false], { activities: { check: async (o: unknown) => void (received = o) } });
    expect(Object.getPrototypeOf(received).constructor.name).toBe('Order');
    expect((received as { count: number }).count).toBe(2);
  });
});

describe('exactDifference (the checker itself can fail)', () => {
  const differ: [string, unknown, unknown][] = [
    ['a hole vs undefined', [1, , 3], [1, undefined, 3]], // eslint-disable-line no-sparse-arrays
    ['frozen vs not', Object.freeze({ a: 1 }), { a: 1 }],
    ['a getter vs its value', Object.defineProperty({}, 'x', { get: zooClosure(3) as () => number, enumerable: true, configurable: true }), { x: NaN }],
    ['prototypes', new Money(1, 'x'), { amount: 1, currency: 'x' }],
    ['-0 vs 0', -0, 0],
    ['lastIndex', Object.assign(/a/g, { lastIndex: 1 }), /a/g],
    ['key order', { a: 1, b: 2 }, { b: 2, a: 1 }],
    ['shared vs copies', (() => {
      const s = {};
      return [s, s];
    })(), [{}, {}]],
    ['Map order', new Map([[1, 1], [2, 2]]), new Map([[2, 2], [1, 1]])],
    ['view offset', new Uint8Array(new ArrayBuffer(4), 1, 2), new Uint8Array(2)],
    ['closure envs', zooClosure(1, { n: 1 }), zooClosure(1, { n: 2 })],
    ['non-closure functions', () => 1, () => 1],
  ];
  it.each(differ)('tells %s apart', (_what, a, b) => {
    expect(exactDifference(a, b)).toEqual(expect.any(String));
  });
});
