/**
 * The names the codec saves prototypes and singletons under.
 *
 * - Classes: `serializable(Class, name?, options?)` registers a class by a
 *   stable name (default `Class.name`). An instance whose prototype is the
 *   class's is saved as that name plus its own properties and revived with
 *   the prototype, without running the constructor. The built-in classes are
 *   registered here under their global names (`TypeError`, `Map`, …) so that
 *   one lookup names any prototype the codec can restore.
 * - Constants: singleton objects (the TDZ marker, …) saved by name and
 *   restored by identity.
 *
 * Names are what a stored state refers to: renaming a class that has
 * instances in suspended states needs the old name kept (`serializable(C,
 * 'OldName')` may be called again with the new one; both names then decode).
 */
import { TYPED_ARRAYS } from './codec-format.js';

export interface SerializableOptions {
  /**
   * The own data fields every instance has, in order: saved by position
   * instead of by name (compact, for classes with many small instances). An
   * instance that differs (another field, an accessor, a frozen one) is
   * saved in the general form, as exactly.
   */
  fields?: readonly string[];
}

export interface RegisteredClass {
  /** The name instances are saved under (the latest one given). */
  readonly name: string;
  readonly ctor: abstract new (...args: never[]) => object;
  readonly proto: object;
  readonly fields: readonly string[] | undefined;
  /** The class (or a class it extends) declares `#private` members: instances cannot be saved. */
  readonly privateMembers: boolean;
  readonly builtin: boolean;
}

type AnyClass = abstract new (...args: never[]) => object;

const byName = new Map<string, RegisteredClass>();
const byProto = new Map<object, RegisteredClass>();

function register(entry: RegisteredClass): void {
  byName.set(entry.name, entry);
  byProto.set(entry.proto, entry);
}

// Built-ins, by the global name a reader of a state knows them by.
const BUILTINS: Record<string, AnyClass | undefined> = {
  Object,
  Array,
  Function,
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  AggregateError,
  Map,
  Set,
  Date,
  RegExp,
  String,
  Number,
  Boolean,
  BigInt: BigInt as unknown as AnyClass,
  Symbol: Symbol as unknown as AnyClass,
  ArrayBuffer,
  SharedArrayBuffer,
  DataView,
  ...(TYPED_ARRAYS as Record<string, AnyClass>),
  Buffer: typeof Buffer === 'function' ? (Buffer as unknown as AnyClass) : undefined,
  URL: typeof URL === 'function' ? URL : undefined,
  URLSearchParams: typeof URLSearchParams === 'function' ? URLSearchParams : undefined,
};
for (const [name, ctor] of Object.entries(BUILTINS))
  if (ctor) register({ name, ctor, proto: ctor.prototype as object, fields: undefined, privateMembers: false, builtin: true });

/**
 * `#x` declared or used in a class body. Private members live outside the
 * object's properties, where no codec can read them, so an instance saved
 * without them would break later. (A `#` after a space inside a string in
 * the class body also matches: the instance is then refused, loudly.)
 */
const PRIVATE_MEMBER = /(?:^|[\s;{}(,!]|\.)#[A-Za-z_$][\w$]*/;

function declaresPrivateMembers(ctor: AnyClass): boolean {
  for (let c: unknown = ctor; typeof c === 'function' && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    if (byProto.get((c as AnyClass).prototype as object)?.builtin) return false;
    if (PRIVATE_MEMBER.test(Function.prototype.toString.call(c))) return true;
  }
  return false;
}

/**
 * Register a class so that its instances (and Error subclasses' instances)
 * can be saved in workflow state and sent as activity arguments, results and
 * errors. Returns the class. The constructor never runs on revival: the
 * instance is made from the prototype and its own properties are set back.
 *
 *   class Money { constructor(public amount: number, public currency: string) {} }
 *   serializable(Money);                    // saved as 'Money'
 *   serializable(Money, 'billing.Money');   // or under a name of your choice
 *
 * Two different classes under one name throw. Registering the same class
 * again under a new name keeps the old one readable and saves under the new.
 */
export function serializable<C extends AnyClass>(Class: C, name: string = Class?.name, options: SerializableOptions = {}): C {
  if (typeof Class !== 'function' || typeof Class.prototype !== 'object' || Class.prototype === null)
    throw new TypeError(`reawait: serializable() takes a class, got ${typeof Class === 'function' ? 'a function without a prototype' : typeof Class}`);
  if (typeof name !== 'string' || name === '')
    throw new TypeError(`reawait: serializable(${Class.name || 'class'}) needs a name: the class is anonymous; pass one as the second argument`);
  const fields = options.fields;
  if (fields !== undefined && (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string') || new Set(fields).size !== fields.length))
    throw new TypeError(`reawait: serializable(${Class.name || name}, …, { fields }) must list distinct field names`);
  const taken = byName.get(name);
  if (taken && taken.ctor !== Class) {
    if (taken.builtin) throw new TypeError(`reawait: serializable(): '${name}' is the name of the built-in ${name}; register class ${Class.name || '(anonymous)'} under another name`);
    // The same declaration evaluated again (a module imported twice) takes the name over; any other class may not.
    if (Function.prototype.toString.call(taken.ctor) !== Function.prototype.toString.call(Class))
      throw new TypeError(
        `reawait: serializable(): two different classes are registered as '${name}': class ${taken.ctor.name || '(anonymous)'} and class ${Class.name || '(anonymous)'}; ` +
          `give one of them another name: serializable(${Class.name || 'Class'}, 'some.other.Name')`,
      );
  }
  const previous = byProto.get(Class.prototype as object);
  if (previous?.builtin) throw new TypeError(`reawait: serializable(): ${previous.name} is built in and needs no registration`);
  register({ name, ctor: Class, proto: Class.prototype as object, fields: fields ? [...fields] : undefined, privateMembers: declaresPrivateMembers(Class), builtin: false });
  return Class;
}

/**
 * serializable() as an earlier build kept by `reawait compile` calls it: the
 * current build's class keeps its name; the earlier class gets it only when
 * no class has it yet.
 */
export function serializableEarlier<C extends AnyClass>(Class: C, name: string): C {
  if (!byName.has(name)) serializable(Class, name);
  return Class;
}

/** The registration whose prototype is `proto` (exactly: an unregistered subclass has none). */
export function classOfPrototype(proto: object): RegisteredClass | undefined {
  return byProto.get(proto);
}

export function classNamed(name: string): RegisteredClass | undefined {
  return byName.get(name);
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

const constantsByName = new Map<string, object>();
const constantNames = new Map<object, string>();

/** Register a singleton object: saved as `name`, restored as this very object. */
export function registerConstant(name: string, value: object): void {
  const prev = constantsByName.get(name);
  if (prev !== undefined && prev !== value) throw new TypeError(`reawait: two different objects are registered as the constant '${name}'`);
  const prevName = constantNames.get(value);
  if (prevName !== undefined && prevName !== name) throw new TypeError(`reawait: the constant '${prevName}' cannot also be registered as '${name}'`);
  constantsByName.set(name, value);
  constantNames.set(value, name);
}

export function constantName(value: object): string | undefined {
  return constantNames.get(value);
}

export function constantNamed(name: string): object | undefined {
  return constantsByName.get(name);
}
