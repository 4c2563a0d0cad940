import { inspect } from "node:util";

import { TawaziUsageError } from "../errors.js";
import type { GraphBuilder } from "./builder.js";

/** Property through which our proxy hands out its reference; never visible to user code. */
export const tracedRefKey: unique symbol = Symbol("tawazi.tracedRef");

declare const tracedBrand: unique symbol;
declare const absentBrand: unique symbol;

/**
 * A handle, inside a describing function, to the result a node will have when the DAG runs.
 * Index it (`d.k`, `l[0]`) to depend on a part of that result.
 *
 * `Absent` is `undefined` for a conditional call (`.with({ active })`): the DAG's result is
 * `undefined` where the node was skipped. Nodes that depend on it are skipped too, so they
 * never receive that `undefined`, and it is accepted where a `T` is expected.
 */
export interface TracedValue<T = unknown, Absent = never> {
  readonly [tracedBrand]: T;
  readonly [absentBrand]?: (absent: Absent) => void;
}

type TracedMembers<T> = T extends readonly unknown[]
  ? { readonly [K in keyof T]: Traced<T[K]> }
  : T extends (...args: never[]) => unknown
    ? unknown
    : T extends object
      ? { readonly [K in keyof T]-?: Traced<T[K]> }
      : unknown;

/** The static type of a traced value: indexing gives traced values of the parts. */
export type Traced<T, Absent = never> = TracedValue<T, Absent> & TracedMembers<T>;

/** A value or a traced value of it, as accepted by node arguments (at any depth of plain containers). */
export type Traceable<T> =
  | T
  | Traced<T>
  | (T extends readonly unknown[]
      ? { [K in keyof T]: Traceable<T[K]> }
      : T extends (...args: never[]) => unknown
        ? never
        : T extends object
          ? { [K in keyof T]: Traceable<T[K]> }
          : never);

/** The run-time value behind a describe-time value: traced values become their results. */
export type Resolved<T> =
  T extends TracedValue<infer U, infer Absent>
    ? U | Absent
    : T extends readonly unknown[]
      ? { -readonly [K in keyof T]: Resolved<T[K]> }
      : T extends (...args: never[]) => unknown
        ? T
        : T extends object
          ? { -readonly [K in keyof T]: Resolved<T[K]> }
          : T;

/**
 * The target of a traced-value proxy: which builder recorded the node and its dense index.
 * It also serves as the reference stored in argument lists, so no map lookup is needed.
 */
export class TracedRef {
  lookups: Map<string, unknown> | undefined = undefined;

  constructor(
    readonly builder: GraphBuilder,
    readonly index: number,
    readonly unpackTo: number,
  ) {}

  get id(): string {
    return this.builder.ids[this.index]!;
  }

  [inspect.custom](): string {
    return `TracedValue<${this.id}>`;
  }
}

function primitiveConversionError(ref: TracedRef): TawaziUsageError {
  return new TawaziUsageError(
    `the traced value of node "${ref.id}" was converted to a primitive (by +, a template string ` +
      "or a comparison). Its value exists only when the DAG runs: use the node-making operators " +
      "of `ops` (ops.add, ops.gt, ...) or pass it to an ExecNode.",
  );
}

function readOnlyError(ref: TracedRef, action: string): TawaziUsageError {
  return new TawaziUsageError(
    `cannot ${action} the traced value of node "${ref.id}": traced values are read-only handles. ` +
      "Compute the new value in an ExecNode instead.",
  );
}

function iterate(ref: TracedRef): Iterator<unknown> {
  if (ref.unpackTo === 0) {
    throw new TawaziUsageError(
      `the traced value of node "${ref.id}" was destructured or iterated, but its length is ` +
        "unknown. Declare it with xn(fn, { unpackTo: n }) or call fn.with({ unpackTo: n })(...).",
    );
  }
  // Lookups are made as destructuring requests them, so `const [a] = f()` makes one node.
  let position = 0;
  return {
    next(): IteratorResult<unknown> {
      if (position >= ref.unpackTo) return { done: true, value: undefined };
      const part = ref.builder.addLookup(ref, String(position));
      position += 1;
      return { done: false, value: part };
    },
    [Symbol.iterator]() {
      return this;
    },
  } as Iterator<unknown>;
}

