/**
 * Per-suspension-point fingerprints (issue 13): for each point at which a
 * state can be saved, a hash of everything a resume there depends on, so a
 * state written by one build can resume on another exactly when the hash is
 * equal.
 *
 * Invariant: two points with the same fingerprint run the same code from
 * their resume on, over the same frame. Hashed: the code of every item the
 * continuation can reach (fall-through, jumps, exception edges; with their
 * try handlers), the inner functions recreated at step entry, the code of
 * the workflow's closure sites when the continuation makes a closure or
 * restores locals (which may hold one), the live
 * locals' names and roles, the layout of the environment objects among them,
 * and the version of every same-module workflow function the continuation
 * names. Normalised away, because a resume never sees them: source
 * positions, comments, the state and point numbers (renumbered in order of
 * first use) and the compiler's own names (temporaries, renumbered the same
 * way; `locals` says which saved local is which). When a live completion
 * record may hold a state number (a pending jump through `finally`), state
 * numbers are hashed as they are.
 */
import { createHash } from 'node:crypto';
import * as t from '@babel/types';
import { NODE_FIELDS, VISITOR_KEYS } from '@babel/types';
import type { EnvLayout, PointFingerprint } from '../runtime/contract.js';
import { type Emitter, type Item, labelLiterals, pointLiterals } from './emitter.js';
import { eachChild } from './walk.js';

export interface FingerprintInput {
  e: Emitter;
  name: string;
  envLayout?: EnvLayout;
  /** Versions of the workflow functions of the same module, by name (a continuation that calls one depends on it). */
  workflowVersions: ReadonlyMap<string, string>;
  /** The code of the workflow's closure sites (a continuation that makes a closure depends on it). */
  sitesCode?: string;
  /** The id base of the closure sites the code makes (`<sitesOf>/<n>`; default: name). */
  sitesOf?: string;
}

const scalars = new Map<string, string[]>();
/** A node type's fields that are not child nodes (operator, value, kind, computed, …), in a fixed order. */
function scalarFields(type: string): string[] {
  let f = scalars.get(type);
  if (!f) {
    const children = new Set(VISITOR_KEYS[type] ?? []);
    f = Object.keys(NODE_FIELDS[type] ?? {}).filter((k) => !children.has(k) && k !== 'leadingComments' && k !== 'trailingComments' && k !== 'innerComments').sort();
    scalars.set(type, f);
  }
  return f;
}

/** One fingerprint per suspension point, in pc order (pc 0, the entry, included). */
export function fingerprints(input: FingerprintInput): PointFingerprint[] {
  const { e } = input;
  const items = e.items;
  const at = new Map<object, number>();
  items.forEach((it, i) => it.mark && at.set(it.mark, i));
  const index = (l: object): number => at.get(l) ?? -1;
  const canon = new Canon(e);
  // Each item is hashed once: its code, with the names and numbers that shift when code is added elsewhere counted from the end.
  const itemHash = items.map((it) => canon.hash(it.nodes));
  const rawHash = new Map<number, string>();
  const regionHash = new Map<object, string>();
  for (const r of e.regions) regionHash.set(r.handler, canon.hash(r.onThrow(t.identifier(e.n.err))));
  const sites = input.sitesCode ? createHash('sha1').update(input.sitesCode).digest('base64') : '';
  const bindings = e.codeBindings.map((b) => `${canon.name(b.name)}:${canon.hash([b.node])}`).join(',');
  const points = [{ pc: 0, start: 0, live: [] as string[], line: 0 }, ...e.suspensions.map((s) => ({ pc: s.id, start: index(s.resume), live: s.live, line: s.line }))];
  return points.map((p) => {
    // A live completion record may hold a state number: then state numbers count as they are.
    const raw = p.live.some((v) => isCompletion(e, v));
    const h = createHash('sha256');
    h.update(`workflow ${input.name}\0fns ${bindings}\0`);
    const called = new Set<string>();
    for (const i of reachable(items, p.start, index)) {
      const it = items[i]!;
      let code = itemHash[i]!;
      if (raw) {
        if (!rawHash.has(i)) rawHash.set(i, canon.hash(it.nodes, true));
        code = rawHash.get(i)!;
      }
      for (const n of canon.names(it.nodes)) called.add(n);
      h.update(`#${it.mark ? canon.state(it.mark.num, raw) : ''}|${it.fall ? 'f' : 'n'}|${code}`);
      if (it.handler) h.update(`|h${canon.state(it.handler.label.num, raw)}:${it.handler.kills.map((k) => canon.name(k)).join(',')}:${regionHash.get(it.handler.label) ?? ''}`);
      h.update('\n');
    }
    const locals = [...p.live].sort((a, b) => (canon.name(a) < canon.name(b) ? -1 : canon.name(a) > canon.name(b) ? 1 : 0));
    for (const v of locals) {
      const env = input.envLayout?.[v];
      h.update(`live ${canon.name(v)}${env ? ` env(${env.join(',')})` : ''}\n`);
    }
    // Closures are made from their sites' code, on resume too: hashed when the continuation makes one or a live local may hold one.
    if (sites && (p.live.length > 0 || [...called].some((n) => n.startsWith(`${input.sitesOf ?? input.name}/`)))) h.update(`sites ${sites}\n`);
    for (const w of [...called].sort()) {
      const v = input.workflowVersions.get(w);
      if (v !== undefined) h.update(`calls ${w}@${v}\n`);
    }
    return { pc: p.pc, line: p.line, fp: h.digest('hex').slice(0, 16), locals };
  });
}

