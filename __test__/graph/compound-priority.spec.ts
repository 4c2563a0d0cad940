import test from "ava";
import fc from "fast-check";

import { compileGraph } from "../../src/graph/compiled.js";
import {
  type RandomGraph,
  assertProperty,
  childListsOf,
  graphFromParentLists,
  smallDagArbitrary,
} from "../helpers/random-graph.js";

const largest = Number.MAX_VALUE;

function saturate(value: number): number {
  return Math.min(largest, Math.max(-largest, value));
}

/**
 * Computes cp(v) = priority(v) + Σ cp(child) straight from the definition, by recursion with a
 * memo. Children are added in ascending index order, each partial sum saturated at ±MAX_VALUE.
 */
function compoundOracle(graph: RandomGraph): number[] {
  const childLists = childListsOf(graph);
  const memo = new Map<number, number>();
  const cp = (node: number): number => {
    const known = memo.get(node);
    if (known !== undefined) return known;
    let sum = graph.priority[node]!;
    for (const child of childLists[node]!) sum = saturate(sum + cp(child));
    memo.set(node, sum);
    return sum;
  };
  return graph.priority.map((_, node) => cp(node));
}

test("random DAGs match recursive oracle", (t) => {
  assertProperty(
    t,
    fc.property(smallDagArbitrary(14), (graph) => {
      const expected = compoundOracle(graph);
      const actual = [...compileGraph(graph).compoundPriority];
      for (let node = 0; node < graph.size; node += 1) {
        if (actual[node] !== expected[node]) {
          throw new Error(`node ${node}: ${actual[node]}, expected ${expected[node]}`);
        }
      }
    }),
    { numRuns: 2000 },
  );
});

test("chain accumulates descendants", (t) => {
  const graph = graphFromParentLists([[], [0], [1], [2]], [1, 2, 3, 4]);

  t.deepEqual([...compileGraph(graph).compoundPriority], [10, 9, 7, 4]);
});

test("diamond counts shared child per path", (t) => {
  // 0 -> 1 -> 3 and 0 -> 2 -> 3: node 3 is reached through both children of 0.
  const graph = graphFromParentLists([[], [0], [0], [1, 2]], [1, 1, 1, 1]);

  t.deepEqual([...compileGraph(graph).compoundPriority], [5, 2, 2, 1]);
});

test("tree with fan-out sums subtree", (t) => {
  // R -> X, X -> Y, X -> Z, Z -> W, every priority 1: R's subtree has 5 nodes.
  const graph = graphFromParentLists([[], [0], [1], [1], [3]], [1, 1, 1, 1, 1]);

  t.deepEqual([...compileGraph(graph).compoundPriority], [5, 4, 1, 2, 1]);
});

test("priority array is kept as given", (t) => {
  const graph = graphFromParentLists([[], [0]], [-3, 2 ** 31]);

  t.deepEqual([...compileGraph(graph).priority], [-3, 2 ** 31]);
});

test("thousand huge children sum exactly", (t) => {
  const parentLists: number[][] = [[]];
  for (let child = 1; child <= 1000; child += 1) parentLists.push([0]);
  const priority = [1, ...Array.from({ length: 1000 }, () => 2 ** 31)];
  const compiled = compileGraph(graphFromParentLists(parentLists, priority));

  t.is(compiled.compoundPriority[0], 1000 * 2 ** 31 + 1);
  t.is(compiled.compoundPriority[1000], 2 ** 31);
});

test("positive sums saturate at MAX_VALUE", (t) => {
  const graph = graphFromParentLists([[], [0], [0]], [Number.MAX_VALUE, Number.MAX_VALUE, 1]);

  t.is(compileGraph(graph).compoundPriority[0], Number.MAX_VALUE);
});

test("negative sums saturate at -MAX_VALUE", (t) => {
  const graph = graphFromParentLists([[], [0], [0]], [-Number.MAX_VALUE, -Number.MAX_VALUE, -1]);

  t.is(compileGraph(graph).compoundPriority[0], -Number.MAX_VALUE);
});

test("long saturating chain stays finite", (t) => {
  const size = 2000;
  const parentLists = Array.from({ length: size }, (_, node) => (node === 0 ? [] : [node - 1]));
  const priority = parentLists.map(() => Number.MAX_VALUE / 4);
  const compound = compileGraph(graphFromParentLists(parentLists, priority)).compoundPriority;

  t.true(compound.every((value) => Number.isFinite(value)));
  t.is(compound[0], Number.MAX_VALUE);
  t.is(compound[size - 1], Number.MAX_VALUE / 4);
});

test("non-topological description gets same priorities", (t) => {
  // The chain 3 -> 2 -> 1 -> 0, described leaf first.
  const graph = graphFromParentLists([[1], [2], [3], []], [4, 3, 2, 1]);

  t.deepEqual([...compileGraph(graph).compoundPriority], [4, 7, 9, 10]);
});
