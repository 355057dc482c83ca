import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, roundTripValue } from '../runtime/codec.js';
import { encodeError } from '../runtime/thrown.js';
import { zooClosure } from './support/value-zoo.js';
import { serializable } from '../runtime/serializable.js';
import { CancelledError, CorruptStateError, ValueEncodeError } from '../runtime/errors.js';

const rt = <T>(v: T): T => decodeValue(encodeValue(v)) as T;

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


describe('reading a value in a process that lacks its classes or closures', () => {
  class Ledger {
    entries = [1, 2];
  }
  serializable(Ledger, 'codec-test.Ledger');
  class Pair {
    constructor(
      public a: number,
      public b: number,
    ) {}
  }
  serializable(Pair, 'codec-test.Pair', { fields: ['a', 'b'] });
  // What another process wrote: the same value, under names this process has never registered.
  const elsewhere = encodeValue({ ledger: new Ledger(), pair: new Pair(1, 2), err: Object.assign(new Error('x'), { ledger: new Ledger() }) }).replaceAll('codec-test.', 'other-app#');

  it('is a CorruptStateError naming the class when the value is to be used', () => {
    expect(() => decodeValue(elsewhere)).toThrow(CorruptStateError);
    expect(() => decodeValue(elsewhere)).toThrow(/holds an instance of class 'other-app#(Ledger|Pair)', which is not registered in this process \(import the module that declares it/);
  });

  it('shows the classes by name for display (describe(), the CLI)', () => {
    const shown = decodeValue(elsewhere, { lenient: true }) as Record<string, Record<string, unknown>>;
    expect(JSON.parse(JSON.stringify(shown))).toEqual({
      ledger: { $class: 'other-app#Ledger', entries: [1, 2] },
      pair: { $class: 'other-app#Pair', $fields: [1, 2] },
      err: { ledger: { $class: 'other-app#Ledger', entries: [1, 2] } }, // an Error's message and stack are not enumerable
    });
    expect(shown.err).toBeInstanceOf(Error);
  });

  it('a closure of a site this process does not define: CorruptStateError naming the site, or a placeholder for display', () => {
    const text = encodeValue({ f: zooClosure(1, { n: 1 }) }).replace('"zoo/1"', '"ghost/1"');
    expect(() => decodeValue(text)).toThrow(/holds a closure of site 'ghost\/1', which is not defined in this process \(unknown closure site 'ghost\/1'/);
    const { f } = decodeValue(text, { lenient: true }) as { f: () => unknown };
    expect(f.name).toBe('closure ghost/1');
    expect(() => f()).toThrow(/closure site 'ghost\/1' is not defined in this process; this value is for display only/);
  });
});