/** Items reachable from `start` (fall-through, jump targets, handlers), in item order. */
function reachable(items: Item[], start: number, index: (l: object) => number): number[] {
  const seen = new Set<number>();
  const todo = [start];
  while (todo.length) {
    const i = todo.pop()!;
    if (i < 0 || i >= items.length || seen.has(i)) continue;
    seen.add(i);
    const it = items[i]!;
    if (it.fall) todo.push(i + 1);
    for (const s of it.succ) todo.push(index(s));
    if (it.handler) todo.push(index(it.handler.label));
  }
  return [...seen].sort((a, b) => a - b);
}

function isCompletion(e: Emitter, v: string): boolean {
  return /pending return, jump or exception/.test(e.tempInfo.get(v) ?? '');
}

/**
 * Names and numbers as a resume sees them. The compiler's own names
 * (`$t7`, `$c3`, `$e2`: prefix, kind, counter) and state and point numbers
 * are counted from the end of the function: code added before a point
 * shifts what follows it by as much as the total, so from the end they stay
 * the same. The prefix itself becomes `%`.
 */
class Canon {
  private readonly prefix: string;
  private readonly max = new Map<string, number>();
  private readonly states: number;
  private readonly points: number;
  private readonly idents = new WeakMap<t.Statement[], Set<string>>();

  constructor(e: Emitter) {
    this.prefix = e.n.prefix;
    for (const v of e.vars) {
      const m = this.parse(v);
      if (m) this.max.set(m.kind, Math.max(this.max.get(m.kind) ?? 0, m.num));
    }
    this.states = Math.max(0, ...e.items.map((it) => it.mark?.num ?? 0));
    this.points = e.suspensions.length;
  }

  private parse(n: string): { kind: string; letters: string; num: number } | null {
    if (!n.startsWith(this.prefix)) return null;
    const m = /^([a-z]+)(\d+)$/.exec(n.slice(this.prefix.length));
    if (!m) return null;
    // Temporaries and completion records share one counter.
    return { kind: m[1] === 'c' ? 't' : m[1]!, letters: m[1]!, num: Number(m[2]) };
  }

  name(n: string): string {
    if (!n.startsWith(this.prefix)) return n;
    const m = this.parse(n);
    if (!m) return `%${n.slice(this.prefix.length)}`;
    return `%${m.letters}${(this.max.get(m.kind) ?? m.num) - m.num}`;
  }
  state(num: number, raw = false): string {
    return raw ? String(num) : `S${this.states - num}`;
  }
  point(num: number): string {
    return `P${this.points - num}`;
  }

  /** Every identifier and string the statements name (to find the workflows a continuation calls, the closure sites it makes). */
  names(nodes: t.Statement[]): Set<string> {
    let s = this.idents.get(nodes);
    if (!s) {
      const found = new Set<string>();
      const visit = (n: t.Node): void => {
        if (n.type === 'Identifier') found.add(n.name);
        else if (n.type === 'StringLiteral') found.add(n.value);
        eachChild(n, visit);
      };
      nodes.forEach(visit);
      this.idents.set(nodes, (s = found));
    }
    return s;
  }

  /** The statements' code (node types and values, no positions or comments), canonical names and numbers, hashed. */
  hash(nodes: t.Statement[], rawStates = false): string {
    const parts: string[] = [];
    const visit = (n: t.Node): void => {
      if (n.type === 'Identifier') parts.push(`I${this.name(n.name)}`);
      else if (n.type === 'NumericLiteral' && labelLiterals.has(n)) parts.push(this.state(n.value, rawStates));
      else if (n.type === 'NumericLiteral' && pointLiterals.has(n)) parts.push(this.point(n.value));
      else {
        parts.push(n.type);
        const r = n as unknown as Record<string, unknown>;
        for (const k of scalarFields(n.type)) {
          const v = r[k];
          if (v !== undefined && v !== null) parts.push(`${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
        }
        parts.push('(');
        eachChild(n, (c, key) => {
          parts.push(key);
          visit(c);
        });
        parts.push(')');
      }
    };
    for (const s of nodes) visit(s);
    return createHash('sha1').update(parts.join('\u0000')).digest('base64');
  }
}
