import type { ExecutionContext } from "ava";
import fc from "fast-check";

import type { GraphInput } from "../../src/graph/compiled.js";

/** A graph as compileGraph takes it, with ids `n0`, `n1`, ... and parents as plain lists. */
export interface RandomGraph extends GraphInput {
  readonly size: number;
  readonly parentOffsets: readonly number[];
  readonly parents: readonly number[];
  /** parentLists[i] is node i's parents, without repeats, in no particular order. */
  readonly parentLists: readonly (readonly number[])[];
  readonly priority: readonly number[];
}

/** Runs `fc.assert` inside one ava assertion, so a counterexample fails the test with its report. */
export function assertProperty<Ts extends [unknown, ...unknown[]]>(
  t: ExecutionContext,
  property: fc.IProperty<Ts>,
  parameters: fc.Parameters<Ts> = {},
): void {
  t.notThrows(() => fc.assert(property, parameters));
}

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds the CSR input of compileGraph from per-node parent lists. */
export function graphFromParentLists(
  parentLists: readonly (readonly number[])[],
  priority: readonly number[] = parentLists.map(() => 0),
): RandomGraph {
  const parentOffsets = [0];
  const parents: number[] = [];
  for (const list of parentLists) {
    parents.push(...list);
    parentOffsets.push(parents.length);
  }
  return {
    size: parentLists.length,
    ids: parentLists.map((_, node) => `n${node}`),
    parentOffsets,
    parents,
    flags: parentLists.map(() => 0),
    priority,
    parentLists,
  };
}

/**
 * Draws a DAG: a random permutation gives each node a rank, and every node picks up to
 * `maxParents` distinct parents among the nodes of lower rank. Description order is therefore
 * not always a topological order.
 */
export function randomDag(
  size: number,
  random: () => number,
  maxParents = 4,
  drawPriority: () => number = () => 0,
): RandomGraph {
  const nodeAtRank = Array.from({ length: size }, (_, node) => node);
  for (let rank = size - 1; rank > 0; rank -= 1) {
    const other = Math.floor(random() * (rank + 1));
    [nodeAtRank[rank], nodeAtRank[other]] = [nodeAtRank[other]!, nodeAtRank[rank]!];
  }

  const parentLists: number[][] = Array.from({ length: size }, () => []);
  for (let rank = 1; rank < size; rank += 1) {
    const wanted = Math.floor(random() * (maxParents + 1));
    const chosen = new Set<number>();
    for (let attempt = 0; attempt < wanted; attempt += 1) {
      chosen.add(nodeAtRank[Math.floor(random() * rank)]!);
    }
    parentLists[nodeAtRank[rank]!] = [...chosen];
  }

  return graphFromParentLists(
    parentLists,
    parentLists.map(() => drawPriority()),
  );
}

/** Small integers (many ties) mixed with huge and saturating values. */
export const priorityArbitrary = fc.oneof(
  { arbitrary: fc.integer({ min: -5, max: 5 }), weight: 4 },
  {
    arbitrary: fc.constantFrom(2 ** 31, -(2 ** 31), Number.MAX_VALUE, -Number.MAX_VALUE, 0.5),
    weight: 1,
  },
);

/**
 * Generates small DAGs whose whole structure comes from fast-check, so counterexamples shrink.
 * Node ranks are a shuffled list, and each node's parents are picks among lower-ranked nodes.
 */
export function smallDagArbitrary(maxSize = 12): fc.Arbitrary<RandomGraph> {
  return fc.integer({ min: 1, max: maxSize }).chain((size) =>
    fc
      .tuple(
        fc.shuffledSubarray(
          Array.from({ length: size }, (_, node) => node),
          { minLength: size, maxLength: size },
        ),
        fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: size, maxLength: size }),
        fc.array(priorityArbitrary, { minLength: size, maxLength: size }),
      )
      .map(([nodeAtRank, picks, priority]) => {
        const parentLists: number[][] = Array.from({ length: size }, () => []);
        for (let rank = 1; rank < size; rank += 1) {
          const chosen = new Set(picks[rank]!.map((pick) => nodeAtRank[pick % rank]!));
          parentLists[nodeAtRank[rank]!] = [...chosen];
        }
        return graphFromParentLists(parentLists, priority);
      }),
  );
}

/** Generates DAGs of up to `maxSize` nodes, drawn with the seeded PRNG from a fast-check seed. */
export function largeDagArbitrary(maxSize = 3000): fc.Arbitrary<RandomGraph> {
  return fc
    .record({ size: fc.integer({ min: 1, max: maxSize }), seed: fc.integer() })
    .map(({ size, seed }) => randomDag(size, seededRandom(seed)));
}

/** Computes each node's children the plain way: the nodes listing it as a parent, ascending. */
export function childListsOf(graph: RandomGraph): number[][] {
  const childLists: number[][] = Array.from({ length: graph.size }, () => []);
  for (let node = 0; node < graph.size; node += 1) {
    for (const parent of graph.parentLists[node]!) childLists[parent]!.push(node);
  }
  return childLists;
}
