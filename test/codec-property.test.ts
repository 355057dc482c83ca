/**
 * The codec's rule over random value graphs: a state holding the graph in a
 * local either decodes to a graph indistinguishable from it, or fails with a
 * StateEncodeError naming that local and a path that leads, in the
 * original, to something that cannot be saved. Graphs mix every kind of
 * container, registered classes and closures, with shared and cyclic
 * references (children are indexes into the whole node list), frozen,
 * sealed and non-extensible objects, accessors and holes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closureTag } from '../runtime/closures.js';
import type { CompiledWorkflowRecord } from '../runtime/contract.js';
import type { MachineState, Resolve } from '../runtime/machine.js';
import { DurablePromise } from '../runtime/promises.js';
import { decodeState, encodeState } from '../runtime/state-codec.js';
import { StateEncodeError } from '../runtime/errors.js';
import { exactDifference } from './support/exact-equal.js';
import { resolvePath } from './support/resolve-path.js';
import { Money, Point, Socket, ValidationError, zooClosure } from './support/value-zoo.js';

const RUNS = Number(process.env.REAWAIT_PROP_RUNS ?? 300);

const CONTAINERS = ['object', 'array', 'sparse array', 'map', 'set', 'null object', 'money', 'point', 'error', 'validation', 'closure', 'getter', 'date', 'regexp', 'bytes', 'boxed'] as const;
const REFUSABLE = ['socket', 'function', 'unique symbol', 'weakmap', 'promise'] as const;
type Kind = (typeof CONTAINERS)[number] | (typeof REFUSABLE)[number] | 'primitive';

interface NodeSpec {
  kind: Kind;
  primitive: unknown;
  children: number[];
  keys: string[];
  integrity: 'none' | 'frozen' | 'sealed' | 'closed';
}

const primitiveArb = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 60),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.bigInt(),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.string({ maxLength: 4 }).map((k) => Symbol.for(k)),
);

const graphArb = (refusals: boolean) =>
  fc.integer({ min: 1, max: 14 }).chain((n) =>
    fc.array(
      fc.record({
        kind: fc.oneof(
          { arbitrary: fc.constant<Kind>('primitive'), weight: 5 },
          { arbitrary: fc.constantFrom<Kind>(...CONTAINERS), weight: 8 },
          { arbitrary: fc.constantFrom<Kind>(...REFUSABLE), weight: refusals ? 1 : 0 },
        ),
        primitive: primitiveArb,
        children: fc.array(fc.nat({ max: n - 1 }), { maxLength: 4 }),
        keys: fc.array(fc.constantFrom('a', 'b', '__proto__', '1', '0', 'x y', 'length2'), { minLength: 4, maxLength: 4 }),
        integrity: fc.constantFrom<NodeSpec['integrity']>('none', 'none', 'none', 'frozen', 'sealed', 'closed'),
      }),
      { minLength: n, maxLength: n },
    ),
  );

/** Make the graph: every node first, then the contents (so any node may refer to any other), then the integrity levels. */
function materialize(spec: NodeSpec[]): { root: unknown; refused: Set<unknown> } {
  const refused = new Set<unknown>();
  const values: unknown[] = spec.map((s) => {
    switch (s.kind) {
      case 'primitive':
        return s.primitive;
      case 'object':
      case 'getter':
        return {};
      case 'array':
        return [];
      case 'sparse array':
        return new Array(5);
      case 'map':
        return new Map();
      case 'set':
        return new Set();
      case 'null object':
        return Object.create(null) as object;
      case 'money':
        return new Money(1, 'EUR');
      case 'point':
        return new Point(0, 0);
      case 'error':
        return new Error(String(s.keys[0]));
      case 'validation':
        return new ValidationError('bad', 'field');
      case 'closure':
        return zooClosure(1, {});
      case 'date':
        return new Date(typeof s.primitive === 'number' ? s.primitive : 0);
      case 'regexp': {
        const re = /a|b/g;
        re.lastIndex = s.children.length;
        return re;
      }
      case 'bytes':
        return new Uint8Array(new ArrayBuffer(6), s.children.length % 3, 2);
      case 'boxed':
        return Object(typeof s.primitive === 'symbol' || s.primitive == null ? 'boxed' : s.primitive) as object;
      case 'socket': {
        const v = new Socket();
        refused.add(v);
        return v;
      }
      case 'function': {
        const v = () => 1;
        refused.add(v);
        return v;
      }
      case 'unique symbol': {
        const v = Symbol('u');
        refused.add(v);
        return v;
      }
      case 'weakmap': {
        const v = new WeakMap();
        refused.add(v);
        return v;
      }
      case 'promise': {
        const v = Promise.resolve();
        refused.add(v);
        return v;
      }
    }
  });
  spec.forEach((s, i) => {
    const v = values[i] as Record<string, unknown>;
    const kids = s.children.map((c) => values[c]);
    // (Reflect: a boxed string's own index properties cannot be redefined; the property is then left out.)
    const set = (k: string, x: unknown): void => void Reflect.defineProperty(v, k, { value: x, writable: true, enumerable: true, configurable: true });
    switch (s.kind) {
      case 'object':
      case 'null object':
      case 'money':
      case 'error':
      case 'validation':
      case 'date':
      case 'boxed':
        kids.forEach((x, j) => set(s.keys[j]!, x));
        break;
      case 'getter':
        Object.defineProperty(v, 'n', { value: kids[0], writable: true, enumerable: true, configurable: true });
        Object.defineProperty(v, 'twice', { get: zooClosure(3) as () => number, enumerable: true, configurable: true });
        break;
      case 'array':
        (v as unknown as unknown[]).push(...kids);
        if (kids.length > 1) set(s.keys[0]!, kids[1]);
        break;
      case 'sparse array':
        kids.forEach((x, j) => ((v as unknown as unknown[])[j * 2] = x));
        break;
      case 'map':
        kids.forEach((x, j) => (v as unknown as Map<unknown, unknown>).set(j % 2 ? x : s.keys[j], kids[(j + 1) % kids.length]));
        break;
      case 'set':
        kids.forEach((x) => (v as unknown as Set<unknown>).add(x));
        break;
      case 'point':
        if (kids.length) (v as unknown as Point).x = kids[0] as number;
        break;
      case 'closure':
        Object.assign(closureTag(v)!.envs[0]!, { n: kids[0] });
        break;
      case 'regexp':
      case 'bytes':
        break;
    }
  });
  spec.forEach((s, i) => {
    const v = values[i];
    if ((typeof v !== 'object' && typeof v !== 'function') || v === null || refused.has(v)) return;
    if (s.integrity === 'frozen' && !ArrayBuffer.isView(v)) Object.freeze(v);
    else if (s.integrity === 'sealed') Object.seal(v);
    else if (s.integrity === 'closed') Object.preventExtensions(v);
  });
  return { root: values[0], refused };
}

