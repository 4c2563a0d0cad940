import test from "ava";
import fc from "fast-check";

import { compileGraph } from "../../src/graph/compiled.js";
import { isTopologicalOrder } from "../../src/graph/topological.js";
import {
  type RandomGraph,
  assertProperty,
  childListsOf,
  graphFromParentLists,
  largeDagArbitrary,
  smallDagArbitrary,
} from "../helpers/random-graph.js";

/** Returns a description of the first way `graph` compiles wrongly, or undefined. */
function compileMismatch(graph: RandomGraph): string | undefined {
  const compiled = compileGraph(graph);

  if (compiled.size !== graph.size) return `size ${compiled.size}, expected ${graph.size}`;
  if (!isTopologicalOrder(graph.size, graph.parentOffsets, graph.parents, compiled.topologicalOrder)) {
    return `not a topological order: [${[...compiled.topologicalOrder].join(",")}]`;
  }

  const childLists = childListsOf(graph);
  const expectedOffsets = [0];
  for (const list of childLists) expectedOffsets.push(expectedOffsets.at(-1)! + list.length);
  const expectedChildren = childLists.flat();
  if ([...compiled.childOffsets].join(",") !== expectedOffsets.join(",")) {
    return `childOffsets [${[...compiled.childOffsets].join(",")}], expected [${expectedOffsets.join(",")}]`;
  }
  if ([...compiled.children].join(",") !== expectedChildren.join(",")) {
    return `children [${[...compiled.children].join(",")}], expected [${expectedChildren.join(",")}]`;
  }

  if ([...compiled.parentOffsets].join(",") !== [...graph.parentOffsets].join(",")) {
    return "parentOffsets changed";
  }
  if ([...compiled.parents].join(",") !== [...graph.parents].join(",")) return "parents changed";
  return undefined;
}

function checkCompiles(graph: RandomGraph): void {
  const mismatch = compileMismatch(graph);
  if (mismatch !== undefined) throw new Error(mismatch);
}

test("small random DAGs compile correctly", (t) => {
  assertProperty(t, fc.property(smallDagArbitrary(), checkCompiles), { numRuns: 1000 });
});

test("large random DAGs compile correctly", (t) => {
  assertProperty(t, fc.property(largeDagArbitrary(3000), checkCompiles), { numRuns: 60 });
});

test("reversed chain gets reversed order", (t) => {
  // n0 depends on n1, n1 on n2, ...: the only topological order is n4, n3, n2, n1, n0.
  const graph = graphFromParentLists([[1], [2], [3], [4], []]);
  const compiled = compileGraph(graph);

  t.deepEqual([...compiled.topologicalOrder], [4, 3, 2, 1, 0]);
});

test("description order kept when topological", (t) => {
  const graph = graphFromParentLists([[], [0], [0], [1, 2], []]);
  const compiled = compileGraph(graph);

  t.deepEqual([...compiled.topologicalOrder], [0, 1, 2, 3, 4]);
});

test("empty graph compiles", (t) => {
  const compiled = compileGraph(graphFromParentLists([]));

  t.is(compiled.size, 0);
  t.deepEqual([...compiled.topologicalOrder], []);
  t.deepEqual([...compiled.childOffsets], [0]);
});

test("children come out ascending", (t) => {
  // Node 0 is a parent of 4, 1 and 3, listed in that order. Its children must read 1, 3, 4.
  const graph = graphFromParentLists([[], [0], [], [2, 0], [0]]);
  const compiled = compileGraph(graph);

  t.deepEqual([...compiled.childOffsets], [0, 3, 3, 4, 4, 4]);
  t.deepEqual([...compiled.children], [1, 3, 4, 3]);
});

test("isTopologicalOrder accepts a valid order", (t) => {
  const graph = graphFromParentLists([[2], [], [1]]);

  t.true(isTopologicalOrder(3, graph.parentOffsets, graph.parents, [1, 2, 0]));
});

test("isTopologicalOrder rejects child first", (t) => {
  const graph = graphFromParentLists([[2], [], [1]]);

  t.false(isTopologicalOrder(3, graph.parentOffsets, graph.parents, [2, 1, 0]));
});

test("isTopologicalOrder rejects a repeated node", (t) => {
  const graph = graphFromParentLists([[], [], []]);

  t.false(isTopologicalOrder(3, graph.parentOffsets, graph.parents, [0, 1, 1]));
});

test("isTopologicalOrder rejects a short order", (t) => {
  const graph = graphFromParentLists([[], [], []]);

  t.false(isTopologicalOrder(3, graph.parentOffsets, graph.parents, [0, 1]));
});

test("isTopologicalOrder rejects an out-of-range node", (t) => {
  const graph = graphFromParentLists([[], [], []]);

  t.false(isTopologicalOrder(3, graph.parentOffsets, graph.parents, [0, 1, 3]));
});

test("isTopologicalOrder matches edge oracle", (t) => {
  const scenario = smallDagArbitrary(10).chain((graph) =>
    fc
      .shuffledSubarray(
        Array.from({ length: graph.size }, (_, node) => node),
        { minLength: graph.size, maxLength: graph.size },
      )
      .map((order) => ({ graph, order })),
  );
  assertProperty(
    t,
    fc.property(scenario, ({ graph, order }) => {
      const position = new Map(order.map((node, rank) => [node, rank]));
      const expected = graph.parentLists.every((parents, node) =>
        parents.every((parent) => position.get(parent)! < position.get(node)!),
      );
      const actual = isTopologicalOrder(graph.size, graph.parentOffsets, graph.parents, order);
      if (actual !== expected) throw new Error(`returned ${actual} for [${order.join(",")}]`);
    }),
    { numRuns: 1000 },
  );
});
