/**
 * A fast-check generator of random workflow programs (source text) for the
 * property-based differential test: straight-line code, if/else, switch,
 * bounded loops (for, while, do…while, for…of), try/catch/finally with throws, break/continue/return, and
 * awaits of activity calls at random positions inside expressions and
 * statements, over the variables a, b, c and an array `log`; and state that
 * must come through a suspension exactly: an object `o` whose field and
 * array are changed in place, that array pushed into `log` (one array in two
 * places, so a later push shows in both), a copy of it made by an activity,
 * a Map `m` keyed by whatever the expressions give (NaN, -0, strings,
 * arrays), and closures over a, b and c (`get()` reads them, `bump(n)`
 * assigns c);
 * with break/continue to an outer labelled loop, array and object
 * destructuring assignments (a default taken), spread arguments, template
 * literals and comma expressions, each holding awaits.
 *
 * With `{ fibers: true }` (issue 11) it also writes promises as values: async
 * closures fanned out with `Promise.all(xs.map(async (x) => …))` or kept in a
 * const and called later, calls stored un-awaited and awaited later (once or
 * twice), fire-and-forget calls and fibers, Promise.all / allSettled /
 * race / any nested over calls, fibers and plain values, and `.then`
 * chains on calls and failing calls recovered by `.then(_, onRejected)`,
 * `.catch` or `.finally`. Those programs keep
 * their result independent of completion order, as the fixtures must: a
 * fiber touches only its own locals (x, y), a race or any has a plain value
 * first (it wins), an `all` holds at most one item that may reject, every
 * fiber a fanout may reject with the same error, and the workflow awaits
 * every fiber it started (`bg`) before it ends, so that native JS (which
 * would keep running them) and the runtime (which abandons them) agree.
 *
 * Every generated program terminates: loops count with their own counters
 * (i0, w1, d2, …) that the generated bodies never assign, bounded by 0..3, or
 * iterate a fixed array literal.
 */
import fc from 'fast-check';

type Var = 'a' | 'b' | 'c';

export type Expr =
  | { t: 'num'; v: number }
  | { t: 'null' }
  | { t: 'var'; n: Var }
  | { t: 'bin'; op: '+' | '-' | '*' | '>' | '==='; l: Expr; r: Expr }
  | { t: 'logic'; op: '&&' | '||' | '??'; l: Expr; r: Expr }
  | { t: 'cond'; c: Expr; a: Expr; b: Expr }
  | { t: 'add'; l: Expr; r: Expr }
  | { t: 'echo'; e: Expr }
  | { t: 'fail' }
  | { t: 'assign'; n: Var; e: Expr }
  | { t: 'inc'; n: Var; prefix: boolean }
  /** `o.k` */
  | { t: 'okey' }
  /** `get()`: a closure reading a and b */
  | { t: 'get' }
  /** `bump(e)`: a closure adding e to c and returning it */
  | { t: 'bump'; e: Expr }
  /** a template literal of two expressions */
  | { t: 'tmpl'; l: Expr; r: Expr }
  /** `(l, r)` */
  | { t: 'seq'; l: Expr; r: Expr }
  /** `m.get(k)` and `m.size` on the Map `m` */
  | { t: 'mget'; k: Expr }
  | { t: 'msize' }
  // fibers only
  | { t: 'combo'; c: Combo }
  /** `(await add(l, r).then((v) => v + k))`, `(await echo(l).then((v) => [v, k]).then(…))` */
  | { t: 'then'; fn: 'add' | 'echo'; l: Expr; r: Expr; k: number; twice: boolean }
  /** a failing call recovered by `.then(_, onRejected)`, `.catch` or `.finally` then `.catch` */
  | { t: 'recover'; how: 'then' | 'catch' | 'finally' };