/** A state whose root fiber keeps `v` in a local, suspended at prop.ts:1. */
const state = (v: unknown): MachineState => ({
  workflow: 'prop',
  version: 'v',
  nextId: 1,
  fibers: [{ id: 0, frame: { fn: 'prop', pc: 1, locals: { v } }, p: new DurablePromise(0, 'fiber') }],
  ops: [],
  tokens: new Map(),
  watches: new Map(),
});
const where: Resolve = (name) =>
  ({ meta: { name, version: 'v', file: 'prop.ts', params: [], line: 1, column: 0, suspensions: [{ id: 0, line: 1, column: 0, live: [] }, { id: 1, line: 1, column: 0, live: [] }] }, step: () => ({ done: true, value: undefined }) }) as CompiledWorkflowRecord;

describe('random value graphs through a state', () => {
  it('come back indistinguishable when they hold only data', () => {
    fc.assert(
      fc.property(graphArb(false), (spec) => {
        const { root } = materialize(spec);
        const back = decodeState(encodeState(state(root), where)).fibers[0]!.frame.locals.v;
        const d = exactDifference(back, root);
        if (d !== undefined) throw new Error(d);
      }),
      { numRuns: RUNS, seed: Number(process.env.REAWAIT_PROP_SEED ?? 12) },
    );
  });

  it('are refused at a path that leads to what cannot be saved, or come back indistinguishable', () => {
    let refusals = 0;
    fc.assert(
      fc.property(graphArb(true), (spec) => {
        const { root, refused } = materialize(spec);
        let text: string;
        try {
          text = encodeState(state(root), where);
        } catch (e) {
          if (!(e instanceof StateEncodeError)) throw e;
          refusals++;
          expect(e.variable).toBe('v');
          const at = resolvePath(root, e.path);
          const hit = at.some((x) => refused.has(x));
          if (!hit) throw new Error(`the path ${JSON.stringify(e.path)} of "${e.message}" leads to nothing refusable`);
          return;
        }
        const d = exactDifference(decodeState(text).fibers[0]!.frame.locals.v, root);
        if (d !== undefined) throw new Error(d);
      }),
      { numRuns: RUNS, seed: Number(process.env.REAWAIT_PROP_SEED ?? 34) },
    );
    expect(refusals).toBeGreaterThan(RUNS / 20); // the property really met refusals
  });
});
