import { types } from "node:util";

import { TracedRef, tracedRefOf } from "./traced.js";

/**
 * A constant that is a Proxy, boxed so that the run layer never inspects it: `instanceof` on a
 * revoked Proxy throws, and a Proxy's traps run user code.
 */
export class OpaqueConstant {
  constructor(readonly value: unknown) {}
}

/** The position of a traced value inside a plain container passed as an argument. */
export interface Slot {
  readonly path: readonly (string | number)[];
  readonly ref: TracedRef;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * Plain arrays and plain objects are searched for traced values; other objects are opaque. So
 * are proxies, since their traps run user code and a revoked one throws on every inspection.
 */
function isScannedContainer(value: unknown): value is Record<string | number, unknown> {
  if (typeof value !== "object" || value === null || types.isProxy(value)) return false;
  if (tracedRefOf(value) !== undefined) return false;
  return Array.isArray(value) || isPlainObject(value);
}

/**
 * Lists every traced value inside plain arrays and objects under `root`, at any depth, with
 * its path. Returns undefined when there is none. Iterative, and safe on cyclic containers.
 *
 * NOTE: Maps, Sets, class instances, typed arrays and proxies are passed as opaque constants; a
 * traced value hidden inside one of them is not found, so the node would receive the handle itself.
 */
export function scanForTraced(root: object): Slot[] | undefined {
  if (!isScannedContainer(root)) return undefined;

  let slots: Slot[] | undefined;
  const visited = new Set<object>([root]);
  const pending: { container: Record<string | number, unknown>; path: (string | number)[] }[] = [
    { container: root, path: [] },
  ];

  while (pending.length > 0) {
    const { container, path } = pending.pop()!;
    const keys = Array.isArray(container) ? container.keys() : Object.keys(container);

    for (const key of keys) {
      const child = container[key];
      const ref = tracedRefOf(child);
      if (ref !== undefined) {
        (slots ??= []).push({ path: [...path, key], ref });
      } else if (isScannedContainer(child) && !visited.has(child)) {
        visited.add(child);
        pending.push({ container: child, path: [...path, key] });
      }
    }
  }

  return slots;
}

/**
 * A plain container with traced values inside. At run time it is rebuilt with the results in
 * place of the traced values: containers on the way to a traced value are shallow-copied, every
 * other value keeps its identity, and the user's original container is never modified.
 */
export class Template {
  constructor(
    readonly original: object,
    readonly slots: readonly Slot[],
  ) {}

  build(results: readonly unknown[]): unknown {
    const copies = new Map<object, Record<string | number, unknown>>();
    const copyOf = (container: object): Record<string | number, unknown> => {
      let copy = copies.get(container);
      if (copy === undefined) {
        copy = (Array.isArray(container) ? [...container] : { ...container }) as Record<
          string | number,
          unknown
        >;
        copies.set(container, copy);
      }
      return copy;
    };

    const root = copyOf(this.original);
    for (const { path, ref } of this.slots) {
      let original = this.original as Record<string | number, unknown>;
      let copy = root;
      for (let depth = 0; depth < path.length - 1; depth += 1) {
        const key = path[depth]!;
        original = original[key] as Record<string | number, unknown>;
        const childCopy = copyOf(original);
        copy[key] = childCopy;
        copy = childCopy;
      }
      copy[path[path.length - 1]!] = results[ref.index];
    }
    return root;
  }
}