export type Stmt =
  | { t: 'set'; n: Var; op: '=' | '+=' | '-='; e: Expr }
  | { t: 'push'; e: Expr }
  | { t: 'if'; c: Expr; then: Stmt[]; else: Stmt[] }
  | { t: 'for'; k: number; body: Stmt[] }
  /** a labelled for whose body holds `if (c) break L;` or `continue L;` at `at`, and maybe more in nested statements */
  | { t: 'lfor'; k: number; body: Stmt[]; at: number; kind: 'break' | 'continue'; c: Expr }
  | { t: 'while'; k: number; body: Stmt[] }
  | { t: 'dowhile'; k: number; body: Stmt[] }
  | { t: 'forof'; items: Expr[]; body: Stmt[] }
  | { t: 'try'; body: Stmt[]; handler: Stmt[] | null; finalizer: Stmt[] | null }
  | { t: 'switch'; e: Expr; cases: Stmt[][]; breaks: boolean[] }
  | { t: 'throw'; c: Expr }
  | { t: 'jump'; kind: 'break' | 'continue' | 'return'; c: Expr }
  /** `break L;` / `continue L;` to the outermost labelled loop around it */
  | { t: 'ljump'; kind: 'break' | 'continue'; c: Expr }
  /** `[a, b] = [l, r];` */
  | { t: 'swap'; l: Expr; r: Expr }
  /** `({ x: c, y: o.k = d } = { x: e });` (the default is taken) */
  | { t: 'destr'; e: Expr; d: Expr }
  /** `log.push(...[items]);` */
  | { t: 'spread'; items: Expr[] }
  /** `m.set(k, v);` */
  | { t: 'mset'; k: Expr; v: Expr }
  /** `o.k = e;` */
  | { t: 'oset'; e: Expr }
  /** `o.arr.push(e);` */
  | { t: 'opush'; e: Expr }
  /** `log.push(o.arr);` (the same array, not a copy) */
  | { t: 'alias' }
  /** `log.push(await echo(o.arr));` (a copy) */
  | { t: 'ocopy' }
  // fibers only
  /** `log.push(await Promise.all([items].map(async (x) => { fiber })))` */
  | { t: 'fanout'; items: Expr[]; body: FStmt[] }
  /** `const p = <leaf>; <mid>; log.push(await p)` (and once more when `twice`) */
  | { t: 'stored'; leaf: Leaf; mid: Stmt[]; twice: boolean }
  /** `<leaf>;` never awaited (fibers are awaited by the workflow's final `bg` wait) */
  | { t: 'forget'; leaf: Leaf }
  /** `const f = async (x) => { fiber }; <mid>; log.push(await f(arg))` for each arg */
  | { t: 'closure'; body: FStmt[]; mid: Stmt[]; args: Expr[] };

/** What a fiber computes from its parameter `x` into its own `y`; it never touches a, b, c or log. */
export type FExpr =
  | { t: 'fnum'; v: number }
  | { t: 'fvar'; n: 'x' | 'y' }
  | { t: 'fadd'; l: FExpr; r: FExpr }
  | { t: 'fecho'; e: FExpr }
  | { t: 'fbin'; op: '+' | '-' | '*' | '>'; l: FExpr; r: FExpr }
  /** fibers started by a fiber: `(await Promise.all([items].map(async (z) => await add(z, 1))))` */
  | { t: 'fnest'; items: FExpr[] }
  | { t: 'ffail' };

export type FStmt =
  | { t: 'fset'; e: FExpr }
  | { t: 'fif'; k: number; then: FStmt[]; else: FStmt[] }
  | { t: 'fthrow'; k: number }
  | { t: 'ffor'; k: number; body: FStmt[] };

/** Something that yields a promise without awaiting it. */
export type Leaf =
  | { t: 'lcall'; fn: 'add' | 'echo'; l: Expr; r: Expr }
  | { t: 'lfail' }
  | { t: 'lfiber'; arg: Expr; body: FStmt[] }
  | { t: 'lcombo'; c: Combo };

export type ComboItem = Leaf | { t: 'lval'; v: number };

/** race/any get the plain value `first` in front (it wins); anyFail is `Promise.any` over n failing calls. */
export type Combo = { mode: 'all' | 'allSettled' | 'race' | 'any'; first: number; items: ComboItem[] } | { mode: 'anyFail'; n: number };

export interface GenOptions {
  /** Also generate promises as values, async closures, fire-and-forget and nested combinators (issue 11). */
  fibers?: boolean;
}

const varArb = fc.constantFrom<Var>('a', 'b', 'c');

type Alt<T> = fc.Arbitrary<T> | fc.WeightedArbitrary<T>;

interface Arbs {
  expr: Expr;
  stmt: Stmt;
  block: Stmt[];
  fexpr: FExpr;
  fstmt: FStmt;
  fblock: FStmt[];
  item: ComboItem;
  combo: Combo;
  leaf: Leaf;
}

