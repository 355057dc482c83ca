/**
 * The emitter: a flat list of items grouped into numbered states (the cases
 * of the step function's switch). Jumps are `pc = N; continue loop`. Each
 * item carries what the liveness analysis needs (successors, certain writes,
 * the exception handler in force), so the analysis never re-derives control
 * flow from the generated code.
 */
import * as t from '@babel/types';
import { certainWrites } from './refs.js';
import type { Helpers } from './helpers.js';
import { LeapManager } from './leap-manager.js';

/** Literals that hold a state number / a suspension id (the fingerprints renumber them: compiler/fingerprint.ts). */
export const labelLiterals = new WeakSet<t.NumericLiteral>();
export const pointLiterals = new WeakSet<t.NumericLiteral>();

/** A jump target; its state number is known once it is marked. */
export class Label {
  num = -1;
  private refs: t.NumericLiteral[] = [];
  ref(): t.NumericLiteral {
    const lit = t.numericLiteral(this.num < 0 ? 0 : this.num);
    labelLiterals.add(lit);
    if (this.num < 0) this.refs.push(lit);
    return lit;
  }
  set(num: number): void {
    this.num = num;
    for (const r of this.refs) r.value = num;
    this.refs = [];
  }
}

/** Where an exception raised by an item goes, and what the dispatcher writes on the way. */
export interface Handler {
  label: Label;
  kills: string[];
}

export interface Suspension {
  id: number;
  resume: Label;
  locals: t.ObjectExpression;
  line: number;
  column: number;
  live: string[];
}

export interface Item {
  nodes: t.Statement[];
  mark?: Label;
  succ: Label[];
  fall: boolean;
  defs: string[];
  handler: Handler | null;
  suspension?: Suspension;
}

/** A try region: a throw while pc is in [start, end) goes to handler after `onThrow` stores the error. */
export interface Region {
  start: Label;
  end: Label;
  handler: Label;
  onThrow: (err: t.Identifier) => t.Statement[];
}

/** The step function's own identifiers (chosen so that they clash with nothing in the file). */
export interface InternalNames {
  frame: string;
  input: string;
  pc: string;
  loop: string;
  err: string;
  prefix: string;
}

export interface EmitterOptions {
  internal: InternalNames;
  /** Locals assigned inside an awaiting expression or a closure: copied before an await rather than re-read. */
  unstable: Set<string>;
  /** The runtime helpers the generated code calls. */
  helpers: Helpers;
}

export class Emitter {
  readonly items: Item[] = [];
  readonly vars = new Set<string>();
  readonly temps = new Set<string>();
  /** Descriptions of temporaries, for error messages (see WorkflowMeta.display). */
  readonly tempInfo = new Map<string, string>();
  /**
   * Always empty since closure conversion (every nested function is a closure
   * site, sites.ts); kept because fingerprint.ts hashes it.
   */
  readonly codeBindings: { name: string; node: t.Statement }[] = [];
  readonly handlers: Handler[] = [];
  readonly regions: Region[] = [];
  readonly suspensions: Suspension[] = [];
  /** The cursors of the lowered for…of loops around the current point: parked before every suspension. */
  readonly parking: t.Identifier[] = [];
  readonly leaps: LeapManager;
  readonly n: InternalNames;
  private states = 0;
  private tempCount = 0;
  private exitState: { label: Label; value: string } | null = null;
  /** Temporaries holding a settled await result (never a thenable). */
  private readonly settled = new Set<string>();

  constructor(readonly opts: EmitterOptions) {
    this.n = opts.internal;
    this.leaps = new LeapManager(this);
  }

  id(name: string): t.Identifier {
    return t.identifier(name);
  }

  mark(label: Label): void {
    label.set(this.states++);
    this.items.push({ nodes: [], mark: label, succ: [], fall: true, defs: [], handler: null });
  }

  emit(nodes: t.Statement | t.Statement[], o: { succ?: Label[]; fall?: boolean; defs?: string[]; suspension?: Suspension } = {}): void {
    const list = Array.isArray(nodes) ? nodes : [nodes];
    const defs = o.defs ?? (list.length === 1 ? certainWrites(list[0]!) : []);
    this.items.push({
      nodes: list,
      succ: o.succ ?? [],
      fall: o.fall ?? true,
      defs,
      handler: this.handlers[this.handlers.length - 1] ?? null,
      ...(o.suspension ? { suspension: o.suspension } : {}),
    });
  }

  /** The shared exit state a returned thenable goes through (created on first use). */
  exit(): { label: Label; value: string } {
    if (!this.exitState) {
      const value = `${this.n.prefix}rv`;
      this.vars.add(value);
      this.tempInfo.set(value, 'the returned value');
      this.exitState = { label: new Label(), value };
    }
    return this.exitState;
  }

