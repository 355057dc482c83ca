/**
 * Assembles the step function from the emitter's items:
 *
 *   function name$step(frame, input) {
 *     let pc = [entry, resume1, …][frame.pc];
 *     let { …live locals } = frame.locals;  let …other locals;
 *     loop: for (;;) {
 *       try { switch (pc) { case N: pc = N; … } }
 *       catch (err) { …route to the catch/finally of the try region pc is in…; throw err; }
 *     }
 *   }
 */
import * as t from '@babel/types';
import type { Emitter } from './emitter.js';

export function buildStep(e: Emitter, name: string): t.FunctionExpression {
  const n = e.n;
  const id = (s: string): t.Identifier => t.identifier(s);
  const cases: t.SwitchCase[] = [];
  for (const item of e.items) {
    if (item.mark) {
      cases.push(t.switchCase(t.numericLiteral(item.mark.num), [t.expressionStatement(t.assignmentExpression('=', id(n.pc), t.numericLiteral(item.mark.num)))]));
    } else cases[cases.length - 1]!.consequent.push(...item.nodes);
  }
  for (const s of e.suspensions) s.locals.properties.push(...s.live.map((v) => t.objectProperty(id(v), id(v), false, true)));

  const badPc = t.newExpression(id('Error'), [
    t.templateLiteral(
      [t.templateElement({ raw: `reawait: workflow '${name}' has no suspension point ` }), t.templateElement({ raw: ' (state from another version of the code?)' }, true)],
      [t.memberExpression(id(n.frame), id('pc'))],
    ),
  ]);
  cases.push(t.switchCase(null, [t.throwStatement(badPc)]));
  let loopBody: t.Statement = t.switchStatement(id(n.pc), cases);
  if (e.regions.length) {
    const err = id(n.err);
    const routes = e.regions.map((r) =>
      t.ifStatement(
        t.logicalExpression('&&', t.binaryExpression('>=', id(n.pc), r.start.ref()), t.binaryExpression('<', id(n.pc), r.end.ref())),
        t.blockStatement([...r.onThrow(t.cloneNode(err)), ...e.jumpNodes(r.handler)]),
      ),
    );
    loopBody = t.tryStatement(t.blockStatement([loopBody]), t.catchClause(err, t.blockStatement([...routes, t.throwStatement(t.cloneNode(err))])));
  }
  const loop = t.labeledStatement(id(n.loop), t.forStatement(null, null, null, t.blockStatement([loopBody])));

  const restored = new Set(e.suspensions.flatMap((s) => s.live));
  const others = [...e.vars].filter((v) => !restored.has(v));
  const resumeMap = t.arrayExpression([t.numericLiteral(0), ...e.suspensions.map((s) => t.numericLiteral(s.resume.num))]);
  const body: t.Statement[] = [t.variableDeclaration('let', [t.variableDeclarator(id(n.pc), t.memberExpression(resumeMap, t.memberExpression(id(n.frame), id('pc')), true))])];
  if (restored.size)
    body.push(
      t.variableDeclaration('let', [
        t.variableDeclarator(t.objectPattern([...restored].map((v) => t.objectProperty(id(v), id(v), false, true))), t.memberExpression(id(n.frame), id('locals'))),
      ]),
    );
  if (others.length) body.push(t.variableDeclaration('let', others.map((v) => t.variableDeclarator(id(v)))));
  body.push(loop);
  return t.functionExpression(id(`${name}$step`), [id(n.frame), id(n.input)], t.blockStatement(body));
}