/**
 * The proxy's target: a function, so that calling a traced value reaches the `apply` trap and
 * gets a clear error instead of "is not a function". It carries its reference as `ref`.
 */
interface TracedTarget {
  (): void;
  ref: TracedRef;
}

const handler: ProxyHandler<TracedTarget> = {
  get({ ref }, key) {
    if (key === tracedRefKey) return ref;

    if (typeof key === "symbol") {
      if (key === Symbol.toPrimitive) {
        return () => {
          throw primitiveConversionError(ref);
        };
      }
      if (key === Symbol.iterator) return () => iterate(ref);
      if (key === inspect.custom) return () => `TracedValue<${ref.id}>`;
      return undefined;
    }

    if (key === "then") {
      throw new TawaziUsageError(
        `the traced value of node "${ref.id}" was awaited or treated as a promise inside a ` +
          "describing function. Describing functions are synchronous: pass the traced value to " +
          "the next ExecNode, which receives the awaited result when the DAG runs.",
      );
    }

    return ref.builder.addLookup(ref, key);
  },

  set({ ref }) {
    throw readOnlyError(ref, "assign a property of");
  },

  deleteProperty({ ref }) {
    throw readOnlyError(ref, "delete a property of");
  },

  defineProperty({ ref }) {
    throw readOnlyError(ref, "define a property on");
  },

  has({ ref }) {
    throw new TawaziUsageError(
      `the "in" operator was used on the traced value of node "${ref.id}"; its keys exist only ` +
        "when the DAG runs. Test the result inside an ExecNode instead.",
    );
  },

  apply({ ref }) {
    const lookup = ref.builder.lookupOf(ref.index);
    const what =
      lookup === undefined
        ? `the traced value of node "${ref.id}" was called as a function`
        : `method ${JSON.stringify(lookup.key)} of the traced value of node ` +
          `"${ref.builder.ids[lookup.parent]}" was called`;
    throw new TawaziUsageError(
      `${what} inside a describing function; the value exists only when the DAG runs. ` +
        "Call it inside an ExecNode instead.",
    );
  },

  construct({ ref }) {
    throw new TawaziUsageError(
      `the traced value of node "${ref.id}" was used with new inside a describing function; ` +
        "construct objects inside an ExecNode instead.",
    );
  },

  ownKeys({ ref }) {
    throw new TawaziUsageError(
      `the keys of the traced value of node "${ref.id}" were listed (by spread, Object.keys or ` +
        "JSON.stringify); they exist only when the DAG runs. Index the keys you need " +
        "(value.key), or declare unpackTo to destructure an array.",
    );
  },
};

/** Wraps a reference in the proxy that user code receives. */
/**
 * Every target is a bound copy of this function, so all share its prototype, which gives
 * `console.log` and `util.inspect` (they read the target, not the proxy) a short form.
 */
function tracedValue(): void {}
Object.setPrototypeOf(
  tracedValue,
  Object.create(Function.prototype, {
    [inspect.custom]: {
      // Node calls this with the proxy as `this`: read the reference through our own key.
      value(this: TracedTarget & { [tracedRefKey]?: TracedRef }): string {
        return `TracedValue<${(this[tracedRefKey] ?? this.ref).id}>`;
      },
    },
  }),
);

export function makeTraced(ref: TracedRef): unknown {
  const target = tracedValue.bind(undefined) as TracedTarget;
  target.ref = ref;
  return new Proxy(target, handler);
}

/** Returns the reference behind a traced value, or undefined for any other value. */
export function tracedRefOf(value: unknown): TracedRef | undefined {
  if (typeof value !== "function") return undefined;
  try {
    const ref = (value as { [tracedRefKey]?: unknown })[tracedRefKey];
    return ref instanceof TracedRef ? ref : undefined;
  } catch {
    // A revoked Proxy, or one whose get trap throws, is a constant like any other value.
    return undefined;
  }
}
