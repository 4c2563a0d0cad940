import assert from "node:assert";

import { findCycle } from "./cycle.js";
import { compoundPriorities } from "./priority.js";
import { topologicalOrder } from "./topological.js";
import { TawaziCycleError } from "../errors.js";

/**
 * A DAG compiled once into dense indices and typed arrays. Both engines read only this: they
 * never see user values or functions.
 */
export interface CompiledGraph {
  readonly size: number;
  readonly ids: readonly string[];
  /** Node i's parents: parents[parentOffsets[i] .. parentOffsets[i + 1]), without repeats. */
  readonly parentOffsets: Uint32Array;
  readonly parents: Uint32Array;
  /** Node i's children: children[childOffsets[i] .. childOffsets[i + 1]), in ascending order. */
  readonly childOffsets: Uint32Array;
  readonly children: Uint32Array;
  /**
   * Bits of `NodeFlag`. A configuration replaces `flags`, `priority` and `compoundPriority`
   * with new arrays and never changes them in place, so a run keeps the ones it started with.
   */
  flags: Uint8Array;
  priority: Float64Array;
  /** priority + the compound priorities of the children, saturated to finite values. */
  compoundPriority: Float64Array;
  readonly topologicalOrder: Uint32Array;
  /** Bumped whenever a configuration replaces the priorities or flags. */
  revision: number;
}

/** The graph as a description gives it: parents per node in CSR form. */
export interface GraphInput {
  readonly ids: readonly string[];
  readonly parentOffsets: ArrayLike<number>;
  readonly parents: ArrayLike<number>;
  readonly flags: ArrayLike<number>;
  readonly priority: ArrayLike<number>;
}

/**
 * Compiles `input` into a CompiledGraph: children CSR, topological order, cycle check and
 * compound priorities.
 *
 * # Errors
 * TawaziCycleError naming one shortest cycle through the first node (in description order)
 * that lies on a cycle.
 *
 * # Complexity
 * O(V + E) time and memory, iterative.
 */
export function compileGraph(input: GraphInput): CompiledGraph {
  const size = input.ids.length;
  assert.equal(input.parentOffsets.length, size + 1, "parentOffsets must have size + 1 entries");

  const parentOffsets = Uint32Array.from(input.parentOffsets);
  const parents = Uint32Array.from(input.parents);
  for (let edge = 0; edge < parents.length; edge += 1) {
    assert.ok(parents[edge]! < size, "parent index out of range");
  }

  const { childOffsets, children } = invertEdges(size, parentOffsets, parents);
  const order = topologicalOrder(size, parentOffsets, parents, childOffsets, children);
  if (order === undefined) {
    const cycle = findCycle(size, childOffsets, children);
    throw new TawaziCycleError(cycle.map((node) => input.ids[node]!));
  }

  const priority = Float64Array.from(input.priority);
  return {
    size,
    ids: input.ids,
    parentOffsets,
    parents,
    childOffsets,
    children,
    flags: Uint8Array.from(input.flags),
    priority,
    compoundPriority: compoundPriorities(priority, childOffsets, children, order),
    topologicalOrder: order,
    revision: 0,
  };
}

/** Builds the children CSR from the parents CSR by counting; children come out ascending. */
function invertEdges(
  size: number,
  parentOffsets: Uint32Array,
  parents: Uint32Array,
): { childOffsets: Uint32Array; children: Uint32Array } {
  const childOffsets = new Uint32Array(size + 1);
  for (let edge = 0; edge < parents.length; edge += 1) childOffsets[parents[edge]! + 1]! += 1;
  for (let node = 0; node < size; node += 1) childOffsets[node + 1]! += childOffsets[node]!;

  const cursor = childOffsets.slice(0, size);
  const children = new Uint32Array(parents.length);
  for (let node = 0; node < size; node += 1) {
    for (let edge = parentOffsets[node]!; edge < parentOffsets[node + 1]!; edge += 1) {
      const parent = parents[edge]!;
      children[cursor[parent]!] = node;
      cursor[parent]! += 1;
    }
  }
  return { childOffsets, children };
}
