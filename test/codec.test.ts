import { describe, expect, it } from 'vitest';
import type { CallCommand, GroupItem, MachineState } from '../runtime/contract.js';
import { decodeState, decodeValue, encodeState, encodeValue, roundTripValue } from '../runtime/codec.js';
import { encodeError } from '../runtime/thrown.js';
import { serializable } from '../runtime/serializable.js';
import { compactState, expandState } from '../runtime/state-header.js';
import { CancelledError, CorruptStateError, StateEncodeError, ValueEncodeError } from '../runtime/errors.js';
import { proxyActivities } from '../runtime/workflow.js';

const rt = <T>(v: T): T => decodeValue(encodeValue(v)) as T;
const state = (locals: Record<string, unknown>, extra: Partial<MachineState> = {}): MachineState => ({
  workflow: 'pipeline',
  version: 'abc123',
  frames: [{ fn: 'pipeline', pc: 1, locals }],
  ...extra,
});
const where = () => ({ fn: 'pipeline', file: 'src/video.ts', line: 12, column: 8 });

class Socket {
  fd = 3;
}

describe('encodeValue / decodeValue', () => {
  it('round-trips every value kind beyond JSON', () => {
    const v = {
      u: undefined,
      arr: [1, undefined, 3],
      date: new Date('2024-02-03T04:05:06.789Z'),
      map: new Map<unknown, unknown>([['a', 1], [2, { b: true }]]),
      set: new Set(['x', 'y']),
      big: 12345678901234567890n,
      nan: NaN,
      inf: Infinity,
      ninf: -Infinity,
      nzero: -0,
      re: /a+b/gi,
      nested: { deep: [null, 'ß', '</script>'] },
    };
    const back = rt(v);
    expect(back).toEqual(v);
    expect(Object.is(back.nzero, -0)).toBe(true);
    expect(back.arr.length).toBe(3);
    expect('u' in back).toBe(true);
    expect(back.re.flags).toBe('gi');
    expect(back.date).toBeInstanceOf(Date);
  });

  it('keeps cyclic references', () => {
    const a: { self?: unknown; list: unknown[] } = { list: [] };
    a.self = a;
    a.list.push(a);
    const back = rt(a);
    expect(back.self).toBe(back);
    expect(back.list[0]).toBe(back);
  });

  it('keeps an error that refers to itself, and errors shared between places', () => {
    const e = new Error('loop') as Error & { self?: unknown };
    e.self = e;
    const back = rt(e);
    expect(back.self).toBe(back);
    const shared = new Error('s');
    const [a, b] = rt([shared, shared]);
    expect(a).toBe(b);
    // Every object is made before any is filled, so an indirect loop back to an Error comes back too
    const loop = new Error('x') as Error & { ctx?: { loop: unknown } };
    loop.ctx = { loop };
    const backLoop = rt(loop);
    expect(backLoop.ctx!.loop).toBe(backLoop);
  });

  it('round-trips errors with name, message, stack, code, cause and AggregateError.errors', () => {
    const e = new Error('disk full', { cause: new RangeError('inner') }) as Error & { code?: string; extra?: unknown };
    e.name = 'IOError';
    e.code = 'ENOSPC';
    e.extra = { at: new Date(0) };
    const back = rt(e);
    expect(back).toBeInstanceOf(Error);
    expect(back.name).toBe('IOError');
    expect(back.message).toBe('disk full');
    expect(back.code).toBe('ENOSPC');
    expect(back.extra).toEqual({ at: new Date(0) });
    expect(back.stack).toBe(e.stack);
    expect(back.cause).toBeInstanceOf(RangeError);
    expect((back.cause as Error).message).toBe('inner');

    const t = rt(new TypeError('bad type'));
    expect(t).toBeInstanceOf(TypeError);
    expect(t.name).toBe('TypeError');

    const agg = rt(new AggregateError([new Error('a'), 'b'], 'All promises were rejected'));
    expect(agg).toBeInstanceOf(AggregateError);
    expect(agg.errors.map((x: unknown) => (x instanceof Error ? x.message : x))).toEqual(['a', 'b']);

    const c = rt(new CancelledError('stop'));
    expect(c).toBeInstanceOf(CancelledError);
    expect(c.message).toBe('stop');

    class MyError extends Error {
      override name = 'MyError';
    }
    // An unregistered Error subclass is refused as a value, and still arrives as an Error when thrown
    expect(() => rt(new MyError('mine'))).toThrow(/holds a MyError instance, which cannot be serialised \(register its class: serializable\(MyError\)/);
    const sent = decodeValue(encodeError(new MyError('mine'), "the error thrown by activity 'x'")) as Error;
    expect(sent).toBeInstanceOf(Error);
    expect(sent.name).toBe('MyError');
    expect(sent.message).toMatch(/^mine \(sent as a plain Error: it is a MyError instance, which cannot be serialised; register its class: serializable\(MyError\)/);
    // Registered, it comes back as itself, with its own fields, without running its constructor
    let constructed = 0;
    class Registered extends Error {
      override name = 'Registered';
      code = 7;
      constructor(message: string) {
        super(message);
        constructed++;
      }
    }
    serializable(Registered, 'codec-test.Registered');
    const r = rt(new Registered('reg'));
    expect(constructed).toBe(1);
    expect(r).toBeInstanceOf(Registered);
    expect(r).toMatchObject({ name: 'Registered', message: 'reg', code: 7 });
  });

  it('refuses non-data payloads, naming what and where', () => {
    expect(() => encodeValue({ s: new Socket() }, "the result of activity 'open'")).toThrow(ValueEncodeError);
    expect(() => encodeValue({ s: new Socket() }, "the result of activity 'open'")).toThrow(
      /cannot encode the result of activity 'open': it \(at \.s\) holds a Socket instance/,
    );
    expect(() => roundTripValue([() => 1])).toThrow(/\(at \[0\]\) holds a function/);
  });
});

describe('encodeState / decodeState', () => {
  it('writes one JSON document with a plain header', () => {
    const text = encodeState(state({ files: ['a.mp4'] }));
    const doc = JSON.parse(text);
    expect(doc).toMatchObject({ v: 1, workflow: 'pipeline', version: 'abc123', frames: [{ pc: 1 }] }); // the root frame's fn is the workflow
    expect(doc.frames[0]).not.toHaveProperty('fn');
    expect(decodeState(text)).toEqual(state({ files: ['a.mp4'] }));
  });

  it('round-trips every shape of activity options through the compact options token', () => {
    const shapes = [{}, { retries: 0 }, { retries: 3, backoff: { type: 'exponential' as const, delay: 500 }, timeout: 600_000 }, { backoff: { type: 'fixed' as const, delay: 25 } }, { timeout: 1.5 }];
    const s: MachineState = {
      workflow: 'pipeline',
      version: 'abc123',
      frames: [{ fn: 'pipeline', pc: 1, locals: {} }],
      group: { mode: 'all', items: shapes.map((options, i) => ({ kind: 'call' as const, activity: `a${i}`, args: [i], options })) },
    };
    const text = encodeState(s);
    expect(text).toContain('"r3 e500 t600000"');
    expect(decodeState(text)).toEqual(s);
    expect(() => decodeState(text.replace('"r3 e500 t600000"', '"x3"'))).toThrow(/group's token \d+ is not an activity options token/);
  });

  it('keeps shared references between locals of different frames: mutate one, the other sees it', () => {
    const shared = { count: 1, tags: new Set(['x']) };
    const s: MachineState = {
      workflow: 'pipeline',
      version: 'abc',
      frames: [
        { fn: 'pipeline', pc: 2, locals: { a: shared, list: [shared] } },
        { fn: 'child', pc: 1, locals: { b: shared } },
      ],
    };
    const back = decodeState(encodeState(s));
    const a = back.frames[0]!.locals.a as typeof shared;
    const b = back.frames[1]!.locals.b as typeof shared;
    expect(a).toBe(b);
    expect((back.frames[0]!.locals.list as unknown[])[0]).toBe(a);
    a.count = 99;
    expect(b.count).toBe(99);
  });

  it('keeps the outstanding group, every item kind, without command brands', () => {
    const acts = proxyActivities<{ encode(p: string): Promise<string> }>({ retries: 3 });
    const cmd = acts.encode('a.mp4');
    const items: GroupItem[] = [
      { ...(cmd as unknown as CallCommand) },
      { kind: 'sleep', ms: 1000 },
      { kind: 'signal', name: 'go' },
      { kind: 'signal', name: 'late', timeoutMs: 5 },
      { kind: 'child', workflow: 'sub', args: [1, undefined] },
      { kind: 'child', workflow: 'sub', args: [], id: 'fixed' },
      { kind: 'value', value: undefined },
      { kind: 'value', value: new Map([[1, 2]]) },
    ];
    for (const mode of ['single', 'all', 'allSettled', 'race', 'any'] as const) {
      const s = state({ files: ['a.mp4'] }, { group: { mode, items: items.map((i) => ({ ...i })) } });
      const back = decodeState(encodeState(s));
      expect(back.group).toEqual({ mode, items });
      expect(back.group!.items[0]).toEqual({ kind: 'call', activity: 'encode', args: ['a.mp4'], options: { retries: 3 } });
      expect('timeoutMs' in back.group!.items[2]!).toBe(false);
      expect('id' in back.group!.items[4]!).toBe(false);
    }
  });

  it('keeps references shared between a local and a pending call argument', () => {
    const job = { id: 1 };
    const s = state({ job }, { group: { mode: 'single', items: [{ kind: 'call', activity: 'run', args: [job], options: {} }] } });
    const back = decodeState(encodeState(s));
    const item = back.group!.items[0] as { args: unknown[] };
    expect(item.args[0]).toBe(back.frames[0]!.locals.job);
  });

  it('keeps typical states small (the design video example)', () => {
    const opts = { retries: 3, backoff: { type: 'exponential' as const, delay: 500 }, timeout: 600_000 }; // one proxyActivities() options object
    const atAll: MachineState = {
      workflow: 'videoPipeline',
      version: '3f9a1c0b7d2e4a51',
      frames: [{ fn: 'videoPipeline', pc: 1, locals: {} }],
      group: { mode: 'all', items: ['a.mp4', 'b.mp4', 'c.mp4'].map((p) => ({ kind: 'call' as const, activity: 'encodeVideo', args: [p], options: opts })) },
    };
    const atSleep: MachineState = {
      workflow: 'videoPipeline',
      version: '3f9a1c0b7d2e4a51',
      frames: [{ fn: 'videoPipeline', pc: 2, locals: { encoded: ['a.m3u8', 'b.m3u8', 'c.m3u8'] } }],
      group: { mode: 'single', items: [{ kind: 'sleep', ms: 1000 }] },
    };
    expect(Buffer.byteLength(encodeState(atAll))).toBeLessThan(300);
    expect(Buffer.byteLength(encodeState(atSleep))).toBeLessThan(300);
  });

  it('refuses a local that cannot be saved, naming the variable, type, workflow and await location', () => {
    const run = (locals: Record<string, unknown>) => () => encodeState(state(locals), where);
    expect(run({ ok: 1, conn: new Socket() })).toThrow(StateEncodeError);
    expect(run({ ok: 1, conn: new Socket() })).toThrow(
      "cannot suspend workflow 'pipeline' at src/video.ts:12:9: local 'conn' holds a Socket instance, which cannot be saved across an await",
    );
    expect(run({ cfg: { nested: { conn: new Socket() } } })).toThrow(/local 'cfg' \(at \.nested\.conn\) holds a Socket instance/);
    expect(run({ cb: function handler() {} })).toThrow(/local 'cb' holds a function \(handler\)/);
    expect(run({ s: Symbol('k') })).toThrow(/local 's' holds a symbol/);
    expect(run({ p: Promise.resolve(1) })).toThrow(/local 'p' holds a Promise/);
    expect(run({ o: Object.create({ inherited: 1 }) })).toThrow(/local 'o' holds an object with a custom prototype \(from Object.create\)/);
    expect(run({ m: new Map([['k', () => 0]]) })).toThrow(/local 'm' \(at \.get\("k"\)\) holds a function/);
    const acts = proxyActivities<{ f(): Promise<number> }>();
    expect(run({ pending: acts.f() })).toThrow(/local 'pending' holds an un-awaited call of activity 'f'/);
    try {
      run({ conn: new Socket() })();
    } catch (e) {
      expect(e).toMatchObject({ workflow: 'pipeline', variable: 'conn', found: 'Socket instance', site: { file: 'src/video.ts', line: 12 } });
    }
  });

  it('reports the top frame first', () => {
    const s: MachineState = {
      workflow: 'outer',
      version: 'v',
      frames: [
        { fn: 'outer', pc: 1, locals: { a: Symbol('outer') } },
        { fn: 'inner', pc: 3, locals: { b: Symbol('inner') } },
      ],
    };
    expect(() => encodeState(s, (i) => ({ fn: s.frames[i]!.fn, file: 'w.ts', line: i + 1, column: 0 }))).toThrow(
      "cannot suspend workflow 'inner' at w.ts:2:1: local 'b' holds a symbol",
    );
  });

  it('refuses corrupt documents with a clear reason', () => {
    const good = JSON.parse(encodeState(state({ x: 1 })));
    const bad = (patch: Record<string, unknown>) => () => decodeState(JSON.stringify({ ...good, ...patch }));
    expect(() => decodeState('{not json')).toThrow(CorruptStateError);
    expect(() => decodeState('{not json')).toThrow(/corrupt workflow state: not JSON/);
    expect(() => decodeState('[1]')).toThrow(/expected a JSON object, got an array/);
    expect(bad({ v: 2 })).toThrow(/unsupported format version 2/);
    expect(bad({ workflow: 7 })).toThrow(/invalid 'workflow'/);
    expect(bad({ version: undefined })).toThrow(/invalid 'version'/);
    expect(bad({ frames: [] })).toThrow(/'frames' must be a non-empty array/);
    expect(bad({ frames: [{ fn: 'pipeline', pc: -1 }] })).toThrow(/frame 0 must be/);
    expect(bad({ frames: [{ pc: 1 }, { pc: 1 }] })).toThrow(/frame 1 must be \{ fn: string/); // only the root may leave fn out
    expect(bad({ data: undefined })).toThrow(/missing 'data'/);
    expect(bad({ data: [99] })).toThrow(/'data' must hold \[locals of each frame, group\?\]/);
    expect(bad({ data: 'x' })).toThrow(/not a valid codec payload/);
    expect(bad({ frames: [{ fn: 'a', pc: 1 }, { fn: 'b', pc: 1 }] })).toThrow(/'data' has locals for 1 frames but the header lists 2/);
  });
});

describe('compactState / expandState', () => {
  const state: MachineState = { workflow: 'we"ird\\name', version: 'abc123', frames: [{ fn: 'we"ird\\name', pc: 2, locals: { a: 1 } }] };
  const text = encodeState(state, () => undefined);

  it('drops exactly the workflow and version the record holds, and puts them back', () => {
    const compact = compactState(text, state.workflow, state.version);
    expect(compact).toBe(`{"v":1,${text.slice(text.indexOf('"frames":'))}`);
    expect(compact).not.toContain('abc123');
    expect(compact.length).toBeLessThan(text.length);
    expect(expandState(compact, state.workflow, state.version)).toBe(text);
    expect(decodeState(expandState(compact, state.workflow, state.version))).toEqual(state);
  });

  it('keeps a text whole when its header is not the given one, and expands nothing that was kept whole', () => {
    expect(compactState(text, 'other', state.version)).toBe(text);
    expect(compactState(text, state.workflow, 'v2')).toBe(text);
    expect(expandState(text, 'other', 'v2')).toBe(text);
    expect(expandState('{"v":1,"workflow"', 'w', 'v')).toBe('{"v":1,"workflow"');
  });
});
