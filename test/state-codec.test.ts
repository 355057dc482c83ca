/** The state document v2: fibers and the promise table as one JSON document (runtime/state-codec.ts). */
import { describe, expect, it } from 'vitest';
import type { CompiledWorkflowRecord } from '../runtime/contract.js';
import { CorruptStateError, StateEncodeError } from '../runtime/errors.js';
import type { Fiber, MachineState, Resolve } from '../runtime/machine.js';
import { DurablePromise, FULFILLED } from '../runtime/promises.js';
import { decodeState, encodeState, headerLines } from '../runtime/state-codec.js';
import { compactState, expandState } from '../runtime/state-header.js';

/** Records whose suspension `pc` sits at line 10 + pc of `src/<name>.ts`. */
const resolve: Resolve = (name) =>
  ({
    meta: { name, version: 'abc123', file: `src/${name}.ts`, params: [], line: 1, column: 0, suspensions: Array.from({ length: 8 }, (_, id) => ({ id, line: 10 + id, column: 4, live: [] })) },
    step: () => ({ done: true, value: undefined }),
  }) as CompiledWorkflowRecord;

function fiber(id: number, fn: string, pc: number, locals: Record<string, unknown>): Fiber {
  return { id, frame: { fn, pc, locals }, p: new DurablePromise(id, 'fiber') };
}
function machine(fibers: Fiber[], ops: DurablePromise[] = [], nextId = 10): MachineState {
  return { workflow: 'pipeline', version: 'abc123', nextId, fibers, ops, tokens: new Map(), watches: new Map() };
}
function op(id: number, name: string): DurablePromise {
  const p = new DurablePromise(id, 'op');
  p.op = { kind: 'call', name };
  return p;
}
const roundTrip = (s: MachineState): MachineState => decodeState(encodeState(s, resolve));

class Socket {
  fd = 3;
}

describe('encodeState / decodeState', () => {
  it('writes one JSON document with a plain header: fibers, their pcs and lines', () => {
    const s = machine([fiber(0, 'pipeline', 1, { x: 1 }), fiber(4, 'helper', 3, {})]);
    const text = encodeState(s, resolve);
    const doc = JSON.parse(text);
    // the root (running the workflow itself) as [pc], others as [id, fn, pc, line]
    expect(doc).toMatchObject({ v: 2, workflow: 'pipeline', version: 'abc123', fibers: [[1], [4, 'helper', 3, 13]] });
    expect(headerLines(text)).toEqual([undefined, 13]); // the root waits on an op itself: its line is the execution's `at`
    const back = decodeState(text);
    expect(back.fibers.map((f) => [f.id, f.frame.fn, f.frame.pc, f.frame.locals])).toEqual([
      [0, 'pipeline', 1, { x: 1 }],
      [4, 'helper', 3, {}],
    ]);
    expect(back.nextId).toBe(10);
  });

  it('keeps shared references across fibers, and durable promises shared between locals and the table', () => {
    const shared = { n: 1 };
    const call = op(2, 'charge');
    const root = fiber(0, 'pipeline', 1, { a: shared, list: [shared], pending: call, byKey: new Map([['c', call]]) });
    const other = fiber(3, 'helper', 2, { b: shared });
    call.reactions.push({ t: 'f', fiber: other });
    other.w = call;
    const back = roundTrip(machine([root, other], [call]));
    const [r, o] = back.fibers as [Fiber, Fiber];
    expect(r.frame.locals.a).toBe(o.frame.locals.b);
    expect((r.frame.locals.list as unknown[])[0]).toBe(r.frame.locals.a);
    const p = r.frame.locals.pending as DurablePromise;
    expect(p).toBeInstanceOf(DurablePromise);
    expect(p).toBe(back.ops[0]);
    expect((r.frame.locals.byKey as Map<string, unknown>).get('c')).toBe(p);
    expect(p.op).toEqual({ kind: 'call', name: 'charge' });
    expect(p.reactions).toEqual([{ t: 'f', fiber: o }]);
    expect(o.w).toBe(p); // derived from its reaction
    expect(back.tokens).toEqual(new Map([[2, '*']])); // the watches of the commit, derived
  });

  it('keeps settled entries that are reachable and drops the rest', () => {
    const kept = new DurablePromise(5, 'value');
    kept.state = FULFILLED;
    kept.value = { deep: [1, 2] };
    const back = roundTrip(machine([fiber(0, 'pipeline', 1, { kept })]));
    const p = back.fibers[0]!.frame.locals.kept as DurablePromise;
    expect([p.id, p.kind, p.state, p.value]).toEqual([5, 'value', FULFILLED, { deep: [1, 2] }]);
    expect(encodeState(machine([fiber(0, 'pipeline', 1, {})]), resolve)).not.toContain('deep');
  });

  it('keeps a typical state small (the video example at its Promise.all of three calls)', () => {
    const calls = [1, 2, 3].map((id) => op(id, 'encodeVideo'));
    const all = new DurablePromise(4, 'all');
    all.items = calls;
    all.results = new Array(3);
    all.remaining = 3;
    calls.forEach((c, i) => c.reactions.push({ t: 'c', p: all, i }));
    const root = fiber(0, 'videoPipeline', 1, {});
    all.reactions.push({ t: 'f', fiber: root });
    const s = { ...machine([root], calls, 5), workflow: 'videoPipeline' };
    expect(Buffer.byteLength(encodeState(s, resolve))).toBeLessThan(300);
  });

  it('refuses a local that cannot be saved, naming the variable, type, workflow and await location', () => {
    const run = (locals: Record<string, unknown>) => () => encodeState(machine([fiber(0, 'pipeline', 2, locals)]), resolve);
    expect(run({ ok: 1, conn: new Socket() })).toThrow(StateEncodeError);
    expect(run({ ok: 1, conn: new Socket() })).toThrow(
      "cannot suspend workflow 'pipeline' at src/pipeline.ts:12:5: local 'conn' holds a Socket instance, which cannot be saved across an await",
    );
    expect(run({ cfg: { nested: { conn: new Socket() } } })).toThrow(/local 'cfg' \(at \.nested\.conn\) holds a Socket instance/);
    expect(run({ cb: function handler() {} })).toThrow(/local 'cb' holds a function \(handler\)/);
    expect(run({ s: Symbol('k') })).toThrow(/local 's' holds a symbol/);
    expect(run({ p: Promise.resolve(1) })).toThrow(/local 'p' holds a Promise/);
    expect(run({ m: new Map([['k', () => 0]]) })).toThrow(/local 'm' \(at \.get\("k"\)\) holds a function/);
  });

  it("names the fiber whose local cannot be saved, at that fiber's own await", () => {
    const s = machine([fiber(0, 'pipeline', 1, { a: 1 }), fiber(3, 'helper', 4, { b: Symbol('inner') })]);
    expect(() => encodeState(s, resolve)).toThrow("cannot suspend workflow 'helper' at src/helper.ts:14:5: local 'b' holds a symbol");
  });

  it('refuses corrupt documents with a clear reason', () => {
    const good = JSON.parse(encodeState(machine([fiber(0, 'pipeline', 1, { x: 1 })]), resolve));
    const bad = (patch: Record<string, unknown>) => () => decodeState(JSON.stringify({ ...good, ...patch }));
    expect(() => decodeState('{not json')).toThrow(CorruptStateError);
    expect(() => decodeState('{not json')).toThrow(/corrupt workflow state: not JSON/);
    expect(() => decodeState('[1]')).toThrow(/expected a JSON object, got an array/);
    expect(bad({ v: 1 })).toThrow(/unsupported format version 1/);
    expect(bad({ workflow: 7 })).toThrow(/invalid 'workflow'/);
    expect(bad({ version: undefined })).toThrow(/invalid 'version'/);
    expect(bad({ fibers: [] })).toThrow(/'fibers' must be a non-empty array/);
    expect(bad({ fibers: [[-1]] })).toThrow(/fiber 0 must be \[pc, line\?\] \(the root\)/);
    expect(bad({ fibers: [[1], [1]] })).toThrow(/fiber 1 must be \[id, fn, pc, line\?\]/);
    expect(bad({ fibers: [[1], [3, 'helper', 1]] })).toThrow(/'data' has locals for 1 fibers but the header lists 2/);
    expect(bad({ data: undefined })).toThrow(/'data' must hold \[graph, nextId, rows\]/);
    expect(bad({ data: [99, 1, []] })).toThrow(/not a valid codec payload/);
    expect(bad({ data: [good.data[0], 1, [[7, '?', 0]]] })).toThrow(/promise entry 7 has an unknown kind '\?'/);
  });
});

