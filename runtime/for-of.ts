/**
 * The state of a `for…of` loop that holds an `await`. JavaScript iterates
 * through an iterator object, which cannot be saved; the compiled loop keeps
 * a cursor instead, which iterates exactly as the iterator would and is plain
 * data wherever it can be:
 *
 * - arrays and array-likes whose iterator is `Array.prototype.values`, and
 *   typed arrays: by index, reading `length` at every step (items pushed
 *   during the loop are visited, as in JS);
 * - strings: by UTF-16 index, one code point at a time;
 * - Maps and Sets: through their own iterator while a segment runs. Before a
 *   suspension the compiled code calls forOfPark(): the entries still ahead
 *   of a Map/Set iterator are always the last ones of the collection's
 *   current order, so its position is `size - remaining`; right after the
 *   resume, before any code can change the collection, forOfUnpark() makes
 *   the iterator again and skips that many. Deletions and insertions during
 *   the loop are seen exactly as by the native iterator.
 * - anything else (generators, iterators, user iterables): the iterator
 *   itself, stepped lazily as JS does. It is not data: a suspension while the
 *   loop still needs it fails with StateEncodeError naming the loop.
 *
 * `for (x of o.keys())` (and `.values()`, `.entries()`) is compiled to
 * forOf(o, 'keys'), so that the built-in iterators of arrays, Maps and Sets
 * keep the cursor data too.
 */

/** What forOfNext returns when the loop is over. */
export const forOfDone: unique symbol = Symbol('reawait.forOf.done');

type Method = 'values' | 'keys' | 'entries';
const KIND: Record<Method, 0 | 1 | 2> = { values: 0, keys: 1, entries: 2 };

/** An array-like by index; `k`: 0 values, 1 keys, 2 entries. */
interface IndexCursor {
  a: ArrayLike<unknown>;
  i: number;
  k: 0 | 1 | 2;
}
/** A string by UTF-16 index. */
interface StringCursor {
  s: string;
  i: number;
}
/** A Map or Set: `it` is the native iterator while a segment runs, `p` its position once parked. */
interface CollectionCursor {
  c: Map<unknown, unknown> | Set<unknown>;
  p: number;
  k: 0 | 1 | 2;
  it?: Iterator<unknown>;
}
/** Any other iterable: its iterator (not data). */
interface IteratorCursor {
  iterator: object;
}
export type ForOfCursor = IndexCursor | StringCursor | CollectionCursor | IteratorCursor;

/** An iterator cursor's cached `next` and whether the loop body holds it open (a throw or break must close it). */
const live = new WeakMap<IteratorCursor, { next: unknown; open: boolean }>();

const TypedArrayPrototype = Object.getPrototypeOf(Int8Array.prototype) as Record<Method, unknown>;
const ARRAY = Array.prototype as unknown as Record<Method, unknown>;
const MAP = Map.prototype as unknown as Record<Method, unknown>;
const SET = Set.prototype as unknown as Record<Method, unknown>;
const STRING_ITERATOR = String.prototype[Symbol.iterator];

/**
 * The cursor of `for (… of iterable)`, or with `method` of `for (… of
 * iterable.method())`: the same property reads and calls as JS makes there.
 */
export function forOf(iterable: unknown, method?: Method): ForOfCursor {
  if (method === undefined) return fromIterable(iterable);
  const fn = (iterable as Record<Method, unknown>)[method]; // throws on null/undefined, as `o.keys` does
  const k = KIND[method];
  if (fn === ARRAY[method]) return { a: Object(iterable) as ArrayLike<unknown>, i: 0, k };
  if (fn === TypedArrayPrototype[method]) {
    (fn as () => unknown).call(iterable); // its own check that the receiver is a typed array
    return { a: iterable as ArrayLike<unknown>, i: 0, k };
  }
  if (fn === MAP[method] || fn === SET[method]) {
    const it = (fn as () => Iterator<unknown>).call(iterable); // its own brand check
    return { c: iterable as Map<unknown, unknown>, p: 0, k, it };
  }
  if (typeof fn !== 'function') throw new TypeError(`${method} is not a function`);
  return fromIterable((fn as () => unknown).call(iterable));
}

