/**
 * The `reawait/workflow` helpers a compiled module imports, each under a
 * local name no identifier of the file uses (`_rw_define`, or `_rw_define$1`
 * if the file has a `_rw_define`). defineWorkflow, call and group are always
 * imported; the others only when emitted code uses them.
 */
import * as t from '@babel/types';
import type { NameGen } from './scope.js';

/** Export name → the base of its local name. */
const LOCAL_BASE = {
  defineWorkflow: '_rw_define',
  call: '_rw_call',
  group: '_rw_group',
  resolve: '_rw_resolve',
  reject: '_rw_reject',
  TDZ: '_rw_TDZ',
  tdz: '_rw_tdz',
  constAssign: '_rw_const',
  forOf: '_rw_forOf',
  forOfNext: '_rw_forOfNext',
  forOfDone: '_rw_forOfDone',
  forOfClose: '_rw_forOfClose',
  forOfPark: '_rw_forOfPark',
  forOfUnpark: '_rw_forOfUnpark',
  serializable: '_rw_serializable',
  defineSite: '_rw_site',
  closure: '_rw_closure',
  accessors: '_rw_accessors',
  step: '_rw_step',
} as const;

export type HelperName = keyof typeof LOCAL_BASE;

export class Helpers {
  private readonly used = new Map<HelperName, string>();
  constructor(
    private readonly taken: Set<string>,
    private readonly names: NameGen,
  ) {
    for (const always of ['defineWorkflow', 'call', 'group'] as const) this.name(always);
  }

  /** The local name of a helper (imported from then on). */
  name(h: HelperName): string {
    let local = this.used.get(h);
    if (!local) {
      const base = LOCAL_BASE[h];
      local = this.taken.has(base) ? this.names.fresh(base) : (this.taken.add(base), base);
      this.used.set(h, local);
    }
    return local;
  }

  id(h: HelperName): t.Identifier {
    return t.identifier(this.name(h));
  }

  /** `helper(args…)`. */
  call(h: HelperName, args: t.Expression[]): t.CallExpression {
    return t.callExpression(this.id(h), args);
  }

  importDeclaration(source: string): t.ImportDeclaration {
    const specs = [...this.used].map(([exported, local]) => t.importSpecifier(t.identifier(local), t.identifier(exported)));
    return t.importDeclaration(specs, t.stringLiteral(source));
  }
}