describe('compactState / expandState', () => {
  const s: MachineState = { ...machine([fiber(0, 'we"ird\\name', 2, { a: 1 })]), workflow: 'we"ird\\name' };
  const text = encodeState(s, () => undefined as never);

  it('drops exactly the workflow and version the record holds, and puts them back', () => {
    const compact = compactState(text, s.workflow, s.version);
    expect(compact).toBe(`{"v":2,${text.slice(text.indexOf('"fibers":'))}`);
    expect(compact).not.toContain('abc123');
    expect(compact.length).toBeLessThan(text.length);
    expect(expandState(compact, s.workflow, s.version)).toBe(text);
    expect(decodeState(expandState(compact, s.workflow, s.version)).fibers[0]!.frame.locals).toEqual({ a: 1 });
  });

  it('keeps a text whole when its header is not the given one, and expands nothing that was kept whole', () => {
    expect(compactState(text, 'other', s.version)).toBe(text);
    expect(compactState(text, s.workflow, 'v2')).toBe(text);
    expect(text).toContain('"fibers":[[2]]');
    expect(expandState(text, 'other', 'v2')).toBe(text);
    expect(expandState('{"v":2,"workflow"', 'w', 'v')).toBe('{"v":2,"workflow"');
  });
});

describe('promise-table rows', () => {
  it('keep a settled value of 0, and where a pending unhandled entry was made', () => {
    const zero = new DurablePromise(5, 'value');
    zero.state = FULFILLED;
    zero.value = 0;
    const floating = op(6, 'charge');
    floating.site = 'src/pipeline.ts:12';
    const back = roundTrip(machine([fiber(0, 'pipeline', 1, { zero, floating })], [floating]));
    const locals = back.fibers[0]!.frame.locals as { zero: DurablePromise; floating: DurablePromise };
    expect([locals.zero.state, locals.zero.value]).toEqual([FULFILLED, 0]);
    expect(locals.floating.site).toBe('src/pipeline.ts:12');
  });
});