function fromIterable(x: unknown): ForOfCursor {
  if (x === null || x === undefined) throw new TypeError(`${String(x)} is not iterable (cannot read property Symbol(Symbol.iterator))`);
  const m = (x as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  if (m === ARRAY.values) return { a: Object(x) as ArrayLike<unknown>, i: 0, k: 0 };
  if (m === TypedArrayPrototype.values) return { a: x as ArrayLike<unknown>, i: 0, k: 0 };
  if (m === STRING_ITERATOR && typeof x === 'string') return { s: x, i: 0 };
  if (m === MAP.entries || m === SET.values) {
    const it = (m as () => Iterator<unknown>).call(x);
    return { c: x as Map<unknown, unknown>, p: 0, k: m === MAP.entries ? 2 : 0, it };
  }
  if (typeof m !== 'function') throw new TypeError(`${typeof x === 'object' ? 'object' : String(x)} is not iterable`);
  const iterator: unknown = m.call(x);
  if (Object(iterator) !== iterator) throw new TypeError('Result of the Symbol.iterator method is not an object');
  const cursor: IteratorCursor = { iterator: iterator as object };
  live.set(cursor, { next: (iterator as { next?: unknown }).next, open: false });
  return cursor;
}

/** The next item, or forOfDone. */
export function forOfNext(cursor: ForOfCursor): unknown {
  if ('a' in cursor) {
    const { a, k } = cursor;
    if (cursor.i >= a.length) return forOfDone;
    const i = cursor.i++;
    return k === 1 ? i : k === 0 ? a[i] : [i, a[i]];
  }
  if ('s' in cursor) {
    const { s, i } = cursor;
    if (i >= s.length) return forOfDone;
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    cursor.i += ch.length;
    return ch;
  }
  if ('c' in cursor) {
    if (!cursor.it) throw new TypeError(`reawait: a Map/Set for…of cursor was not unparked after a suspension`);
    const r = cursor.it.next();
    return r.done ? forOfDone : r.value;
  }
  const state = live.get(cursor);
  if (!state) throw new TypeError(`reawait: the iterator of a for…of loop was lost (it cannot be saved across an await)`);
  state.open = false;
  if (typeof state.next !== 'function') throw new TypeError(`${String(state.next)} is not a function`);
  const r: unknown = state.next.call(cursor.iterator);
  if (Object(r) !== r) throw new TypeError(`Iterator result ${String(r)} is not an object`);
  if ((r as IteratorResult<unknown>).done) return forOfDone;
  const value = (r as IteratorResult<unknown>).value;
  state.open = true;
  return value;
}

/**
 * Leaving the loop before its end: `break`, `return` or a jump out
 * (IteratorClose: the iterator's `return()` is called), or with `threw` an
 * exception from the loop's body (its `return()` is called and its own errors
 * are dropped, the body's error wins). Only iterators have anything to close.
 */
export function forOfClose(cursor: ForOfCursor, threw = false): void {
  const state = 'iterator' in cursor ? live.get(cursor) : undefined;
  if (!state?.open) return;
  state.open = false;
  const it = cursor as IteratorCursor;
  if (threw) {
    try {
      const ret = (it.iterator as { return?: unknown }).return;
      if (typeof ret === 'function') ret.call(it.iterator);
    } catch {
      // the body's exception is the one that propagates
    }
    return;
  }
  const ret = (it.iterator as { return?: unknown }).return;
  if (ret === undefined || ret === null) return;
  if (typeof ret !== 'function') throw new TypeError(`${String(ret)} is not a function`);
  const r: unknown = ret.call(it.iterator);
  if (Object(r) !== r) throw new TypeError(`Iterator result ${String(r)} is not an object`);
}

/** Before a suspension: a Map/Set cursor keeps its position instead of its iterator (which is not data). */
export function forOfPark(cursor: ForOfCursor): void {
  if (!('c' in cursor) || !cursor.it) return;
  let remaining = 0;
  while (!cursor.it.next().done) remaining++;
  cursor.p = cursor.c.size - remaining;
  delete cursor.it;
}

/** Right after the resume: a parked Map/Set cursor makes its iterator again, at the same place. */
export function forOfUnpark(cursor: ForOfCursor): void {
  if (!('c' in cursor) || cursor.it) return;
  const { c, k } = cursor;
  const it = (k === 2 ? c.entries() : k === 1 ? c.keys() : c.values()) as Iterator<unknown>;
  for (let n = 0; n < cursor.p; n++) it.next();
  cursor.it = it;
}