function arbitraries(options: GenOptions) {
  return fc.letrec<Arbs>((tie: fc.LetrecTypedTie<Arbs>) => {
    const expr: Alt<Expr>[] = [
      { weight: 4, arbitrary: fc.record({ t: fc.constant('num' as const), v: fc.integer({ min: -2, max: 9 }) }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant('var' as const), n: varArb }) },
      { weight: 4, arbitrary: fc.record({ t: fc.constant('add' as const), l: tie('expr'), r: tie('expr') }) },
      {
        weight: 2,
        arbitrary: fc.record({ t: fc.constant('bin' as const), op: fc.constantFrom('+' as const, '-' as const, '*' as const, '>' as const, '===' as const), l: tie('expr'), r: tie('expr') }),
      },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('logic' as const), op: fc.constantFrom('&&' as const, '||' as const, '??' as const), l: tie('expr'), r: tie('expr') }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('cond' as const), c: tie('expr'), a: tie('expr'), b: tie('expr') }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('echo' as const), e: tie('expr') }) },
      { weight: 2, arbitrary: fc.record({ t: fc.constant('assign' as const), n: varArb, e: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('inc' as const), n: varArb, prefix: fc.boolean() }) },
      { weight: 1, arbitrary: fc.constant({ t: 'null' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'fail' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'okey' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'get' as const }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('bump' as const), e: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('tmpl' as const), l: tie('expr'), r: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('seq' as const), l: tie('expr'), r: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('mget' as const), k: tie('expr') }) },
      { weight: 1, arbitrary: fc.constant({ t: 'msize' as const }) },
    ];
    const stmt: Alt<Stmt>[] = [
      fc.record({ t: fc.constant('set' as const), n: varArb, op: fc.constantFrom('=' as const, '+=' as const, '-=' as const), e: tie('expr') }),
      fc.record({ t: fc.constant('push' as const), e: tie('expr') }),
      { weight: 1, arbitrary: fc.record({ t: fc.constant('throw' as const), c: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('oset' as const), e: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('opush' as const), e: tie('expr') }) },
      { weight: 1, arbitrary: fc.constant({ t: 'alias' as const }) },
      { weight: 1, arbitrary: fc.constant({ t: 'ocopy' as const }) },
      fc.record({ t: fc.constant('jump' as const), kind: fc.constantFrom('break' as const, 'continue' as const, 'return' as const), c: tie('expr') }),
      fc.record({ t: fc.constant('if' as const), c: tie('expr'), then: tie('block'), else: tie('block') }),
      fc.record({ t: fc.constant('for' as const), k: fc.integer({ min: 0, max: 3 }), body: tie('block') }),
      {
        weight: 1,
        arbitrary: fc.record({
          t: fc.constant('lfor' as const),
          k: fc.integer({ min: 0, max: 3 }),
          body: tie('block'),
          at: fc.nat(4),
          kind: fc.constantFrom('break' as const, 'continue' as const),
          c: tie('expr'),
        }),
      },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('ljump' as const), kind: fc.constantFrom('break' as const, 'continue' as const), c: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('swap' as const), l: tie('expr'), r: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('destr' as const), e: tie('expr'), d: tie('expr') }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('spread' as const), items: fc.array(tie('expr'), { maxLength: 3 }) }) },
      { weight: 1, arbitrary: fc.record({ t: fc.constant('mset' as const), k: tie('expr'), v: tie('expr') }) },
      fc.record({ t: fc.constant('while' as const), k: fc.integer({ min: 0, max: 3 }), body: tie('block') }),
      fc.record({ t: fc.constant('dowhile' as const), k: fc.integer({ min: 0, max: 3 }), body: tie('block') }),
      fc.record({ t: fc.constant('forof' as const), items: fc.array(tie('expr'), { maxLength: 3 }), body: tie('block') }),
      fc.record({
        t: fc.constant('try' as const),
        body: tie('block'),
        handler: fc.option(tie('block'), { nil: null }),
        finalizer: fc.option(tie('block'), { nil: null }),
      }),
      fc.record({
        t: fc.constant('switch' as const),
        e: tie('expr'),
        cases: fc.array(tie('block'), { minLength: 1, maxLength: 3 }),
        breaks: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
      }),
    ];
    if (options.fibers) {
      const mid = fc.array(tie('stmt'), { maxLength: 2 });
      expr.push(
        { weight: 2, arbitrary: fc.record({ t: fc.constant('combo' as const), c: tie('combo') }) },
        {
          weight: 1,
          arbitrary: fc.record({ t: fc.constant('then' as const), fn: fc.constantFrom('add' as const, 'echo' as const), l: tie('expr'), r: tie('expr'), k: fc.integer({ min: 0, max: 9 }), twice: fc.boolean() }),
        },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('recover' as const), how: fc.constantFrom('then' as const, 'catch' as const, 'finally' as const) }) },
      );
      stmt.push(
        { weight: 2, arbitrary: fc.record({ t: fc.constant('fanout' as const), items: fc.array(tie('expr'), { maxLength: 3 }), body: tie('fblock') }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('stored' as const), leaf: tie('leaf'), mid, twice: fc.boolean() }) },
        fc.record({ t: fc.constant('forget' as const), leaf: tie('leaf') }),
        fc.record({ t: fc.constant('closure' as const), body: tie('fblock'), mid, args: fc.array(tie('expr'), { minLength: 1, maxLength: 2 }) }),
      );
    }
    const fvar = fc.record({ t: fc.constant('fvar' as const), n: fc.constantFrom('x' as const, 'y' as const) });
    return {
      expr: fc.oneof({ maxDepth: 3, depthIdentifier: 'expr' }, ...expr),
      stmt: fc.oneof({ maxDepth: 2, depthIdentifier: 'stmt' }, ...stmt),
      block: fc.array(tie('stmt'), { maxLength: 4 }),
      fexpr: fc.oneof(
        { maxDepth: 2, depthIdentifier: 'fexpr' },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('fnum' as const), v: fc.integer({ min: -2, max: 9 }) }) },
        { weight: 3, arbitrary: fvar },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('fadd' as const), l: tie('fexpr'), r: tie('fexpr') }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('fecho' as const), e: tie('fexpr') }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('fbin' as const), op: fc.constantFrom('+' as const, '-' as const, '*' as const, '>' as const), l: tie('fexpr'), r: tie('fexpr') }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('fnest' as const), items: fc.array(tie('fexpr'), { minLength: 1, maxLength: 3 }) }) },
        { weight: 1, arbitrary: fc.constant({ t: 'ffail' as const }) },
      ),
      fstmt: fc.oneof(
        { maxDepth: 2, depthIdentifier: 'fstmt' },
        { weight: 4, arbitrary: fc.record({ t: fc.constant('fset' as const), e: tie('fexpr') }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('fif' as const), k: fc.integer({ min: 0, max: 6 }), then: tie('fblock'), else: tie('fblock') }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('fthrow' as const), k: fc.integer({ min: 2, max: 12 }) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('ffor' as const), k: fc.integer({ min: 0, max: 2 }), body: tie('fblock') }) },
      ),
      fblock: fc.array(tie('fstmt'), { maxLength: 3 }),
      leaf: fc.oneof(
        { maxDepth: 2, depthIdentifier: 'combo' },
        { weight: 3, arbitrary: fc.record({ t: fc.constant('lcall' as const), fn: fc.constantFrom('add' as const, 'echo' as const), l: tie('expr'), r: tie('expr') }) },
        { weight: 1, arbitrary: fc.constant({ t: 'lfail' as const }) },
        { weight: 2, arbitrary: fc.record({ t: fc.constant('lfiber' as const), arg: tie('expr'), body: tie('fblock') }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('lcombo' as const), c: tie('combo') }) },
      ),
      item: fc.oneof({ weight: 4, arbitrary: tie('leaf') }, { weight: 1, arbitrary: fc.record({ t: fc.constant('lval' as const), v: fc.integer({ min: 0, max: 9 }) }) }),
      combo: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.record({
            mode: fc.constantFrom('all' as const, 'allSettled' as const, 'race' as const, 'any' as const),
            first: fc.integer({ min: 0, max: 9 }),
            items: fc.array(tie('item'), { maxLength: 3 }),
          }),
        },
        { weight: 1, arbitrary: fc.record({ mode: fc.constant('anyFail' as const), n: fc.integer({ min: 1, max: 3 }) }) },
      ),
    };
  });
}

