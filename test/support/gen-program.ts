/**
 * A fast-check generator of random workflow programs (source text) for the
 * property-based differential test: straight-line code, if/else, switch,
 * bounded loops (for, while, do…while, for…of), try/catch/finally with throws, break/continue/return, and
 * awaits of activity calls at random positions inside expressions and
 * statements, over the variables a, b, c and an array `log`.
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
  | { t: 'inc'; n: Var; prefix: boolean };

export type Stmt =
  | { t: 'set'; n: Var; op: '=' | '+=' | '-='; e: Expr }
  | { t: 'push'; e: Expr }
  | { t: 'if'; c: Expr; then: Stmt[]; else: Stmt[] }
  | { t: 'for'; k: number; body: Stmt[] }
  | { t: 'while'; k: number; body: Stmt[] }
  | { t: 'dowhile'; k: number; body: Stmt[] }
  | { t: 'forof'; items: Expr[]; body: Stmt[] }
  | { t: 'try'; body: Stmt[]; handler: Stmt[] | null; finalizer: Stmt[] | null }
  | { t: 'switch'; e: Expr; cases: Stmt[][]; breaks: boolean[] }
  | { t: 'throw'; c: Expr }
  | { t: 'jump'; kind: 'break' | 'continue' | 'return'; c: Expr };

const varArb = fc.constantFrom<Var>('a', 'b', 'c');

const { expr, block } = fc.letrec<{ expr: Expr; stmt: Stmt; block: Stmt[] }>((tie) => ({
  expr: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'expr' },
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
  ),
  stmt: fc.oneof(
    { maxDepth: 2, depthIdentifier: 'stmt' },
    fc.record({ t: fc.constant('set' as const), n: varArb, op: fc.constantFrom('=' as const, '+=' as const, '-=' as const), e: tie('expr') }),
    fc.record({ t: fc.constant('push' as const), e: tie('expr') }),
    { weight: 1, arbitrary: fc.record({ t: fc.constant('throw' as const), c: tie('expr') }) },
    fc.record({ t: fc.constant('jump' as const), kind: fc.constantFrom('break' as const, 'continue' as const, 'return' as const), c: tie('expr') }),
    fc.record({ t: fc.constant('if' as const), c: tie('expr'), then: tie('block'), else: tie('block') }),
    fc.record({ t: fc.constant('for' as const), k: fc.integer({ min: 0, max: 3 }), body: tie('block') }),
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
  ),
  block: fc.array(tie('stmt'), { maxLength: 4 }),
}));

export { expr as exprArb };

export interface GeneratedProgram {
  initial: [number, number, number];
  body: Stmt[];
}

export const programArb: fc.Arbitrary<GeneratedProgram> = fc.record({
  initial: fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })),
  body: fc.array(block, { minLength: 1, maxLength: 3 }).map((bs) => bs.flat()),
});

/** Render a generated program as a module exporting the workflow `name`. */
export function renderProgram(p: GeneratedProgram, name: string): string {
  let ids = 0;
  const fresh = (prefix: string) => `${prefix}${ids++}`;

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
    }
  };

  const block = (ss: Stmt[], ind: string, inLoop: boolean, inSwitch: boolean): string => ss.map((s) => st(s, ind, inLoop, inSwitch)).join('');

  const st = (s: Stmt, ind: string, inLoop: boolean, inSwitch: boolean): string => {
    const i2 = `${ind}  `;
    switch (s.t) {
      case 'set':
        return `${ind}${s.n} ${s.op} ${ex(s.e)};\n`;
      case 'push':
        return `${ind}log.push(${ex(s.e)});\n`;
      case 'throw':
        return `${ind}if (${ex(s.c)}) throw new Error('thrown ' + String(a));\n`;
      case 'jump': {
        const ok = s.kind === 'return' || (s.kind === 'break' ? inLoop || inSwitch : inLoop);
        if (!ok) return `${ind}log.push('no ${s.kind}');\n`;
        const stmt = s.kind === 'return' ? 'return [a, b, c, log];' : `${s.kind};`;
        return `${ind}if (${ex(s.c)}) ${stmt}\n`;
      }
      case 'if':
        return `${ind}if (${ex(s.c)}) {\n${block(s.then, i2, inLoop, inSwitch)}${ind}} else {\n${block(s.else, i2, inLoop, inSwitch)}${ind}}\n`;
      case 'for': {
        const v = fresh('i');
        return `${ind}for (let ${v} = 0; ${v} < ${s.k}; ${v}++) {\n${i2}log.push('${v}:' + ${v});\n${block(s.body, i2, true, false)}${ind}}\n`;
      }
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
    }
  };

  const [a0, b0, c0] = p.initial;
  return [
    `import { proxyActivities } from 'reawait/workflow';`,
    `const { add, echo, fail } = proxyActivities<{ add(x: unknown, y: unknown): number; echo(x: unknown): unknown; fail(n: string, m: string): never }>();`,
    ``,
    `export async function ${name}() {`,
    `  'use workflow';`,
    `  let a: any = ${a0}, b: any = ${b0}, c: any = ${c0};`,
    `  const log: unknown[] = [];`,
    block(p.body, '  ', false, false).trimEnd(),
    `  return [a, b, c, log];`,
    `}`,
    ``,
  ].join('\n');
}
