/**
 * Follow a refusal path (`.items[3].conn`, `.get("k")`, `[[Scopes]].x`,
 * `.x[[Get]]`, …, as the codec writes them) from a value, reading through
 * property descriptors (no getter runs). Returns the candidates the path can
 * lead to (a closure's `[[Scopes]]` may be any of its environments).
 */
import { closureTag } from '../../runtime/closures.js';

const TOKEN =
  /^(?:\.([A-Za-z_$][\w$]*)(?![\w$(])|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]|\[(Symbol\([^)]*\))\]|(\[\[Get\]\])|(\[\[Set\]\])|\.keys\(\)\[(\d+)\]|\.values\(\)\[(\d+)\]|\.get\(((?:"(?:[^"\\]|\\.)*")|Symbol\([^)]*\)|[^()"]+)\)|(\[\[Scopes\]\])|(\.buffer)|(\[\[PrimitiveValue\]\]))/;

export function resolvePath(root: unknown, path: string): unknown[] {
  let current: unknown[] = [root];
  let lastKey: PropertyKey | undefined;
  let rest = path;
  while (rest) {
    const m = TOKEN.exec(rest);
    if (!m) throw new Error(`resolvePath: cannot read ${JSON.stringify(rest)} (of ${JSON.stringify(path)})`);
    rest = rest.slice(m[0].length);
    const next: unknown[] = [];
    for (const v of current) {
      if ((typeof v !== 'object' && typeof v !== 'function') || v === null) continue;
      const o = v;
      const own = (key: PropertyKey): PropertyDescriptor | undefined => Object.getOwnPropertyDescriptor(o, key);
      const key = m[1] ?? m[2] ?? (m[3] !== undefined ? (JSON.parse(m[3]) as string) : undefined);
      if (key !== undefined) {
        const d = own(key);
        lastKey = key;
        if (d) next.push('value' in d ? d.value : o); // an accessor: its [[Get]]/[[Set]] follows
        else if (key === 'buffer' && ArrayBuffer.isView(o)) next.push(o.buffer);
      } else if (m[4] !== undefined) {
        const sym = Reflect.ownKeys(o).find((k) => typeof k === 'symbol' && k.toString() === m[4]);
        if (sym !== undefined) {
          lastKey = sym;
          const d = own(sym)!;
          next.push('value' in d ? d.value : o);
        }
      } else if (m[5] || m[6]) {
        const d = lastKey !== undefined ? own(lastKey) : undefined;
        if (d && !('value' in d)) next.push(m[5] ? d.get : d.set);
      } else if (m[7] !== undefined) next.push([...(Map.prototype.keys.call(o as Map<unknown, unknown>) as Iterable<unknown>)][Number(m[7])]);
      else if (m[8] !== undefined) {
        const values = o instanceof Map ? [...Map.prototype.values.call(o)] : [...Set.prototype.values.call(o as Set<unknown>)];
        next.push(values[Number(m[8])]);
      } else if (m[9] !== undefined) {
        for (const [k, x] of Map.prototype.entries.call(o as Map<unknown, unknown>) as Iterable<[unknown, unknown]>) if (primitiveText(k) === m[9]) next.push(x);
      } else if (m[10]) next.push(...(closureTag(o)?.envs ?? []));
      else if (m[11]) next.push((o as ArrayBufferView).buffer);
      else if (m[12]) next.push((o as { valueOf(): unknown }).valueOf());
    }
    current = next;
  }
  return current;
}

function primitiveText(v: unknown): string | undefined {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'object' && v !== null) return undefined;
  return String(v);
}