const { expr, block } = arbitraries({});

export { expr as exprArb };

export interface GeneratedProgram {
  initial: [number, number, number];
  body: Stmt[];
  /** Generated with `{ fibers: true }`: rendered with the `bg` list of fibers the workflow awaits before it ends. */
  fibers?: true;
}

/** Random programs; `{ fibers: true }` adds promises as values (see the top of this file). */
export function programArbitrary(options: GenOptions = {}): fc.Arbitrary<GeneratedProgram> {
  const arbs = options.fibers ? arbitraries(options) : { block };
  const initial = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }));
  const body = fc.array(arbs.block, { minLength: 1, maxLength: 3 }).map((bs) => bs.flat());
  return options.fibers ? fc.record({ initial, body }).map((p) => ({ ...p, fibers: true as const })) : fc.record({ initial, body });
}

export const programArb: fc.Arbitrary<GeneratedProgram> = programArbitrary();

/** Render a generated program as a module exporting the workflow `name`. */
export function renderProgram(p: GeneratedProgram, name: string): string {
  let ids = 0;
  const fresh = (prefix: string) => `${prefix}${ids++}`;

  // --- fibers: everything a fiber does stays in its own x and y -------------------------------
  const fex = (e: FExpr): string => {
    switch (e.t) {
      case 'fnum':
        return e.v < 0 ? `(${e.v})` : String(e.v);
      case 'fvar':
        return e.n;
      case 'fadd':
        return `(await add(${fex(e.l)}, ${fex(e.r)}))`;
      case 'fecho':
        return `(await echo(${fex(e.e)}))`;
      case 'fbin':
        return `(${fex(e.l)} ${e.op} ${fex(e.r)})`;
      case 'fnest':
        return `(await Promise.all([${e.items.map(fex).join(', ')}].map(async (z: any) => await add(z, 1))))`;
      case 'ffail':
        // every fiber fails with the same error, so which fiber of a fanout fails first cannot show
        return `(await fail('Error', 'fiber failed'))`;
    }
  };
  const fst = (s: FStmt): string => {
    switch (s.t) {
      case 'fset':
        return `y = ${fex(s.e)};`;
      case 'fif':
        return `if (y > ${s.k}) { ${s.then.map(fst).join(' ')} } else { ${s.else.map(fst).join(' ')} }`;
      case 'fthrow':
        return `if (y > ${s.k}) throw new Error('fiber failed');`;
      case 'ffor': {
        const j = fresh('j');
        return `for (let ${j} = 0; ${j} < ${s.k}; ${j}++) { ${s.body.map(fst).join(' ')} }`;
      }
    }
  };
  // A fiber starts with an await, so it never settles before a plain value in the same race.
  const fiber = (body: FStmt[]): string => `async (x: any) => { let y: any = await add(x, 1); ${[...body.map(fst), 'return y;'].join(' ')} }`;
  const fiberMayReject = (body: FStmt[]): boolean =>
    body.some((s) => (s.t === 'fthrow' ? true : s.t === 'fset' ? fexMayReject(s.e) : s.t === 'fif' ? fiberMayReject(s.then) || fiberMayReject(s.else) : s.t === 'ffor' && fiberMayReject(s.body)));
  const fexMayReject = (e: FExpr): boolean =>
    e.t === 'ffail' || ((e.t === 'fadd' || e.t === 'fbin') && (fexMayReject(e.l) || fexMayReject(e.r))) || (e.t === 'fecho' && fexMayReject(e.e)) || (e.t === 'fnest' && e.items.some(fexMayReject));

  const itemMayReject = (it: ComboItem): boolean =>
    it.t === 'lfail' || (it.t === 'lfiber' && fiberMayReject(it.body)) || (it.t === 'lcombo' && comboMayReject(it.c));
  const comboMayReject = (c: Combo): boolean => c.mode === 'anyFail' || (c.mode === 'all' && c.items.some(itemMayReject));

  /** A leaf's promise. Fibers and combinators go through `track` (kept in bg, rejections handled there). */
  const leaf = (l: ComboItem, safe: boolean): string => {
    switch (l.t) {
      case 'lval':
        return String(l.v);
      case 'lcall':
        return l.fn === 'add' ? `add(${ex(l.l)}, ${ex(l.r)})` : `echo(${ex(l.l)})`;
      case 'lfail':
        return safe ? `echo('no fail')` : `fail('GenError', 'f${ids++}')`;
      case 'lfiber':
        return `track((${fiber(safe ? safeBody(l.body) : l.body)})(${ex(l.arg)}))`;
      case 'lcombo':
        return `track(${combo(l.c, safe)})`;
    }
  };
  /** The body with its failures taken out (for an `all` that already holds an item that may reject). */
  const safeBody = (body: FStmt[]): FStmt[] =>
    body.flatMap((s): FStmt[] =>
      s.t === 'fthrow' ? [] : s.t === 'fset' ? [{ t: 'fset', e: safeFex(s.e) }] : s.t === 'fif' ? [{ ...s, then: safeBody(s.then), else: safeBody(s.else) }] : s.t === 'ffor' ? [{ ...s, body: safeBody(s.body) }] : [s],
    );
  const safeFex = (e: FExpr): FExpr => {
    switch (e.t) {
      case 'ffail':
        return { t: 'fnum', v: 0 };
      case 'fadd':
      case 'fbin':
        return { ...e, l: safeFex(e.l), r: safeFex(e.r) };
      case 'fecho':
        return { ...e, e: safeFex(e.e) };
      case 'fnest':
        return { ...e, items: e.items.map(safeFex) };
      default:
        return e;
    }
  };
  /**
   * A combinator. An `all` keeps at most one item that may reject (the first
   * rejection in time must not depend on completion order); `safe` (inside
   * such an `all`) takes every failure out.
   */
  const combo = (c: Combo, safe: boolean): string => {
    if (c.mode === 'anyFail') {
      const fails = Array.from({ length: c.n }, () => leaf({ t: 'lfail' }, safe));
      return safe ? `Promise.any([0, ${fails.join(', ')}])` : `Promise.any([${fails.join(', ')}])`;
    }
    if (c.mode === 'all') {
      let mayReject = !safe;
      const items = c.items.map((it) => {
        if (!itemMayReject(it)) return leaf(it, safe);
        const unsafe = mayReject;
        mayReject = false;
        return leaf(it, !unsafe);
      });
      return `Promise.all([${items.join(', ')}])`;
    }
    const items = c.items.map((it) => leaf(it, safe));
    if (c.mode === 'allSettled') return `Promise.allSettled([${items.join(', ')}])`;
    return `Promise.${c.mode}([${[String(c.first), ...items].join(', ')}])`;
  };

  const ex = (e: Expr): string => {
    switch (e.t) {
      case 'num':
        return e.v < 0 ? `(${e.v})` : String(e.v);
      case 'null':
        return 'null';
      case 'var':
        return e.n;
      case 'bin':
        return `(${ex(e.l)} ${e.op} ${ex(e.r)})`;
      case 'logic':
        return `(${ex(e.l)} ${e.op} ${ex(e.r)})`;
      case 'cond':
        return `(${ex(e.c)} ? ${ex(e.a)} : ${ex(e.b)})`;
      case 'add':
        return `(await add(${ex(e.l)}, ${ex(e.r)}))`;
      case 'echo':
        return `(await echo(${ex(e.e)}))`;
      case 'fail':
        return `(await fail('GenError', 'f${ids++}'))`;
      case 'assign':
        return `(${e.n} = ${ex(e.e)})`;
      case 'inc':
        return e.prefix ? `(++${e.n})` : `(${e.n}++)`;
      case 'okey':
        return 'o.k';
      case 'get':
        return 'get()';
      case 'bump':
        return `bump(${ex(e.e)})`;
      case 'tmpl':
        return `\`\${${ex(e.l)}}:\${${ex(e.r)}}\``;
      case 'seq':
        return `(${ex(e.l)}, ${ex(e.r)})`;
      case 'mget':
        return `m.get(${ex(e.k)})`;
      case 'msize':
        return 'm.size';
      case 'combo':
        return `(await ${combo(e.c, false)})`;
      case 'then': {
        const call = e.fn === 'add' ? `add(${ex(e.l)}, ${ex(e.r)})` : `echo(${ex(e.l)})`;
        const first = e.fn === 'add' ? `.then((v: any) => v + ${e.k})` : `.then((v: any) => [v, ${e.k}])`;
        return `(await ${call}${first}${e.twice ? `.then((w: any) => [w, b])` : ''})`;
      }
      case 'recover': {
        const failing = `fail('GenError', 'f${ids++}')`;
        if (e.how === 'then') return `(await ${failing}.then((v: any) => v, (err: any) => 'recovered ' + err.message))`;
        if (e.how === 'catch') return `(await ${failing}.catch((err: any) => 'caught ' + err.message))`;
        return `(await ${failing}.finally(() => log.push('settled')).catch((err: any) => 'after finally ' + err.message))`;
      }
    }
  };

  const block = (ss: Stmt[], ind: string, inLoop: boolean, inSwitch: boolean): string => ss.map((s) => st(s, ind, inLoop, inSwitch)).join('');
  /** Labels of the labelled loops around the statement being rendered, outermost first. */
  const labels: string[] = [];

  const st = (s: Stmt, ind: string, inLoop: boolean, inSwitch: boolean): string => {
    const i2 = `${ind}  `;
    switch (s.t) {
      case 'set':
        return `${ind}${s.n} ${s.op} ${ex(s.e)};\n`;
      case 'push':
        return `${ind}log.push(${ex(s.e)});\n`;
      case 'oset':
        return `${ind}o.k = ${ex(s.e)};\n`;
      case 'opush':
        return `${ind}o.arr.push(${ex(s.e)});\n`;
      case 'alias':
        return `${ind}log.push(o.arr);\n`;
      case 'ocopy':
        return `${ind}log.push(await echo(o.arr));\n`;
      case 'throw':
        return `${ind}if (${ex(s.c)}) throw new Error('thrown ' + String(a));\n`;
      case 'jump': {
        const ok = s.kind === 'return' || (s.kind === 'break' ? inLoop || inSwitch : inLoop);
        if (!ok) return `${ind}log.push('no ${s.kind}');\n`;
        const stmt = s.kind === 'return' ? 'return [a, b, c, log, o, [...m]];' : `${s.kind};`;
        return `${ind}if (${ex(s.c)}) ${stmt}\n`;
      }
      case 'if':
        return `${ind}if (${ex(s.c)}) {\n${block(s.then, i2, inLoop, inSwitch)}${ind}} else {\n${block(s.else, i2, inLoop, inSwitch)}${ind}}\n`;
      case 'for': {
        const v = fresh('i');
        return `${ind}for (let ${v} = 0; ${v} < ${s.k}; ${v}++) {\n${i2}log.push('${v}:' + ${v});\n${block(s.body, i2, true, false)}${ind}}\n`;
      }
      case 'lfor': {
        const v = fresh('i');
        const label = `L${v}`;
        labels.push(label);
        const at = s.at % (s.body.length + 1);
        const body = block([...s.body.slice(0, at), { t: 'ljump', kind: s.kind, c: s.c }, ...s.body.slice(at)], i2, true, false);
        labels.pop();
        return `${ind}${label}: for (let ${v} = 0; ${v} < ${s.k}; ${v}++) {\n${i2}log.push('${v}:' + ${v});\n${body}${ind}}\n`;
      }
      case 'ljump':
        return labels.length ? `${ind}if (${ex(s.c)}) ${s.kind} ${labels[0]};\n` : `${ind}log.push('no ${s.kind} label');\n`;
      case 'swap':
        return `${ind}[a, b] = [${ex(s.l)}, ${ex(s.r)}];\n`;
      case 'destr':
        return `${ind}({ x: c, y: o.k = ${ex(s.d)} } = { x: ${ex(s.e)} } as any);\n`;
      case 'spread':
        return `${ind}log.push(...[${s.items.map(ex).join(', ')}]);\n`;
      case 'mset':
        return `${ind}m.set(${ex(s.k)}, ${ex(s.v)});\n`;
      case 'while': {
        const v = fresh('w');
        return `${ind}{\n${i2}let ${v} = 0;\n${i2}while (${v}++ < ${s.k}) {\n${block(s.body, `${i2}  `, true, false)}${i2}}\n${ind}}\n`;
      }
      case 'dowhile': {
        const v = fresh('d');
        return `${ind}{\n${i2}let ${v} = 0;\n${i2}do {\n${block(s.body, `${i2}  `, true, false)}${i2}} while (++${v} < ${s.k});\n${ind}}\n`;
      }
      case 'forof': {
        const v = fresh('x');
        return `${ind}for (const ${v} of [${s.items.map(ex).join(', ')}]) {\n${i2}log.push(${v});\n${block(s.body, i2, true, false)}${ind}}\n`;
      }
      case 'try': {
        const e = fresh('e');
        let out = `${ind}try {\n${block(s.body, i2, inLoop, inSwitch)}${ind}}`;
        if (s.handler || !s.finalizer)
          out += ` catch (${e}) {\n${i2}log.push('caught ' + (${e} as Error).message);\n${block(s.handler ?? [], i2, inLoop, inSwitch)}${ind}}`;
        if (s.finalizer) out += ` finally {\n${i2}log.push('finally');\n${block(s.finalizer, i2, inLoop, inSwitch)}${ind}}`;
        return `${out}\n`;
      }
      case 'switch': {
        let out = `${ind}switch (Number(${ex(s.e)}) % ${s.cases.length}) {\n`;
        s.cases.forEach((body, i) => {
          out += `${i2}${i === s.cases.length - 1 ? 'default' : `case ${i}`}: {\n${block(body, `${i2}  `, inLoop, true)}`;
          out += s.breaks[i] ? `${i2}  break;\n${i2}}\n` : `${i2}}\n`;
        });
        return `${out}${ind}}\n`;
      }
      case 'fanout':
        // every fiber of a fanout runs the same body, so a rejection of Promise.all is the same whichever fails first
        return `${ind}log.push(await Promise.all([${s.items.map(ex).join(', ')}].map(${fiber(s.body)}).map(track)));\n`;
      case 'stored': {
        const v = fresh('p');
        const awaitIt = `${i2}log.push(await ${v});\n`;
        return `${ind}{\n${i2}const ${v} = ${leaf(s.leaf, false)};\n${block(s.mid, i2, inLoop, inSwitch)}${awaitIt}${s.twice ? awaitIt : ''}${ind}}\n`;
      }
      case 'forget':
        return `${ind}${leaf(s.leaf, false)};\n`;
      case 'closure': {
        const f = fresh('f');
        const calls = s.args.map((arg) => `${i2}log.push(await ${f}(${ex(arg)}));\n`).join('');
        return `${ind}{\n${i2}const ${f} = ${fiber(s.body)};\n${block(s.mid, i2, inLoop, inSwitch)}${calls}${ind}}\n`;
      }
    }
  };

  const [a0, b0, c0] = p.initial;
  const header = [
    `import { proxyActivities } from 'reawait/workflow';`,
    `const { add, echo, fail } = proxyActivities<{ add(x: unknown, y: unknown): number; echo(x: unknown): unknown; fail(n: string, m: string): never }>();`,
    ``,
    `export async function ${name}() {`,
    `  'use workflow';`,
    `  let a: any = ${a0}, b: any = ${b0}, c: any = ${c0};`,
    `  const log: unknown[] = [];`,
    `  const o: any = { k: ${a0}, arr: [] as unknown[] };`,
    `  const m = new Map<unknown, unknown>();`,
    `  const get = () => a + b;`,
    `  const bump = (n: any) => {`,
    `    c = c + n;`,
    `    return c;`,
    `  };`,
  ];
  if (!p.fibers) return [...header, block(p.body, '  ', false, false).trimEnd(), `  return [a, b, c, log, o, [...m]];`, `}`, ``].join('\n');
  // Every fiber and combinator started is tracked: its rejection is handled at once (native JS would
  // report it as unhandled before the code that awaits it runs), and the workflow awaits all of them
  // before it ends (native JS keeps running them; the runtime abandons them when the root returns).
  return [
    ...header,
    `  const bg: unknown[] = [];`,
    `  const track = (q: any) => {`,
    `    bg.push(q);`,
    `    q.then(undefined, () => undefined);`,
    `    return q;`,
    `  };`,
    `  try {`,
    block(p.body, '    ', false, false).trimEnd(),
    `    return [a, b, c, log, o, [...m]];`,
    `  } finally {`,
    `    await Promise.allSettled(bg);`,
    `  }`,
    `}`,
    ``,
  ].join('\n');
}
