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
 * NOTE: Maps, Sets, class instances, typed arrays and proxies are passed as opaque constants. A
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

type Container = Record<string | number, unknown>;

/** Returns a shallow copy of a plain array or object; holes of an array become undefined. */
function shallowCopy(container: object): Container {
  return (Array.isArray(container) ? [...container] : { ...container }) as Container;
}

/**
 * A plain container with traced values inside, as it was when the ExecNode was called. At run
 * time it is rebuilt with the results in place of the traced values: containers on the way to a
 * traced value are copied, every other value keeps its identity, and the user's container is
 * never modified.
 *
 * The template keeps a skeleton, a copy of those containers with the traced values left out,
 * so it references neither the traced values nor the user's container. A flat array (every
 * traced value at depth 1) keeps its positions in typed arrays, since fan-ins pass thousands.
 */
export class Template {
  private readonly skeleton: Container;
  /** Node index of each traced value, in the order of `paths` or `positions`. */
  private readonly nodes: Uint32Array;
  /** Index in the array of each traced value, for a flat array; otherwise undefined. */
  private readonly positions: Uint32Array | undefined;
  /** Path of each traced value, when the container is not a flat array. */
  private readonly paths: readonly (readonly (string | number)[])[] | undefined;

  constructor(original: object, slots: readonly Slot[]) {
    this.nodes = Uint32Array.from(slots, (slot) => slot.ref.index);
    const flat = Array.isArray(original) && slots.every((slot) => slot.path.length === 1);

    if (flat) {
      const skeleton = shallowCopy(original);
      this.positions = Uint32Array.from(slots, (slot) => slot.path[0] as number);
      for (const position of this.positions) skeleton[position] = undefined;
      this.skeleton = skeleton;
      this.paths = undefined;
      return;
    }

    this.positions = undefined;
    this.paths = slots.map((slot) => slot.path);
    this.skeleton = fillPaths(original, this.paths, () => undefined);
  }

  build(results: readonly unknown[]): unknown {
    const { nodes, positions } = this;
    if (positions !== undefined) {
      const copy = (this.skeleton as unknown as unknown[]).slice();
      for (let slot = 0; slot < positions.length; slot += 1) copy[positions[slot]!] = results[nodes[slot]!];
      return copy;
    }
    return fillPaths(this.skeleton, this.paths!, (slot) => results[nodes[slot]!]);
  }

  /** Returns the constants of the container, with undefined where traced values go. */
  get constants(): object {
    return this.skeleton;
  }

  /** Returns where each traced value goes and which node it comes from, as `path=node` pairs. */
  describeSlots(): string {
    const { nodes, positions, paths } = this;
    const places = positions === undefined ? paths!.map((path) => path.join(".")) : Array.from(positions, String);
    return places.map((place, slot) => `${place}=${nodes[slot]}`).join(",");
  }
}

/**
 * Returns a copy of `root` in which the containers along `paths` are copied too and the value
 * at the end of path i is `valueAt(i)`. Containers off the paths keep their identity.
 */
function fillPaths(
  root: object,
  paths: readonly (readonly (string | number)[])[],
  valueAt: (slot: number) => unknown,
): Container {
  const copies = new Map<object, Container>();
  const copyOf = (container: object): Container => {
    let copy = copies.get(container);
    if (copy === undefined) {
      copy = shallowCopy(container);
      copies.set(container, copy);
    }
    return copy;
  };

  const rootCopy = copyOf(root);
  paths.forEach((path, slot) => {
    let original = root as Container;
    let copy = rootCopy;
    for (let depth = 0; depth < path.length - 1; depth += 1) {
      const key = path[depth]!;
      original = original[key] as Container;
      const childCopy = copyOf(original);
      copy[key] = childCopy;
      copy = childCopy;
    }
    copy[path[path.length - 1]!] = valueAt(slot);
  });
  return rootCopy;
}
