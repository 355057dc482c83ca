/**
 * The for…of cursors compiled loops iterate with (runtime/for-of.ts): the
 * same items in the same order as a native `for…of` over the same mutations,
 * also when the cursor and its collection go through the codec between steps
 * (as they do at every suspension), and iterators closed as JS closes them.
 */
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../runtime/codec.js';
import { forOf, forOfClose, forOfDone, forOfNext, forOfPark, forOfUnpark, type ForOfCursor } from '../runtime/for-of.js';

type Step<T> = (item: unknown, i: number, target: T) => void;

function native<T>(target: T, iterable: (t: T) => Iterable<unknown>, step: Step<T>): unknown[] {
  const seen: unknown[] = [];
  let i = 0;
  for (const item of iterable(target)) {
    seen.push(item);
    step(item, i++, target);
  }
  return seen;
}

/** The cursor's walk; with `roundTrip`, cursor and target are parked, encoded and decoded after every step. */
function cursor<T>(target: T, start: (t: T) => ForOfCursor, step: Step<T>, roundTrip: boolean): unknown[] {
  const seen: unknown[] = [];
  let c = start(target);
  for (let i = 0; ; i++) {
    const item = forOfNext(c);
    if (item === forOfDone) break;
    seen.push(item);
    if (roundTrip) {
      // A suspension in the loop body: parked, saved, restored, unparked, then the rest of the body.
      forOfPark(c);
      [c, target] = decodeValue(encodeValue([c, target])) as [ForOfCursor, T];
      forOfUnpark(c);
    }
    step(item, i, target);
  }
  return seen;
}

function same<T>(make: () => T, iterable: (t: T) => Iterable<unknown>, start: (t: T) => ForOfCursor, step: Step<T> = () => {}, roundTrip = true): void {
  const expected = native(make(), iterable, step);
  expect(cursor(make(), start, step, false)).toEqual(expected);
  if (roundTrip) expect(cursor(make(), start, step, true)).toEqual(expected);
}

describe('data cursors iterate as native for…of, across round trips', () => {
  it('arrays by index: pushes during the loop are visited, holes read as undefined, entries/keys', () => {
    const push: Step<number[]> = (x, i, a) => void (i < 3 && a.push((x as number) * 10));
    same(() => [1, 2, 3], (a) => a, (a) => forOf(a), push);
    // eslint-disable-next-line no-sparse-arrays
    same(() => [1, , 3], (a) => a, (a) => forOf(a));
    same(() => ['a', 'b'], (a) => a.entries(), (a) => forOf(a, 'entries'), (_, i, a) => void (i === 0 && a.push('c')));
    same(() => ['a', 'b'], (a) => a.keys(), (a) => forOf(a, 'keys'));
    same(() => ['a', 'b'], (a) => a.values(), (a) => forOf(a, 'values'), (_, i, a) => void (i === 0 && a.shift()));
    const arrayLike = () => ({ length: 2, 0: 'x', 1: 'y', [Symbol.iterator]: Array.prototype.values });
    same(arrayLike, (a) => a, (a) => forOf(a), (_, i, a) => void (i === 0 && (a.length = 3, (a as Record<number, string>)[2] = 'z')), false); // (a symbol key: not data)
  });

  it('strings by code point, lone surrogates included', () => {
    same(() => 'aé😀b\uD800c', (s) => s, (s) => forOf(s));
  });

  it('Maps and Sets: deleting the current, earlier and later entries, adding, re-adding a visited key', () => {
    const make = () => new Map<string, number>([['a', 1], ['b', 2], ['c', 3], ['d', 4]]);
    const edits: Step<Map<string, number>> = (item, i, m) => {
      const [k] = item as [string, number];
      if (i === 0) m.delete('c'); // ahead: never visited
      if (i === 1) {
        m.delete(k); // the current one
        m.set('e', 5); // added: visited at the end
      }
      if (i === 2) {
        m.delete('a'); // behind
        m.set('a', 9); // re-added: visited again
      }
    };
    same(make, (m) => m, (m) => forOf(m), edits);
    same(make, (m) => m.entries(), (m) => forOf(m, 'entries'), edits as Step<Map<string, number>>);
    same(make, (m) => m.keys(), (m) => forOf(m, 'keys'), (k, i, m) => void (i === 0 && m.delete('b')));
    same(make, (m) => m.values(), (m) => forOf(m, 'values'), (_, i, m) => void (i < 2 && m.set(`n${i}`, i)));
    const set = () => new Set(['x', 'y', 'z']);
    same(set, (s) => s, (s) => forOf(s), (v, i, s) => void (i === 0 ? s.delete('y') : i === 1 && (s.delete('x'), s.add('x'))));
    same(set, (s) => s.entries(), (s) => forOf(s, 'entries'));
  });

  it('typed arrays by index', () => {
    same(() => new Uint8Array([3, 1, 2]), (a) => a, (a) => forOf(a), (_, i, a) => void (a[2] = 7 + i));
  });
});

describe('other iterables: the iterator itself, lazily, closed as JS closes it', () => {
  function* counted(log: string[], n: number) {
    try {
      for (let i = 0; i < n; i++) {
        log.push(`yield ${i}`);
        yield i;
      }
    } finally {
      log.push('finally');
    }
  }

  it('interleaves the generator with the loop body (nothing is read ahead)', () => {
    const log: string[] = [];
    const c = forOf(counted(log, 3));
    for (let v = forOfNext(c); v !== forOfDone; v = forOfNext(c)) log.push(`body ${String(v)}`);
    expect(log).toEqual(['yield 0', 'body 0', 'yield 1', 'body 1', 'yield 2', 'body 2', 'finally']);
  });

  it('break and throw close it; an exhausted or failing iterator is not closed', () => {
    const log: string[] = [];
    const c = forOf(counted(log, 5));
    forOfNext(c);
    forOfClose(c);
    forOfClose(c); // once
    expect(log).toEqual(['yield 0', 'finally']);

    const returned: string[] = [];
    const throwing = { [Symbol.iterator]: () => ({ next: () => ({ done: false, value: 1 }), return: () => { returned.push('return'); throw new Error('from return'); } }) };
    const t = forOf(throwing);
    forOfNext(t);
    expect(() => forOfClose(t, true)).not.toThrow(); // the body's error wins
    const b = forOf(throwing);
    forOfNext(b);
    expect(() => forOfClose(b)).toThrow('from return'); // on break, return()'s error propagates
    expect(returned).toEqual(['return', 'return']);

    const failing = { [Symbol.iterator]: () => ({ next: () => { throw new Error('next failed'); }, return: () => returned.push('closed') }) };
    const f = forOf(failing);
    expect(() => forOfNext(f)).toThrow('next failed');
    forOfClose(f, true);
    expect(returned).toEqual(['return', 'return']);
  });

  it('is not data: encoding the cursor fails, naming the iterator', () => {
    const c = forOf(counted([], 2));
    forOfPark(c);
    expect(() => encodeValue(c)).toThrow(/iterator/);
  });

  it('throws as for…of does on what is not iterable', () => {
    expect(() => forOf(undefined)).toThrow(TypeError);
    expect(() => forOf({})).toThrow(/is not iterable/);
    expect(() => forOf(null, 'keys')).toThrow(TypeError);
    expect(() => forOf({ [Symbol.iterator]: () => 1 })).toThrow(/not an object/);
  });
});