  /** Emit the exit state, if any return needs it: a thenable return value is awaited, then returned. */
  emitExit(loc: t.SourceLocation | null | undefined): void {
    if (!this.exitState) return;
    const { label, value } = this.exitState;
    const v = (): t.Identifier => t.identifier(value);
    const done = new Label();
    this.mark(label);
    const isObj = t.logicalExpression(
      '||',
      t.binaryExpression('===', t.unaryExpression('typeof', v()), t.stringLiteral('object')),
      t.binaryExpression('===', t.unaryExpression('typeof', v()), t.stringLiteral('function')),
    );
    const thenable = t.logicalExpression(
      '&&',
      t.logicalExpression('&&', t.binaryExpression('!==', v(), t.nullLiteral()), isObj),
      t.binaryExpression('===', t.unaryExpression('typeof', t.memberExpression(v(), t.identifier('then'))), t.stringLiteral('function')),
    );
    this.jumpIfNot(thenable, done);
    const settled = this.suspend(v(), loc);
    this.assign(v(), settled);
    this.mark(done);
    this.emit(t.returnStatement(t.objectExpression([t.objectProperty(t.identifier('done'), t.booleanLiteral(true)), t.objectProperty(t.identifier('value'), v())])), {
      fall: false,
      defs: [],
    });
  }

  /** Could this returned value be a thenable (which `return` must resolve)? */
  maybeThenable(x: t.Expression): boolean {
    switch (x.type) {
      case 'Identifier':
        return x.name !== 'undefined' && !this.settled.has(x.name);
      case 'CallExpression':
      case 'NewExpression':
      case 'MemberExpression':
      case 'OptionalCallExpression':
      case 'OptionalMemberExpression':
      case 'ConditionalExpression':
      case 'LogicalExpression':
      case 'SequenceExpression':
      case 'AssignmentExpression':
      case 'TaggedTemplateExpression':
        return true;
      default:
        return false;
    }
  }

  declare(name: string): void {
    this.vars.add(name);
  }

  /** A fresh temporary; `what` describes it in error messages (default: an intermediate value). */
  temp(what?: string): t.Identifier {
    let name: string;
    do name = `${this.n.prefix}t${this.tempCount++}`;
    while (this.vars.has(name));
    this.vars.add(name);
    this.temps.add(name);
    if (what) this.tempInfo.set(name, what);
    return t.identifier(name);
  }

  /** A completion-record variable for one try/finally. */
  completionVar(line?: number): string {
    const name = `${this.n.prefix}c${this.tempCount++}`;
    this.vars.add(name);
    this.tempInfo.set(name, `the pending return, jump or exception of the try…finally at line ${line ?? '?'}`);
    return name;
  }

  assign(target: t.Identifier, value: t.Expression): void {
    this.emit(t.expressionStatement(t.assignmentExpression('=', t.cloneNode(target), value)), { defs: [target.name] });
  }

  exprStatement(e: t.Expression, loc?: t.SourceLocation | null): void {
    const s = t.expressionStatement(e);
    if (loc) s.loc = loc;
    this.emit(s);
  }

  jumpNodes(label: Label): t.Statement[] {
    return [
      t.expressionStatement(t.assignmentExpression('=', t.identifier(this.n.pc), label.ref())),
      t.continueStatement(t.identifier(this.n.loop)),
    ];
  }

  jump(label: Label): void {
    this.emit(this.jumpNodes(label), { succ: [label], fall: false, defs: [] });
  }

  jumpIf(test: t.Expression, label: Label): void {
    this.emit(t.ifStatement(test, t.blockStatement(this.jumpNodes(label))), { succ: [label], defs: [] });
  }

  jumpIfNot(test: t.Expression, label: Label): void {
    this.jumpIf(negate(test), label);
  }

  /** `await value`: save the live locals, return the awaited value; on resume, throw or yield the settled value. */
  suspend(value: t.Expression, loc: t.SourceLocation | null | undefined): t.Identifier {
    const f = t.identifier(this.n.frame);
    const r = t.identifier(this.n.input);
    const resume = new Label();
    const s: Suspension = {
      id: this.suspensions.length + 1,
      resume,
      locals: t.objectExpression([]),
      line: loc?.start.line ?? 0,
      column: loc?.start.column ?? 0,
      live: [],
    };
    this.suspensions.push(s);
    const idLit = t.numericLiteral(s.id);
    pointLiterals.add(idLit);
    const ret = t.returnStatement(
      t.objectExpression([t.objectProperty(t.identifier('done'), t.booleanLiteral(false)), t.objectProperty(t.identifier('await'), value)]),
    );
    if (loc) ret.loc = loc;
    this.emit(
      [
        ...this.parking.map((c) => t.expressionStatement(this.opts.helpers.call('forOfPark', [t.cloneNode(c)]))),
        t.expressionStatement(t.assignmentExpression('=', t.memberExpression(f, t.identifier('pc')), idLit)),
        t.expressionStatement(t.assignmentExpression('=', t.memberExpression(t.cloneNode(f), t.identifier('locals')), s.locals)),
        ret,
      ],
      { succ: [resume], fall: false, defs: [], suspension: s },
    );
    this.mark(resume);
    if (this.parking.length) this.emit(this.parking.map((c) => t.expressionStatement(this.opts.helpers.call('forOfUnpark', [t.cloneNode(c)]))), { defs: [] });
    const result = this.temp();
    this.settled.add(result.name);
    this.emit(
      [
        t.ifStatement(t.unaryExpression('!', t.memberExpression(r, t.identifier('ok'))), t.throwStatement(t.memberExpression(t.cloneNode(r), t.identifier('error')))),
        t.expressionStatement(t.assignmentExpression('=', t.cloneNode(result), t.memberExpression(t.cloneNode(r), t.identifier('value')))),
      ],
      { defs: [result.name] },
    );
    return result;
  }
}

export function negate(e: t.Expression): t.Expression {
  if (e.type === 'UnaryExpression' && e.operator === '!') return e.argument;
  return t.unaryExpression('!', e);
}
