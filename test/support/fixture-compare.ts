/**
 * A structural description of any value, as one canonical string: two values
 * describe the same iff a program could not tell them apart by inspecting
 * them. Unlike toEqual it distinguishes -0 from 0, holes from undefined,
 * insertion order of keys and Map/Set entries, and shared or cyclic
 * references (an object reached twice is tagged `&n` and later shown as `*n`).
 */

export function describeValue(value: unknown): string {
  const refs = countReferences(value);
  const ids = new Map<object, number>();
  const walk = (v: unknown): string => {
    switch (typeof v) {
      case 'undefined':
        return 'undefined';
      case 'number':
        return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint':
        return `${v}n`;
      case 'string':
        return JSON.stringify(v);
      case 'boolean':
        return String(v);
      case 'symbol':
        return `Symbol(${v.description ?? ''})`;
      case 'function':
        return `[Function ${v.name || 'anonymous'}]`;
    }
    if (v === null) return 'null';
    const o = v as object;
    const seen = ids.get(o);
    if (seen !== undefined) return `*${seen}`;
    let tag = '';
    if ((refs.get(o) ?? 0) > 1) {
      const id = ids.size + 1;
      ids.set(o, id);
      tag = `&${id} `;
    } else ids.set(o, -1);
    return tag + describeObject(o, walk);
  };
  return walk(value);
}

function describeObject(o: object, walk: (v: unknown) => string): string {
  if (Array.isArray(o)) {
    const items: string[] = [];
    for (let i = 0; i < o.length; i++) items.push(i in o ? walk(o[i]) : '<hole>');
    return `[${items.join(', ')}]${extraProps(o, walk, true)}`;
  }
  if (o instanceof Date) return `Date(${Number.isNaN(o.getTime()) ? 'Invalid' : o.toISOString()})`;
  if (o instanceof RegExp) return `${String(o)}${o.lastIndex ? `@${o.lastIndex}` : ''}`;
  if (o instanceof Map) return `Map{${[...o].map(([k, v]) => `${walk(k)} => ${walk(v)}`).join(', ')}}`;
  if (o instanceof Set) return `Set{${[...o].map(walk).join(', ')}}`;
  if (o instanceof Error) {
    const e = o as Error & { errors?: unknown[] };
    const extra = e instanceof AggregateError || Array.isArray(e.errors) ? ` errors=${walk(e.errors)}` : '';
    return `${e.name}(${JSON.stringify(e.message)})${extra}${extraProps(o, walk, false, ['stack', 'message', 'name', 'errors', 'cause'])}`;
  }
  if (ArrayBuffer.isView(o)) return `${o.constructor.name}[${Array.from(o as unknown as ArrayLike<number>).join(', ')}]`;
  const proto = Object.getPrototypeOf(o) as object | null;
  const kind = proto === Object.prototype ? '' : proto === null ? 'null-proto ' : `${(proto as { constructor?: { name?: string } }).constructor?.name ?? '?'} instance `;
  return `${kind}{${Object.keys(o)
    .map((k) => `${JSON.stringify(k)}: ${walk((o as Record<string, unknown>)[k])}`)
    .join(', ')}}`;
}

/** Own enumerable non-index keys (arrays) or extra keys (errors, e.g. `code`). */
function extraProps(o: object, walk: (v: unknown) => string, skipIndices: boolean, skip: string[] = []): string {
  const keys = Object.keys(o).filter((k) => !(skipIndices && /^\d+$/.test(k)) && !skip.includes(k));
  return keys.length ? ` +{${keys.map((k) => `${k}: ${walk((o as Record<string, unknown>)[k])}`).join(', ')}}` : '';
}

function countReferences(value: unknown): Map<object, number> {
  const counts = new Map<object, number>();
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    const n = (counts.get(v) ?? 0) + 1;
    counts.set(v, n);
    if (n > 1) continue;
    if (v instanceof Map) for (const [k, x] of v) stack.push(k, x);
    else if (v instanceof Set) for (const x of v) stack.push(x);
    else if (v instanceof Date || v instanceof RegExp || ArrayBuffer.isView(v)) continue;
    else if (v instanceof Error) {
      for (const k of Object.keys(v)) stack.push((v as unknown as Record<string, unknown>)[k]);
      const errs = (v as { errors?: unknown }).errors;
      if (Array.isArray(errs)) stack.push(errs);
    } else for (const k of Object.keys(v)) stack.push((v as Record<string, unknown>)[k]);
  }
  return counts;
}

/** How a run ended, in comparable form. Errors compare by name + message (+ own `code`). */
export type Outcome = { ok: true; value: string } | { ok: false; error: string };

export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}: ${e.message}${code !== undefined ? ` [code ${String(code)}]` : ''}`;
  }
  return `thrown ${describeValue(e)}`;
}

export async function outcomeOf(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: describeValue(await run()) };
  } catch (e) {
    return { ok: false, error: describeError(e) };
  }
}
