import test from "ava";

import { TawaziCycleError, TawaziUsageError, dag, xn } from "../../index.js";
import { type GraphInput, compileGraph } from "../../src/graph/compiled.js";
import { Behavior, NodeState } from "../../src/engine/scheduler.js";
import { schedulerFor } from "../../src/engine/select.js";
import { engines } from "../helpers/engines.js";

type Edge = readonly [parent: string, child: string];

/** Builds the CSR input of `compileGraph` from node ids and parent → child edges. */
function graphInput(ids: readonly string[], edges: readonly Edge[]): GraphInput {
  const parentOffsets = [0];
  const parents: number[] = [];
  for (const id of ids) {
    for (const [parent, child] of edges) {
      if (child === id) parents.push(ids.indexOf(parent));
    }
    parentOffsets.push(parents.length);
  }
  return {
    ids,
    parentOffsets,
    parents,
    flags: ids.map(() => 0),
    priority: ids.map(() => 0),
  };
}

/**
 * Compiles the graph, then runs it on `engine`, calling `functions[id]` for every node the
 * engine hands out. A graph that fails to compile runs nothing.
 */
function compileAndRun(
  engine: (typeof engines)[number],
  input: GraphInput,
  functions: Record<string, () => void>,
): void {
  const graph = compileGraph(input);
  const schedule = schedulerFor(engine).start(graph, {
    mask: null,
    maxConcurrency: Number.POSITIVE_INFINITY,
    behavior: Behavior.strict,
  });
  const batch = new Uint32Array(graph.size);
  while (!schedule.finished) {
    const count = schedule.take(batch);
    if (count === 0) throw new Error("the engine handed out nothing before the run finished");
    for (const node of batch.subarray(0, count)) {
      functions[graph.ids[node]!]?.();
      schedule.finish(node, NodeState.succeeded);
    }
  }
}

const cycleCases: readonly {
  name: string;
  ids: readonly string[];
  edges: readonly Edge[];
  cycle: readonly string[];
}[] = [
  { name: "self-dependency", ids: ["A"], edges: [["A", "A"]], cycle: ["A", "A"] },
  {
    name: "two-node loop",
    ids: ["A", "B"],
    edges: [
      ["A", "B"],
      ["B", "A"],
    ],
    cycle: ["A", "B", "A"],
  },
  {
    name: "three-node loop",
    ids: ["A", "B", "C"],
    edges: [
      ["A", "C"],
      ["C", "B"],
      ["B", "A"],
    ],
    cycle: ["A", "C", "B", "A"],
  },
  {
    // A -> B -> C -> A with the chord A -> C: the shortest cycle through A skips B.
    name: "loop with a shortcut",
    ids: ["A", "B", "C"],
    edges: [
      ["A", "B"],
      ["B", "C"],
      ["C", "A"],
      ["A", "C"],
    ],
    cycle: ["A", "C", "A"],
  },
  {
    name: "loop below an acyclic root",
    ids: ["R", "A", "B"],
    edges: [
      ["R", "A"],
      ["A", "B"],
      ["B", "A"],
    ],
    cycle: ["A", "B", "A"],
  },
];

for (const { name, ids, edges, cycle } of cycleCases) {
  test(`cycle error for ${name}`, (t) => {
    const error = t.throws(() => compileGraph(graphInput(ids, edges)), {
      instanceOf: TawaziCycleError,
    });
    t.is(error?.code, "ERR_TAWAZI_CYCLE");
    t.deepEqual(error?.cycle, cycle);
    t.true(error?.message.includes(cycle.join(" -> ")), error?.message);
  });
}

for (const engine of engines) {
  const loopWithBystander = {
    ids: ["A", "B", "C", "D"],
    edges: [
      ["A", "C"],
      ["C", "B"],
      ["B", "A"],
    ] as const,
  };

  test(`cycle runs no unrelated node [${engine}]`, (t) => {
    let bystanderRuns = 0;
    const error = t.throws(
      () =>
        compileAndRun(engine, graphInput(loopWithBystander.ids, loopWithBystander.edges), {
          D: () => {
            bystanderRuns += 1;
          },
        }),
      { instanceOf: TawaziCycleError },
    );
    t.deepEqual(error?.cycle, ["A", "C", "B", "A"]);
    t.true(error?.message.includes("A -> C -> B -> A"), error?.message);
    t.is(bystanderRuns, 0);
  });

  test(`acyclic graph runs every node [${engine}]`, (t) => {
    // The same graph without the edge B -> A: the runner above does reach D when nothing fails.
    const runs: string[] = [];
    const record = (id: string) => () => {
      runs.push(id);
    };
    compileAndRun(
      engine,
      graphInput(loopWithBystander.ids, loopWithBystander.edges.slice(0, 2)),
      { A: record("A"), B: record("B"), C: record("C"), D: record("D") },
    );
    t.deepEqual([...runs].sort(), ["A", "B", "C", "D"]);
    t.true(runs.indexOf("A") < runs.indexOf("C"));
    t.true(runs.indexOf("C") < runs.indexOf("B"));
  });

  test(`traced value of another DAG rejected [${engine}]`, (t) => {
    // Describing functions only see results of nodes already recorded, so the only way to point
    // at a node that is not upstream is to smuggle a traced value out of another description.
    const incr = xn(function incr(x: number) {
      return x + 1;
    });
    let leaked: unknown;
    dag(
      function first(x: number) {
        leaked = incr(x);
        return leaked;
      },
      { engine },
    );

    const error = t.throws(
      () =>
        dag(
          function second() {
            return incr(leaked as number);
          },
          { engine },
        ),
      { instanceOf: TawaziUsageError },
    );
    t.is(error?.code, "ERR_TAWAZI_USAGE");
    t.true(error?.message.includes('DAG "first"'), error?.message);
  });
}
